"""``platecut token create`` and ``platecut serve`` on the embedded default (SQLite, files)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import serve, token
from api.config import Settings
from api.demo import demo as api_demo
from jobs.cli import cli, main
from jobs.errors import ExitCode
from tests.support.wait import WaitTimeout, wait_until


def test_commands_are_registered() -> None:
    ctx = click.Context(cli)
    assert {"serve", "token", "upload", "db", "demo", "split"} <= set(cli.list_commands(ctx))
    assert cli.get_command(ctx, "serve") is serve
    assert cli.get_command(ctx, "demo") is api_demo  # the control plane's demo extends the job's


def test_token_create_on_the_embedded_default(tmp_path: Path) -> None:
    env = {"PLATECUT_DATA_DIR": str(tmp_path / "data")}
    args = ["create", "--site", "london", "--project", "show1", "--admin"]
    result = CliRunner().invoke(token, args, env=env)
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("pct_") and "\n" not in secret
    assert (tmp_path / "data" / "platecut.db").exists()
    settings = Settings(data_dir=tmp_path / "data", log_json=False)
    with TestClient(create_app(settings)) as client:
        response = client.get("/api/v1/projects", headers={"Authorization": f"Bearer {secret}"})
        assert [p["name"] for p in response.json()["items"]] == ["show1"]
        again = CliRunner().invoke(token, ["create", "--site", "london"], env=env)
        other = again.stdout.strip()
        assert other != secret
        assert client.get("/api/v1/plates", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_token_create_refuses_bad_names(tmp_path: Path) -> None:
    env = {"PLATECUT_DATA_DIR": str(tmp_path / "data")}
    result = CliRunner().invoke(token, ["create", "--site", "../etc"], env=env)
    assert result.exit_code == 2 and "letters, digits" in result.output



def test_token_list_and_revoke_on_the_embedded_default(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"PLATECUT_DATA_DIR": str(tmp_path / "data")}
    made = CliRunner().invoke(token, ["create", "--site", "oslo", "--name", "ingest"], env=env)
    secret = made.stdout.strip()
    CliRunner().invoke(token, ["create", "--site", "rome", "--project", "s1", "--admin"], env=env)
    listed = CliRunner().invoke(token, ["list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert secret[:12] in listed.stdout and "oslo" in listed.stdout and "rome" in listed.stdout
    assert secret not in listed.stdout and secret[12:20] not in listed.stdout
    only = CliRunner().invoke(token, ["list", "--site", "oslo"], env=env).stdout
    assert "rome" not in only and "ingest" in only
    token_id = next(line.split()[1] for line in only.splitlines() if "oslo" in line)
    settings = Settings(data_dir=tmp_path / "data", log_json=False)
    with TestClient(create_app(settings)) as client:
        headers = {"Authorization": f"Bearer {secret}"}
        assert client.get("/api/v1/plates", headers=headers).status_code == 200
        revoked = CliRunner().invoke(token, ["revoke", token_id], env=env)
        assert revoked.exit_code == 0 and f"token {token_id}" in revoked.stdout
        client.app.state.principal_cache.ttl = 0  # type: ignore[attr-defined]  # another process's memory
        refused = client.get("/api/v1/plates", headers=headers)
        assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"
    again = CliRunner().invoke(token, ["revoke", token_id], env=env)
    assert again.exit_code == 0 and again.stdout == revoked.stdout  # the first time is kept
    revoked_at = revoked.stdout.strip().split(" revoked at ")[1].removesuffix(" UTC")
    assert revoked_at in CliRunner().invoke(token, ["list", "--site", "oslo"], env=env).stdout
    monkeypatch.setenv("PLATECUT_DATA_DIR", env["PLATECUT_DATA_DIR"])
    with pytest.raises(SystemExit) as unknown:
        main(["token", "revoke", "00000000-0000-0000-0000-000000000000"])
    assert unknown.value.code == ExitCode.NO_INPUT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLATECUT_")}
    env["PLATECUT_DATA_DIR"] = str(tmp_path / "data")
    code = "from jobs.cli import main; main()"
    process = subprocess.Popen([sys.executable, "-c", code, "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    def ready() -> bool:
        try:
            return httpx.get(f"{base}/readyz").status_code == 200
        except httpx.TransportError:
            return False

    try:
        try:
            wait_until(ready, timeout=30, what="platecut serve to become ready")
        except WaitTimeout:
            pytest.fail("platecut serve did not become ready")
        yield base, env
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stderr is not None
        process.stderr.close()


def test_serve_end_to_end(server: tuple[str, dict[str, str]]) -> None:
    base, env = server
    made = CliRunner().invoke(token, ["create", "--site", "paris", "--project", "p1"], env=env)
    headers = {"Authorization": f"Bearer {made.stdout.strip()}"}
    with httpx.Client(base_url=base, headers=headers) as client:
        created = client.post("/api/v1/plates", json={"name": "r1.mov", "project": "p1", "size": 5}).json()
        put = created["upload"]["put"]
        assert put["url"].startswith(base + "/api/v1/storage/objects/")
        assert httpx.put(put["url"], headers=put["headers"], content=b"12345").status_code == 200
        done = client.post(f"/api/v1/plates/{created['plate']['id']}/upload/complete")
        assert done.status_code == 200 and done.json()["state"] == "queued"  # the local launcher took it
        assert done.headers["x-request-id"]
