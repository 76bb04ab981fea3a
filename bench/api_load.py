"""Control plane throughput: plate creation and plate listing under 50 concurrent clients.

``python -m bench.api_load [--workers 1,2,4] [--connections 50] [--duration 20]``

For each uvicorn worker count, ``platecut serve --workers N`` runs against a fresh
PostgreSQL database (127.0.0.1:5432) with S3 storage (a moto S3 server on loopback: plate
creation presigns a single PUT, which signs locally, so the bucket sees no traffic), and
``wrk`` (C, from Debian's ``wrk`` package, so the load generator takes little of the two
cores) drives it with ``--connections`` keep-alive connections for ``--duration`` seconds:

1. ``POST /api/v1/plates`` (a 50 MB plate, so a single upload: one database transaction
   inserting the plate and its upload row, plus a presigned PUT), bearer token checked;
2. ``GET /api/v1/plates?project=bench&limit=50`` over the plates made in 1.

Requests per second and latency percentiles come from wrk's ``--latency`` report; non-2xx
answers are counted and must be zero. The API's CPU per request is the CPU time of the
``platecut serve`` processes over the run (psutil) divided by the requests served.
Results: ``bench/results/api_load.json``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psutil
import psycopg

from api.local_server import PLATECUT, free_port, serving
from bench.common import heading, log, machine_info, machine_lines, publish, table

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
_LATENCY = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}

CREATE_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{{"name": "A%03d_C%06d.mov", "project": "bench", "size": 50000000}}',
                             math.random(1, 999), counter)
  return wrk.format(nil, "/api/v1/plates", nil, body)
end
"""
LIST_LUA = """
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer {token}"
"""


@contextmanager
def fresh_database() -> Iterator[str]:
    name = f"platecut_bench_{os.getpid()}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def s3_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@contextmanager
def api_server(env: dict[str, str], workers: int) -> Iterator[str]:
    with serving(env, ["--workers", str(workers)]) as url:
        yield url


def server_cpu_seconds() -> float:
    """User + system CPU seconds of the ``platecut serve`` processes this benchmark started
    (the uvicorn master and its workers)."""
    total = 0.0
    for proc in psutil.Process().children(recursive=True):
        try:
            if "serve" not in proc.cmdline():
                continue
            for member in (proc, *proc.children(recursive=True)):  # workers are spawned processes
                times = member.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            continue
    return total


def run_wrk(url: str, script: str, connections: int, duration: int) -> dict[str, Any]:
    """One wrk run: rate, latency percentiles, non-2xx count, and the API's CPU per request."""
    cpu_before = server_cpu_seconds()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s",
                          "--latency", "-s", fh.name, url], capture_output=True, text=True,
                         check=True).stdout
    os.unlink(fh.name)
    latency = {f"p{m.group(1)}_ms": float(m.group(2)) * _UNIT[m.group(3)]
               for m in _LATENCY.finditer(out)}
    rps = _RPS.search(out)
    errors = _NON_2XX.search(out)
    rate = float(rps.group(1)) if rps else 0.0
    cpu_ms = (server_cpu_seconds() - cpu_before) * 1000 / max(rate * duration, 1)
    return {"rps": rate, **latency, "non_2xx": int(errors.group(1)) if errors else 0,
            "api_cpu_ms_per_request": round(cpu_ms, 2), "raw": out}


def one_setting(workers: int, connections: int, duration: int, s3: str) -> dict[str, Any]:
    with fresh_database() as db:
        env = {**os.environ, "PLATECUT_DATABASE_URL": db, "PLATECUT_STORAGE": "s3",
               "PLATECUT_S3_ENDPOINT": s3, "PLATECUT_S3_BUCKET": "bench",
               "PLATECUT_S3_CREATE_BUCKET": "true", "PLATECUT_S3_ACCESS_KEY_ID": "bench",
               "PLATECUT_S3_SECRET_ACCESS_KEY": "bench-secret", "PLATECUT_LOG_LEVEL": "WARNING",
               "PLATECUT_DATA_DIR": tempfile.mkdtemp(prefix="platecut-bench-"),
               "PLATECUT_RATE_LIMIT_PER_SECOND": "0"}  # one token drives it all: no limit
        subprocess.run([PLATECUT, "db", "upgrade"], env=env, check=True, capture_output=True)
        made = subprocess.run([PLATECUT, "token", "create", "--site", "bench", "--project", "bench"],
                              env=env, check=True, capture_output=True, text=True)
        token = made.stdout.strip().splitlines()[-1].split()[-1]
        with api_server(env, workers) as url:
            log(f"{workers} worker(s): POST /api/v1/plates, {connections} connections, {duration} s")
            create = run_wrk(url, CREATE_LUA.format(token=token), connections, duration)
            log(f"{workers} worker(s): GET /api/v1/plates?limit=50")
            listing = run_wrk(url + "/api/v1/plates?project=bench&limit=50",
                              LIST_LUA.format(token=token), connections, duration)
        shutil.rmtree(env["PLATECUT_DATA_DIR"], ignore_errors=True)
    return {"workers": workers, "create": create, "list": listing}


def report(results: list[dict[str, Any]], args: argparse.Namespace, info: dict[str, Any]) -> str:
    rows = []
    for r in results:
        for what, label in (("create", "create plate (POST)"), ("list", "list plates (GET, 50)")):
            m = r[what]
            rows.append((r["workers"], label, f"{m['rps']:.0f}", f"{m.get('p50_ms', 0):.1f}",
                         f"{m.get('p90_ms', 0):.1f}", f"{m.get('p99_ms', 0):.1f}", m["non_2xx"],
                         f"{m['api_cpu_ms_per_request']:.2f}"))
    return "\n".join([
        heading("Control plane under load", False), "",
        "```", f".venv/bin/python -m bench.api_load --workers {args.workers} "
        f"--connections {args.connections} --duration {args.duration}", "```", "",
        *machine_lines(info), "",
        table(["uvicorn workers", "request", "req/s", "p50 ms", "p90 ms", "p99 ms", "non-2xx",
               "API CPU ms per request"], rows), "",
        "Target: at least 500 creations/s with p99 under 50 ms at 50 concurrent clients.", ""])


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench.api_load", description=__doc__)
    parser.add_argument("--workers", default="1,2,4", help="uvicorn worker counts to try")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: make bench installs it (Debian package wrk)")
    info = machine_info()
    with s3_server() as s3:
        results = [one_setting(int(w), args.connections, args.duration, s3)
                   for w in args.workers.split(",")]
    for r in results:
        for what in ("create", "list"):
            r[what].pop("raw")
    return publish("api_load", {"machine": info, "results": results}, report(results, args, info))


if __name__ == "__main__":
    main()
