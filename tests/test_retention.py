"""The frame store lets go, as detection settles each stretch of a plate, of what no later stage
wants; what a stage wants anyway is fetched from the plate."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from fractions import Fraction
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from jobs.analyse import analyse
from jobs.burnin.frames import PlateFrames, grab_frame, grab_run
from jobs.burnin.regions import Region
from jobs.detect import Boundary
from jobs.framestore import THUMB_WIDTH, FrameStore
from jobs.manifest import DetectorSettings, Transition
from jobs.probe import probe
from jobs.retention import Retention, strip_frames_wanted, thumbnail_frames_wanted
from jobs.review import picture_aspect
from jobs.source import resolve_source
from jobs.streaming import CORE_FRAMES

CUT, DISSOLVE = Boundary(100, "cut", 1.0), Boundary(
    300, "dissolve", 1.0, Transition(kind="dissolve", first_frame=290, last_frame=310,
                                     edit_frame=300, confidence=1.0))
LADDER = set(range(0, 1000, 16))


def test_the_burn_in_rows_wanted_are_those_near_cuts_and_across_transitions() -> None:
    assert strip_frames_wanted([]) == {0, 1, 2, 3}
    assert strip_frames_wanted([CUT, DISSOLVE]) == (
        {0, 1, 2, 3} | set(range(96, 105)) | set(range(286, 315)))


def test_the_thumbnails_wanted_are_those_around_each_closed_cuts_middle() -> None:
    assert thumbnail_frames_wanted([0]) == set()  # the only cut is still open
    # middles: 0 + 99 // 2 = 49 and 100 + 199 // 2 = 199; the cut from 300 is open
    assert thumbnail_frames_wanted([0, 100, 300]) == set(range(47, 52)) | set(range(197, 202))


def _filled_store(root: Path, frames: int) -> FrameStore:
    store = FrameStore(root, 64, 36, bands=((0, 8),))
    for folder in (store.thumbs_dir, store.strips_dir):
        folder.mkdir(parents=True)
    for index in range(frames):
        store.thumbnail(index).write_bytes(b"t")
        store.strip_file(index).write_bytes(b"s")
    return store


def _left(folder: Path) -> set[int]:
    return {int(p.stem) for p in folder.iterdir()}


def test_release_deletes_what_no_stage_wants_behind_the_settled_frame(tmp_path: Path) -> None:
    store = _filled_store(tmp_path, 1000)
    retention = Retention(store)
    retention.release([CUT, DISSOLVE], settled=500)
    # burn-in rows: up to 5 frames before the settled frame (a cut at 500 reads 499), then
    # near the cuts, across the dissolve and on the ladder
    assert _left(store.strips_dir) == (set(range(495, 1000)) | {0, 1, 2, 3} | set(range(96, 105))
                                       | set(range(286, 315)) | LADDER)
    # thumbnails: the middles of the two closed cuts; the open cut from 300 ends at 500 or later,
    # so its middle is 300 + 200 // 2 = 400 or later: kept from 398
    assert _left(store.thumbs_dir) == set(range(47, 52)) | set(range(197, 202)) | set(range(398, 1000))

    retention.release([CUT, DISSOLVE], settled=500)  # nothing new: nothing more goes
    assert len(_left(store.thumbs_dir)) == 10 + 602
    retention.release([CUT, DISSOLVE, Boundary(700, "cut", 1.0)], settled=900)
    # the cut from 300 closed at 700: its middle, 300 + 399 // 2 = 499, is kept; the open cut
    # from 700 keeps 700 + 200 // 2 - 2 = 798 on
    assert _left(store.thumbs_dir) == (set(range(47, 52)) | set(range(197, 202))
                                       | set(range(497, 502)) | set(range(798, 1000)))
    assert _left(store.strips_dir) >= set(range(696, 705)) | set(range(895, 1000))
    assert 600 not in _left(store.strips_dir) and 608 in _left(store.strips_dir)


@pytest.fixture(scope="module")
def long_plate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 frames at 160x90, 24 fps: three sources back to back, cuts at 1,000 and 2,200."""
    path = tmp_path_factory.mktemp("retention") / "long.mp4"
    sources = ["rgbtestsrc=s=160x90:r=24", "smptebars=s=160x90:r=24", "mandelbrot=s=160x90:r=24"]
    inputs = [arg for src in sources for arg in ("-f", "lavfi", "-i", src)]
    trims = ";".join(f"[{i}:v]trim=end_frame={n},setpts=PTS-STARTPTS[v{i}]"
                     for i, n in enumerate((1000, 1200, 800)))
    subprocess.run(["ffmpeg", "-v", "error", *inputs, "-filter_complex",
                    f"{trims};[v0][v1][v2]concat=n=3:v=1[out]", "-map", "[out]",
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "48", "-pix_fmt", "yuv420p",
                    str(path)], check=True)
    return path


@pytest.mark.slow
def test_a_long_plate_leaves_only_what_its_stages_want(long_plate: Path, tmp_path: Path) -> None:
    source = resolve_source(str(long_plate), None)
    info = probe(source)
    store = FrameStore(tmp_path, info.width, info.height, bands=((0, 16),))
    found = analyse(source, info, DetectorSettings(), store=store)
    assert [b.frame for b in found.detection.boundaries] == [1000, 2200]
    # the detector settled its first 2,048 frames (then the rest at the end): behind them only
    # the wanted files are left; the last stretch, settled at the end, is whole
    settled_limit = CORE_FRAMES - 5
    thumbs, strips = _left(store.thumbs_dir), _left(store.strips_dir)
    # the middle of the first cut, then the open cut's possible middles (1000 + 1048 // 2 - 2 on)
    assert thumbs == set(range(497, 502)) | set(range(1522, 3000))
    assert strips & set(range(settled_limit)) == (
        {0, 1, 2, 3} | set(range(996, 1005)) | set(range(0, settled_limit, 16)))
    assert set(range(settled_limit, 3000)) <= strips


