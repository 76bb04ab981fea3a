"""A whole job: download the plate, split it, upload the outputs, report the outcome.

Every failure leaves as a :class:`~jobs.errors.PlatecutError` whose exit code tells
the Job's ``podFailurePolicy`` what to do: 65/66 (the plate is bad or absent) fail at
once, 75 (storage or network trouble) and the rest retry.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from jobs.manifest import Manifest
from jobs.pipeline import Progress, SplitOptions, run_split
from jobs.remote.download import Expected, download, fetch_cut_list
from jobs.remote.progress import Log, LogProgress
from jobs.remote.scratch import STALE_SECONDS, scratch_root, sweep_stale, work_folder
from jobs.remote.store import open_store
from jobs.remote.termination import success_line, write_termination_log
from jobs.remote.upload import upload_outputs
from jobs.remote.uri import ObjectUri


@dataclass(frozen=True)
class JobRequest:
    plate_id: str
    source: ObjectUri
    output: ObjectUri  # a prefix (or folder) for this attempt alone
    expected: Expected
    scratch: Path | None = None  # default: TMPDIR
    stale_scratch_seconds: float = STALE_SECONDS  # dead jobs' work folders older are removed (0: never)
    cut_list: ObjectUri | None = None  # a cut version's cut list (jobs.cut_list): no detection


@contextmanager
def pipeline_progress(log: Log) -> Iterator[Progress]:
    """Progress bars on a terminal; plain log lines otherwise (``kubectl logs``)."""
    if sys.stderr.isatty():
        from rich.console import Console

        from jobs.report import RichProgress

        with RichProgress(Console(stderr=True)) as bars:
            yield bars
        return
    lines = LogProgress(log)
    try:
        yield lines
    finally:
        lines.close()


def split_plate(plate: Path, out_dir: Path, options: SplitOptions, log: Log) -> Manifest:
    """Run the split engine on the downloaded plate; logs each stage and the time each took."""
    if options.cut_list:
        how = f", the cuts of cut version {options.cut_list.version}"
    else:
        how = ", reading burn-ins" if options.ocr else ", no OCR"
    log("pipeline", f"{plate.name}: started{how}")
    with pipeline_progress(log) as progress:
        manifest = run_split(str(plate), out_dir, options, progress)
    times = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in manifest.timings.items())
    log("pipeline", f"done: {len(manifest.cuts)} cuts ({times})")
    return manifest


def run_job(request: JobRequest, options: SplitOptions, log: Log) -> Manifest:
    """Download, split, upload. Returns the manifest, which was uploaded last."""
    source_store, output_store = open_store(request.source), open_store(request.output)
    log("job", f"plate {request.plate_id}: {request.source} -> {request.output}")
    output_store.check_output(request.output.key)
    if request.cut_list:  # small, and checked before the plate comes
        listed = fetch_cut_list(open_store(request.cut_list), request.cut_list, log)
        options = dataclasses.replace(options, cut_list=listed)
    root = scratch_root(request.scratch)
    if request.stale_scratch_seconds > 0:
        for folder in sweep_stale(root, request.stale_scratch_seconds):
            log("scratch", f"removed {folder.name}, left by a job that was killed")
    with work_folder(root, request.plate_id) as work:
        (work / "plate").mkdir()
        plate = download(source_store, request.source, work / "plate", request.expected, log)
        manifest = split_plate(plate, work / "out", options, log)
        upload_outputs(output_store, request.output, work / "out", log)
    return manifest


def execute(request: JobRequest, options: SplitOptions, log: Log, termination_log: str | None,
            started: float | None = None) -> Manifest:
    """:func:`run_job`, then the summary line in the log and the termination log."""
    start = time.monotonic() if started is None else started
    manifest = run_job(request, options, log)
    line = success_line(manifest, time.monotonic() - start)
    log("done", line)
    write_termination_log(termination_log, line)
    return manifest
