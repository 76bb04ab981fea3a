"""Hard-cut accuracy at 0 frames tolerance: platecut against PySceneDetect 0.7 (default settings).

``python -m bench.accuracy`` generates every plate of ``jobs.synth_suite.SUITE`` under
``bench/work/suite/`` (reused when already there) and prints per-plate and total TP/FP/FN,
precision, recall and F1 for each detector, plus the hard cuts each one reports inside a
dissolve or fade. Results: ``bench/results/accuracy.json``.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.common import WORK, ensure_plate, log, publish, run_checked, table
from bench.detect_once import Found, found_by
from jobs.synth import SEQUENCE_CODECS, PlateSpec, PlateTruth
from jobs.synth_suite import SUITE, file_name

DETECTORS = {"platecut": "platecut", "content": "PySceneDetect ContentDetector",
             "adaptive": "PySceneDetect AdaptiveDetector"}
SETTINGS_NOTE = [
    "- platecut: `analyse()` with default `DetectorSettings()`; predictions are boundaries of kind `cut`.",
    "- PySceneDetect 0.7.2: `scenedetect.detect(path, ContentDetector())` (threshold=27, "
    "min_scene_len=15 frames, flash filter MERGE) and `detect(path, AdaptiveDetector())` "
    "(adaptive_threshold=3, window_width=2, min_content_val=15, min_scene_len=15), OpenCV backend; "
    "predictions are each scene's start `frame_num` (what the deprecated `get_frames()` returns), "
    "the first scene's start (frame 0) dropped.",
    "- Truth hard cuts: `cut_starts` less any edit frame within [first, last+1] of a truth "
    "dissolve/fade. A hard cut predicted within [first, last+1] of a truth dissolve/fade is "
    "counted as \"inside a gradual transition\".",
]


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    inside_gradual: int = 0

    def add(self, other: Score) -> None:
        self.tp, self.fp = self.tp + other.tp, self.fp + other.fp
        self.fn, self.inside_gradual = self.fn + other.fn, self.inside_gradual + other.inside_gradual

    def prf(self) -> tuple[float, float, float]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1


@dataclass
class PlateResult:
    name: str
    file: str
    truth: PlateTruth
    found: dict[str, Found] = field(default_factory=dict)
    scores: dict[str, Score] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def in_gradual(frame: int, truth: PlateTruth) -> bool:
    return any(first <= frame <= last + 1 for _, first, last in truth.transitions)


def hard_cut_truth(truth: PlateTruth) -> list[int]:
    return [f for f in truth.cut_starts if not in_gradual(f, truth)]


def score(predicted: list[int], truth: PlateTruth, tolerance: int = 0) -> Score:
    """Greedy one-to-one matching of predicted to true hard cuts within ``tolerance`` frames."""
    unmatched = hard_cut_truth(truth)
    result = Score()
    for frame in sorted(predicted):
        hit = next((t for t in unmatched if abs(t - frame) <= tolerance), None)
        if hit is None:
            result.fp += 1
        else:
            unmatched.remove(hit)
            result.tp += 1
    result.fn = len(unmatched)
    result.inside_gradual = sum(in_gradual(f, truth) for f in predicted)
    return result


def scenedetect_opens(path: Path) -> bool:
    from scenedetect import open_video
    from scenedetect.video_stream import VideoOpenFailure

    try:
        open_video(str(path))
    except VideoOpenFailure:
        return False
    return True


@contextmanager
def scenedetect_input(path: Path, spec: PlateSpec, notes: list[str]) -> Iterator[Path]:
    """The plate itself, or for a sequence PySceneDetect cannot open, a temporary FFV1 movie."""
    if spec.codec not in SEQUENCE_CODECS or scenedetect_opens(path):
        yield path
        return
    with tempfile.TemporaryDirectory(dir=WORK, prefix="accuracy-") as tmp:
        movie = Path(tmp) / (path.name.split(".")[0] + ".mkv")
        run_checked(["ffmpeg", "-v", "error", "-start_number", "1001", "-framerate", str(spec.rate),
                     "-i", str(path), "-c:v", "ffv1", str(movie)], f"converting {path.name}")
        notes.append(f"PySceneDetect (OpenCV backend) cannot open `{path.name}` (first frame 1001): "
                     "converted on the fly to a lossless FFV1 .mkv for PySceneDetect only.")
        yield movie


def frame_times(path: Path) -> list[float]:
    out = run_checked(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                       "frame=best_effort_timestamp_time", "-of", "csv=p=0", str(path)],
                      f"reading the timestamps of {path.name}")
    return [float(line.strip().rstrip(",")) for line in out.splitlines() if line.strip()]


def vfr_note(path: Path, found: Found, label: str) -> str:
    """Where PySceneDetect's scene start times fall by the plate's own frame timestamps."""
    times = frame_times(path)
    mapped = [min(range(len(times)), key=lambda i: abs(times[i] - s)) for s in found.seconds]
    return (f"VFR plate, {label}: start times {found.seconds} s are reported as frames {found.cuts} "
            f"(time x average rate); by the plate's own timestamps they are frames {mapped}.")


def evaluate(name: str, spec: PlateSpec) -> PlateResult:
    path = WORK / "suite" / file_name(name, spec)
    truth = ensure_plate(spec, path)
    log(f"detecting on {path.name}")
    result = PlateResult(name, path.name, truth)
    result.found["platecut"] = found_by("platecut", str(path))
    with scenedetect_input(path, spec, result.notes) as movie:
        for tool in ("content", "adaptive"):
            result.found[tool] = found_by(tool, str(movie))
    if spec.vfr_from_frame is not None:
        result.notes += [vfr_note(path, result.found[t], DETECTORS[t]) for t in ("content", "adaptive")]
    result.scores = {tool: score(found.cuts, truth) for tool, found in result.found.items()}
    return result


def per_plate_table(results: list[PlateResult]) -> str:
    headers = ["plate", "truth hard cuts", *(f"{name} TP/FP/FN" for name in DETECTORS.values())]
    rows = [[r.file, len(hard_cut_truth(r.truth)),
             *(f"{r.scores[t].tp}/{r.scores[t].fp}/{r.scores[t].fn}" for t in DETECTORS)]
            for r in results]
    return table(headers, rows)


def totals(results: list[PlateResult], tolerance: int = 0) -> dict[str, Score]:
    sums = {tool: Score() for tool in DETECTORS}
    for r in results:
        for tool in DETECTORS:
            sums[tool].add(score(r.found[tool].cuts, r.truth, tolerance))
    return sums


def totals_table(results: list[PlateResult]) -> str:
    exact, near = totals(results), totals(results, tolerance=1)
    rows = [[DETECTORS[t], s.tp, s.fp, s.fn, *s.prf(), near[t].prf()[2]] for t, s in exact.items()]
    return table(["detector", "TP", "FP", "FN", "precision", "recall", "F1", "(F1 at ±1 frame)"], rows)


def gradual_table(results: list[PlateResult]) -> str:
    rows = []
    for tool in DETECTORS:
        where = [f"{r.file}:{f}" for r in results for f in r.found[tool].cuts if in_gradual(f, r.truth)]
        rows.append([DETECTORS[tool], len(where), ", ".join(where) or "-"])
    return table(["detector", "hard cuts inside a truth dissolve/fade", "where (plate:frame)"], rows)


def frames_table(results: list[PlateResult]) -> str:
    def show(frames: list[int]) -> str:
        return " ".join(map(str, frames)) or "-"

    rows = [[r.file, show(hard_cut_truth(r.truth)),
             " ".join(f"{k} {a}-{b}" for k, a, b in r.truth.transitions) or "-",
             *(show(r.found[t].cuts) for t in DETECTORS)] for r in results]
    return table(["plate", "truth hard cuts", "truth gradual (first-last)", *DETECTORS.values()], rows)


def report(results: list[PlateResult]) -> str:
    notes = [f"- {r.file}: {note}" for r in results for note in r.notes]
    return "\n\n".join([
        "## Hard-cut accuracy (tolerance 0 frames)", "\n".join(SETTINGS_NOTE),
        "### Per plate", per_plate_table(results),
        "### Totals", totals_table(results),
        "### Hard cuts reported inside a dissolve or fade (a cut on an arbitrary frame)",
        gradual_table(results),
        "### Frames found (0-based plate frame index)", frames_table(results),
        *(["### Notes", "\n".join(notes)] if notes else []),
    ])


def as_json(results: list[PlateResult]) -> dict[str, Any]:
    plates = [{"plate": r.name, "file": r.file, "truth_hard_cuts": hard_cut_truth(r.truth),
               "truth_transitions": r.truth.transitions, "notes": r.notes,
               "found": {t: f.as_dict() for t, f in r.found.items()},
               "scores": {t: asdict(s) for t, s in r.scores.items()}} for r in results]
    summary = {t: {**asdict(s), **dict(zip(("precision", "recall", "f1"), s.prf(), strict=True))}
               for t, s in totals(results).items()}
    return {"tolerance_frames": 0, "detectors": DETECTORS, "plates": plates, "totals": summary}


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench.accuracy", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="accepted for run_all; the suite is small")
    parser.add_argument("--plate", action="append", choices=sorted(SUITE), help="only these plates")
    args = parser.parse_args(argv)
    names = args.plate or list(SUITE)
    results = [evaluate(name, SUITE[name]) for name in names]
    markdown = report(results)
    return publish("accuracy", as_json(results), markdown)


if __name__ == "__main__":
    main()
