"""``platecut job run``: the container entrypoint of the per-plate Kubernetes Job.

Only click (and the scratch module's defaults, stdlib only) is imported here: the job's modules
(and boto3) load when the command runs, so ``platecut --help`` stays fast. It takes the split
options of ``platecut split`` (:mod:`jobs.split_options`).
"""

from __future__ import annotations

import string
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from jobs.remote.scratch import STALE_SECONDS
from jobs.split_options import build_split_options, split_options

if TYPE_CHECKING:
    from jobs.remote.uri import ObjectUri


def _sha256(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and (len(value) != 64 or set(value.lower()) - set(string.hexdigits.lower())):
        raise click.BadParameter("give the 64 hex digits of a SHA-256 digest")
    return value.lower() if value else None


def _uri(text: str, hint: str) -> ObjectUri:
    from jobs.remote.uri import parse_uri

    try:
        return parse_uri(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=hint) from exc


@click.group()
def job() -> None:
    """The per-plate job: download, split, upload.

    The container entrypoint of the Kubernetes Job, and what the single-machine
    launcher runs with local folders.
    """


@job.command("run")
@click.option("--plate-id", required=True, help="The plate's id in the control plane (for the logs).")
@click.option("--source", required=True, metavar="URI",
              help="The plate, one movie: s3://bucket/key, file:///path or a path.")
@click.option("--output", required=True, metavar="URI",
              help="Prefix (s3://bucket/prefix) or folder for this attempt's outputs; "
                   "manifest.json is written last.")
@click.option("--sha256", metavar="HEX", callback=_sha256,
              help="The plate's SHA-256: a different plate is bad input (exit 65).")
@click.option("--size", type=click.IntRange(min=0), help="The plate's size in bytes (checked first).")
@click.option("--scratch", type=click.Path(file_okay=False, path_type=Path), envvar="PLATECUT_SCRATCH",
              help="Folder for the download and the outputs (env: PLATECUT_SCRATCH; default: TMPDIR).")
@click.option("--stale-scratch-seconds", type=click.FloatRange(min=0), default=STALE_SECONDS,
              show_default=True, envvar="PLATECUT_SCRATCH_STALE_SECONDS",
              help="Work folders under the scratch folder left by killed jobs (their lock free) and "
                   "older than this are removed first (env: PLATECUT_SCRATCH_STALE_SECONDS; 0: never).")
@click.option("--termination-log", default="/dev/termination-log", show_default=True,
              envvar="PLATECUT_TERMINATION_LOG",
              help="File for the one-line outcome (env: PLATECUT_TERMINATION_LOG); "
                   "ignored when it cannot be written.")
@click.option("--cut-list", metavar="URI",
              help="A cut version's cut list (JSON, s3://bucket/key, file:///path or a path): "
                   "its cuts are written, none detected, no burn-in read.")
@split_options
def run(plate_id: str, source: str, output: str, sha256: str | None, size: int | None,
        scratch: Path | None, stale_scratch_seconds: float, termination_log: str,
        cut_list: str | None, **split: Any) -> None:
    """Download a plate, split it, upload every output with manifest.json last.

    Exit codes: 0 done; 65 the plate is not what was expected or not a readable movie, or the
    cut list is not valid or does not fit the plate; 66 the plate or the cut list does not
    exist; 75 storage or network trouble (retry); 70 a bug.
    """
    from jobs.remote.download import Expected
    from jobs.remote.progress import JobLog
    from jobs.remote.run import JobRequest, execute
    from jobs.remote.termination import reporting_errors

    started = time.monotonic()
    with reporting_errors(termination_log):
        listed = _uri(cut_list, "--cut-list") if cut_list is not None else None
        request = JobRequest(plate_id, _uri(source, "--source"), _uri(output, "--output"),
                             Expected(size=size, sha256=sha256), scratch, stale_scratch_seconds,
                             listed)
        execute(request, build_split_options(**split), JobLog(), termination_log, started)
