"""``platecut job run``, the per-plate Job: S3 (moto on loopback) and local folders, end to end."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click
import pytest

from jobs.errors import BadInputError, ExitCode, InputMissingError, OutputError, TransientError
from jobs.manifest import MANIFEST_NAME, Manifest
from jobs.remote.download import Expected, download
from jobs.remote.progress import LogProgress, Meter
from jobs.remote.scratch import OWNER, sweep_stale, work_folder
from jobs.remote.store import LocalStore, content_type
from jobs.remote.termination import LIMIT, fit, write_termination_log
from jobs.remote.upload import upload_outputs
from jobs.remote.uri import ObjectUri, parse_uri
from jobs.synth import PlateSpec, ShotSpec
from jobs.synth_suite import BURNIN_SUITE, file_name
from tests.conftest import PlateMaker

if TYPE_CHECKING:
    from tests.job_fixtures import S3Server

pytest_plugins = ["tests.job_fixtures"]

ROOT = Path(__file__).resolve().parents[1]
# a job killed (SIGKILL: the OOM killer, a reboot) while it works: its work folder stays behind
KILLED_JOB = """
import os, sys
from pathlib import Path
from jobs.remote.scratch import work_folder
with work_folder(Path(sys.argv[1]), "p-dead") as work:
    (work / "plate").mkdir()
    (work / "plate" / "plate.mov").write_bytes(b"downloaded")
    print(work, flush=True)
    os.kill(os.getpid(), 9)
"""
SMALL = PlateSpec(shots=(ShotSpec("testsrc", 12), ShotSpec("mandel", 12)), width=160, height=90)
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ [a-z]+: \S")


def job_run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("platecut")
    return subprocess.run([str(exe), "job", "run", "--plate-id", "p-1", *args], capture_output=True,
                          text=True, env=env or {**os.environ, "COLUMNS": "200"}, check=False)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def small_in_s3(plates: PlateMaker, s3_server: S3Server, bucket: str) -> tuple[str, Path, bytes]:
    """The small plate as ``s3://bucket/plates/job_small.mp4``: (uri, local path, bytes)."""
    path, _ = plates("job_small.mp4", SMALL)
    s3_server.client().upload_file(str(path), bucket, "plates/job_small.mp4")
    return f"s3://{bucket}/plates/job_small.mp4", path, path.read_bytes()


def expected_outputs(m: Manifest) -> set[str]:
    files = {c.media.path for c in m.cuts if c.media} | {c.thumbnail.path for c in m.cuts if c.thumbnail}
    outputs = [m.outputs.contact_sheet, m.outputs.edl, m.outputs.otio, m.outputs.csv]
    review = [m.review.proxy, m.review.scores, *m.review.strips] if m.review else []
    return files | {o.path for o in [*outputs, *review] if o} | {MANIFEST_NAME}


# --- end to end, S3 ----------------------------------------------------------------------------

@pytest.mark.slow
def test_s3_job_uploads_every_output_then_the_manifest(small_in_s3: tuple[str, Path, bytes],
                                                      s3_server: S3Server, bucket: str,
                                                      tmp_path: Path) -> None:
    source, _, data = small_in_s3
    prefix, term, scratch = "outputs/p-1/attempt-1", tmp_path / "term", tmp_path / "scratch"
    result = job_run("--source", source, "--output", f"s3://{bucket}/{prefix}", "--sha256", sha256(data),
                     "--size", str(len(data)), "--no-ocr", "--scratch", str(scratch),
                     env=s3_server.env(PLATECUT_TERMINATION_LOG=str(term)))
    assert result.returncode == 0, result.stderr
    client = s3_server.client()
    m = Manifest.from_json(client.get_object(Bucket=bucket, Key=f"{prefix}/{MANIFEST_NAME}")["Body"].read())
    assert [(c.first_frame, c.last_frame) for c in m.cuts] == [(0, 11), (12, 23)]
    assert m.plate_name == "job_small" and m.plate.source == "job_small.mp4"
    assert s3_server.keys(bucket, prefix + "/") == {f"{prefix}/{p}" for p in expected_outputs(m)}
    media = m.cuts[1].media
    assert media is not None
    body = client.get_object(Bucket=bucket, Key=f"{prefix}/{media.path}")
    assert sha256(body["Body"].read()) == media.sha256
    assert body["ContentType"] == content_type(media.path) == "video/quicktime"
    head = client.head_object(Bucket=bucket, Key=f"{prefix}/{MANIFEST_NAME}")
    assert head["ContentType"] == "application/json"
    assert m.review is not None and len(m.review.strips) == 1  # review/ went up too
    proxy = client.head_object(Bucket=bucket, Key=f"{prefix}/{m.review.proxy.path}")
    assert proxy["ContentType"] == "video/mp4" and proxy["ContentLength"] == m.review.proxy.size_bytes
    assert re.fullmatch(r"ok: 2 cuts, 24 frames, \d+\.\d s\n", term.read_text())
    assert not list(scratch.iterdir())  # the work folder is gone
    lines = result.stderr.splitlines()
    assert all(LOG_LINE.match(line) for line in lines), result.stderr
    for stage in ("download: done", "detect: started", "split: finished 2/2", "upload: done",
                  "done: ok: 2 cuts"):
        assert any(stage in line for line in lines), stage


