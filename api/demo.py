"""``platecut demo``: the whole flow on the embedded default, the way a studio uses it.

It generates an edit-reference plate with burned-in shot names and timecodes, starts the
API (SQLite, disk storage with signed URLs, the local launcher, reconciliation in
process), creates a token, uploads the plate with the same client code as
``platecut upload`` (presigned URLs), waits for the split job, prints the cuts the API
lists, and shows where the EDL, OTIO timeline and contact sheet are.
``--job-only`` splits the plate in this process instead, with no server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from api.client.commands import console, cuts_table, user_error
from api.client.resume import ResumeState
from api.client.session import ApiClient, ApiConfig, ApiError
from api.client.upload import Transfer, upload_plate
from api.local_server import PLATECUT, ServerDidNotStart, serving
from jobs.errors import BadInputError, OutputError, TransientError

err = Console(stderr=True)
_FINAL = {"succeeded", "failed", "rejected", "cancelled"}


@contextmanager
def embedded_server(data_dir: Path, log: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """``platecut serve`` on a free loopback port with nothing configured but its data folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLATECUT_")}
    env.update(PLATECUT_DATA_DIR=str(data_dir), PLATECUT_LOG_JSON="false")
    with log.open("wb") as out:
        try:
            with serving(env, output=out) as url:
                yield url, env
        except ServerDidNotStart as exc:
            raise TransientError(f"the API did not start ({exc}); see {log}") from exc


def _token(env: dict[str, str]) -> str:
    made = subprocess.run([PLATECUT, "token", "create", "--site", "demo", "--project", "demo",
                           "--name", "make demo"], env=env, capture_output=True, text=True)
    if made.returncode != 0:
        raise TransientError(f"creating a token failed: {made.stderr.strip()}")
    return made.stdout.strip().splitlines()[-1]


def _wait_done(client: ApiClient, plate_id: str, timeout: float = 600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    with err.status("waiting for the split job") as status:
        while time.monotonic() < deadline:
            plate: dict[str, Any] = client.call("GET", f"/plates/{plate_id}")
            status.update(f"split job: [bold]{plate['state']}[/] (attempt {plate['attempt']})")
            if plate["state"] in _FINAL:
                return plate
            time.sleep(0.5)
    raise TransientError(f"the split job did not finish within {timeout:.0f} s")


def _clear_earlier_demo(out_dir: Path) -> None:
    """Remove an earlier demo's folder; refuse any other non-empty folder (nothing is lost)."""
    if not out_dir.exists():
        return
    earlier = (out_dir / "platecut-data").is_dir() or (out_dir / "demo_plate.edl").is_file()  # --job-only
    if not out_dir.is_dir() or (any(out_dir.iterdir()) and not earlier):
        raise OutputError(f"{out_dir} exists and is not an earlier demo's folder: choose another --out")
    shutil.rmtree(out_dir)


def run_flow(out_dir: Path) -> None:
    from jobs import synth

    _clear_earlier_demo(out_dir)
    plate = out_dir / "demo_plate.mp4"
    err.print(f"Generating a sample plate: {plate}", soft_wrap=True)
    truth = synth.make_plate(synth.demo_spec(), plate)
    err.print(f"It holds {len(truth.cut_starts) + 1} shots; they start at frames "
              f"{[0, *truth.cut_starts]}.", soft_wrap=True)
    data = out_dir / "platecut-data"
    with embedded_server(data, out_dir / "api.log") as (url, env):
        err.print(f"API running at {url} (SQLite, disk storage, local launcher)", soft_wrap=True)
        client = ApiClient(ApiConfig(url, _token(env)))
        with client:
            result = upload_plate(client, plate, "demo", ResumeState(out_dir / "uploads.json"),
                                  Transfer())
            plate_id = result.plate["id"]
            err.print(f"Uploaded through signed URLs as plate {plate_id}", soft_wrap=True)
            done = _wait_done(client, plate_id)
            if done["state"] != "succeeded":
                raise BadInputError(f"the split job ended {done['state']}: {done['state_reason']}")
            console.print(cuts_table(plate_id, client.call("GET", f"/plates/{plate_id}/cuts")))
            _show_outputs(client, plate_id, data, done)


def _show_outputs(client: ApiClient, plate_id: str, data: Path, plate: dict[str, Any]) -> None:
    folder = data / "storage" / "objects" / plate["output_prefix"]
    found = sorted(folder.rglob("*")) if folder.exists() else []
    outputs = {p.suffix: p for p in found if p.suffix in (".edl", ".otio", ".png")}
    for label, suffix in (("EDL", ".edl"), ("OTIO", ".otio"), ("contact sheet", ".png")):
        if suffix in outputs:
            err.print(f"{label:>13}: {outputs[suffix]}", soft_wrap=True, highlight=False)
    err.print(f"Through the API: GET /api/v1/plates/{plate_id}/edl, /otio, /contact-sheet",
              soft_wrap=True, highlight=False)
    err.print(f"In a browser: PLATECUT_DATA_DIR={data} platecut serve, then "
              f"http://127.0.0.1:8000/ui/plates/{plate_id} (sign in with a token of site demo: "
              f"PLATECUT_DATA_DIR={data} platecut token create --site demo)", soft_wrap=True, highlight=False)


@click.command("demo")
@click.option("--out", "out_dir", default=Path("demo-output"), show_default=True,
              type=click.Path(path_type=Path))
@click.option("--job-only", is_flag=True, help="Split the sample plate here, without the API")
@click.pass_context
def demo(ctx: click.Context, out_dir: Path, job_only: bool) -> None:
    """Generate a sample plate, upload it to the API, let the job split it, show the cuts."""
    if job_only:
        from jobs.cli import demo as job_demo

        ctx.invoke(job_demo, out_dir=out_dir)
        return
    try:
        run_flow(out_dir)
    except ApiError as exc:
        raise user_error(exc) from exc
