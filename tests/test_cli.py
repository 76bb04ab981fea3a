"""The platecut command as a user runs it: clear one-line errors, documented exit codes."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.errors import ExitCode
from jobs.manifest import Manifest
from jobs.synth import PlateSpec, ShotSpec
from tests.conftest import PlateMaker

SMALL = PlateSpec(shots=(ShotSpec("testsrc", 12), ShotSpec("mandel", 12)), width=160, height=90)
PRORES = PlateSpec(shots=(ShotSpec("testsrc", 12), ShotSpec("bars", 12)), width=160, height=90,
                   codec="prores")


def platecut(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("platecut")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "COLUMNS": "200"}, check=False)


def assert_user_error(result: subprocess.CompletedProcess[str], code: int, words: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.slow
def test_split_prints_the_cut_table_and_writes_everything(plates: PlateMaker, tmp_path: Path) -> None:
    plate, _ = plates("cli_small.mp4", SMALL)
    result = platecut("split", str(plate), "-o", str(tmp_path / "out"), "--no-ocr")
    assert result.returncode == 0, result.stderr
    assert "cli_small_001" in result.stdout and "cli_small_002" in result.stdout
    assert "12-23" in result.stdout  # the second cut's plate frames
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["cli_small.edl", "cli_small.otio", "contact_sheet.png", "cuts", "cuts.csv",
                     "manifest.json", "review", "thumbnails"]
    assert sorted(p.name for p in (tmp_path / "out" / "review").iterdir()) == [
        "proxy.mp4", "scores.json", "strip-0001.jpg"]
    assert not list(tmp_path.glob(".out.*"))  # no staging folder left behind


@pytest.mark.slow
def test_split_json_is_the_manifest(plates: PlateMaker, tmp_path: Path) -> None:
    plate, _ = plates("cli_small.mp4", SMALL)
    result = platecut("split", str(plate), "-o", str(tmp_path / "o"), "--json", "--no-split",
                      "--name-template", "SH{index:03d}0", "--no-ocr")
    assert result.returncode == 0, result.stderr
    manifest = Manifest.model_validate(json.loads(result.stdout))
    assert [c.name for c in manifest.cuts] == ["SH0010", "SH0020"]
    assert manifest == Manifest.from_json((tmp_path / "o" / "manifest.json").read_text())


def test_no_review_writes_no_review_folder(plates: PlateMaker, tmp_path: Path) -> None:
    plate, _ = plates("cli_small.mp4", SMALL)
    result = platecut("split", str(plate), "-o", str(tmp_path / "o"), "--json", "--no-split",
                      "--no-ocr", "--no-review")
    assert result.returncode == 0, result.stderr
    assert Manifest.model_validate(json.loads(result.stdout)).review is None
    assert not (tmp_path / "o" / "review").exists()
    assert "review" not in json.loads(result.stdout)["timings"]


def test_probe_table_and_json(plates: PlateMaker) -> None:
    plate, _ = plates("cli_prores.mov", PRORES)
    table = platecut("probe", str(plate))
    assert table.returncode == 0 and "prores" in table.stdout and "24/1" in table.stdout
    data = json.loads(platecut("probe", str(plate), "--json").stdout)
    assert data["frame_count"] == 24 and data["frame_rate"] == {"num": 24, "den": 1}


def test_missing_file(tmp_path: Path) -> None:
    assert_user_error(platecut("split", str(tmp_path / "nope.mov"), "-o", str(tmp_path / "o")),
                      ExitCode.NO_INPUT, "no such file")


def test_not_a_video(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mov"
    fake.write_text("this is not a movie\n")
    assert_user_error(platecut("probe", str(fake)), ExitCode.BAD_INPUT, "notes.mov")


def test_audio_only_file_is_not_a_video(tmp_path: Path) -> None:
    wav = tmp_path / "tone.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=0.2", str(wav)], check=True)
    assert_user_error(platecut("probe", str(wav)), ExitCode.BAD_INPUT, "no video stream")


def test_zero_frames(tmp_path: Path) -> None:
    one = tmp_path / "one.y4m"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=64x36", "-frames:v",
                    "1", str(one)], check=True)
    header = one.read_bytes().split(b"\n")[0] + b"\n"
    empty = tmp_path / "empty.y4m"
    empty.write_bytes(header)
    assert_user_error(platecut("probe", str(empty)), ExitCode.BAD_INPUT, "no video frames")


def test_truncated_movie_without_its_index(plates: PlateMaker, tmp_path: Path) -> None:
    plate, _ = plates("cli_prores.mov", PRORES)
    cut = tmp_path / "cut.mov"
    cut.write_bytes(plate.read_bytes()[: plate.stat().st_size // 2])
    assert_user_error(platecut("split", str(cut), "-o", str(tmp_path / "o")),
                      ExitCode.BAD_INPUT, "cut.mov")
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_truncated_movie_with_its_index_loses_nothing(plates: PlateMaker, tmp_path: Path) -> None:
    plate, _ = plates("cli_prores.mov", PRORES)
    faststart = tmp_path / "fs.mov"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(plate), "-c", "copy", "-movflags",
                    "+faststart", str(faststart)], check=True)
    data = faststart.read_bytes()
    truncated = tmp_path / "half.mov"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    result = platecut("split", str(truncated), "-o", str(tmp_path / "o"))
    assert_user_error(result, ExitCode.BAD_INPUT, "truncated or damaged")
    assert not (tmp_path / "o").exists()
    assert not list(tmp_path.glob(".o.*"))


def test_unsupported_codec(plates: PlateMaker, tmp_path: Path) -> None:
    plate, _ = plates("cli_small.mp4", SMALL)
    data = plate.read_bytes()
    at = data.find(b"avc1", data.find(b"stsd"))
    weird = tmp_path / "weird.mp4"
    weird.write_bytes(data[:at] + b"zzzz" + data[at + 4 :])
    assert_user_error(platecut("probe", str(weird)), ExitCode.BAD_INPUT, "unsupported video codec")


@pytest.mark.slow
def test_output_folder_not_empty(plates: PlateMaker, tmp_path: Path) -> None:
    plate, _ = plates("cli_small.mp4", SMALL)
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "keep.txt").write_text("mine")
    assert_user_error(platecut("split", str(plate), "-o", str(tmp_path / "o"), "--no-ocr"),
                      ExitCode.CANT_CREATE, "--overwrite")
    assert (tmp_path / "o" / "keep.txt").read_text() == "mine"


@pytest.mark.slow
def test_overwrite_replaces_the_whole_folder(plates: PlateMaker, tmp_path: Path) -> None:
    plate, _ = plates("cli_small.mp4", SMALL)
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "old.txt").write_text("old")
    result = platecut("split", str(plate), "-o", str(tmp_path / "o"), "--overwrite", "--no-split",
                      "--no-ocr")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "o" / "old.txt").exists()
    assert (tmp_path / "o" / "manifest.json").exists()


@pytest.mark.parametrize(("args", "words"), [
    (["--set", "cut_ratio=0.5"], "cut_ratio"),
    (["--set", "no_such_setting=1"], "no_such_setting"),
    (["--set", "window"], "NAME=VALUE"),
    (["--fps", "fast"], "not a frame rate"),
    (["--head-in", "-5"], "head-in"),
    (["--name-template", "{nope}"], "bad cut name template"),
    (["--name-template", "{index:zz}"], "bad cut name template"),
    (["--plate-kind", "film"], "plate-kind"),
    (["--head-handles", "-1"], "head-handles"),
    (["--tail-handles", "eight"], "tail-handles"),
])
def test_bad_options_are_usage_errors(plates: PlateMaker, tmp_path: Path, args: list[str],
                                      words: str) -> None:
    plate, _ = plates("cli_small.mp4", SMALL)
    result = platecut("split", str(plate), "-o", str(tmp_path / "o"), *args)
    assert result.returncode == ExitCode.USAGE
    assert words in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()


def test_unknown_codec_is_a_usage_error(plates: PlateMaker, tmp_path: Path) -> None:
    # a usage error (2), not bad input (65): in a cluster 65 would reject a good plate
    plate, _ = plates("cli_small.mp4", SMALL)
    result = platecut("split", str(plate), "-o", str(tmp_path / "o"), "--codec", "gif")
    assert result.returncode == ExitCode.USAGE, result.stderr
    assert "unknown output codec" in result.stderr and "Usage: platecut split" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "o").exists()


def test_copy_refused_for_long_gop(plates: PlateMaker, tmp_path: Path) -> None:
    plate, _ = plates("cli_small.mp4", SMALL)
    assert_user_error(platecut("split", str(plate), "-o", str(tmp_path / "o"), "--codec", "copy"),
                      ExitCode.BAD_INPUT, "long-GOP")


def test_missing_ffmpeg_is_an_environment_error(plates: PlateMaker, tmp_path: Path) -> None:
    plate, _ = plates("cli_small.mp4", SMALL)
    bare = tmp_path / "bin"
    bare.mkdir()
    exe = Path(sys.executable).with_name("platecut")
    env = {**os.environ, "PATH": str(bare)}
    result = subprocess.run([str(exe), "probe", str(plate)], capture_output=True, text=True,
                            env=env, check=False)
    assert result.returncode == ExitCode.ENVIRONMENT
    assert "ffprobe is not installed" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_sample_then_split_finds_the_known_cuts(tmp_path: Path) -> None:
    plate = tmp_path / "s.mp4"
    made = platecut("sample", str(plate))
    assert made.returncode == 0, made.stderr
    result = platecut("split", str(plate), "-o", str(tmp_path / "o"), "--json", "--no-split")
    starts = [c["first_frame"] for c in json.loads(result.stdout)["cuts"]]
    assert f"cuts start at {starts[1:]}" in made.stdout


@pytest.mark.slow
def test_a_sample_plate_is_the_same_for_the_same_seed(tmp_path: Path) -> None:
    # its "life", "cells" and noise pictures are random: a test plate must not change between
    # runs (a rare draw once misled the burn-in reader in CI and nowhere else)
    digests = []
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        plate = tmp_path / f"{name}.mp4"
        made = platecut("sample", str(plate), "--size", "160x90", "--seed", seed)
        assert made.returncode == 0, made.stderr
        digests.append(hashlib.sha256(plate.read_bytes()).hexdigest())
    assert digests[0] == digests[1] != digests[2]


@pytest.mark.slow
def test_the_job_only_demo_runs_from_a_fresh_folder(tmp_path: Path) -> None:
    # the whole flow through the API (`platecut demo`) is tests/test_e2e_embedded.py
    result = platecut("demo", "--job-only", "--out", str(tmp_path / "demo"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "SH040_0020_2" in result.stdout  # the restarted take only the burn-ins show
    assert (tmp_path / "demo" / "contact_sheet.png").exists()
    shutil.rmtree(tmp_path / "demo")


@pytest.mark.slow
def test_site_settings_come_from_the_environment(plates: PlateMaker, tmp_path: Path) -> None:
    plate, _ = plates("cli_small.mp4", SMALL)
    exe = Path(sys.executable).with_name("platecut")
    env = {**os.environ, "PLATECUT_NAME_TEMPLATE": "X{index:02d}", "PLATECUT_HEAD_IN": "101",
           "PLATECUT_BURNIN_REGIONS": "0,0,1,0.1 0,0.9,1,0.1"}
    result = subprocess.run([str(exe), "split", str(plate), "-o", str(tmp_path / "o"), "--json",
                             "--no-split"], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    m = json.loads(result.stdout)
    assert [(c["name"], c["head_in"]) for c in m["cuts"]] == [("X01", 101), ("X02", 101)]
    assert m["burnin"]["regions"] == ["0.000,0.000,1.000,0.100", "0.000,0.900,1.000,0.100"]


def test_bad_region_is_a_usage_error(plates: PlateMaker, tmp_path: Path) -> None:
    plate, _ = plates("cli_small.mp4", SMALL)
    result = platecut("split", str(plate), "-o", str(tmp_path / "o"), "--burnin-region", "0,0,2")
    assert result.returncode == ExitCode.USAGE and "not a region" in result.stderr


def test_plate_kind_and_handles_go_into_the_manifest(plates: PlateMaker, tmp_path: Path) -> None:
    plate, _ = plates("cli_small.mp4", SMALL)  # two shots of 12 frames
    result = platecut("split", str(plate), "-o", str(tmp_path / "o"), "--json", "--no-split",
                      "--no-ocr", "--plate-kind", "scan", "--head-handles", "2", "--tail-handles", "3")
    assert result.returncode == 0, result.stderr
    m = json.loads(result.stdout)
    assert m["schema_version"] == 2
    assert {k: m["split"][k] for k in ("plate_kind", "head_in", "head_handles", "tail_handles")} == {
        "plate_kind": "scan", "head_in": 1001, "head_handles": 2, "tail_handles": 3}
    # each 12-frame segment: 2 handles, a 7-frame cut, 3 handles, numbered from head_in
    assert [[c[k] for k in ("first_frame", "head_in", "cut_in", "cut_out", "tail_out", "media_in",
                            "media_out", "cut_duration", "working_duration")] for c in m["cuts"]] == [
        [0, 1001, 1003, 1009, 1012, 1001, 1012, 7, 12], [12, 1001, 1003, 1009, 1012, 1001, 1012, 7, 12]]
    with (tmp_path / "o" / "cuts.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["cut_in"], r["cut_out"], r["tail_out"]) for r in rows] == [("1003", "1009", "1012")] * 2


def test_handles_come_from_the_site_environment(plates: PlateMaker, tmp_path: Path) -> None:
    plate, _ = plates("cli_small.mp4", SMALL)
    env = {**os.environ, "PLATECUT_HEAD_HANDLES": "12", "PLATECUT_TAIL_HANDLES": "4"}
    exe = Path(sys.executable).with_name("platecut")
    result = subprocess.run([str(exe), "split", str(plate), "-o", str(tmp_path / "o"), "--json",
                             "--no-split", "--no-ocr"], capture_output=True, text=True, env=env,
                            check=False)
    assert result.returncode == 0, result.stderr
    m = json.loads(result.stdout)
    assert (m["split"]["plate_kind"], m["split"]["head_handles"], m["split"]["tail_handles"]) == (
        "reference", 12, 4)
    # a reference plate: the 12 frames are the cut, numbered from cut_in = 1001 + 12
    assert [(c["cut_in"], c["cut_out"], c["tail_out"], c["media_in"]) for c in m["cuts"]] == [
        (1013, 1024, 1028, 1013)] * 2
