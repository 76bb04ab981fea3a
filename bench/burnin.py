"""Burn-in OCR: names and source timecodes read right, cuts gained, and what reading costs.

``python -m bench.burnin [--quick] [--engines onnx,paddle] [--frames 3000] [--repeat 1]``

1. Accuracy: every plate of ``jobs.synth_suite.BURNIN_SUITE`` (made under ``bench/work/burnin/``)
   is split in-process with ``run_split(..., SplitOptions(split=False, ocr=...))`` once per OCR
   engine and once with burn-ins off (``ocr=None``); the plates of ``SUITE`` (pictures only,
   ``bench/work/suite/``) likewise. The truth comes from the plate spec: a cut starts on every
   shot's first frame, except a shot whose burn-in runs on from the previous one (same name,
   source timecode advanced by exactly the previous shot's length, counter running on): that is
   the "suspicious" case, reported and not split. Each expected cut is named by its burn-in
   (made unique as the manifest does: a repeated name gets ``_2``), its source timecode in is the
   burn-in timecode at the cut's first frame and out is in + its frames; a plate without
   burn-ins must keep the template name and the plate's timecode. Exact-match rates of names
   and timecodes per plate and in total, and cut F1 at 0 frames tolerance, OCR on against off.
2. Cost: OCR band reads per cut and whole-frame sample reads per plate (from the manifests),
   and milliseconds per OCR call on a 1920x80 band crop of a generated 1080p burn-in frame
   (warm, median of 20 calls) with the engine's load time.
3. ``platecut split PLATE -o OUT --overwrite`` with OCR on (``--ocr-engine onnx``) and off
   (``--no-ocr``), each in a fresh process, round robin, ``--repeat`` times, on a 1920x1080
   H.264 plate of ``--frames`` frames (about 78 a shot) with burned-in names ``SH###_####``,
   running source timecodes and a record timecode (``bench/work/burnin/``). Cut media is written
   (the default ProRes re-encode) unless ``--no-split``.

``--quick``: two plates of each suite, the onnx engine (unless ``--engines`` says otherwise),
a 640x360 300-frame plate for 3., one run. Results: ``bench/results/burnin.json``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.accuracy import Score
from bench.common import (
    PLATECUT,
    WORK,
    Timing,
    ensure_plate,
    heading,
    interleaved_timings,
    log,
    machine_info,
    machine_lines,
    many_cuts_shots,
    parse_size,
    publish,
    table,
)
from jobs.burnin.fields import tc_frames
from jobs.manifest import MANIFEST_NAME, Cut, Manifest
from jobs.ocr.engine import OcrSettings
from jobs.ocr.factory import load_engine
from jobs.pipeline import SplitOptions, run_split
from jobs.segments import safe_name
from jobs.synth import PlateSpec, ShotSpec, truth_of
from jobs.synth_burnin import BurnIn
from jobs.synth_suite import BURNIN_SUITE, SUITE, file_name
from jobs.timecode import FrameRate, offset_timecode

ENGINES = ("onnx", "paddle")
OFF = "off"
TARGET_RATE = 0.99
OCR_CALLS = 20  # timed calls on the band crop, after WARM_CALLS untimed ones
WARM_CALLS = 2
BAND_SIZE = (1920, 80)
QUICK_PLATES = {"burnin": ["bi_timecode_jump", "bi_suspicious"], "picture": ["different", "dissolve_fade"]}
SUITES = {"burnin": BURNIN_SUITE, "picture": SUITE}
SUITE_LABELS = {"burnin": "BURNIN_SUITE", "picture": "SUITE (pictures only)"}
BURNIN_DIR = WORK / "burnin"
PADDLE_MODELS = WORK / "paddle-models"


# --- truth ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExpectedCut:
    first_frame: int
    frames: int
    name: str | None  # as the manifest must show it (safe and unique); None: the template name
    source_tc_in: str | None  # None: the plate's own timecode
    source_tc_out: str | None


def shot_starts(spec: PlateSpec) -> list[int]:
    """Plate frame of every shot's own first frame (a dissolve overlaps the shot before)."""
    starts, pos = [], 0
    for i, shot in enumerate(spec.shots):
        if i and shot.join == "dissolve":
            pos -= shot.join_frames
        starts.append(pos)
        pos += shot.frames
    return starts