@pytest.mark.slow
def test_s3_job_writes_the_cuts_of_a_cut_list(small_in_s3: tuple[str, Path, bytes], s3_server: S3Server,
                                              bucket: str, tmp_path: Path) -> None:
    source, _, data = small_in_s3  # two shots of 12 frames: an editor split the first at 5
    listed = {"schema_version": 1, "version": 2, "cuts": [
        {"first_frame": 0, "name": "sh010", "detected_by": "picture"}, {"first_frame": 5, "name": "sh015"},
        {"first_frame": 12, "name": "sh020", "detected_by": "picture"}]}
    client = s3_server.client()
    client.put_object(Bucket=bucket, Key="cut-lists/p-1/v2.json", Body=json.dumps(listed).encode())
    prefix, term, scratch = "outputs/p-1/v2", tmp_path / "term", tmp_path / "scratch"
    result = job_run("--source", source, "--output", f"s3://{bucket}/{prefix}", "--sha256", sha256(data),
                     "--size", str(len(data)), "--cut-list", f"s3://{bucket}/cut-lists/p-1/v2.json",
                     "--scratch", str(scratch),  # OCR is on, with models that are not there
                     env=s3_server.env(PLATECUT_TERMINATION_LOG=str(term),
                                       PLATECUT_OCR_DET_DIR=str(tmp_path / "no-models")))
    assert result.returncode == 0, result.stderr
    m = Manifest.from_json(client.get_object(Bucket=bucket, Key=f"{prefix}/{MANIFEST_NAME}")["Body"].read())
    assert [(c.name, c.first_frame, c.last_frame, c.detected_by) for c in m.cuts] == [
        ("sh010", 0, 4, "picture"), ("sh015", 5, 11, "editor"), ("sh020", 12, 23, "picture")]
    assert m.split.cut_list_version == 2 and m.burnin is None and not {"ocr", "ocr_load"} & set(m.timings)
    assert s3_server.keys(bucket, prefix + "/") == {f"{prefix}/{p}" for p in expected_outputs(m)}
    assert {c.media.frames for c in m.cuts if c.media} == {5, 7, 12}
    assert re.fullmatch(r"ok: 3 cuts, 24 frames, cut version 2, \d+\.\d s\n", term.read_text())
    assert any("cut version 2, 3 cuts" in line for line in result.stderr.splitlines())
    assert not list(scratch.iterdir())