@pytest.mark.slow
def test_what_the_store_let_go_is_fetched_from_the_plate(long_plate: Path, tmp_path: Path) -> None:
    source = resolve_source(str(long_plate), None)
    info = probe(source)
    store = FrameStore(tmp_path / "pass", info.width, info.height, bands=((0, 16),))
    found = analyse(source, info, DetectorSettings(), store=store)
    seek = partial(grab_frame, source, info, found.stamps)
    # a thumbnail made from the fetched frame is the pass's own, within JPEG's error
    fetched = FrameStore(tmp_path / "fetched", info.width, info.height)
    for index in (2500, 2999):  # kept by the pass
        made = fetched.write_thumbnail(index, seek(index), picture_aspect(info))
        with Image.open(made) as ours, Image.open(store.thumbnail(index)) as pass_own:
            assert ours.size == pass_own.size == (THUMB_WIDTH, 270)
            assert _mean_difference(np.asarray(ours), np.asarray(pass_own)) < 3
    assert fetched.write_thumbnail(0, seek(0), Fraction(4, 3)).exists()
    with Image.open(fetched.thumbnail(0)) as four_three:
        assert four_three.size == (THUMB_WIDTH, 360)
    # burn-in rows let go of come from the plate, the rest from the store
    grab = PlateFrames(info, seek, store).for_regions([Region(0, 0, 1, 0.15)])
    assert not store.holds_strip(1500) and store.holds_strip(1504 - 1504 % 16)
    for index in (1500, 1504 - 1504 % 16):
        assert _mean_difference(grab(index)[:13], seek(index)[:13]) < 3
    assert not grab(1500)[16:].any() and not grab(1504 - 1504 % 16)[16:].any()  # the rows kept only


def _mean_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))


def _ladder_store(root: Path, kept: set[int]) -> FrameStore:
    """A 64x36 store keeping rows 0-7, holding the burn-in rows of ``kept`` frames only."""
    store = FrameStore(root, 64, 36, bands=((0, 8),))
    store.strips_dir.mkdir(parents=True)
    for index in kept:
        Image.new("RGB", (64, 8), (200, 200, 200)).save(store.strip_file(index))
    return store


def test_a_bisection_reads_kept_frames_where_the_middle_was_let_go(tmp_path: Path) -> None:
    store = _ladder_store(tmp_path, set(range(0, 1000, 16)) | {500})
    frames = PlateFrames(_info(64, 36), lambda i: np.zeros((36, 64, 3), np.uint8), store)
    assert frames.pivot(400, 600) == 500  # the middle is kept: the middle
    assert frames.pivot(0, 1000) == 500
    assert frames.pivot(100, 130) == 112  # 115 was let go: the nearest kept frame between
    assert frames.pivot(100, 124) == 112
    assert frames.pivot(113, 127) == 120  # no kept frame between: the middle
    assert PlateFrames(_info(64, 36), lambda i: np.zeros((36, 64, 3), np.uint8)).pivot(100, 130) == 115


def test_frames_let_go_are_fetched_a_ladder_step_at_a_time(tmp_path: Path) -> None:
    store = _ladder_store(tmp_path, set(range(0, 1000, 16)))
    runs: list[tuple[int, int]] = []

    def run(first: int, count: int, keep: Callable[[np.ndarray], np.ndarray]) -> list[np.ndarray]:
        runs.append((first, count))
        return [keep(np.full((36, 64, 3), i % 256, np.uint8)) for i in range(first, first + count)]

    grab = PlateFrames(_info(64, 36), lambda i: np.zeros((36, 64, 3), np.uint8), store,
                       run).for_regions([Region(0, 0, 1, 0.2)])
    for index in (70, 65, 79, 71):  # one step: one decode
        picture = grab(index)
        assert (picture[:8] == index).all() and not picture[8:].any()
    assert runs == [(64, 16)]
    assert (grab(64)[:8] == 200).all()  # kept: from the store
    grab(81)
    assert runs == [(64, 16), (80, 16)]


@pytest.mark.slow
def test_a_run_of_frames_is_decoded_as_each_seek_would(long_plate: Path) -> None:
    source = resolve_source(str(long_plate), None)
    info = probe(source)
    found = analyse(source, info, DetectorSettings())
    run = grab_run(source, info, found.stamps, 1990, 16)
    assert len(run) == 16
    for offset in (0, 9, 15):
        assert _mean_difference(run[offset], grab_frame(source, info, found.stamps, 1990 + offset)) == 0
    assert len(grab_run(source, info, found.stamps, 2990, 16)) == 10  # the plate ends at 2,999
    rows = grab_run(source, info, found.stamps, 1990, 16, keep=lambda p: p[:8].copy())
    assert [r.shape for r in rows] == [(8, 160, 3)] * 16 and np.array_equal(rows[9], run[9][:8])
    crossing = grab_run(source, info, found.stamps, 992, 16)  # frames 992-1007, the cut at 1,000
    assert _mean_difference(crossing[7], crossing[8]) > 20 and _mean_difference(crossing[0], crossing[7]) < 1


def _info(width: int, height: int):  # type: ignore[no-untyped-def]
    from jobs.manifest import PlateInfo

    fields = {name: None for name in PlateInfo.model_fields}
    return PlateInfo.model_construct(**{**fields, "width": width, "height": height})
