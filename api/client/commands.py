"""``platecut upload``, ``platecut plates`` and ``platecut cuts``: the API from a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from api.client.resume import ResumeState
from api.client.session import ApiClient, ApiConfig, ApiError
from api.client.upload import Transfer, sha256_of, upload_plate
from jobs.errors import BadInputError, InputMissingError, NoPermissionError, PlatecutError, TransientError

# piped into a file or another program, tables keep whole ids and names
console = Console() if sys.stdout.isatty() else Console(width=200)
api_option = click.option("--api", "api_url", envvar="PLATECUT_API", help="API base URL "
                    "(default http://127.0.0.1:8000) [env PLATECUT_API]")
token_option = click.option("--token", envvar="PLATECUT_TOKEN", help="API token [env PLATECUT_TOKEN]")


def user_error(exc: ApiError) -> PlatecutError:
    """An API error as the CLI reports it: a one-line message and a documented exit code."""
    if exc.status == 0 or exc.status >= 500:
        return TransientError(exc.message)
    if exc.status in (401, 403):
        return NoPermissionError(exc.message)
    if exc.status == 404:
        return InputMissingError(exc.message)
    return BadInputError(exc.message)


@contextmanager
def open_client(api_url: str | None, token: str | None) -> Iterator[ApiClient]:
    try:
        with ApiClient(ApiConfig.resolve(api_url, token)) as client:
            yield client
    except ApiError as exc:
        raise user_error(exc) from exc
    except httpx.HTTPError as exc:  # a transport failure no call turned into an ApiError
        raise TransientError(f"cannot reach the API or the storage: {type(exc).__name__}: {exc}") from exc


@contextmanager
def _bar(label: str, total: int) -> Iterator[Callable[[int], None]]:
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
               TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)


@click.command("upload")
@click.argument("plate", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--project", required=True, help="Project of the token's site")
@click.option("--workers", default=4, show_default=True, type=click.IntRange(1, 32),
              help="Parts sent at once")
@click.option("--retries", default=5, show_default=True, type=click.IntRange(0, 20),
              help="Retries per part, with back-off")
@click.option("--no-checksum", is_flag=True, help="Skip the SHA-256 (no read before sending)")
@click.option("--reel", help="The reel it is a version of (default: read from the name, e.g. "
              "ep101_r2_v07.mov)")
@click.option("--version", "reel_version", type=click.IntRange(1), help="Its version of the reel")
@click.option("--kind", type=click.Choice(["reference", "scan"]), default="reference", show_default=True,
              help="reference: cuts alone, handles virtual; scan: each segment holds its handles")
@click.option("--head-handles", type=click.IntRange(0, 1000), help="Default: the project's, else the site's")
@click.option("--tail-handles", type=click.IntRange(0, 1000), help="Default: the project's, else the site's")
@api_option
@token_option
def upload(plate: Path, project: str, workers: int, retries: int, no_checksum: bool, reel: str | None,
           reel_version: int | None, kind: str, head_handles: int | None, tail_handles: int | None,
           api_url: str | None, token: str | None) -> None:
    """Upload PLATE through presigned URLs; run it again to resume an interrupted upload."""
    if (reel is None) != (reel_version is None):
        raise click.UsageError("give both --reel and --version, or neither")
    declared = {key: value for key, value in {"reel": reel, "version": reel_version, "kind": kind,
                                              "head_handles": head_handles,
                                              "tail_handles": tail_handles}.items() if value is not None}
    size = plate.stat().st_size

    def checksum() -> str | None:
        if no_checksum:
            return None
        with _bar("hashing", size) as advance:
            return sha256_of(plate, advance)

    with open_client(api_url, token) as client, _bar("uploading", size) as advance:
        result = upload_plate(client, plate, project, ResumeState(), Transfer(workers, retries),
                              checksum, advance, declared)
    verb = "resumed and uploaded" if result.resumed else "uploaded"
    p = result.plate
    console.print(f"{p['name']}: {verb} as plate [bold]{p['id']}[/] ({p['state']})",
                  highlight=False)
    click.echo(p["id"])


@click.command("plates")
@click.option("--project", help="Only this project")
@click.option("--state", help="Only plates in this state")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 200))
@api_option
@token_option
def plates(project: str | None, state: str | None, limit: int, api_url: str | None,
           token: str | None) -> None:
    """List plates, newest first."""
    params = {k: v for k, v in {"project": project, "state": state, "limit": limit}.items() if v}
    with open_client(api_url, token) as client:
        page = client.call("GET", "/plates", params=params)
    table = Table("id", "name", "project", "state", "size", "created", title="plates")
    for p in page["items"]:
        table.add_row(p["id"], p["name"], p["project"], _state(p), _size(p["size"]),
                      p["created_at"][:19].replace("T", " "))
    console.print(table)
    if page.get("next_cursor"):
        console.print("more: narrow with --project/--state or raise --limit", style="dim")


@click.command("cuts")
@click.argument("plate_id")
@api_option
@token_option
def cuts(plate_id: str, api_url: str | None, token: str | None) -> None:
    """List a plate's cuts with names and timecodes."""
    with open_client(api_url, token) as client:
        body = client.call("GET", f"/plates/{plate_id}/cuts")
    console.print(cuts_table(plate_id, body))


def cuts_table(plate_id: str, body: Any) -> Table:
    """A plate's cuts as the API lists them: number, name, frames and timecodes."""
    table = Table("#", "name", "plate frames", "cut in-out", "frames", "source TC in",
                  "source TC out", "found by", title=f"cuts of {plate_id}")
    for c in _items(body):
        cut_in, cut_out = c.get("cut_in") or c["head_in"], c.get("cut_out") or c["head_out"]
        table.add_row(str(c["index"]), c["name"], f"{c['first_frame']}-{c['last_frame']}",
                      f"{cut_in}-{cut_out}", str(c.get("cut_duration") or c["frame_count"]),
                      c.get("source_tc_in") or "", c.get("source_tc_out") or "",
                      c.get("detected_by") or "")
    return table


def _items(body: Any) -> list[dict[str, Any]]:
    return list(body["items"] if isinstance(body, dict) else body)


def _state(plate: dict[str, Any]) -> str:
    reason = plate.get("state_reason")
    return f"{plate['state']} ({reason})" if reason else str(plate["state"])


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return str(size)