@pytest.mark.parametrize(("body", "code", "words"), [
    (None, ExitCode.NO_INPUT, "cut-lists/v9.json: no such object"),
    (b'{"version": 9, "cuts": [{"first_frame": 0, "name": "a"}, {"first_frame": 0, "name": "b"}]}',
     ExitCode.BAD_INPUT, "cut list s3://{bucket}/cut-lists/v9.json: cut 2 (b) starts at frame 0, not after"),
], ids=["missing", "invalid"])
def test_a_bad_cut_list_fails_the_job_before_the_plate_comes(
        small_in_s3: tuple[str, Path, bytes], s3_server: S3Server, bucket: str, tmp_path: Path,
        body: bytes | None, code: int, words: str) -> None:
    source, _, _ = small_in_s3
    if body is not None:
        s3_server.client().put_object(Bucket=bucket, Key="cut-lists/v9.json", Body=body)
    term = tmp_path / "term"
    result = job_run("--source", source, "--output", f"s3://{bucket}/out", "--no-ocr",
                     "--cut-list", f"s3://{bucket}/cut-lists/v9.json",
                     env=s3_server.env(PLATECUT_TERMINATION_LOG=str(term)))
    assert result.returncode == code, result.stderr
    line = term.read_text()
    assert line.startswith(f"error {int(code)}: ") and words.format(bucket=bucket) in line
    assert "Traceback" not in result.stderr and "job_small.mp4 (" not in result.stderr  # never downloaded
    assert s3_server.keys(bucket, "out") == set()


@pytest.mark.parametrize(("flag", "words"), [("--sha256", "SHA-256 is"), ("--size", "bytes, expected")])
def test_a_different_plate_is_bad_input(small_in_s3: tuple[str, Path, bytes], s3_server: S3Server,
                                        bucket: str, tmp_path: Path, flag: str, words: str) -> None:
    source, _, data = small_in_s3
    value = sha256(data + b"x") if flag == "--sha256" else str(len(data) + 1)
    term = tmp_path / "term"
    result = job_run("--source", source, "--output", f"s3://{bucket}/out", flag, value, "--no-ocr",
                     env=s3_server.env(PLATECUT_TERMINATION_LOG=str(term)))
    assert result.returncode == ExitCode.BAD_INPUT, result.stderr
    assert term.read_text().startswith("error 65: ") and words in term.read_text()
    assert "Traceback" not in result.stderr and "platecut: error:" in result.stderr
    assert s3_server.keys(bucket, "out") == set()  # no manifest, nothing at all


def test_a_plate_that_is_not_a_movie_is_rejected_without_server_paths(s3_server: S3Server, bucket: str,
                                                                       tmp_path: Path) -> None:
    data = b"this is a text file, not a movie\n" * 100
    s3_server.client().put_object(Bucket=bucket, Key="plates/notes.mov", Body=data)
    term, scratch = tmp_path / "term", tmp_path / "scratch"
    result = job_run("--source", f"s3://{bucket}/plates/notes.mov", "--output", f"s3://{bucket}/out",
                     "--sha256", sha256(data), "--scratch", str(scratch), "--no-ocr",
                     env=s3_server.env(PLATECUT_TERMINATION_LOG=str(term)))
    assert result.returncode == ExitCode.BAD_INPUT, result.stderr
    line = term.read_text()
    assert line.startswith("error 65: ") and "notes.mov" in line
    assert str(scratch) not in line and "platecut-job" not in line and str(tmp_path) not in line


@pytest.mark.parametrize("where", ["key", "bucket"])
def test_a_missing_plate_is_no_input(s3_server: S3Server, bucket: str, tmp_path: Path,
                                     where: str) -> None:
    source = f"s3://{bucket}/plates/nope.mov" if where == "key" else "s3://no-such-bucket/a.mov"
    term = tmp_path / "term"
    result = job_run("--source", source, "--output", f"s3://{bucket}/out", "--no-ocr",
                     env=s3_server.env(PLATECUT_TERMINATION_LOG=str(term)))
    assert result.returncode == ExitCode.NO_INPUT, result.stderr
    assert term.read_text().startswith("error 66: ") and "no such object" in term.read_text()


def test_an_unreachable_store_is_transient(s3_server: S3Server, tmp_path: Path) -> None:
    from tests.job_fixtures import closed_port

    term = tmp_path / "term"
    env = s3_server.env(PLATECUT_S3_ENDPOINT=f"http://127.0.0.1:{closed_port()}", AWS_MAX_ATTEMPTS="1",
                        PLATECUT_TERMINATION_LOG=str(term))
    result = job_run("--source", "s3://b/p.mov", "--output", "s3://b/out", "--no-ocr", env=env)
    assert result.returncode == ExitCode.TRANSIENT, result.stderr
    assert term.read_text().startswith("error 75: ")


