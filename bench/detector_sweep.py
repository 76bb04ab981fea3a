"""Detector constants swept over both suites, from descriptors decoded once.

``python -m bench.detector_sweep [MODULE.CONSTANT=VALUE ...]`` makes (or reuses) every plate of the
photographic suite (under ``bench/work/photo/``, as ``bench.photo_suite_report`` does) and of the
developed-on suite (``bench/work/suite/``, as ``bench.accuracy`` does), decodes each once into its
descriptors (kept under ``bench/work/descriptors/`` until the plate is made again), then prints a row
for the detector as it is and one for each assignment applied alone, for example
``jobs.gradual._STATIC_RATIO=3``: the photographic suite's hard cuts (jump cuts counted, tolerance 0),
its dissolves and dips found within 1 frame of their edit frame, its false cuts on the plates where
nothing is cut, and the developed-on suite's hard cuts. Detection is the streaming detector fed the
stored descriptors in the analysis pass's batches, so a sweep takes seconds, not a decode per setting.
"""

from __future__ import annotations

import argparse
import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.accuracy import Score, score
from bench.common import WORK, ensure_plate, log, table
from bench.photo_suite_report import (
    NO_CUT_PLATES,
    PHOTO_WORK,
    Detected,
    gradual_results,
    scoring_truth,
)
from jobs.decode import Timestamps, decode_frames
from jobs.detect import Detection
from jobs.features import Features, describe
from jobs.manifest import DetectorSettings
from jobs.photo_suite import PHOTO_SUITE, photo_file_name
from jobs.probe import probe
from jobs.source import resolve_source
from jobs.streaming import StreamingDetector
from jobs.synth import PlateTruth
from jobs.synth_suite import SUITE, file_name

DESCRIPTORS = WORK / "descriptors"
_BATCH = 256  # frames per push, as decode_frames reads them


@dataclass
class Plate:
    key: str
    truth: PlateTruth
    features: Features


@dataclass
class Totals:
    hard: Score
    gradual_found: int
    gradual_total: int
    false_on_no_cut: int
    developed_on: Score


def _descriptors(path: Path) -> Features:
    """The plate's descriptors at the default analysis size, decoded once per made plate."""
    cache = DESCRIPTORS / f"{path.name.replace('%', '_')}.npz"
    marker = path.with_name(path.name.replace("%", "_") + ".done")
    if cache.exists() and cache.stat().st_mtime > marker.stat().st_mtime:
        stored = np.load(cache)
        return Features(0, stored["hist"], stored["gray"], stored["means"])
    log(f"decoding {path.name}")
    source, settings = resolve_source(str(path)), DetectorSettings()
    batches = decode_frames(source, probe(source), settings.analysis_width, settings.analysis_height,
                            Timestamps())
    features = Features.concat([describe(batch.start, batch.yuv) for batch in batches])
    DESCRIPTORS.mkdir(parents=True, exist_ok=True)
    np.savez(cache, hist=features.hist, gray=features.gray, means=features.means)
    return features


def load_plates() -> tuple[list[Plate], list[Plate]]:
    """The photographic suite's plates, then the developed-on suite's, with their descriptors."""
    photo = []
    for key, spec in PHOTO_SUITE.items():
        path = PHOTO_WORK / photo_file_name(key)
        photo.append(Plate(key, ensure_plate(spec, path), _descriptors(path)))
    developed = []
    for key, spec in SUITE.items():
        path = WORK / "suite" / file_name(key, spec)
        developed.append(Plate(key, ensure_plate(spec, path), _descriptors(path)))
    return photo, developed


def detect(features: Features) -> Detection:
    detector = StreamingDetector(DetectorSettings())
    for lo in range(0, len(features), _BATCH):
        detector.push(features.slice(lo, min(len(features), lo + _BATCH)))
    return detector.finish()


def evaluate(photo: list[Plate], developed: list[Plate]) -> Totals:
    totals = Totals(Score(), 0, 0, 0, Score())
    for plate in photo:
        detection = detect(plate.features)
        found: list[tuple[int, str]] = [(b.frame, b.kind) for b in detection.boundaries]
        hard = score([frame for frame, kind in found if kind == "cut"], scoring_truth(plate.truth))
        totals.hard.add(hard)
        transitions: list[tuple[str, int, int, int]] = [(t.kind, t.first_frame, t.last_frame, t.edit_frame)
                                                       for t in detection.transitions]
        gradual = gradual_results(plate.truth, Detected(found, transitions, 0.0))
        totals.gradual_found += sum(g.found for g in gradual)
        totals.gradual_total += len(gradual)
        totals.false_on_no_cut += hard.fp if plate.key in NO_CUT_PLATES else 0
    for plate in developed:
        cuts = [b.frame for b in detect(plate.features).boundaries if b.kind == "cut"]
        totals.developed_on.add(score(cuts, plate.truth))
    return totals


def _assign(assignment: str) -> tuple[object, str, object]:
    """Apply ``MODULE.CONSTANT=VALUE``; returns what to restore (the module, the name, the old value)."""
    name, _, text = assignment.partition("=")
    module_name, _, constant = name.rpartition(".")
    module = importlib.import_module(module_name)
    if not text or not hasattr(module, constant):
        raise SystemExit(f"not an assignment to an existing constant: {assignment!r}")
    old = getattr(module, constant)
    setattr(module, constant, ast.literal_eval(text))
    return module, constant, old


def _row(label: str, totals: Totals) -> list[object]:
    hard, developed = totals.hard, totals.developed_on
    return [label, f"{hard.tp}/{hard.fp}/{hard.fn}", f"{hard.prf()[2]:.3f}",
            f"{totals.gradual_found}/{totals.gradual_total}", totals.false_on_no_cut,
            f"{developed.tp}/{developed.fp}/{developed.fn}", f"{developed.prf()[2]:.3f}"]


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench.detector_sweep", description=__doc__)
    parser.add_argument("assignments", nargs="*", metavar="MODULE.CONSTANT=VALUE")
    args = parser.parse_args(argv)
    photo, developed = load_plates()
    rows = [_row("as it is", evaluate(photo, developed))]
    for assignment in args.assignments:
        module, constant, old = _assign(assignment)
        try:
            rows.append(_row(assignment, evaluate(photo, developed)))
        finally:
            setattr(module, constant, old)
    headers = ["detector", "photo hard TP/FP/FN", "photo hard F1", "dissolves and dips (±1)",
               "false cuts, no-cut plates", "developed-on TP/FP/FN", "developed-on F1"]
    text = table(headers, rows)
    print(text)
    return text


if __name__ == "__main__":
    main()
