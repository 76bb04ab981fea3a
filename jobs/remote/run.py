"""A whole job: download the plate, split it, upload the outputs, report the outcome.

Every failure leaves as a :class:`~jobs.errors.PlatecutError` whose exit code tells
the Job's ``podFailurePolicy`` what to do: 65/66 (the plate is bad or absent) fail at
once, 75 (storage or network trouble) and the rest retry.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from jobs.errors import OutputError, PlatecutError
from jobs.manifest import Manifest
from jobs.pipeline import Progress, SplitOptions, run_split
from jobs.remote.download import Expected, download
from jobs.remote.progress import Log, LogProgress
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


@contextmanager
def work_folder(request: JobRequest) -> Iterator[Path]:
    """A fresh folder under the scratch folder for the download and the outputs, removed after."""
    root = request.scratch or Path(tempfile.gettempdir())
    tag = re.sub(r"[^A-Za-z0-9_.-]", "_", request.plate_id)[:40]
    try:
        root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f"platecut-job-{tag}-", dir=root))
    except OSError as exc:
        raise OutputError(f"cannot use the scratch folder {root}: {exc.strerror}") from exc
    try:
        yield work
    except PlatecutError as exc:
        exc.message = without_folder(exc.message, work)
        exc.args = (exc.message,)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def without_folder(message: str, work: Path) -> str:
    """``message`` with this machine's scratch paths dropped: ``<work>/plate/x.mov`` -> ``x.mov``.
    What the user reads (and the API keeps as the plate's reason) names the plate, not our disk."""
    for folder in (work / "plate", work):
        message = message.replace(f"{folder}/", "")
    return message.replace(str(work), "the job's scratch folder")


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
    log("pipeline", f"{plate.name}: started" + (", reading burn-ins" if options.ocr else ", no OCR"))
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
    with work_folder(request) as work:
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