def runs_on(prev: ShotSpec, shot: ShotSpec, rate: FrameRate) -> bool:
    """Does ``shot``'s burn-in continue ``prev``'s (same name, timecode and counter running on)?"""
    a, b = prev.burnin, shot.burnin
    if a is None or b is None or shot.join != "cut":
        return False
    if a.name != b.name or (a.source_tc is None) != (b.source_tc is None) \
            or (a.counter is None) != (b.counter is None):
        return False
    if a.name is None and a.source_tc is None and a.counter is None:
        return False
    ta, tb = tc_frames(a.source_tc, rate), tc_frames(b.source_tc, rate)
    if ta is not None and tb is not None and tb - ta != prev.frames:
        return False
    return a.counter is None or b.counter is None or b.counter - a.counter == prev.frames


def expected_cuts(spec: PlateSpec) -> list[ExpectedCut]:
    """Every cut the plate should split into, with its burn-in name and source timecodes."""
    truth = truth_of(spec)
    firsts, own_starts = [0, *truth.cut_starts], shot_starts(spec)
    kept = [i for i in range(len(spec.shots))
            if i == 0 or not runs_on(spec.shots[i - 1], spec.shots[i], spec.rate)]
    ends = [firsts[i] for i in kept[1:]] + [truth.frame_count]
    seen: dict[str, int] = {}
    out = []
    for i, end in zip(kept, ends, strict=True):
        burnin = spec.shots[i].burnin or BurnIn()
        name = safe_name(burnin.name) if burnin.name else None
        if name is not None:  # repeated names are made unique the way the manifest does it
            n = seen.get(name, 0)
            seen[name] = n + 1
            name = f"{name}_{n + 1}" if n else name
        frames = end - firsts[i]
        tc_in = tc_out = None
        if burnin.source_tc:
            tc_in = offset_timecode(burnin.source_tc, firsts[i] - own_starts[i], spec.rate)
            tc_out = offset_timecode(tc_in, frames, spec.rate)
        out.append(ExpectedCut(firsts[i], frames, name, tc_in, tc_out))
    return out


# --- scoring ----------------------------------------------------------------------------------

@dataclass
class Fields:
    """Exact matches over the expected cuts (a cut not found on its exact frame is a miss)."""

    cuts: int = 0
    names: int = 0
    tc_in: int = 0
    tc_out: int = 0

    def add(self, other: Fields) -> None:
        self.cuts, self.names = self.cuts + other.cuts, self.names + other.names
        self.tc_in, self.tc_out = self.tc_in + other.tc_in, self.tc_out + other.tc_out

    def rate(self, value: int) -> float:
        return value / self.cuts if self.cuts else 1.0


def score_cuts(found: list[int], expected: list[ExpectedCut]) -> Score:
    """Cut starts (frame 0 excluded) matched at 0 frames tolerance."""
    truth = {e.first_frame for e in expected if e.first_frame}
    hits = truth & set(found)
    return Score(tp=len(hits), fp=len(set(found) - truth), fn=len(truth - hits))


def _reads_in(manifest: Manifest, cut: Cut) -> str:
    """What OCR read inside ``cut`` (at most two frames), to show a misread as it was read."""
    if manifest.burnin is None:
        return ""
    reads = [r for r in manifest.burnin.reads if cut.first_frame <= r.frame <= cut.last_frame][:2]
    return "; ".join(f"frame {r.frame} read {[t for t, _ in r.texts]}" for r in reads)


