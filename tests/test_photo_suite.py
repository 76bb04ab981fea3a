"""The photographic plates (jobs.photo_suite): photo shots show their photograph, and the truth of
the new joins (dips, jump cuts) and of dissolves matches the rendered frames; the synthetic
suite's plates and truth are what they were before photo shots existed."""

from __future__ import annotations

import hashlib
import itertools
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from jobs import ffmpeg_cli
from jobs.photo_suite import (
    PHOTO_SUITE,
    fade_from_black,
    fade_to_black,
    framed,
    grain,
    handheld,
    jump,
    letterbox,
    photo_file_name,
    pillarbox,
    slow_pan,
    slow_zoom,
    strobe,
    whip_pan,
    white_flash,
)
from jobs.synth import PlateSpec, ShotSpec, demo_spec, make_plate, photo_path, truth_of
from jobs.synth_suite import SUITE, file_name
from jobs.timecode import FrameRate
from tests.conftest import PlateMaker

W, H = 320, 180
SIZE = (W, H)
# mean absolute difference (0..255) allowed between the plate and the photograph scaled the same
# way: H.264 and the YUV round trip, not another picture
PHOTO_TOLERANCE = 6.0
# a jump cut's frame-to-frame change over the largest change inside the move
JUMP_CONTRAST = 2.5
SAME_PICTURE = 1.5  # mean absolute difference (0..255) of one frame encoded in two plates
BLEND_RESIDUAL = 3.0  # mean absolute error (0..255) of a dissolve frame as a blend of its ends

_TAKE = ShotSpec("photo:coffee", 24, slow_pan(SIZE, 24 + 10 + 24, 2))
JOINS = PlateSpec(shots=(
    _TAKE, jump(_TAKE, 24, 10),
    ShotSpec("photo:chelsea", 24, join="dip_black", join_frames=6),
    ShotSpec("photo:astronaut", 24, join="dissolve", join_frames=8),
    ShotSpec("photo:rocket", 22, join="dip_white", join_frames=6)), width=W, height=H)


def frames_of(path: Path, pix_fmt: str = "gray") -> np.ndarray:
    """Every frame, decoded by FFmpeg: (frames, H, W) for gray, (frames, H, W, 3) for rgb24."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", pix_fmt,
                          "-"], capture_output=True, check=True).stdout
    shape = (-1, H, W) if pix_fmt == "gray" else (-1, H, W, 3)
    return np.frombuffer(raw, np.uint8).reshape(shape).astype(np.float64)


def changes(frames: np.ndarray) -> np.ndarray:
    """Index k: mean absolute change from frame k - 1 to frame k (index 0: 0)."""
    return np.concatenate([[0.0], np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2))])


def filled(name: str) -> np.ndarray:
    """The photograph scaled to cover the plate and cropped in the middle, as the plate shows it."""
    with Image.open(photo_path(name)) as image:
        picture = image.convert("RGB")
    scale = max(W / picture.width, H / picture.height)
    size = (max(W, round(picture.width * scale)), max(H, round(picture.height * scale)))
    picture = picture.resize(size, Image.Resampling.BICUBIC)
    left, top = (size[0] - W) // 2, (size[1] - H) // 2
    return np.asarray(picture.crop((left, top, left + W, top + H)), dtype=np.float64)


@pytest.fixture(scope="module")
def joins(plates: PlateMaker) -> np.ndarray:
    path, truth = plates("photo_joins.mp4", JOINS)
    assert truth == truth_of(JOINS)
    return frames_of(path)


@pytest.fixture(scope="module")
def whole_take(plates: PlateMaker) -> np.ndarray:
    """JOINS' first take uncut: its 24 frames, the 10 the jump cut leaves out, the 24 after."""
    spec = PlateSpec(shots=(replace(_TAKE, frames=58),), width=W, height=H)
    return frames_of(plates("photo_take.mp4", spec)[0])


# --- photo shots -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["chelsea", "camera"])
def test_a_photo_shot_shows_its_photograph(plates: PlateMaker, name: str) -> None:
    spec = PlateSpec(shots=(ShotSpec(f"photo:{name}", 6),), width=W, height=H)
    path, truth = plates(f"photo_{name}.mp4", spec)
    frames = frames_of(path, "rgb24")
    expected = filled(name)
    assert len(frames) == truth.frame_count == 6
    for frame in frames[[0, -1]]:
        assert np.abs(frame.mean(axis=(0, 1)) - expected.mean(axis=(0, 1))).max() < 3
        assert np.abs(frame - expected).mean() < PHOTO_TOLERANCE  # its pixels, not a test pattern


