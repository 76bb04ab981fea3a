"""Photographic plates: where platecut's picture-only detector finds and misses cuts.

``python -m bench.photo_suite_report [--only KEY]`` generates every plate of
``jobs.photo_suite.PHOTO_SUITE`` under ``bench/work/photo/`` (reused while its spec is unchanged),
runs platecut's detection on each (``run_split`` with no split, review or OCR: the picture alone)
and prints a row per plate (truth and found cuts, exact hits, misses, false cuts, hard-cut
TP/FP/FN), a row per truth dissolve or dip (what was found near it, its edit-frame error), the
frames, and the totals. Results: ``bench/results/photo_suite.json`` (written by whole-suite runs only).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.accuracy import Score, score
from bench.common import WORK, ensure_plate, log, publish, table
from jobs.manifest import Manifest
from jobs.photo_suite import PHOTO_SUITE, photo_file_name
from jobs.pipeline import SplitOptions, run_split
from jobs.synth import PlateSpec, PlateTruth

PHOTO_WORK = WORK / "photo"
# truth transitions that span frames; "jump" (first = last) is a hard cut and stays one here
GRADUAL = ("dissolve", "fade", "dip", "fade_in", "fade_out")
EDITED = ("dissolve", "fade", "dip")  # gradual truth kinds a cut starts in (at their edit frame)
EDIT_TOLERANCE = 1  # frames a found boundary may be off a truth cut and still count as found
NO_CUT_PLATES = ("photo_whip_pans", "photo_flash_strobe", "photo_long_take")  # where cuts are a trap
NOTES = [
    "- platecut: `run_split(plate, out, SplitOptions(split=False, review=False, ocr=None, "
    "overwrite=True))`, default `DetectorSettings()`: the picture alone, no burn-in read.",
    "- Found cuts: every cut of the manifest but the first (its `first_frame`, any `boundary_in`: "
    "cut, dissolve or fade). Exact hits, ±1 hits, misses and false cuts match them one to one "
    "against every truth cut start (hard cuts, jump cuts, dissolve and dip edit frames).",
    "- Hard cuts TP/FP/FN: `bench.accuracy.score` at tolerance 0: found boundaries of kind `cut` "
    "against the truth's hard cuts (jump cuts included; dissolve, fade and dip edit frames left out).",
    "- Dissolves and dips: found when any boundary starts within ±1 frame of the truth edit frame "
    "(a transition reported without a cut at it is a miss); the error is found minus truth.",
]


@dataclass
class Detected:
    boundaries: list[tuple[int, str]]  # (first frame, boundary kind) of every cut but the first
    transitions: list[tuple[str, int, int, int]]  # kind, first, last, edit frame
    seconds: float

    @property
    def starts(self) -> list[int]:
        return [frame for frame, _ in self.boundaries]

    @property
    def hard_cuts(self) -> list[int]:
        return [frame for frame, kind in self.boundaries if kind == "cut"]


@dataclass
class GradualResult:
    kind: str
    first: int
    last: int
    edit: int
    nearest: tuple[int, str] | None  # the found boundary nearest the edit frame: frame, kind
    reported: list[tuple[str, int, int, int]] = field(default_factory=list)  # found transitions over it

    @property
    def error(self) -> int | None:
        return None if self.nearest is None else self.nearest[0] - self.edit

    @property
    def found(self) -> bool:
        return self.error is not None and abs(self.error) <= EDIT_TOLERANCE


@dataclass
class PlateResult:
    key: str
    file: str
    truth: PlateTruth
    detected: Detected
    make_seconds: float
    exact: Score  # every found boundary against every truth cut, tolerance 0
    near: Score  # the same at EDIT_TOLERANCE
    hard: Score  # bench.accuracy's hard-cut score, tolerance 0
    gradual: list[GradualResult]


def scoring_truth(truth: PlateTruth) -> PlateTruth:
    """The truth as bench.accuracy scores it: only spanning transitions hide a cut start from the
    hard cuts (a ``jump`` record would hide its own jump cut)."""
    spans = [t for t in truth.transitions if t[0] in GRADUAL]
    return PlateTruth(truth.frame_count, list(truth.cut_starts), spans)


def all_cuts_truth(truth: PlateTruth) -> PlateTruth:
    """Every cut start as a hard cut: what a split must start a cut on, whatever its kind."""
    return PlateTruth(truth.frame_count, list(truth.cut_starts), [])


def detect(path: Path, key: str) -> Detected:
    start = time.perf_counter()
    options = SplitOptions(split=False, review=False, ocr=None, overwrite=True)
    manifest: Manifest = run_split(str(path), PHOTO_WORK / f"{key}.out", options)
    boundaries: list[tuple[int, str]] = [(cut.first_frame, cut.boundary_in) for cut in manifest.cuts[1:]]
    transitions: list[tuple[str, int, int, int]] = [(t.kind, t.first_frame, t.last_frame, t.edit_frame)
                                                    for t in manifest.transitions]
    return Detected(boundaries, transitions, time.perf_counter() - start)


def edit_frame(truth: PlateTruth, first: int, last: int) -> int:
    return next(c for c in truth.cut_starts if first <= c <= last + 1)


def gradual_results(truth: PlateTruth, detected: Detected) -> list[GradualResult]:
    results = []
    for kind, first, last in truth.transitions:
        if kind not in EDITED:
            continue
        edit = edit_frame(truth, first, last)
        nearest = min(detected.boundaries, key=lambda b: abs(b[0] - edit), default=None)
        reported = [t for t in detected.transitions if t[1] <= last and t[2] >= first]
        results.append(GradualResult(kind, first, last, edit, nearest, reported))
    return results


def evaluate(key: str, spec: PlateSpec) -> PlateResult:
    path = PHOTO_WORK / photo_file_name(key)
    start = time.perf_counter()
    truth = ensure_plate(spec, path)
    made = time.perf_counter() - start
    log(f"detecting on {path.name}")
    found = detect(path, key)
    everything = all_cuts_truth(truth)
    return PlateResult(key, path.name, truth, found, made, exact=score(found.starts, everything),
                       near=score(found.starts, everything, EDIT_TOLERANCE),
                       hard=score(found.hard_cuts, scoring_truth(truth)),
                       gradual=gradual_results(truth, found))


def _kinds(truth: PlateTruth) -> str:
    jumps = sum(kind == "jump" for kind, _, _ in truth.transitions)
    edited = sum(kind in EDITED for kind, _, _ in truth.transitions)
    return f"{len(truth.cut_starts)} ({len(truth.cut_starts) - jumps - edited}/{jumps}/{edited})"


def _gradual_cell(results: list[GradualResult]) -> str:
    def one(g: GradualResult) -> str:
        size = g.last - g.first + 2 if g.kind == "dissolve" else (g.last - g.first + 2) // 2
        return f"{g.kind} {size}: " + ("miss" if not g.found else f"{g.error:+d}")
    return ", ".join(one(g) for g in results) or "-"


def per_plate_table(results: list[PlateResult]) -> str:
    headers = ["plate", "frames", "truth cuts (hard/jump/gradual)", "found cuts", "exact hits", "±1 hits",
               "misses", "false cuts", "hard cuts TP/FP/FN", "dissolves/dips (edit error)", "detect s"]
    rows = [[r.file, r.truth.frame_count, _kinds(r.truth), len(r.detected.boundaries), r.exact.tp,
             r.near.tp - r.exact.tp, r.near.fn, r.near.fp, f"{r.hard.tp}/{r.hard.fp}/{r.hard.fn}",
             _gradual_cell(r.gradual), round(r.detected.seconds, 1)] for r in results]
    return table(headers, rows)


def _boundary(found: tuple[int, str] | None, edit: int) -> str:
    return "-" if found is None else f"{found[1]} at {found[0]} ({found[0] - edit:+d})"


def gradual_table(results: list[PlateResult]) -> str:
    headers = ["plate", "truth", "edit frame", "nearest found boundary (error)", "found within ±1",
               "transitions reported over it (kind first-last edit)"]
    rows = [[r.file, f"{g.kind} {g.first}-{g.last}", g.edit, _boundary(g.nearest, g.edit),
             "yes" if g.found else "NO",
             ", ".join(f"{k} {a}-{b} {e}" for k, a, b, e in g.reported) or "none"]
            for r in results for g in r.gradual]
    return table(headers, rows)


def frames_table(results: list[PlateResult]) -> str:
    def show(items: list[Any]) -> str:
        return " ".join(map(str, items)) or "-"

    rows = [[r.file, show(r.truth.cut_starts),
             show([f"{k} {a}-{b}" for k, a, b in r.truth.transitions]),
             show([f"{f}{'' if k == 'cut' else '(' + k + ')'}" for f, k in r.detected.boundaries]),
             show([f"{k} {a}-{b} @{e}" for k, a, b, e in r.detected.transitions])] for r in results]
    return table(["plate", "truth cut starts", "truth transitions", "found cut starts (kind)",
                  "found transitions"], rows)


@dataclass
class Totals:
    hard: Score
    gradual_found: int
    gradual_total: int
    jump_found: int
    jump_total: int
    no_cut_false: int
    false_cuts: int
    edit_errors: list[int]


def totals(results: list[PlateResult]) -> Totals:
    hard = Score()
    for r in results:
        hard.add(r.hard)
    gradual = [g for r in results for g in r.gradual]
    jumps = [(r, first) for r in results for kind, first, _ in r.truth.transitions if kind == "jump"]
    return Totals(hard=hard, gradual_found=sum(g.found for g in gradual), gradual_total=len(gradual),
                  jump_found=sum(first in r.detected.hard_cuts for r, first in jumps), jump_total=len(jumps),
                  no_cut_false=sum(r.near.fp for r in results if r.key in NO_CUT_PLATES),
                  false_cuts=sum(r.near.fp for r in results),
                  edit_errors=[g.error for g in gradual if g.found and g.error is not None])


def totals_table(results: list[PlateResult], wall_s: float) -> str:
    t = totals(results)
    precision, recall, f1 = t.hard.prf()
    no_cut = ", ".join(k for k in NO_CUT_PLATES if any(r.key == k for r in results)) or "none run"
    rows: list[list[object]] = [
        ["hard cuts (jumps included), tolerance 0: TP/FP/FN",
         f"{t.hard.tp}/{t.hard.fp}/{t.hard.fn} (precision {precision:.3f}, recall {recall:.3f})"],
        ["hard-cut F1, tolerance 0", f"{f1:.3f}"],
        ["jump cuts found as cuts on the exact frame", f"{t.jump_found}/{t.jump_total}"],
        ["dissolve/dip recall (a cut within ±1 of the edit frame)",
         f"{t.gradual_found}/{t.gradual_total}" + (f" = {t.gradual_found / t.gradual_total:.3f}"
                                                   if t.gradual_total else "")],
        ["edit-frame errors of those found", " ".join(f"{e:+d}" for e in t.edit_errors) or "-"],
        [f"false cuts on the no-cut plates ({no_cut})", t.no_cut_false],
        ["false cuts, all plates", t.false_cuts],
        ["wall time (generation and detection)", f"{wall_s:.1f} s"],
    ]
    return table(["total", "value"], rows)


def report(results: list[PlateResult], wall_s: float) -> str:
    return "\n\n".join([
        "## Photographic plates: platecut's picture-only detection", "\n".join(NOTES),
        "### Per plate", per_plate_table(results),
        "### Dissolves and dips", gradual_table(results),
        "### Frames (0-based plate frame index)", frames_table(results),
        "### Totals", totals_table(results, wall_s),
    ])


def as_json(results: list[PlateResult], wall_s: float) -> dict[str, Any]:
    plates = [{"plate": r.key, "file": r.file, "truth": asdict(r.truth),
               "found": {"boundaries": r.detected.boundaries, "transitions": r.detected.transitions},
               "scores": {"exact": asdict(r.exact), "within_1": asdict(r.near), "hard_cuts": asdict(r.hard)},
               "gradual": [{**asdict(g), "error": g.error, "found": g.found} for g in r.gradual],
               "make_s": round(r.make_seconds, 2), "detect_s": round(r.detected.seconds, 2)}
              for r in results]
    t = totals(results)
    summary = {**asdict(t), "hard_prf": dict(zip(("precision", "recall", "f1"), t.hard.prf(), strict=True))}
    return {"tolerance_frames": 0, "edit_tolerance_frames": EDIT_TOLERANCE, "plates": plates,
            "totals": summary, "wall_s": round(wall_s, 1)}


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench.photo_suite_report", description=__doc__)
    parser.add_argument("--only", action="append", choices=sorted(PHOTO_SUITE), metavar="KEY",
                        help="only this plate (repeatable; no results file): " + ", ".join(PHOTO_SUITE))
    args = parser.parse_args(argv)
    start = time.perf_counter()
    results = [evaluate(key, PHOTO_SUITE[key]) for key in args.only or PHOTO_SUITE]
    wall_s = time.perf_counter() - start
    markdown = report(results, wall_s)
    if args.only:  # a part of the suite: printed, the whole suite's results file left as it is
        print(markdown, flush=True)
        return markdown
    return publish("photo_suite", as_json(results, wall_s), markdown)


if __name__ == "__main__":
    main()
