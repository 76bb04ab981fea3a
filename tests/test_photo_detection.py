"""Picture-only detection on photographic plates of the suite (jobs.photo_suite), exact frames from
their truth: dissolves of 12 to 48 frames between moving shots, jump cuts inside a panning take,
whip pans inside shots, fades at the plate's head and tail; and the soft histogram bins that keep
a brightening flat area from looking like a cut."""

from __future__ import annotations

import numpy as np
import pytest

from jobs.analyse import analyse
from jobs.features import describe, hist_distance
from jobs.manifest import DetectorSettings
from jobs.photo_suite import PHOTO_SUITE, photo_file_name
from jobs.probe import probe
from jobs.source import resolve_source
from tests.conftest import PlateMaker

pytest.importorskip("skimage")  # the dev extra's: its wheel holds the photographs
pytestmark = pytest.mark.slow  # each plate is rendered from photographs with FFmpeg

WHIP_WINDOW = 6  # frames from a whip pan's start in which no cut may be found (its move and blur)


def boundaries(plates: PlateMaker, key: str) -> list[tuple[int, str]]:
    path, _ = plates(photo_file_name(key), PHOTO_SUITE[key])
    source = resolve_source(str(path))
    detection = analyse(source, probe(source), DetectorSettings()).detection
    return [(b.frame, b.kind) for b in detection.boundaries]


# the 12-, 24- and 48-frame dissolves of photo_dissolves (first frame, last frame, edit frame); its
# 6-frame one (75-79) is found but with hard cuts on its first two frames as well: the benchmark's
# "cuts inside dissolves" (docs/BENCHMARKS.md)
LONG_DISSOLVES = [(143, 153, 148), (209, 231, 220), (261, 307, 284)]


def test_dissolves_of_12_to_48_frames_between_moving_shots_are_one_boundary_near_their_middle(
        plates: PlateMaker) -> None:
    # astronaut (slow pan) -6-> coffee (handheld) -12-> chelsea (slow zoom) -24-> rocket (pan) -48-> moon
    found = boundaries(plates, "photo_dissolves")
    for first, last, edit in LONG_DISSOLVES:
        inside = [(frame, kind) for frame, kind in found if first - 1 <= frame <= last + 1]
        assert len(inside) == 1, (first, last, inside)
        assert inside[0][1] == "dissolve" and abs(inside[0][0] - edit) <= 1, (edit, inside)
    assert [frame for frame, _ in found if frame > 80 and not any(
        first - 1 <= frame <= last + 1 for first, last, _ in LONG_DISSOLVES)] == []


# photo_dissolves_similar's dissolves between two framings of one still photograph (first, last and
# edit frame): the astronaut whole, then 1.4 times closer over 24 frames; the coffee whole, then 1.3
# times closer over 48 frames (0.0045 of change a frame over grain of 0.0014)
STILL_DISSOLVES = [(145, 167, 156), (281, 327, 304)]


def test_dissolves_between_two_framings_of_one_still_photograph_are_found(plates: PlateMaker) -> None:
    found = boundaries(plates, "photo_dissolves_similar")
    for first, last, edit in STILL_DISSOLVES:
        inside = [(frame, kind) for frame, kind in found if first - 1 <= frame <= last + 1]
        assert len(inside) == 1 and inside[0][1] == "dissolve" and abs(inside[0][0] - edit) <= 1, inside


def test_jump_cuts_inside_a_panning_take_are_cuts_on_their_exact_frames(plates: PlateMaker) -> None:
    # one take panning 2 px a frame at 640 wide, with 3, 10 and 20 of its frames left out
    assert boundaries(plates, "photo_jump_cuts") == [(60, "cut"), (120, "cut"), (180, "cut")]


def test_whip_pans_inside_shots_are_no_cuts(plates: PlateMaker) -> None:
    found = dict(boundaries(plates, "photo_whip_pans"))
    assert found.get(120) == "cut" and found.get(220) == "cut"  # the two hard cuts, on their frames
    whips = (50, 120 + 40, 220 + 30)  # plate frames where the three whip pans start
    inside = [frame for frame in found for whip in whips if whip <= frame <= whip + WHIP_WINDOW]
    assert inside == []


def test_a_long_gop_keyframe_is_no_cut(plates: PlateMaker) -> None:
    # the rocket shot's dark sky across a 96-frame GOP: decoded without H.264's in-loop deblocking
    # the picture drifted until the keyframe at 216 (and frame 215, predicted from it) reset it: a
    # step of 4.6 luma levels at 215 that was taken for a cut; decoded whole, the two hard cuts are
    # all there is
    assert boundaries(plates, "photo_whip_pans") == [(120, "cut"), (220, "cut")]


def test_fades_from_black_at_the_head_and_to_black_at_the_tail_are_no_cuts(plates: PlateMaker) -> None:
    # the head fades in over frames 0-23, the tail out over 186-209 (the plate's last frame)
    assert boundaries(plates, "photo_fades") == [(70, "cut"), (130, "cut")]


def luma_step(before: int, after: int) -> float:
    frames = np.concatenate([np.full((1, 1, 36, 64), level, dtype=np.uint8) for level in (before, after)])
    yuv = np.concatenate([frames, np.full((2, 2, 36, 64), 128, dtype=np.uint8)], axis=1)
    features = describe(0, yuv)
    return float(hist_distance(features.hist[:1], features.hist[1:])[0])


def test_a_flat_area_brightening_one_level_moves_the_histogram_as_little_at_a_bin_edge() -> None:
    at_edge, inside = luma_step(127, 128), luma_step(124, 125)  # 32 luma bins: 8 levels each
    assert at_edge == pytest.approx(inside, abs=1e-6)
    assert at_edge == pytest.approx(1 / 8 / 32, rel=1e-3)  # an eighth of a bin's width, not a whole bin
    assert luma_step(100, 116) == pytest.approx(2 / 32, rel=1e-3)  # two bins: still the distance moved
