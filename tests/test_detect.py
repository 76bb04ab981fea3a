"""Cut detection on generated plates: every boundary on the exact frame."""

from __future__ import annotations

import pytest

from jobs.analyse import analyse
from jobs.manifest import DetectorSettings
from jobs.probe import probe
from jobs.source import resolve_source
from jobs.synth_suite import SUITE, file_name
from tests.conftest import PlateMaker


def _detect(plates: PlateMaker, name: str, settings: DetectorSettings | None = None):  # type: ignore[no-untyped-def]
    spec = SUITE[name]
    path, truth = plates(file_name(name, spec), spec)
    source = resolve_source(str(path))
    return analyse(source, probe(source), settings or DetectorSettings()), truth


@pytest.mark.parametrize("name", sorted(SUITE))
def test_every_boundary_is_found_on_its_exact_frame(plates: PlateMaker, name: str) -> None:
    found, truth = _detect(plates, name)
    assert [b.frame for b in found.detection.boundaries] == truth.cut_starts
    assert len(found.stamps.pts) == truth.frame_count


def test_flashes_and_strobes_inside_a_shot_are_not_cuts(plates: PlateMaker) -> None:
    found, _ = _detect(plates, "flash_strobe")
    assert [(b.frame, b.kind) for b in found.detection.boundaries] == [(60, "cut")]
    assert found.detection.transitions == []


def test_fast_camera_moves_are_not_cuts_or_transitions(plates: PlateMaker) -> None:
    found, _ = _detect(plates, "fast_motion")
    assert [b.kind for b in found.detection.boundaries] == ["cut", "cut"]
    assert found.detection.transitions == []


def test_dissolve_and_fade_are_reported_with_their_ranges(plates: PlateMaker) -> None:
    found, truth = _detect(plates, "dissolve_fade")
    got = [(t.kind, t.first_frame, t.last_frame) for t in found.detection.transitions]
    assert got == truth.transitions == [("dissolve", 29, 39), ("fade", 61, 75)]
    kinds = [(b.frame, b.kind) for b in found.detection.boundaries]
    assert kinds == [(34, "dissolve"), (68, "fade"), (108, "cut")]
    # no hard cut was invented inside either transition
    for t in found.detection.transitions:
        inside = [b for b in found.detection.boundaries
                  if t.first_frame <= b.frame <= t.last_frame and b.kind == "cut"]
        assert inside == []


def test_low_contrast_cut_needs_the_adaptive_threshold(plates: PlateMaker) -> None:
    found, truth = _detect(plates, "low_contrast")
    assert [b.frame for b in found.detection.boundaries] == truth.cut_starts
    # the first cut is a 7-code-value step between two noisy grey shots
    assert found.detection.boundaries[0].frame == 30


def test_settings_are_per_run(plates: PlateMaker) -> None:
    """A stricter run drops the low-contrast cut; the default run keeps it."""
    strict = DetectorSettings(min_tone_change=0.05, min_hist_change=0.05, min_score=0.06)
    found, _ = _detect(plates, "low_contrast", strict)
    assert 30 not in [b.frame for b in found.detection.boundaries]


def test_variable_frame_rate_keeps_every_timestamp(plates: PlateMaker) -> None:
    found, truth = _detect(plates, "vfr")
    seconds = [found.stamps.seconds(i) for i in range(truth.frame_count)]
    steps = {seconds[i + 1] - seconds[i] for i in range(len(seconds) - 1)}
    assert len(steps) == 2  # 1/24 s before frame 50 and 1/30 s after
    assert seconds[80] == pytest.approx(50 / 24 + 30 / 30, abs=1e-4)
