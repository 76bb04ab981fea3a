"""Windowed detection gives exactly the result of one pass over the whole plate."""

from __future__ import annotations

from pathlib import Path

from jobs.decode import Timestamps, decode_frames
from jobs.detect import detect_window
from jobs.features import Features, describe
from jobs.manifest import DetectorSettings
from jobs.probe import probe
from jobs.source import resolve_source
from jobs.streaming import StreamingDetector
from jobs.synth import PlateSpec, ShotSpec
from tests.conftest import PlateMaker

LONG = PlateSpec(shots=tuple(
    ShotSpec(src, 37 + 11 * i, join=("dissolve" if i % 4 == 2 else "fade" if i % 4 == 3 else "cut"),
             join_frames=10 if i % 4 in (2, 3) else 0)
    for i, src in enumerate(["testsrc", "mandel", "bars", "life", "testsrc", "rgb", "mandel",
                             "bars", "testsrc", "life"])), width=160, height=90)


def _features(path: Path) -> Features:
    source = resolve_source(str(path))
    info = probe(source)
    parts = [describe(b.start, b.yuv)
             for b in decode_frames(source, info, 64, 36, Timestamps(), batch=50)]
    return Features.concat(parts)


def test_small_windows_match_one_pass(plates: PlateMaker) -> None:
    path, truth = plates("long.mp4", LONG)
    features = _features(path)
    settings = DetectorSettings()
    whole = detect_window(features, settings)
    streaming = StreamingDetector(settings, core=64)  # many windows over ~600 frames
    for lo in range(0, len(features), 50):
        streaming.push(features.slice(lo, min(lo + 50, len(features))))
    windowed = streaming.finish()
    assert windowed.boundaries == whole.boundaries
    assert windowed.transitions == whole.transitions
    assert windowed.margins.tolist() == whole.margins.tolist()  # the review's scores
    assert len(whole.margins) == len(features)
    assert [b.frame for b in whole.boundaries] == truth.cut_starts


def test_memory_is_bounded_by_the_window(plates: PlateMaker) -> None:
    path, _ = plates("long.mp4", LONG)
    features = _features(path)
    streaming = StreamingDetector(DetectorSettings(), core=64)
    held = 0
    for lo in range(0, len(features), 10):
        streaming.push(features.slice(lo, min(lo + 10, len(features))))
        held = max(held, sum(len(p) for p in streaming._parts))
    assert held <= 64 + 2 * streaming.margin + 10
