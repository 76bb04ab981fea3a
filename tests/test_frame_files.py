"""A sequence cut's frame files: cloned, hard-linked or copied (jobs.frame_files), and split's
``--sequence-files`` end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.frame_files import Placed, place_frame
from jobs.manifest import FramePlacement
from jobs.report import placement_line
from jobs.split import SplitResult, placement
from jobs.synth_suite import SUITE, file_name
from tests.conftest import SplitRunner

FRAME = bytes(range(256)) * 64  # 16 KiB
SHM = Path("/dev/shm")


@pytest.fixture
def frame(tmp_path: Path) -> Path:
    path = tmp_path / "plate.1001.dpx"
    path.write_bytes(FRAME)
    return path


def test_a_hard_link_moves_no_byte(frame: Path, tmp_path: Path) -> None:
    placed = Placed()
    place_frame(frame, tmp_path / "cut.1009.dpx", "hardlink", placed)
    made = os.stat(tmp_path / "cut.1009.dpx")
    assert made.st_ino == os.stat(frame).st_ino and made.st_nlink == 2
    assert (placed.linked, placed.copied, placed.copied_bytes) == (1, 0, 0)


def test_a_hard_link_across_filesystems_is_a_copy(frame: Path) -> None:
    if not SHM.is_dir() or os.stat(SHM).st_dev == os.stat(frame).st_dev:
        pytest.fail("/dev/shm must be another filesystem than the test's folder (tmpfs on Linux)")
    dest = SHM / f"platecut-test-{os.getpid()}-{frame.stat().st_ino}.dpx"
    try:
        placed = Placed()
        place_frame(frame, dest, "hardlink", placed)
        assert dest.read_bytes() == FRAME and os.stat(dest).st_ino != os.stat(frame).st_ino
        assert (placed.linked, placed.copied, placed.copied_bytes) == (0, 1, len(FRAME))
    finally:
        dest.unlink(missing_ok=True)


@pytest.mark.parametrize("how", ["auto", "copy"])
def test_clones_and_copies_are_files_of_their_own(frame: Path, tmp_path: Path, how: str) -> None:
    placed = Placed()
    dest = tmp_path / "cut.1009.dpx"
    place_frame(frame, dest, how, placed)  # type: ignore[arg-type]
    assert dest.read_bytes() == FRAME and os.stat(dest).st_ino != os.stat(frame).st_ino
    dest.write_bytes(b"painted")  # an edit of the cut's frame leaves the plate's alone
    assert frame.read_bytes() == FRAME
    if how == "copy":
        assert (placed.cloned, placed.copied, placed.copied_bytes) == (0, 1, len(FRAME))
    else:  # a clone where the filesystem can, else a copy; never a link
        assert placed.linked == 0 and placed.cloned + placed.copied == 1


@pytest.mark.parametrize("how", ["auto", "copy", "hardlink"])
def test_a_failure_that_is_no_filesystem_limit_is_raised(frame: Path, tmp_path: Path, how: str) -> None:
    with pytest.raises(FileNotFoundError):
        place_frame(frame, tmp_path / "missing" / "cut.1009.dpx", how, Placed())  # type: ignore[arg-type]


@pytest.mark.slow
def test_split_hard_links_a_sequence_s_cut_frames_when_asked(split_plate: SplitRunner) -> None:
    spec = SUITE["sequence_1001"]
    out, manifest, _ = split_plate(file_name("sequence_1001", spec), spec, ocr=None,
                                   frame_files="hardlink")
    plate_dir = out.parent.parent / "plates"
    plate = {os.stat(p).st_ino for p in plate_dir.glob("sequence_1001.*.png")}
    cut_files = [p for cut in manifest.cuts if cut.media for p in (out / cut.media.path).parent.iterdir()]
    assert len(cut_files) == sum(cut.frame_count for cut in manifest.cuts)
    assert {os.stat(p).st_ino for p in cut_files} <= plate
    # the manifest says so, and split prints it
    assert manifest.split.frame_files == FramePlacement(cloned=0, linked=len(cut_files), copied=0,
                                                        copied_bytes=0)
    assert placement_line(manifest.split.frame_files) == f"{len(cut_files)} hard-linked"


def test_the_placement_adds_up_the_cuts_and_a_movie_has_none(tmp_path: Path) -> None:
    def cut(placed: Placed | None) -> SplitResult:
        return SplitResult(tmp_path / "a", "a", (), 1, placed)

    total = placement([cut(Placed(linked=10)), cut(Placed(linked=5, copied=2, copied_bytes=3_000_000))])
    assert total == FramePlacement(cloned=0, linked=15, copied=2, copied_bytes=3_000_000)
    assert placement_line(total) == "15 hard-linked, 2 copied (3.0 MB)"  # the fallback shows
    assert placement_line(FramePlacement(cloned=7, linked=0, copied=0, copied_bytes=0)) == "7 cloned"
    assert placement([cut(None)]) is None and placement([]) is None  # a movie's cuts, none split


def test_an_unknown_sequence_files_value_is_a_usage_error(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("platecut")
    done = subprocess.run([str(exe), "split", str(tmp_path / "x.mov"), "--output", str(tmp_path / "o"),
                           "--sequence-files", "symlink"], capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "'symlink' is not one of 'auto', 'copy', 'hardlink'" in done.stderr