def test_a_missing_output_bucket_fails_before_the_download(small_in_s3: tuple[str, Path, bytes],
                                                           s3_server: S3Server, tmp_path: Path) -> None:
    source, _, _ = small_in_s3
    term = tmp_path / "term"
    result = job_run("--source", source, "--output", "s3://no-such-output/out", "--no-ocr",
                     env=s3_server.env(PLATECUT_TERMINATION_LOG=str(term)))
    assert result.returncode == ExitCode.CANT_CREATE, result.stderr
    assert "the bucket does not exist" in term.read_text()
    assert "download" not in result.stderr


def test_usage_mistakes_exit_2_with_one_line(tmp_path: Path) -> None:
    term = tmp_path / "term"
    env = {**os.environ, "PLATECUT_TERMINATION_LOG": str(term)}
    bad_scheme = job_run("--source", "http://example.com/p.mov", "--output", str(tmp_path), env=env)
    assert bad_scheme.returncode == ExitCode.USAGE and "Traceback" not in bad_scheme.stderr
    assert term.read_text().startswith("error 2: ") and "s3://bucket/key" in term.read_text()
    bad_digest = job_run("--source", "p.mov", "--output", str(tmp_path), "--sha256", "abc", env=env)
    assert bad_digest.returncode == ExitCode.USAGE and "64 hex digits" in bad_digest.stderr


@pytest.mark.parametrize(("flag", "value", "words"), [("--codec", "gif", "unknown output codec"),
                                                      ("--name-template", "{nope}", "bad cut name template")])
def test_a_bad_codec_or_name_template_is_a_usage_error(tmp_path: Path, flag: str, value: str,
                                                       words: str) -> None:
    # exit 2 fails the Job; 65 would reject the plate. Found before the plate is fetched.
    term, out = tmp_path / "term", tmp_path / "o"
    result = job_run("--source", str(tmp_path / "p.mov"), "--output", str(out), "--termination-log",
                     str(term), flag, value)
    assert result.returncode == ExitCode.USAGE and words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "Usage: platecut job run" in result.stderr
    assert term.read_text().startswith("error 2: ") and words in term.read_text()
    assert not out.exists()


@pytest.mark.parametrize(("flag", "value"), [("--plate-kind", "film"), ("--head-handles", "-8")])
def test_a_bad_plate_kind_or_handles_is_a_usage_error(tmp_path: Path, flag: str, value: str) -> None:
    result = job_run("--source", str(tmp_path / "p.mov"), "--output", str(tmp_path / "o"), flag, value)
    assert result.returncode == ExitCode.USAGE and flag in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "o").exists()


def test_the_job_numbers_a_scan_as_asked(plates: PlateMaker, tmp_path: Path) -> None:
    plate, _ = plates("job_small.mp4", SMALL)  # two shots of 12 frames
    out = tmp_path / "outputs"
    result = job_run("--source", str(plate), "--output", str(out), "--no-ocr", "--plate-kind", "scan",
                     "--head-handles", "4", "--tail-handles", "4", "--no-review", "--termination-log",
                     str(tmp_path / "term"), "--scratch", str(tmp_path / "scratch"))
    assert result.returncode == 0, result.stderr
    m = Manifest.from_json((out / MANIFEST_NAME).read_text())
    assert m.review is None and not (out / "review").exists()
    assert (m.split.plate_kind, m.split.head_handles, m.split.tail_handles) == ("scan", 4, 4)
    assert [(c.media_in, c.cut_in, c.cut_out, c.tail_out) for c in m.cuts] == [(1001, 1005, 1008, 1012)] * 2


# --- end to end, local folders (the single-machine launcher), with burn-ins --------------------

