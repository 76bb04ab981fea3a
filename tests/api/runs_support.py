"""Helpers of the runs tests: a stand-in job program for the real ``LocalLauncher``, and a scripted
in-memory ``Launcher`` for fault injection.

The stand-in takes ``job run --plate-id ID --source PATH --output DIR [--sha256 HEX] [--size N]`` like
``platecut job run`` and does what the plate's bytes say (its first word):

* ``ok`` / ``ok-N``: writes N (default 2) cuts' files and a ``manifest.json`` (built from
  ``jobs.manifest``) last, leaves ``ok: N cuts`` in the termination log, exits 0;
* ``bad``: ``error 65: ...``, exits 65;
* ``transient``: writes a manifest of a cut named ``WRONG`` (a failed attempt's outputs), exits 75;
  ``transient-once``: the same on attempt 1 only, then as ``ok``;
* ``wait`` / ``sleep``: waits until ``<source>.release`` exists (then does what it says, default
  ``ok``): it runs until killed unless released;
* ``scratch``: makes a work folder as ``platecut job run`` does (``platecut-job-*`` under
  ``PLATECUT_SCRATCH``, else TMPDIR), names it in ``<source>.scratch``, then waits as ``wait``.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from api.integrations.launcher import JobPhase, JobRequest, JobStatus, LauncherError
from jobs.manifest import (
    Cut,
    DetectorSettings,
    Manifest,
    OutputFile,
    Outputs,
    PlateInfo,
    Rational,
    Software,
    SplitSettings,
)

STANDIN = r'''
import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from jobs.manifest import (Cut, DetectorSettings, Manifest, OutputFile, Outputs, PlateInfo, Rational,
                           Software, SplitSettings)


def finish(line, code):
    path = os.environ.get("PLATECUT_TERMINATION_LOG")
    if path:
        Path(path).write_text(line + "\n")
    print(line, flush=True)
    sys.exit(code)


def file(out, path, data):
    target = out / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return OutputFile(path=path, sha256="0" * 64, size_bytes=len(data))


def manifest(out, names):
    cuts = []
    for i, name in enumerate(names):
        first = i * 24
        cuts.append(Cut(index=i + 1, name=name, first_frame=first, last_frame=first + 23, frame_count=24,
                        head_in=1001, head_out=1024, start_time=f"{first}/24", duration="1/1",
                        record_tc_in=f"01:00:{i:02d}:00", record_tc_out=f"01:00:{i + 1:02d}:00",
                        boundary_in="start" if i == 0 else "cut", confidence=1.0 if i == 0 else 0.9,
                        media=file(out, f"cuts/{name}.mov", name.encode()),
                        thumbnail=file(out, f"thumbnails/{name}.jpg", b"jpg")))
    info = PlateInfo(source="plate.mov", kind="movie", container="mov", codec="prores", width=64, height=36,
                     pixel_aspect="1:1", pix_fmt="yuv422p10le", bit_depth=10,
                     frame_rate=Rational(num=24, den=1), frame_count=24 * len(names),
                     frame_count_counted=False, duration=f"{len(names)}/1", intra_only=True)
    split = SplitSettings(enabled=True, codec="prores", head_in=1001, copied=True)
    made = Manifest(plate_name="plate", created_at=datetime.now(UTC), plate=info, cuts=cuts, transitions=[],
                    detector=DetectorSettings(), split=split,
                    outputs=Outputs(edl=file(out, "plate.edl", b"TITLE: plate")),
                    software=Software(version="0.1.0", ffmpeg="7.1"), timings={"detect": 0.1})
    (out / "manifest.json").write_text(made.to_json())  # last


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("job")
    parser.add_argument("run")
    for name in ("--plate-id", "--source", "--output", "--sha256", "--size", "--plate-kind", "--head-handles",
                 "--tail-handles"):
        parser.add_argument(name)
    args = parser.parse_args()
    out = Path(args.output)
    mode = Path(args.source).read_text().split()[0]
    print(f"standin {mode} plate {args.plate_id} attempt {out.name}", flush=True)
    if mode == "scratch":
        work = Path(tempfile.mkdtemp(prefix="platecut-job-", dir=os.environ.get("PLATECUT_SCRATCH")))
        (work / "plate.mov").write_text("downloaded")
        Path(args.source + ".scratch.tmp").write_text(str(work))
        os.replace(args.source + ".scratch.tmp", args.source + ".scratch")
        mode = "wait"
    if mode in ("wait", "sleep"):
        release = Path(args.source + ".release")
        while not release.exists():
            time.sleep(0.05)
        mode = release.read_text().strip() or "ok"
    if mode == "bad":
        finish("error 65: not a video: no frames", 65)
    if mode == "transient" or (mode == "transient-once" and out.name == "a1"):
        manifest(out, ["WRONG"])
        finish("error 75: storage unreachable", 75)
    count = int(mode.split("-")[1]) if mode.startswith("ok-") else 2
    manifest(out, [f"SH{(i + 1) * 10:03d}" for i in range(count)])
    finish(f"ok: {count} cuts", 0)


main()
'''


def standin_command(folder: Path) -> tuple[str, ...]:
    """The command that runs the stand-in (written into ``folder``)."""
    script = folder / "standin_job.py"
    script.write_text(STANDIN)
    return (sys.executable, str(script))


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)


FINISHED = (JobPhase.SUCCEEDED, JobPhase.FAILED)


@dataclass
class ScriptedLauncher:
    """An in-memory ``Launcher`` whose jobs and failures the test sets (fault injection)."""

    jobs: dict[str, JobStatus] = field(default_factory=dict)
    requests: dict[str, JobRequest] = field(default_factory=dict)
    fail_submits: int = 0  # the next N submits raise LauncherError
    create_then_fail: bool = False  # the next submit creates the job, then raises (a timeout)
    fail_statuses: bool = False
    fail_cancels: bool = False
    fail_logs: bool = False
    calls: int = 0
    log: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _call(self, verb: str, name: str) -> None:
        with self.lock:
            self.calls += 1
            self.log.append((verb, name))

    def submit(self, request: JobRequest) -> JobStatus:
        self._call("submit", request.job_name)
        if self.fail_submits:
            self.fail_submits -= 1
            raise LauncherError("the launcher is down")
        self.requests[request.job_name] = request
        status = self.jobs.setdefault(request.job_name, JobStatus(request.job_name, JobPhase.PENDING))
        if self.create_then_fail:
            self.create_then_fail = False
            raise LauncherError("timed out (the job was created)")
        return status

    def statuses(self, names: Iterable[str] | None = None) -> dict[str, JobStatus]:
        self._call("statuses", "*")
        if self.fail_statuses:
            raise LauncherError("the launcher API is unreachable")
        found = dict(self.jobs)
        if names is None:
            return found
        return {n: found.get(n) or JobStatus(n, JobPhase.MISSING) for n in names}

    def cancel(self, job_name: str) -> None:
        self._call("cancel", job_name)
        if self.fail_cancels:
            raise LauncherError("the launcher API is unreachable")
        self.jobs.pop(job_name, None)

    def delete(self, job_name: str) -> None:
        self._call("delete", job_name)
        self.jobs.pop(job_name, None)

    def logs(self, job_name: str, tail_lines: int = 200) -> str:
        self._call("logs", job_name)
        if self.fail_logs:
            raise LauncherError("the launcher API is unreachable")
        return f"log of {job_name}\n" if job_name in self.jobs else ""

    def set(self, job_name: str, phase: JobPhase, **details: object) -> None:
        """Move a job on, as the cluster would."""
        self.jobs[job_name] = replace(self.jobs.get(job_name) or JobStatus(job_name, phase), phase=phase,
                                      **details)  # type: ignore[arg-type]

    def verbs(self, verb: str) -> list[str]:
        return [name for v, name in self.log if v == verb]


def make_manifest(names: list[str]) -> Manifest:
    """A valid manifest of cuts named ``names`` (24 frames each), with media and thumbnails."""
    def file(path: str) -> OutputFile:
        return OutputFile(path=path, sha256="0" * 64, size_bytes=3)

    cuts = [Cut(index=i + 1, name=name, first_frame=i * 24, last_frame=i * 24 + 23, frame_count=24,
                head_in=1001, head_out=1024, start_time=f"{i * 24}/24", duration="1/1",
                record_tc_in=f"01:00:{i:02d}:00", record_tc_out=f"01:00:{i + 1:02d}:00",
                boundary_in="start" if i == 0 else "cut", confidence=1.0,
                media=file(f"cuts/{name}.mov"), thumbnail=file(f"thumbnails/{name}.jpg"))
            for i, name in enumerate(names)]
    info = PlateInfo(source="plate.mov", kind="movie", container="mov", codec="prores", width=64, height=36,
                     pixel_aspect="1:1", pix_fmt="yuv422p10le", bit_depth=10,
                     frame_rate=Rational(num=24, den=1), frame_count=24 * len(names),
                     frame_count_counted=False, duration=f"{len(names)}/1", intra_only=True)
    return Manifest(plate_name="plate", created_at=datetime.now(UTC), plate=info, cuts=cuts, transitions=[],
                    detector=DetectorSettings(),
                    split=SplitSettings(enabled=True, codec="prores", head_in=1001, copied=True),
                    outputs=Outputs(edl=file("plate.edl")), software=Software(version="0.1.0", ffmpeg="7.1"),
                    timings={"detect": 0.1})