def test_unknown_photographs_are_refused() -> None:
    with pytest.raises(ValueError, match="no photograph"):
        photo_path("no_such_picture")


def test_every_camera_move_renders_at_the_plate_size(plates: PlateMaker) -> None:
    rate = FrameRate(24)
    moves = [slow_pan(SIZE, 8, tilt=1) + fade_from_black(4), slow_zoom(SIZE, rate, 0.01),
             framed(SIZE, 1.4, 0.2), handheld(SIZE, 4) + grain(10, 3), whip_pan(SIZE, 2, 3) + letterbox(SIZE),
             white_flash(2) + strobe(5, 2) + pillarbox(SIZE) + fade_to_black(8, 4)]
    spec = PlateSpec(shots=tuple(ShotSpec("photo:astronaut", 8, m) for m in moves), width=W, height=H,
                     rate=rate, codec="h264_delivery")
    path, truth = plates("photo_moves.mp4", spec)
    frames = frames_of(path)
    assert frames.shape == (48, H, W)
    assert truth.transitions == [("fade_in", 0, 3), ("fade_out", 44, 47)]
    assert frames[0].mean() < 2 and frames[-1].mean() < 2  # the fade's ends are black
    assert frames[34, :20].mean() < 2 and frames[41, :, :20].mean() < 2  # letterbox and pillarbox bars


# --- truth of the new joins ------------------------------------------------------------------------

def test_truth_of_dips_jumps_and_dissolves() -> None:
    truth = truth_of(JOINS)
    assert truth.frame_count == 24 * 4 + 22 - 8
    assert truth.cut_starts == [24, 48, 68, 88]
    assert truth.transitions == [("jump", 24, 24), ("dip", 43, 53), ("dissolve", 65, 71), ("dip", 83, 93)]


def test_a_jump_cut_must_run_on_with_the_same_take() -> None:
    other_move = replace(jump(_TAKE, 24, 10), filters=handheld(SIZE))
    for shots in [(_TAKE, other_move), (_TAKE, replace(jump(_TAKE, 24, 10), source="photo:chelsea")),
                  (ShotSpec("testsrc", 24), ShotSpec("testsrc", 24, join="jump", join_frames=10))]:
        with pytest.raises(ValueError, match="jump cut"):
            truth_of(PlateSpec(shots=shots))


def test_a_jump_cut_skips_frames_of_the_move(joins: np.ndarray, whole_take: np.ndarray) -> None:
    change = changes(joins)
    inside = np.concatenate([change[1:24], change[25:43]])  # the take's own motion
    assert change[24] > JUMP_CONTRAST * inside.max()
    # the same take, frames 24..33 left out: plate frames 24..47 are the take's 34..57 (the dip to
    # black dims them from 43 on)
    for plate_frame, take_frame in [(0, 0), (23, 23), (24, 34), (42, 52)]:
        assert np.abs(joins[plate_frame] - whole_take[take_frame]).mean() < SAME_PICTURE
    assert np.abs(joins[24] - whole_take[24]).mean() > 5 * SAME_PICTURE


@pytest.mark.parametrize(("first", "last", "colour"), [(43, 53, "black"), (83, 93, "white")])
def test_a_dip_passes_through_its_colour_on_the_cut_frame(joins: np.ndarray, first: int, last: int,
                                                         colour: str) -> None:
    level = joins.mean(axis=(1, 2))
    cut = (first + last) // 2
    extreme = np.argmin(level) if colour == "black" else np.argmax(level)
    assert extreme == cut and level[cut] == pytest.approx(0 if colour == "black" else 255, abs=2)
    steps = np.diff(level[first:last + 1])
    sign = -1 if colour == "black" else 1
    assert (sign * steps[:cut - first] > 0).all() and (sign * steps[cut - first:] < 0).all()
    assert level[first - 1] == pytest.approx(level[first - 2], abs=1)  # still before the dip