@pytest.mark.slow
def test_local_folders_with_burn_ins(plates: PlateMaker, tmp_path: Path) -> None:
    spec = BURNIN_SUITE["bi_basic"]
    plate, truth = plates(file_name("bi_basic", spec), spec)
    out, term = tmp_path / "site" / "outputs", tmp_path / "term"
    result = job_run("--source", plate.as_uri(), "--output", str(out), "--termination-log", str(term),
                     "--scratch", str(tmp_path / "scratch"))
    assert result.returncode == 0, result.stderr
    m = Manifest.from_json((out / MANIFEST_NAME).read_text())
    assert [c.name for c in m.cuts] == ["SH010_0010", "SH010_0020", "EP01_S023_C012"]
    assert [c.first_frame for c in m.cuts] == [0, *truth.cut_starts]
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert files == expected_outputs(m)  # no hidden temporary files left
    assert re.fullmatch(r"ok: 3 cuts, 90 frames, names from burn-ins 3/3, \d+\.\d s\n", term.read_text())


def test_a_local_folder_is_not_a_plate(tmp_path: Path) -> None:
    result = job_run("--source", str(tmp_path), "--output", str(tmp_path / "o"), "--no-ocr",
                     "--termination-log", str(tmp_path / "term"))
    assert result.returncode == ExitCode.BAD_INPUT and "image sequences" in result.stderr


# --- scratch: the work folders of killed jobs --------------------------------------------------

def killed_job_folder(root: Path) -> Path:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    killed = subprocess.run([sys.executable, "-c", KILLED_JOB, str(root)], capture_output=True, text=True,
                            env=env, check=False, timeout=60)
    assert killed.returncode == -9, killed.stderr
    folder = Path(killed.stdout.strip())
    assert (folder / "plate" / "plate.mov").is_file()
    return folder


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_the_next_job_removes_the_work_folder_of_a_killed_one(tmp_path: Path) -> None:
    root = tmp_path / "scratch"
    dead, recent = killed_job_folder(root), killed_job_folder(root)
    age(dead / OWNER, 7200)  # killed two hours ago; ``recent`` a moment ago: kept a while
    legacy = root / "platecut-job-p-old-abc123"  # an older version's: no owner file, left alone
    legacy.mkdir()
    age(legacy, 7200)
    (root / "not-a-job").mkdir()
    result = job_run("--source", str(tmp_path / "missing.mov"), "--output", str(tmp_path / "o"),
                     "--no-ocr", "--scratch", str(root), "--termination-log", str(tmp_path / "term"))
    assert result.returncode == ExitCode.NO_INPUT, result.stderr
    assert f"scratch: removed {dead.name}, left by a job that was killed" in result.stderr
    assert sorted(root.iterdir()) == sorted([recent, legacy, root / "not-a-job"])  # its own one gone too


def test_a_running_jobs_work_folder_is_never_removed(tmp_path: Path) -> None:
    with work_folder(tmp_path, "p-live") as live:
        age(live / OWNER, 7200)
        assert sweep_stale(tmp_path, 3600) == [] and live.is_dir()
    assert not live.exists()
    dead = killed_job_folder(tmp_path)
    age(dead / OWNER, 7200)
    assert sweep_stale(tmp_path, 3600) == [dead] and sweep_stale(tmp_path, 3600) == []
    assert list(tmp_path.iterdir()) == []


# --- the parts ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "uri"), [
    ("s3://bkt/plates/A001.mov", ObjectUri("s3", "bkt", "plates/A001.mov")),
    ("s3://bkt", ObjectUri("s3", "bkt", "")),
    ("file:///data/plates/A%20001.mov", ObjectUri("file", "", "/data/plates/A 001.mov")),
    ("/data/out/", ObjectUri("file", "", "/data/out")),
])
def test_parse_uri(text: str, uri: ObjectUri) -> None:
    assert parse_uri(text) == uri


def test_parse_uri_rejects_other_places() -> None:
    for text in ("http://x/y.mov", "s3:///key", "file://host/p.mov", ""):
        with pytest.raises(ValueError):
            parse_uri(text)
    assert parse_uri("rel/p.mov") == ObjectUri("file", "", os.path.abspath("rel/p.mov"))
    assert parse_uri("s3://b/pre/").child("cuts/a.mov").key == "pre/cuts/a.mov"
    assert parse_uri("s3://b").child("manifest.json").key == "manifest.json"
    assert parse_uri("/o").child("cuts/a.mov") == ObjectUri("file", "", "/o/cuts/a.mov")


