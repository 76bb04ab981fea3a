"""``platecut upload`` / ``plates`` / ``cuts`` against the embedded server, over real HTTP."""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.client.resume import ResumeState
from api.local_server import PLATECUT, free_port, serving, wait_ready
from jobs.errors import ExitCode

MiB = 1024 * 1024


@dataclass
class Server:
    url: str
    env: dict[str, str]
    token: str

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([PLATECUT, *args], capture_output=True, text=True, timeout=300,
                              env={**self.env, **env})

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + "/api/v1" + path, timeout=30,
                         headers={"Authorization": f"Bearer {self.token}"})


@pytest.fixture(scope="session")  # not module: under xdist the slow tests run first, apart from the rest
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``platecut serve`` on the embedded default (SQLite, disk storage), 5 MiB parts."""
    root = tmp_path_factory.mktemp("embedded")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PLATECUT_DATA_DIR": str(root / "data"), "PLATECUT_PUBLIC_URL": url,
           "PLATECUT_MIN_PART_SIZE": str(5 * MiB), "PLATECUT_SINGLE_PUT_MAX": str(8 * MiB),
           "PLATECUT_LOG_JSON": "false", "PLATECUT_UPLOAD_STATE": str(root / "uploads.json"),
           "PLATECUT_API": url, "PLATECUT_LAUNCHER": "none"}  # plates stop at "uploaded": no split jobs
    env.pop("PLATECUT_TOKEN", None)
    made = subprocess.run([PLATECUT, "token", "create", "--site", "studio", "--project", "show"],
                          capture_output=True, text=True, env=env, check=True)
    token = made.stdout.strip().splitlines()[-1].split()[-1]
    with serving(env, port=port):
        yield Server(url, {**env, "PLATECUT_TOKEN": token}, token)


def _random_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as out:
        left = size
        while left:
            chunk = os.urandom(min(left, 8 * MiB))
            out.write(chunk)
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def _download_sha256(url: str) -> str:
    digest = hashlib.sha256()
    with httpx.stream("GET", url, timeout=120) as response:
        assert response.status_code == 200
        for chunk in response.iter_bytes():
            digest.update(chunk)
    return digest.hexdigest()


@pytest.mark.slow
def test_a_200_mb_plate_goes_up_in_parts_and_comes_back_identical(server: Server,
                                                                     tmp_path: Path) -> None:
    plate = tmp_path / "A001C003_220314.mov"
    sha = _random_file(plate, 200 * MiB)
    done = server.run("upload", str(plate), "--project", "show", "--workers", "4")
    assert done.returncode == 0, done.stderr
    plate_id = done.stdout.strip().splitlines()[-1]
    record = server.get(f"/plates/{plate_id}").json()
    assert (record["state"], record["size"], record["sha256"]) == ("uploaded", 200 * MiB, sha)
    link = server.get(f"/plates/{plate_id}/source?redirect=false").json()["url"]
    assert _download_sha256(link) == sha


def _stored_parts(server: Server, name: str) -> int:
    page = server.get("/plates?state=awaiting_upload").json()
    ids = [p["id"] for p in page["items"] if p["name"] == name]
    return len(server.get(f"/plates/{ids[0]}/upload").json()["uploaded_parts"]) if ids else 0


@pytest.mark.slow
def test_an_interrupted_upload_resumes_where_it_stopped(server: Server, tmp_path: Path) -> None:
    plate = tmp_path / "B002C001.mov"
    sha = _random_file(plate, 150 * MiB)  # thirty 5 MiB parts
    first = subprocess.Popen([PLATECUT, "upload", str(plate), "--project", "show", "--workers", "1",
                              "--no-checksum"], env=server.env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    while first.poll() is None and _stored_parts(server, plate.name) < 3:
        time.sleep(0.02)
    first.kill()  # the network went away, the laptop slept...
    first.wait()
    held = _stored_parts(server, plate.name)
    assert 3 <= held < 30
    listed = server.run("plates", "--project", "show", "--state", "awaiting_upload")
    assert "B002C001.mov" in listed.stdout
    again = server.run("upload", str(plate), "--project", "show", "--no-checksum")
    assert again.returncode == 0, again.stderr
    assert "resumed" in again.stdout
    plate_id = again.stdout.strip().splitlines()[-1]
    assert server.get(f"/plates/{plate_id}").json()["state"] == "uploaded"
    link = server.get(f"/plates/{plate_id}/source?redirect=false").json()["url"]
    assert _download_sha256(link) == sha


def test_small_plate_single_put_and_tables(server: Server, tmp_path: Path) -> None:
    plate = tmp_path / "C003.mp4"
    _random_file(plate, 3 * MiB)
    done = server.run("upload", str(plate), "--project", "show", "--no-checksum")
    assert done.returncode == 0, done.stderr
    plate_id = done.stdout.strip().splitlines()[-1]
    table = server.run("plates", "--project", "show")
    assert plate_id in table.stdout and "uploaded" in table.stdout
    cuts = server.run("cuts", plate_id)
    assert cuts.returncode == 0 and f"cuts of {plate_id}" in cuts.stdout


def test_a_single_put_whose_answer_was_lost_is_completed_on_the_next_run(server: Server,
                                                                         tmp_path: Path) -> None:
    plate = tmp_path / "D004.mov"
    _random_file(plate, 2 * MiB)
    headers = {"Authorization": f"Bearer {server.token}"}
    created = httpx.post(server.url + "/api/v1/plates", headers=headers, timeout=30,
                         json={"name": plate.name, "project": "show", "size": plate.stat().st_size}).json()
    put = created["upload"]["put"]
    assert httpx.put(put["url"], headers=put["headers"], content=plate.read_bytes(),
                     timeout=30).status_code == 200  # stored; the client never heard back
    ResumeState(Path(server.env["PLATECUT_UPLOAD_STATE"])).put(server.url, plate, created["plate"]["id"])
    again = server.run("upload", str(plate), "--project", "show", "--no-checksum")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == created["plate"]["id"]
    assert server.get(f"/plates/{created['plate']['id']}").json()["state"] == "uploaded"


def test_user_mistakes_get_one_line_and_an_exit_code(server: Server, tmp_path: Path) -> None:
    plate = tmp_path / "D004.mov"
    _random_file(plate, MiB)
    bad_token = server.run("upload", str(plate), "--project", "show", PLATECUT_TOKEN="nope")
    assert bad_token.returncode == ExitCode.NO_PERMISSION
    assert "Traceback" not in bad_token.stderr
    unknown = server.run("cuts", "00000000-0000-0000-0000-000000000000")
    assert unknown.returncode == ExitCode.NO_INPUT
    foreign = server.run("upload", str(plate), "--project", "other-show")
    assert foreign.returncode in (ExitCode.BAD_INPUT, ExitCode.NO_INPUT)
    down = server.run("plates", PLATECUT_API="http://127.0.0.1:9")
    assert down.returncode == ExitCode.TRANSIENT and "cannot reach" in down.stderr


def _one_line_transient(result: subprocess.CompletedProcess[str], url: str) -> None:
    assert result.returncode == ExitCode.TRANSIENT, result.stderr
    message = result.stderr.strip()
    assert f"cannot reach {url}" in message and "\n" not in message, message
    assert "Traceback" not in message and "internal error" not in message


def test_an_api_that_is_not_listening_is_a_temporary_failure(server: Server, tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    plate = tmp_path / "E005.mov"
    _random_file(plate, 1000)
    for args in (("plates",), ("cuts", "00000000-0000-0000-0000-000000000000"),
                 ("upload", str(plate), "--project", "show", "--no-checksum")):
        _one_line_transient(server.run(*args, PLATECUT_API=closed), closed)


def test_storage_that_is_not_listening_is_a_temporary_failure(tmp_path: Path) -> None:
    """The API answers, but the signed URLs point at a port nobody listens on."""
    port, closed = free_port(), f"http://127.0.0.1:{free_port()}"
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PLATECUT_DATA_DIR": str(tmp_path / "data"), "PLATECUT_PUBLIC_URL": closed,
           "PLATECUT_LOG_JSON": "false", "PLATECUT_UPLOAD_STATE": str(tmp_path / "uploads.json"),
           "PLATECUT_API": url, "PLATECUT_LAUNCHER": "none"}
    made = subprocess.run([PLATECUT, "token", "create", "--site", "studio", "--project", "show"],
                          capture_output=True, text=True, env=env, check=True)
    env["PLATECUT_TOKEN"] = made.stdout.strip().splitlines()[-1]
    plate = tmp_path / "F006.mov"
    _random_file(plate, 1000)
    proc = subprocess.Popen([PLATECUT, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_ready(url, proc)
        result = subprocess.run([PLATECUT, "upload", str(plate), "--project", "show", "--retries", "0"],
                                capture_output=True, text=True, timeout=120, env=env)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    _one_line_transient(result, closed)