def check_fields(manifest: Manifest, expected: list[ExpectedCut], where: str) -> tuple[Fields, list[str]]:
    by_frame = {c.first_frame: c for c in manifest.cuts}
    result, misreads = Fields(cuts=len(expected)), []
    for e in expected:
        cut = by_frame.get(e.first_frame)
        if cut is None:
            misreads.append(f"{where} frame {e.first_frame}: no cut starts there (expected {e.name})")
            continue
        name_ok = cut.name_from == "template" if e.name is None else \
            (cut.name_from == "burnin" and cut.name == e.name)
        from_plate = e.source_tc_in is None
        tc_ok = [cut.source_tc_from == "plate" if from_plate else
                 (cut.source_tc_from == "burnin" and got == want)
                 for got, want in ((cut.source_tc_in, e.source_tc_in), (cut.source_tc_out, e.source_tc_out))]
        result.names += name_ok
        result.tc_in += tc_ok[0]
        result.tc_out += tc_ok[1]
        wrong = []
        if not name_ok:
            want = repr(e.name) if e.name else "a template name"
            wrong.append(f"name {cut.name!r} (from {cut.name_from}), expected {want}")
        if not all(tc_ok):
            want = f"{e.source_tc_in}-{e.source_tc_out}" if e.source_tc_in else "the plate's timecode"
            wrong.append(f"source TC {cut.source_tc_in}-{cut.source_tc_out} (from {cut.source_tc_from}), "
                         f"expected {want}")
        if wrong:
            reads = _reads_in(manifest, cut)
            misreads.append(f"{where} frame {e.first_frame}: " + "; ".join(wrong)
                            + (f" [{reads}]" if reads else ""))
    return result, misreads


# --- accuracy pass ----------------------------------------------------------------------------

@dataclass
class PlateRun:
    suite: str
    plate: str
    file: str
    variant: str  # OFF or an engine
    expected: list[ExpectedCut]
    found: list[int]
    score: Score
    fields: Fields
    misreads: list[str]
    cuts: int
    wall_s: float
    ocr_s: float | None = None
    ocr_calls: int | None = None
    sample_calls: int | None = None
    suspicious: list[int] = field(default_factory=list)
    burnin_only: list[int] = field(default_factory=list)
    named_from_burnin: int = 0


def plate_path(suite: str, name: str) -> Path:
    spec = SUITES[suite][name]
    return (BURNIN_DIR / "plates" if suite == "burnin" else WORK / "suite") / file_name(name, spec)


def run_plate(suite: str, name: str, variant: str, settings: OcrSettings | None) -> PlateRun:
    spec = SUITES[suite][name]
    path = plate_path(suite, name)
    out = BURNIN_DIR / "out" / variant / name
    log(f"  {variant}: {path.name}")
    start = time.perf_counter()
    manifest = run_split(str(path), out, SplitOptions(split=False, overwrite=True, ocr=settings))
    wall = time.perf_counter() - start
    expected = expected_cuts(spec)
    found = [c.first_frame for c in manifest.cuts if c.first_frame]
    fields, misreads = check_fields(manifest, expected, f"{path.name} [{variant}]")
    run = PlateRun(suite, name, path.name, variant, expected, found, score_cuts(found, expected),
                   fields, misreads, len(manifest.cuts), wall, manifest.timings.get("ocr"),
                   named_from_burnin=sum(c.name_from == "burnin" for c in manifest.cuts))
    if manifest.burnin is not None:
        run.ocr_calls, run.sample_calls = manifest.burnin.ocr_calls, manifest.burnin.sample_calls
        run.suspicious = [s.frame for s in manifest.burnin.suspicious]
        run.burnin_only = list(manifest.burnin.burnin_only)
    return run


def engine_settings(engine: str) -> OcrSettings:
    if engine == "paddle":
        from jobs.ocr.models import assemble_paddle_models

        det, rec = assemble_paddle_models(PADDLE_MODELS)
        return OcrSettings(engine="paddle", det_model_dir=det, rec_model_dir=rec)
    return OcrSettings(engine="onnx")


