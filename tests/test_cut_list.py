"""A cut version's cut list: the job writes the listed cuts (boundaries, names, who placed them)
with every output of a split, detects no boundary and reads no burn-in."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from jobs.cut_fields import Handles, Numbering
from jobs.cut_list import CutList, ListedCut, load_cut_list, read_cut_list
from jobs.decode import Timestamps
from jobs.errors import BadInputError, ExitCode, InputMissingError
from jobs.manifest import MANIFEST_NAME, Manifest, PlateInfo, Rational, Transition
from jobs.ocr.engine import OcrSettings, OcrUnavailableError
from jobs.ocr.factory import load_engine
from jobs.pipeline import SplitOptions, run_split
from jobs.segments import plan_listed
from jobs.synth import PlateSpec, ShotSpec
from jobs.timecode import FrameRate, timecode_to_frames
from tests.conftest import PlateMaker
from tests.media import counted_frames

# detected: hard cuts at 12, 24 and 36, a dissolve over 53-59 whose edit is frame 56; 76 frames
PLATE = "cut_list.mp4"
SPEC = PlateSpec(shots=(ShotSpec("bars", 12), ShotSpec("rgb", 12), ShotSpec("cells", 12),
                        ShotSpec("testsrc", 24),
                        ShotSpec("mandel", 24, join="dissolve", join_frames=8)),
                 width=160, height=90)
# an editor moved the cut at 12 to 15, split that cut at 20, merged the cuts at 24 and 36 and
# renamed them all; the dissolve's cut stays where it was found
CORRECTED: dict[str, Any] = {"schema_version": 1, "version": 3, "cuts": [
    {"first_frame": 0, "name": "sh010", "detected_by": "picture"},
    {"first_frame": 15, "name": "sh020", "detected_by": "editor"},
    {"first_frame": 20, "name": "sh025", "detected_by": "editor"},
    {"first_frame": 24, "name": "sh030", "detected_by": "picture"},
    {"first_frame": 56, "name": "sh050", "detected_by": "both"},
]}
# name, first and last plate frame, boundary, detected_by
EXPECTED = [("sh010", 0, 14, "start", "picture"), ("sh020", 15, 19, "cut", "editor"),
            ("sh025", 20, 23, "cut", "editor"), ("sh030", 24, 55, "cut", "picture"),
            ("sh050", 56, 75, "dissolve", "both")]
# an engine that cannot load: a split that tried would fail
BROKEN_OCR = OcrSettings(det_model_dir=Path("/nonexistent/platecut-det"))


def cut_list(*cuts: tuple[int, str], version: int = 3) -> dict[str, Any]:
    return {"schema_version": 1, "version": version,
            "cuts": [{"first_frame": f, "name": n} for f, n in cuts]}


def write_list(folder: Path, data: dict[str, Any] | str) -> Path:
    path = folder / "cut-list.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def platecut(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("platecut")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, check=False,
                          env={**os.environ, "COLUMNS": "200", **env})


# --- the contract ---------------------------------------------------------------------------


def test_a_cut_list_reads_back_and_defaults_to_editor_cuts() -> None:
    listed = load_cut_list(json.dumps(CORRECTED), "v3.json")
    assert listed.version == 3 and [c.first_frame for c in listed.cuts] == [0, 15, 20, 24, 56]
    assert load_cut_list(listed.to_json(), "again") == listed
    plain = load_cut_list(json.dumps(cut_list((0, "a"), (9, "b.v2-x"))), "plain")
    assert [c.detected_by for c in plain.cuts] == ["editor", "editor"]


@pytest.mark.parametrize(("data", "words"), [
    ("{\"version\": 3, \"cuts\": [", "cut list x.json: not JSON ("),
    (cut_list(), "cuts: List should have at least 1 item"),
    (cut_list((4, "sh010"), (10, "sh020")), "the first cut (sh010) starts at frame 4, not 0"),
    (cut_list((0, "a"), (20, "b"), (15, "c")),
     "cut 3 (c) starts at frame 15, not after cut 2 (b) at frame 20: first_frame must increase"),
    (cut_list((0, "a"), (20, "b"), (20, "c")), "cut 3 (c) starts at frame 20, not after cut 2"),
    (cut_list((0, "sh010"), (5, "")), "cut 2 name: String should have at least 1 character"),
    (cut_list((0, "sh010"), (5, "sh010")), "cuts 1 and 2 are both named 'sh010'"),
    (cut_list((0, "sh010"), (5, "SH010")), "cuts 1 and 2 are named 'sh010' and 'SH010'"),
    (cut_list((0, "sh010"), (5, "sh/020")), "cut 2 name: 'sh/020' cannot name a file"),
    (cut_list((0, "sh010"), (5, ".hidden")), "cut 2 name: '.hidden' cannot name a file"),
    (cut_list((0, "a"), (-1, "b")), "cut 2 first_frame: Input should be greater than or equal to 0"),
    (cut_list((0, "a"), version=0), "version: Input should be greater than or equal to 1"),
    ({**cut_list((0, "a")), "schema_version": 2}, "schema_version: Input should be 1"),
    ({**cut_list((0, "a")), "cuts": [{"first_frame": 0, "name": "a", "detected_by": "guess"}]},
     "cut 1 detected_by: Input should be 'picture', 'burnin', 'both' or 'editor'"),
])
def test_an_invalid_cut_list_says_what_is_wrong_in_one_line(data: dict[str, Any] | str,
                                                             words: str) -> None:
    text = data if isinstance(data, str) else json.dumps(data)
    with pytest.raises(BadInputError) as caught:
        load_cut_list(text, "x.json")
    assert words in caught.value.message and "\n" not in caught.value.message
    assert caught.value.message.startswith("cut list x.json: ")
    assert caught.value.exit_code == ExitCode.BAD_INPUT


def test_a_cut_list_must_fit_the_plate() -> None:
    listed = CutList(version=7, cuts=[ListedCut(first_frame=0, name="a"),
                                      ListedCut(first_frame=76, name="b")])
    listed.check_plate(77, "A001.mov")
    with pytest.raises(BadInputError, match=re.escape(
            "cut version 7: cut 2 (b) starts at frame 76, past the end of A001.mov "
            "(76 frames, 0-75)")):
        listed.check_plate(76, "A001.mov")


def test_a_missing_cut_list_file_is_missing_input(tmp_path: Path) -> None:
    with pytest.raises(InputMissingError, match=r"nope\.json: no such file"):
        read_cut_list(tmp_path / "nope.json")


def _plate_info(frames: int) -> PlateInfo:
    return PlateInfo(source="p.mov", kind="movie", container="mov", codec="prores", width=64,
                     height=36, pixel_aspect="1:1", pix_fmt="yuv422p10le", bit_depth=10,
                     frame_rate=Rational(num=24, den=1), frame_count=frames,
                     frame_count_counted=False, duration=str(Fraction(frames, 24)),
                     intra_only=True)


def test_a_listed_boundary_is_a_transition_only_on_its_edit_frame() -> None:
    # a scan: each segment holds its 2 + 2 handles, and the list's frames are segments' starts
    dissolve = Transition(kind="dissolve", first_frame=17, last_frame=23, edit_frame=20,
                          confidence=0.8)
    fade = Transition(kind="fade", first_frame=27, last_frame=33, edit_frame=30, confidence=0.7)
    stamps = Timestamps(Fraction(1, 24), list(range(40)))
    listed = CutList(version=2, cuts=[ListedCut(first_frame=0, name="a", detected_by="picture"),
                                      ListedCut(first_frame=20, name="b", detected_by="both"),
                                      ListedCut(first_frame=29, name="c")])
    plans = plan_listed(_plate_info(40), listed, [dissolve, fade], stamps,
                        Numbering("scan", 1001, Handles(2, 2)))
    assert [(p.name, p.first_frame, p.last_frame) for p in plans] == [
        ("a", 0, 19), ("b", 20, 28), ("c", 29, 39)]
    assert [(p.boundary_in, p.transition_in) for p in plans] == [
        ("start", None), ("dissolve", dissolve), ("cut", None)]  # 29 is not the fade's edit
    assert [(p.detected_by, p.name_from, p.confidence) for p in plans] == [
        ("picture", "cut_list", 1.0), ("both", "cut_list", 1.0), ("editor", "cut_list", 1.0)]
    assert [(p.fields.cut_in, p.fields.cut_duration, p.cut_first_frame) for p in plans] == [
        (1003, 16, 2), (1003, 5, 22), (1003, 7, 31)]


# --- the job writes it --------------------------------------------------------------------


@pytest.fixture(scope="module")
def published(plates: PlateMaker, tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[Path, list[tuple[Path, Manifest]]]:
    """The corrected cut list written twice, with OCR settings that cannot load."""
    plate, truth = plates(PLATE, SPEC)
    assert truth.cut_starts == [12, 24, 36, 56] and truth.frame_count == 76
    listed = load_cut_list(json.dumps(CORRECTED), "corrected")
    runs = []
    for n in (1, 2):
        out = tmp_path_factory.mktemp("published") / f"run{n}"
        options = SplitOptions(cut_list=listed, ocr=BROKEN_OCR)
        runs.append((out, run_split(str(plate), out, options)))
    return plate, runs


def test_the_listed_cuts_are_written_and_nothing_is_detected(
        published: tuple[Path, list[tuple[Path, Manifest]]]) -> None:
    _, [(out, m), _] = published
    with pytest.raises(OcrUnavailableError):
        load_engine(BROKEN_OCR)  # had the split loaded it, it would have failed
    assert m.burnin is None and not {"ocr", "ocr_load"} & set(m.timings)
    assert m.split.cut_list_version == 3
    assert [(c.name, c.first_frame, c.last_frame, c.boundary_in, c.detected_by)
            for c in m.cuts] == EXPECTED
    assert [c.name_from for c in m.cuts] == ["cut_list"] * 5
    assert [c.confidence for c in m.cuts] == [1.0] * 5
    # the dissolve the picture shows starts the cut listed on its edit frame
    dissolve = m.cuts[4].transition_in
    assert dissolve is not None and (dissolve.first_frame, dissolve.edit_frame, dissolve.last_frame) == (
        53, 56, 59)
    assert [t.edit_frame for t in m.transitions] == [56]
    assert Manifest.from_json((out / MANIFEST_NAME).read_text()) == m
    # every output of a split, and nothing else
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert files == {MANIFEST_NAME, "contact_sheet.png", "cut_list.edl", "cut_list.otio",
                     "cuts.csv", *(f"cuts/{n}.mov" for n, *_ in EXPECTED),
                     *(f"thumbnails/{n}.jpg" for n, *_ in EXPECTED),
                     "review/proxy.mp4", "review/scores.json", "review/strip-0001.jpg"}


def test_each_cut_file_holds_exactly_its_listed_frames(
        published: tuple[Path, list[tuple[Path, Manifest]]]) -> None:
    _, [(out, m), _] = published
    counts = []
    for cut in m.cuts:
        assert cut.media is not None
        counts.append(counted_frames(out / cut.media.path))
    assert counts == [last - first + 1 for _, first, last, *_ in EXPECTED] == [15, 5, 4, 32, 20]


def test_the_edl_lists_exactly_the_listed_cuts(
        published: tuple[Path, list[tuple[Path, Manifest]]]) -> None:
    _, [(out, _), _] = published
    lines = (out / "cut_list.edl").read_text().splitlines()
    rate = FrameRate(24)
    events = [(n, how.strip(), timecode_to_frames(rec_in, rate), timecode_to_frames(rec_out, rate))
              for n, how, rec_in, rec_out in (
                  re.fullmatch(r"(\d{3})  \S+\s+V\s+(C|D \d{3})\s+\S+ \S+ (\S+) (\S+)", line).groups()
                  for line in lines if re.match(r"\d{3} ", line))]
    # record frames are plate frames from 01:00:00:00; CMX starts a dissolve's event at its start
    hour = 3600 * 24
    assert [(n, how, a - hour, b - hour) for n, how, a, b in events] == [
        ("001", "C", 0, 15), ("002", "C", 15, 20), ("003", "C", 20, 24), ("004", "C", 24, 53),
        ("005", "C", 53, 53), ("005", "D 007", 53, 76)]
    assert [line.removeprefix("* COMMENT: ") for line in lines if line.startswith("* COMMENT:")] == [
        name for name, *_ in EXPECTED]
    durations = [int(re.search(r"cut_duration=(\d+)", line).group(1))  # type: ignore[union-attr]
                 for line in lines if line.startswith("* PLATECUT:")]
    assert durations == [15, 5, 4, 32, 20]


def test_the_same_cut_list_gives_the_same_files(
        published: tuple[Path, list[tuple[Path, Manifest]]]) -> None:
    _, [(first_out, first), (second_out, second)] = published
    assert first_out != second_out

    def hashes(m: Manifest) -> list[tuple[str, str]]:
        return [(c.media.sha256, c.thumbnail.sha256) for c in m.cuts if c.media and c.thumbnail]

    assert len(hashes(first)) == 5 and hashes(first) == hashes(second)
    assert first.outputs.edl == second.outputs.edl and first.outputs.csv == second.outputs.csv


# --- platecut split --cut-list ------------------------------------------------------------


def test_platecut_split_writes_a_cut_list(plates: PlateMaker, tmp_path: Path) -> None:
    plate, _ = plates(PLATE, SPEC)
    listed = write_list(tmp_path, CORRECTED)
    result = platecut("split", str(plate), "-o", str(tmp_path / "out"), "--cut-list", str(listed),
                      "--no-split", "--json", PLATECUT_OCR_DET_DIR="/nonexistent/platecut-det")
    assert result.returncode == 0, result.stderr
    m = Manifest.model_validate_json(result.stdout)
    assert m.split.cut_list_version == 3 and m.burnin is None
    assert [(c.name, c.first_frame, c.last_frame, c.boundary_in, c.detected_by)
            for c in m.cuts] == EXPECTED


@pytest.mark.parametrize(("data", "words"), [
    (cut_list((0, "sh010"), (20, "sh020"), (15, "sh030")),
     "cut 3 (sh030) starts at frame 15, not after cut 2 (sh020) at frame 20"),
    (cut_list((0, "sh010"), (76, "sh020")),
     "cut version 3: cut 2 (sh020) starts at frame 76, past the end of cut_list.mp4 (76 frames, 0-75)"),
    (cut_list((0, "sh010"), (5, "")), "cut 2 name: String should have at least 1 character"),
    (cut_list((0, "sh010"), (5, "sh010")), "cuts 1 and 2 are both named 'sh010'"),
    ('{"version": 3, "cuts": [{"first_frame": 0,', "not JSON"),
])
def test_a_bad_cut_list_is_bad_input_and_writes_nothing(plates: PlateMaker, tmp_path: Path,
                                                        data: dict[str, Any] | str,
                                                        words: str) -> None:
    plate, _ = plates(PLATE, SPEC)
    out = tmp_path / "out"
    result = platecut("split", str(plate), "-o", str(out), "--cut-list", str(write_list(tmp_path, data)))
    assert result.returncode == ExitCode.BAD_INPUT, result.stderr
    assert words in result.stderr and "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not out.exists() and not list(tmp_path.glob(".out*"))  # no folder, no staging left


def test_a_missing_cut_list_is_missing_input(plates: PlateMaker, tmp_path: Path) -> None:
    plate, _ = plates(PLATE, SPEC)
    result = platecut("split", str(plate), "-o", str(tmp_path / "out"), "--cut-list",
                      str(tmp_path / "nope.json"))
    assert result.returncode == ExitCode.NO_INPUT, result.stderr
    assert "nope.json: no such file" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()