def test_dissolve_frames_are_blends_reaching_half_on_the_cut(joins: np.ndarray) -> None:
    first, last, cut = 65, 71, 68
    before, after = joins[first - 1], joins[last + 1]
    span = after - before
    weights = []
    for frame in joins[first:last + 1]:
        weight = float(((frame - before) * span).sum() / (span**2).sum())
        assert np.abs(frame - (before + weight * span)).mean() < BLEND_RESIDUAL
        weights.append(weight)
    assert all(0 < a < b < 1 for a, b in itertools.pairwise(weights))
    assert weights[cut - first - 1] < 0.5 <= weights[cut - first] + 0.01


# --- the suite -------------------------------------------------------------------------------------

def test_the_photo_suite_covers_the_reported_cases() -> None:
    joins_of: dict[str, set[int]] = {}
    for key, spec in PHOTO_SUITE.items():
        truth = truth_of(spec)
        assert (truth.frame_count == 2000) if key == "photo_long_take" else (150 <= truth.frame_count <= 400)
        assert (spec.width, spec.height) in [(640, 360), (960, 540)]
        assert spec.rate in (FrameRate(24), FrameRate(25))
        assert photo_file_name(key).startswith(key)
        for shot in spec.shots:
            assert photo_path(shot.source.removeprefix("photo:")).is_file()
            joins_of.setdefault(shot.join, set()).add(shot.join_frames)
    assert joins_of["dissolve"] >= {6, 12, 24, 48}
    assert joins_of["jump"] >= {3, 10, 20}
    assert {"dip_black", "dip_white"} <= set(joins_of) and joins_of["dip_black"] >= {8, 12}
    assert truth_of(PHOTO_SUITE["photo_long_take"]).cut_starts == []


# --- the synthetic suite, unchanged ----------------------------------------------------------------

# truth_of before photo shots existed
EXISTING_TRUTH: dict[str, tuple[int, list[int], list[tuple[str, int, int]]]] = {
    "different": (120, [30, 60, 90], []),
    "flash_strobe": (100, [60], []),
    "dissolve_fade": (138, [34, 68, 108], [("dissolve", 29, 39), ("fade", 61, 75)]),
    "vfr": (120, [40, 80], []),
    "sequence_1001": (60, [20, 40], []),
}
# sha256 (16 hex digits) of make_plate's FFmpeg command, the output path written as OUT, taken
# before photo shots existed: a change here changes the plates every other test is built on
EXISTING_COMMANDS = {
    "different": "4649c4beef498838", "dissolve_fade": "7747071b1becb686",
    "flash_strobe": "260581fa55be44e3", "vfr": "ee1a3aa234612819",
    "r23976_audio": "776afde95dd715c7", "sequence_1001": "56abc2eb88c91a20",
}
DEMO_COMMAND = "3ba0ab05a275bd10"


@pytest.mark.parametrize("name", sorted(EXISTING_TRUTH))
def test_the_synthetic_suite_keeps_its_truth(name: str) -> None:
    truth = truth_of(SUITE[name])
    assert (truth.frame_count, truth.cut_starts, truth.transitions) == EXISTING_TRUTH[name]


def test_the_demo_plate_keeps_its_truth() -> None:
    truth = truth_of(demo_spec())
    assert truth.cut_starts == [48, 88, 118, 156, 186, 216, 256, 286]
    assert truth.transitions == [("dissolve", 113, 123), ("fade", 209, 223)]
    assert truth_of(demo_spec(scale=2)).transitions == [("dissolve", 237, 247), ("fade", 437, 451)]


def _command_hash(spec: PlateSpec, out: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    commands: list[list[str]] = []

    def capture(args: list[str], what: str, **options: Any) -> None:
        commands.append(list(args))

    monkeypatch.setattr(ffmpeg_cli, "run", capture)
    make_plate(spec, out)
    text = "\n".join(arg.replace(str(out), "OUT") for arg in commands[0])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_the_synthetic_plates_render_with_the_same_commands(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for name, expected in EXISTING_COMMANDS.items():
        spec = SUITE[name]
        assert _command_hash(spec, tmp_path / file_name(name, spec), monkeypatch) == expected, name
    assert _command_hash(demo_spec(), tmp_path / "demo.mp4", monkeypatch) == DEMO_COMMAND