def accuracy_runs(plates: dict[str, list[str]], engines: list[str],
                  settings: dict[str, OcrSettings]) -> list[PlateRun]:
    runs = []
    for suite, names in plates.items():
        for name in names:
            ensure_plate(SUITES[suite][name], plate_path(suite, name))
        for variant in [OFF, *engines]:
            log(f"{SUITE_LABELS[suite]}, burn-ins {'off' if variant == OFF else 'on: ' + variant}")
            runs += [run_plate(suite, name, variant, settings.get(variant)) for name in names]
    return runs


# --- OCR call cost ----------------------------------------------------------------------------

@dataclass
class CallCost:
    engine: str
    threads: int
    load_s: float
    median_ms: float
    min_ms: float
    max_ms: float
    calls: int
    read: str


def band_crop() -> NDArray[np.uint8]:
    """A 1920x80 crop around the top burn-in band of a generated 1080p frame."""
    burnin = BurnIn("SH010_0040", "01:00:02:13", 1001)
    spec = PlateSpec(shots=(ShotSpec("testsrc", 12, burnin=burnin),), width=1920, height=1080,
                     codec="h264", record_tc="01:00:00:00")
    path = BURNIN_DIR / "band_frame_1080p.mp4"
    ensure_plate(spec, path)
    cmd = ["ffmpeg", "-v", "error", "-i", str(path), "-frames:v", "1", "-f", "rawvideo",
           "-pix_fmt", "rgb24", "-"]
    raw = subprocess.run(cmd, capture_output=True, check=True).stdout
    frame = np.frombuffer(raw[: spec.width * spec.height * 3], dtype=np.uint8)
    frame = frame.reshape(spec.height, spec.width, 3)
    band = round(spec.height * spec.burnin_style.band)
    top = max(0, band // 2 - BAND_SIZE[1] // 2)
    return frame[top: top + BAND_SIZE[1], : BAND_SIZE[0]].copy()


def call_cost(engine: str, settings: OcrSettings, crop: NDArray[np.uint8]) -> CallCost:
    log(f"timing {engine} OCR calls on a {crop.shape[1]}x{crop.shape[0]} band")
    start = time.perf_counter()
    ocr = load_engine(settings)
    load_s = time.perf_counter() - start
    for _ in range(WARM_CALLS):
        boxes = ocr.read(crop)
    times = []
    for _ in range(OCR_CALLS):
        start = time.perf_counter()
        boxes = ocr.read(crop)
        times.append((time.perf_counter() - start) * 1000)
    read = " | ".join(b.text for b in boxes)
    return CallCost(engine, settings.threads, load_s, statistics.median(times), min(times), max(times),
                    len(times), read)


# --- whole split, OCR on and off --------------------------------------------------------------

def shot_name(i: int) -> str:
    return f"SH{10 * (i // 4 + 1):03d}_{10 * (i % 4 + 1):04d}"


def shot_tc(i: int) -> str:
    return f"{10 + i % 12:02d}:{7 * i % 60:02d}:{13 * i % 60:02d}:{5 * i % 24:02d}"


def split_spec(frames: int, size: tuple[int, int]) -> PlateSpec:
    """Hard-cut shots of 75..80 frames, each with its own name, running timecode and counter."""
    shots = tuple(replace(shot, burnin=BurnIn(shot_name(i), shot_tc(i), 1001))
                  for i, shot in enumerate(many_cuts_shots(frames)))
    return PlateSpec(shots=shots, width=size[0], height=size[1], codec="h264", record_tc="01:00:00:00")


@dataclass
class SplitRun:
    variant: str
    timing: Timing
    score: Score
    fields: Fields
    misreads: list[str]
    stage_s: dict[str, float]
    ocr_calls: int | None


def split_commands(plate: Path, no_split: bool) -> dict[str, list[str]]:
    def cmd(variant: str, *extra: str) -> list[str]:
        out = BURNIN_DIR / f"split-{variant}"
        return [PLATECUT, "split", str(plate), "-o", str(out), "--overwrite",
                *(["--no-split"] if no_split else []), *extra]

    return {"off": cmd("off", "--no-ocr"), "on": cmd("on", "--ocr-engine", "onnx")}


def split_timing(spec: PlateSpec, plate: Path, repeat: int, no_split: bool) -> list[SplitRun]:
    log(f"timing platecut split on {plate.name}, OCR on and off")
    timings = interleaved_timings(split_commands(plate, no_split), repeat)
    expected = expected_cuts(spec)
    runs = []
    for variant, timing in timings.items():
        manifest = Manifest.from_json((BURNIN_DIR / f"split-{variant}" / MANIFEST_NAME).read_text())
        found = [c.first_frame for c in manifest.cuts if c.first_frame]
        fields, misreads = check_fields(manifest, expected, f"{plate.name} [{variant}]")
        calls = manifest.burnin.ocr_calls if manifest.burnin else None
        runs.append(SplitRun(variant, timing, score_cuts(found, expected), fields,
                             misreads if variant == "on" else [], dict(manifest.timings), calls))
    return runs


# --- report -----------------------------------------------------------------------------------

def gpu_line() -> str:
    import onnxruntime

    providers = onnxruntime.get_available_providers()
    smi = shutil.which("nvidia-smi")
    if smi is None and "CUDAExecutionProvider" not in providers:
        return ("- GPU: none available in this session (no `nvidia-smi`; onnxruntime providers: "
                f"{', '.join(providers)}): GPU figures not measured, every OCR figure is on the CPU")
    return ("- GPU: present, but this benchmark runs OCR on the CPU only (`device=cpu`): "
            "GPU figures not measured")


def ratio(value: int, total: int) -> str:
    return f"{value}/{total} ({value / total:.1%})" if total else "-"


def tpfpfn(s: Score) -> str:
    return f"{s.tp}/{s.fp}/{s.fn}"


def _runs(runs: list[PlateRun], suite: str | None = None, variant: str | None = None) -> list[PlateRun]:
    return [r for r in runs
            if (suite is None or r.suite == suite) and (variant is None or r.variant == variant)]


def fields_per_plate(runs: list[PlateRun], engines: list[str]) -> str:
    rows = []
    for r in _runs(runs, "burnin"):
        if r.variant not in engines:
            continue
        f = r.fields
        rows.append([r.file, r.variant, f.cuts, tpfpfn(r.score), ratio(f.names, f.cuts),
                     ratio(f.tc_in, f.cuts), ratio(f.tc_out, f.cuts), r.ocr_calls, r.sample_calls,
                     " ".join(map(str, r.suspicious)) or "-", " ".join(map(str, r.burnin_only)) or "-"])
    return table(["plate", "engine", "expected cuts", "cuts TP/FP/FN", "names exact",
                  "source TC in exact", "source TC out exact", "OCR band reads", "sample reads",
                  "suspicious", "burn-in only"], rows)


def fields_totals(runs: list[PlateRun], engines: list[str]) -> str:
    rows = []
    for engine in engines:
        total = Fields()
        for r in _runs(runs, "burnin", engine):
            total.add(r.fields)
        for label, value in (("shot names", total.names), ("source TC in", total.tc_in),
                             ("source TC out", total.tc_out)):
            met = "yes" if total.rate(value) >= TARGET_RATE else "no"
            rows.append([engine, label, ratio(value, total.cuts), f"≥ {TARGET_RATE:.0%}", met])
    return table(["engine", "field", "exact matches", "target", "met"], rows)


def f1_table(runs: list[PlateRun], variants: list[str]) -> str:
    rows = []
    for suite in (*SUITES, None):
        for variant in variants:
            chosen = _runs(runs, suite, variant)
            if not chosen:
                continue
            total = Score()
            for r in chosen:
                total.add(r.score)
            label = SUITE_LABELS[suite] if suite else "both"
            rows.append([label, "off" if variant == OFF else f"on ({variant})", len(chosen), total.tp,
                         total.fp, total.fn, *total.prf()])
    return table(["plates", "burn-ins", "plates run", "TP", "FP", "FN", "precision", "recall", "F1"], rows)


def f1_checks(runs: list[PlateRun], engines: list[str]) -> str:
    def f1(suite: str, variant: str) -> float:
        total = Score()
        for r in _runs(runs, suite, variant):
            total.add(r.score)
        return total.prf()[2]

    rows = []
    for engine in engines:
        same = f1("picture", engine) == f1("picture", OFF)
        wins = f1("burnin", engine) > f1("burnin", OFF)
        rows.append([f"SUITE: F1 on ({engine}) = F1 off", f"{f1('picture', engine):.3f} vs "
                     f"{f1('picture', OFF):.3f}", "yes" if same else "no"])
        rows.append([f"BURNIN_SUITE: F1 on ({engine}) > F1 off", f"{f1('burnin', engine):.3f} vs "
                     f"{f1('burnin', OFF):.3f}", "yes" if wins else "no"])
    return table(["check", "value", "met"], rows)


def frames_table(runs: list[PlateRun], variants: list[str]) -> str:
    rows = []
    for suite in SUITES:
        plates = list(dict.fromkeys(r.plate for r in _runs(runs, suite)))
        for plate in plates:
            by_variant = {r.variant: r for r in _runs(runs, suite) if r.plate == plate}
            first = next(iter(by_variant.values()))
            truth = " ".join(str(e.first_frame) for e in first.expected if e.first_frame) or "-"
            cells = [f"{' '.join(map(str, by_variant[v].found)) or '-'} ({tpfpfn(by_variant[v].score)})"
                     for v in variants]
            invented = [f"{v}: {by_variant[v].named_from_burnin}" for v in variants
                        if v != OFF and suite == "picture"]
            rows.append([first.file, truth, *cells, ", ".join(invented) or "-"])
    heads = [f"found, {'off' if v == OFF else 'on ' + v} (TP/FP/FN)" for v in variants]
    named = "SUITE: cuts named from burn-ins (must be 0)"
    return table(["plate", "expected cut starts", *heads, named], rows)


def cost_table(runs: list[PlateRun], engines: list[str]) -> str:
    rows = []
    for engine in engines:
        chosen = _runs(runs, "burnin", engine)
        if not chosen:
            continue
        calls = sum(r.ocr_calls or 0 for r in chosen)
        cuts = sum(r.cuts for r in chosen)
        samples = [r.sample_calls or 0 for r in chosen]
        ocr_s = [r.ocr_s or 0.0 for r in chosen]
        rows.append([engine, len(chosen), cuts, calls, f"{calls / cuts:.2f}" if cuts else "-",
                     f"{statistics.mean(samples):.1f}", max(samples), f"{statistics.mean(ocr_s):.2f}",
                     f"{max(ocr_s):.2f}"])
    return table(["engine", "plates", "cuts", "OCR band reads", "band reads per cut",
                  "sample reads per plate (mean)", "(max)", "OCR stage s per plate (mean)", "(max)"], rows)


def call_table(costs: list[CallCost]) -> str:
    rows = [[c.engine, c.threads, f"{c.load_s:.2f}", f"{c.median_ms:.1f}", f"{c.min_ms:.1f}",
             f"{c.max_ms:.1f}", c.read] for c in costs]
    return table(["engine", "CPU threads", "load s (first in process, imports included)",
                  f"ms per call (median of {OCR_CALLS}, warm)", "min ms", "max ms",
                  "text read from the band"], rows)


def split_table(runs: list[SplitRun], frames: int, expected: int, no_split: bool) -> str:
    off = next(r for r in runs if r.variant == "off").timing.median_s
    mode = "`--no-split` (no cut media)" if no_split else "full split (cut media re-encoded to ProRes)"
    rows = []
    for r in runs:
        t = r.timing
        named = ratio(r.fields.names, r.fields.cuts) if r.variant == "on" else "- (template names)"
        tcs = f"{ratio(r.fields.tc_in, r.fields.cuts)} / {ratio(r.fields.tc_out, r.fields.cuts)}" \
            if r.variant == "on" else "-"
        stages = ", ".join(f"{k} {v:.1f}" for k, v in r.stage_s.items())
        rows.append([f"OCR {r.variant}" + (" (onnx)" if r.variant == "on" else " (`--no-ocr`)"), mode,
                     f"{t.median_s:.2f}", ", ".join(f"{s:.2f}" for s in t.runs_s),
                     f"{t.median_s / off:.2f}", f"{frames / t.median_s:.1f}",
                     f"{r.score.tp} of {expected} exact ({tpfpfn(r.score)})", named, tcs,
                     "-" if r.ocr_calls is None else r.ocr_calls, stages])
    return table(["variant", "mode", "median s", "runs s", "on/off", "frames/s", "cuts found (TP/FP/FN)",
                  "names exact", "source TC in / out exact", "OCR band reads", "stage s (last run)"], rows)


def settings_note(engines: list[str], quick: bool) -> str:
    return "\n".join([
        "- accuracy: `run_split(plate, out, SplitOptions(split=False, overwrite=True, ocr=...))` in-process; "
        "`ocr=None` is burn-ins off; onnx: `OcrSettings(engine=\"onnx\")` (models in the rapidocr wheel); "
        "paddle: `OcrSettings(engine=\"paddle\")` with folders from "
        "`assemble_paddle_models(bench/work/paddle-models)`",
        "- expected cuts: every shot's first frame (`truth_of(spec).cut_starts`), less a shot whose "
        "burn-in runs on from the shot before (same name, source TC + the previous shot's length, "
        "counter running on: suspicious, not split); dissolve/fade edit frames count as cuts here",
        "- a name or timecode counts only on a cut found on its exact frame; a repeated burn-in name "
        "must carry the manifest's `_2` suffix; without burn-ins the name must come from the template "
        "and the timecode from the plate",
        f"- engines: {', '.join(engines)}" + ("; QUICK RUN: two plates of each suite" if quick else ""),
    ])


def report(info: dict[str, Any], runs: list[PlateRun], engines: list[str], costs: list[CallCost],
           split_runs: list[SplitRun], split_about: str, frames: int, expected: int, no_split: bool,
           quick: bool) -> str:
    variants = [OFF, *engines]
    misreads = [m for r in runs if r.variant != OFF and r.suite == "burnin" for m in r.misreads]
    misreads += [m for r in split_runs for m in r.misreads]
    sections = [heading("Burn-in OCR", quick),
                "\n".join([*machine_lines(info), gpu_line()]),
                settings_note(engines, quick)]
    if runs:
        sections += ["### Names and source timecodes (BURNIN_SUITE, OCR on)", fields_per_plate(runs, engines),
                     "### Totals", fields_totals(runs, engines),
                     "### Cut F1 at 0 frames tolerance, burn-ins on against off", f1_table(runs, variants),
                     f1_checks(runs, engines),
                     "### Cut starts found (0-based plate frames)", frames_table(runs, variants),
                     "### OCR reads (BURNIN_SUITE)", cost_table(runs, engines)]
    if costs:
        band = f"{BAND_SIZE[0]}x{BAND_SIZE[1]}"
        sections += [f"### One OCR call on a {band} band crop of a 1080p burn-in frame", call_table(costs)]
    if split_runs:
        sections += ["### `platecut split`, OCR on against off", split_about,
                     split_table(split_runs, frames, expected, no_split)]
    sections += ["### Misreads (OCR on)", "\n".join(f"- {m}" for m in misreads) or "none"]
    return "\n\n".join(sections)


def as_json(info: dict[str, Any], runs: list[PlateRun], costs: list[CallCost], split_runs: list[SplitRun],
            args: argparse.Namespace, plate: str) -> dict[str, Any]:
    def run_dict(r: PlateRun) -> dict[str, Any]:
        d = asdict(r)
        d["expected"] = [asdict(e) for e in r.expected]
        d["prf"] = r.score.prf()
        return d

    return {"quick": args.quick, "machine": info, "engines": args.engines,
            "ocr_env": {k: v for k, v in os.environ.items() if k.startswith("PLATECUT_OCR_")},
            "plates": [run_dict(r) for r in runs], "ocr_calls": [asdict(c) for c in costs],
            "split": {"plate": plate, "size": args.size, "frames": args.frames, "no_split": args.no_split,
                      "runs": [{"variant": r.variant, "median_s": r.timing.median_s,
                                "runs_s": r.timing.runs_s, "score": asdict(r.score),
                                "fields": asdict(r.fields), "misreads": r.misreads,
                                "stage_s": r.stage_s, "ocr_calls": r.ocr_calls} for r in split_runs]}}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.burnin", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="two plates of each suite, onnx only, a 640x360 300-frame plate, 1 run")
    parser.add_argument("--engines", help="comma-separated OCR engines (default onnx,paddle; --quick: onnx)")
    parser.add_argument("--frames", type=int, default=3000, help="length of the split-timing plate (3000)")
    parser.add_argument("--size", default="1920x1080", help="size of the split-timing plate (1920x1080)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each split variant (default 1)")
    parser.add_argument("--no-split", action="store_true",
                        help="time `platecut split --no-split` (no cut media) instead of the full split")
    parser.add_argument("--plate", action="append", choices=sorted([*BURNIN_SUITE, *SUITE]),
                        help="only these accuracy plates (repeatable)")
    parser.add_argument("--skip", action="append", default=[], choices=["accuracy", "calls", "split"],
                        help="leave out a part (repeatable)")
    args = parser.parse_args(argv)
    engines = args.engines or ("onnx" if args.quick else ",".join(ENGINES))
    args.engines = [e.strip() for e in engines.split(",") if e.strip()]
    unknown = [e for e in args.engines if e not in ENGINES]
    if unknown or not args.engines:
        parser.error(f"--engines: use a comma-separated list of {', '.join(ENGINES)}")
    if args.quick:
        args.size, args.frames, args.repeat = "640x360", 300, 1
    return args


def chosen_plates(args: argparse.Namespace) -> dict[str, list[str]]:
    if args.plate:
        return {suite: [p for p in args.plate if p in plates] for suite, plates in SUITES.items()}
    return QUICK_PLATES if args.quick else {suite: list(plates) for suite, plates in SUITES.items()}


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    info = machine_info()
    settings = {engine: engine_settings(engine) for engine in args.engines}
    costs: list[CallCost] = []
    if "calls" not in args.skip:  # first: each engine's load time then includes its imports
        crop = band_crop()
        costs = [call_cost(engine, settings[engine], crop) for engine in args.engines]
    runs: list[PlateRun] = []
    if "accuracy" not in args.skip:
        runs = accuracy_runs(chosen_plates(args), args.engines, dict(settings))
    size = parse_size(args.size)
    spec = split_spec(args.frames, size)
    plate = BURNIN_DIR / f"burnin_{args.size}_{args.frames}.mp4"
    split_runs: list[SplitRun] = []
    truth = truth_of(spec)
    about = ""
    if "split" not in args.skip:
        ensure_plate(spec, plate)
        split_runs = split_timing(spec, plate, args.repeat, args.no_split)
        about = (f"- plate: `{plate.name}`, {args.size} H.264, {truth.frame_count} frames, {len(spec.shots)} "
                 f"shots ({len(truth.cut_starts)} cuts), burned-in names `SH###_####`, running source "
                 "timecodes and counters, record timecode at the bottom\n"
                 f"- `platecut split PLATE -o OUT --overwrite{' --no-split' if args.no_split else ''}` "
                 "with `--ocr-engine onnx` or `--no-ocr`, each in a fresh process; "
                 f"{args.repeat} run(s) of each, round robin, median wall time")
    markdown = report(info, runs, args.engines, costs, split_runs, about, truth.frame_count,
                      len(truth.cut_starts), args.no_split, args.quick)
    return publish("burnin", as_json(info, runs, costs, split_runs, args, plate.name), markdown)


if __name__ == "__main__":
    main()