class RecordingStore(LocalStore):
    """The local store, recording the order of what it stores, failing at ``fail_at``."""

    def __init__(self, fail_at: str | None = None) -> None:
        self.stored: list[str] = []
        self.fail_at = fail_at

    def put_file(self, path: Path, key: str, content_type: str, advance: object) -> None:
        if key.endswith(self.fail_at or "\0"):
            raise TransientError(f"{key}: connection reset")
        super().put_file(path, key, content_type, lambda n: None)
        self.stored.append(Path(key).name)


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    for name in ("cuts/a_001.mov", "cuts/a_002.mov", "thumbnails/a_001.jpg", "a.edl", MANIFEST_NAME,
                 "zzz.csv"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(name.encode())
    return folder


def test_the_manifest_goes_up_last(outputs: Path, tmp_path: Path) -> None:
    store = RecordingStore()
    upload_outputs(store, ObjectUri("file", "", str(tmp_path / "dest")), outputs, lambda s, m: None)
    assert store.stored[-1] == MANIFEST_NAME and len(store.stored) == 6
    assert (tmp_path / "dest" / "cuts" / "a_002.mov").read_bytes() == b"cuts/a_002.mov"


def test_no_manifest_after_a_failed_upload(outputs: Path, tmp_path: Path) -> None:
    store = RecordingStore(fail_at="thumbnails/a_001.jpg")
    with pytest.raises(TransientError):
        upload_outputs(store, ObjectUri("file", "", str(tmp_path / "dest")), outputs, lambda s, m: None)
    assert MANIFEST_NAME not in store.stored and not (tmp_path / "dest" / MANIFEST_NAME).exists()


def test_local_store_writes_whole_files_or_says_why(tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(b"x" * 3_000_000)
    moved: list[int] = []
    LocalStore().put_file(src, str(tmp_path / "d" / "e" / "f.bin"), "x", moved.append)
    assert sum(moved) == 3_000_000 and os.listdir(tmp_path / "d" / "e") == ["f.bin"]
    with pytest.raises(OutputError):
        LocalStore().put_file(src, str(src / "under-a-file"), "x", moved.append)
    with pytest.raises(InputMissingError):
        LocalStore().size(str(tmp_path / "nope.mov"))


class FixedStore(LocalStore):
    """A store that says an object has ``size`` bytes and holds ``data``."""

    def __init__(self, size: int, data: bytes) -> None:
        self._size, self.data = size, data

    def size(self, key: str) -> int:
        return self._size

    def read(self, key: str, chunk_size: int) -> Iterator[bytes]:
        yield self.data


def test_download_checks_the_plate(tmp_path: Path) -> None:
    data, src = b"plate bytes", ObjectUri("s3", "b", "plates/A001.mov")

    def fetch(store: LocalStore, expected: Expected) -> Path:
        return download(store, src, tmp_path, expected, lambda s, m: None)

    assert fetch(FixedStore(len(data), data), Expected(len(data), sha256(data))).read_bytes() == data
    assert (tmp_path / "A001.mov").exists()
    with pytest.raises(BadInputError, match="SHA-256"):
        fetch(FixedStore(len(data), data), Expected(sha256=sha256(b"other")))
    with pytest.raises(BadInputError, match="expected 12"):
        fetch(FixedStore(len(data), data), Expected(size=12))
    with pytest.raises(TransientError, match="ended after"):
        fetch(FixedStore(len(data) + 5, data), Expected())
    with pytest.raises(BadInputError, match="not a plate file"):
        download(FixedStore(1, b"x"), ObjectUri("s3", "b", "plates/"), tmp_path, Expected(),
                 lambda s, m: None)


def test_s3_store_multipart_content_type_and_errors(s3_env: S3Server, bucket: str,
                                                    tmp_path: Path) -> None:
    from boto3.s3.transfer import TransferConfig

    from jobs.remote.s3 import S3Store, s3_client

    big = tmp_path / "big.mov"
    big.write_bytes(os.urandom(11 << 20))
    part = 5 << 20
    store = S3Store(bucket, s3_client(), TransferConfig(multipart_threshold=part, multipart_chunksize=part))
    moved: list[int] = []
    store.put_file(big, "o/cuts/big.mov", "video/quicktime", moved.append)
    head = s3_env.client().head_object(Bucket=bucket, Key="o/cuts/big.mov")
    assert head["ETag"].strip('"').endswith("-3") and head["ContentType"] == "video/quicktime"
    assert sum(moved) == big.stat().st_size == store.size("o/cuts/big.mov")
    assert sha256(b"".join(store.read("o/cuts/big.mov", 1 << 20))) == sha256(big.read_bytes())
    with pytest.raises(InputMissingError):
        store.size("o/nope.mov")
    with pytest.raises(InputMissingError):
        list(store.read("o/nope.mov", 1024))
    with pytest.raises(OutputError, match="bucket does not exist"):
        S3Store("no-such-bucket", s3_client()).check_output("o")


def test_s3_store_unreachable_is_transient(s3_env: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    from jobs.remote.s3 import S3Store, s3_client
    from tests.job_fixtures import closed_port

    monkeypatch.setenv("PLATECUT_S3_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(TransientError, match="s3://b/k"):
        S3Store("b", s3_client()).size("k")


def test_termination_log_fits_and_never_fails(tmp_path: Path) -> None:
    long = "error 65: " + "é" * 5000 + "\nsecond line"
    assert len(fit(long).encode()) < LIMIT and "\n" not in fit(long) and fit(long).endswith("...")
    assert fit("error 66: a\n  b") == "error 66: a b"
    write_termination_log(str(tmp_path / "no" / "such" / "dir"), "ok")  # ignored
    write_termination_log(str(tmp_path / "t"), long)
    assert len((tmp_path / "t").read_bytes()) <= LIMIT


def test_log_lines_for_bytes_and_stages() -> None:
    lines: list[tuple[str, str]] = []
    meter = Meter(lambda s, m: lines.append((s, m)), "download", 100 << 20)
    for _ in range(100):
        meter.advance(1 << 20)
    meter.finish()
    assert [m.split(" ")[0] for _, m in lines[:-1]] == [f"{x * 10.486:.1f}/104.9" for x in range(1, 10)]
    assert lines[-1][1].startswith("done: 104.9 MB in ")
    lines.clear()
    progress = LogProgress(lambda s, m: lines.append((s, m)))
    progress.stage("detect", 1000)(300)
    progress.stage("split", 2)(2)
    progress.close()
    assert [s for s, _ in lines] == ["detect", "detect", "detect", "split", "split"]
    assert lines[2][1].startswith("finished 300/1,000 in ") and lines[4][1].startswith("finished 2/2 ")


def test_content_types() -> None:
    assert content_type("cuts/A.MOV") == "video/quicktime"
    assert content_type("x.otio") == "application/json" and content_type("cuts.csv") == "text/csv"
    assert content_type("thumbnails/a.jpg") == "image/jpeg" and content_type("x.zzz") == (
        "application/octet-stream")


def test_the_job_takes_the_split_options_of_platecut_split() -> None:
    from jobs.cli import cli

    def options(name: str) -> dict[str, tuple[object, ...]]:
        command = cli.commands[name] if name == "split" else cli.commands["job"].commands["run"]  # type: ignore[attr-defined]
        return {p.name or "": (p.opts, p.default, p.envvar, p.multiple, repr(p.type),
                               getattr(p, "help", None)) for p in command.params
                if isinstance(p, click.Option)}

    split, job = options("split"), options("run")
    # --cut-list is a file for platecut split, a location (s3://, file://) for the job; --fps and
    # --sequence-files are an image sequence's, which the job does not take
    shared = set(split) - {"fps", "sequence_files", "overwrite", "as_json", "out_dir", "cut_list"}
    assert "cut_list" in job
    assert shared <= set(job) and {k: split[k] for k in shared} == {k: job[k] for k in shared}


def test_the_cli_does_not_load_the_job_until_it_runs() -> None:
    code = ("import sys, jobs.cli; "
            "print(sorted({'boto3', 'jobs.remote.run', 'jobs.pipeline'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
