"""``platecut serve`` as a child process on a free loopback port (the demo, tests, benchmarks)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

PLATECUT = str(Path(sys.executable).parent / "platecut")


class ServerDidNotStart(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0,
               path: str = "/readyz") -> None:
    """Until ``url + path`` answers 200; raises if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerDidNotStart(f"platecut serve exited with {proc.returncode}")
        try:
            if httpx.get(url + path, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise ServerDidNotStart(f"platecut serve did not get ready within {timeout:.0f} s")


@contextmanager
def serving(env: Mapping[str, str], args: Sequence[str] = (), output: IO[bytes] | int | None = None,
            port: int | None = None) -> Iterator[str]:
    """Run ``platecut serve`` with ``env`` (``PLATECUT_PUBLIC_URL`` set to it); yields its URL."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    out = subprocess.DEVNULL if output is None else output
    proc = subprocess.Popen([PLATECUT, "serve", "--port", str(port), *args],
                            env={**env, "PLATECUT_PUBLIC_URL": url}, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_ready(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
