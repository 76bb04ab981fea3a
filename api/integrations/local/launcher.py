"""``LocalLauncher``: ``platecut job run`` as detached subprocesses on this machine (embedded mode).

Each job runs in its own session (process group) through a tiny shell wrapper that sends its output
to ``log`` and writes its exit code to ``exit_code`` when it ends; its state lives on disk (see
``jobdir``), so a restarted API finds its jobs running, and later finished. At most
``max_concurrent`` jobs run at once: the others wait, ``pending`` on disk, and are started oldest
first by the next ``submit`` or ``statuses`` (of any process: a file lock serialises them).

Each job gets a scratch folder of its own (``PLATECUT_SCRATCH`` and ``TMPDIR``; inside its folder, or
``scratch_root/<job name>``): the download, the outputs and any temporary file go there. A job that
exits removes its work; one that is killed cannot, so the scratch folder is removed here as soon as
the job is seen finished (no process of its group left), and with the job when it is cancelled or
deleted.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from api.integrations.kubernetes.names import is_dns1123_label
from api.integrations.launcher import JobPhase, JobRequest, JobStatus, LauncherError, job_run_arguments
from api.integrations.local.jobdir import JobDir, group_alive

if TYPE_CHECKING:
    from api.integrations.launcher import Launcher

log = logging.getLogger(__name__)

WRAPPER = ('dir=$1; shift; "$@" >"$dir/log" 2>&1; code=$?; '
           'printf "%s\\n" "$code" >"$dir/.exit_code.tmp" && mv "$dir/.exit_code.tmp" "$dir/exit_code"')
WRAPPER_NAME = "platecut-local-job"
CANNOT_START = 127
LABEL_PLATE_ID = "platecut.io/plate-id"
LABEL_ATTEMPT = "platecut.io/attempt"
FINISHED = frozenset({JobPhase.SUCCEEDED, JobPhase.FAILED})


def default_command() -> tuple[str, ...]:
    """The ``platecut`` script beside this Python, else ``python -m jobs.cli``."""
    script = Path(sys.executable).with_name("platecut")
    if script.is_file() and os.access(script, os.X_OK):
        return (str(script),)
    return (sys.executable, "-m", "jobs.cli")


# ``job run ...`` for a request, as the job program takes them (the builder every launcher shares)
job_arguments = job_run_arguments


class LocalLauncher:
    """The ``Launcher`` on this machine; ``root`` holds one folder per job (see ``jobdir``).

    ``command`` comes before ``job run ...`` (default: ``default_command()``); ``env`` is added to
    the API's own environment for the jobs; ``kill_grace`` is how long a cancelled job gets between
    SIGTERM and SIGKILL; ``scratch_root`` holds the jobs' scratch folders (default: each job's own
    folder).
    """

    def __init__(self, root: Path, max_concurrent: int = 1, command: Sequence[str] | None = None,
                 env: Mapping[str, str] | None = None, kill_grace: float = 5.0,
                 scratch_root: Path | None = None) -> None:
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.scratch_root = Path(scratch_root).resolve() if scratch_root is not None else None
        if self.scratch_root == self.root:
            raise ValueError("the jobs' scratch root must not be their state folder")
        self.max_concurrent = max_concurrent
        self.command = tuple(command) if command else default_command()
        self.env = dict(env or {})
        self.kill_grace = kill_grace
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LocalLauncher(root={str(self.root)!r}, max_concurrent={self.max_concurrent})"

    # -- the Launcher protocol ---------------------------------------------------------------

    def submit(self, request: JobRequest) -> JobStatus:
        job = self._job(request.job_name)
        with self._locked():
            held = job.read_request()
            if held is None:
                job.write_request(request)
            elif held.request.plate_id != request.plate_id:
                raise LauncherError(f"job {request.job_name} exists for another plate "
                                    f"({held.request.plate_id})")
            self._start_pending()
            return self._status(job)

    def statuses(self, names: Iterable[str] | None = None) -> dict[str, JobStatus]:
        with self._locked():
            self._start_pending()
            found = {job.name: self._status(job) for job in self._jobs()}
            self._drop_finished_scratch(found)
        if names is None:
            return found
        return {name: found.get(name) or JobStatus(job_name=name, phase=JobPhase.MISSING) for name in names}

    def cancel(self, job_name: str) -> None:
        """Kill the job's process group (SIGTERM, then SIGKILL) and remove its folder."""
        self._remove(job_name)

    def delete(self, job_name: str) -> None:
        """Remove the job's folder (its process is killed first if it still runs)."""
        self._remove(job_name)

    def logs(self, job_name: str, tail_lines: int = 200) -> str:
        return self._job(job_name).tail(tail_lines)

    # -- state -------------------------------------------------------------------------------

    def scratch(self, job_name: str) -> Path:
        """The job's scratch folder (whether or not it exists)."""
        job = self._job(job_name)
        return self.scratch_root / job.name if self.scratch_root is not None else job.path / "scratch"

    def _job(self, name: str) -> JobDir:
        if not is_dns1123_label(name):
            raise LauncherError(f"{name!r} is not a job name")
        return JobDir(self.root / name)

    def _jobs(self) -> list[JobDir]:
        try:
            entries = sorted(self.root.iterdir())
        except OSError as exc:
            raise LauncherError(f"cannot list local jobs in {self.root}: {exc}") from exc
        return [JobDir(path) for path in entries if path.is_dir() and is_dns1123_label(path.name)]

    def _status(self, job: JobDir) -> JobStatus:
        submitted = job.read_request()
        if submitted is None:
            return JobStatus(job_name=job.name, phase=JobPhase.MISSING)
        labels = {LABEL_PLATE_ID: submitted.request.plate_id, LABEL_ATTEMPT: str(submitted.request.attempt)}
        pid = job.pid()
        if job.exit_code() is None and pid is not None and self._alive(job, pid):
            return JobStatus(job.name, JobPhase.RUNNING, started_at=job.started_at(), labels=labels)
        code = job.exit_code()  # read again: the job may have ended since the first look
        if pid is None and code is None:
            return JobStatus(job.name, JobPhase.PENDING, labels=labels)
        base = JobStatus(job.name, JobPhase.FAILED, message=job.termination_message(),
                         started_at=job.started_at(), finished_at=job.finished_at(), labels=labels)
        if code is None:  # its process is gone without an exit code: killed
            return replace(base, reason="killed", finished_at=None)
        return replace(base, phase=JobPhase.SUCCEEDED if code == 0 else JobPhase.FAILED, exit_code=code)

    def _alive(self, job: JobDir, pid: int) -> bool:
        child = self._children.get(job.name)
        if child is None or child.pid != pid:
            return job.runs_as(pid)
        if child.poll() is None:
            return True
        del self._children[job.name]  # reaped: no zombie left behind
        return False

    # -- starting and stopping -----------------------------------------------------------------

    def _start_pending(self) -> None:
        """Start the oldest pending jobs while fewer than ``max_concurrent`` run."""
        self._reap()
        jobs = self._jobs()
        running = sum(1 for job in jobs if self._status(job).phase is JobPhase.RUNNING)
        pending = [(s.submitted, job.name, job) for job in jobs if (s := job.read_request()) is not None
                   and job.pid() is None and job.exit_code() is None]
        for _submitted, _name, job in sorted(pending, key=lambda item: item[:2]):
            if running >= self.max_concurrent:
                return
            self._start(job)
            running += 1

    def _reap(self) -> None:
        """Wait for this process's children that ended. ``_alive`` reaps only a child it finds without
        an exit code; one that ended normally (exit code written) and whose folder was then removed
        (after its outcome was ingested, by any process) would stay a zombie for good otherwise."""
        for name, child in list(self._children.items()):
            if child.poll() is not None:
                del self._children[name]

    def _start(self, job: JobDir) -> None:
        submitted = job.read_request()
        assert submitted is not None
        argv = ["/bin/sh", "-c", WRAPPER, WRAPPER_NAME, str(job.path), *self.command,
                *job_run_arguments(submitted.request)]
        scratch = self.scratch(job.name)  # the job's own: removed when it ends, however it ends
        env = {**os.environ, **self.env, "PLATECUT_TERMINATION_LOG": str(job.termination_log),
               "PLATECUT_SCRATCH": str(scratch), "TMPDIR": str(scratch)}
        try:
            scratch.mkdir(parents=True, exist_ok=True)
            child = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
        except OSError as exc:
            job.termination_log.write_text(f"error 70: cannot start the job: {exc}\n", encoding="utf-8")
            job.write_pid(0)
            job.write_exit_code(CANNOT_START)
            return
        _wait_for_exec(job, child)
        job.write_pid(child.pid)
        self._children[job.name] = child
        log.info("local job started", extra={"job": job.name, "pid": child.pid})

    def _remove(self, job_name: str) -> None:
        job = self._job(job_name)
        with self._locked():
            pid = job.pid()
            if pid and job.exit_code() is None and self._alive(job, pid):
                self._kill_group(job, pid)
            shutil.rmtree(self.scratch(job.name), ignore_errors=True)
            shutil.rmtree(job.path, ignore_errors=True)
            self._start_pending()  # a slot may be free now

    def _drop_finished_scratch(self, found: Mapping[str, JobStatus]) -> None:
        """Remove the scratch folders of finished jobs (a killed job leaves its work there), once no
        process of the job's group is left."""
        for name, status in found.items():
            scratch = self.scratch(name)
            if status.phase not in FINISHED or not scratch.exists():
                continue
            pid = self._job(name).pid()
            if pid and group_alive(pid):
                continue
            shutil.rmtree(scratch, ignore_errors=True)
            log.info("local job's scratch removed", extra={"job": name, "scratch": str(scratch)})

    def _kill_group(self, job: JobDir, pid: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.kill_grace
        while time.monotonic() < deadline:
            child = self._children.get(job.name)
            if child is not None:
                child.poll()
            if not group_alive(pid):
                break
            time.sleep(0.05)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        child = self._children.pop(job.name, None)
        if child is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=self.kill_grace)
        log.info("local job killed", extra={"job": job.name, "pid": pid})

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """This process's threads, then other processes sharing ``root`` (a file lock)."""
        with self._lock:
            try:
                fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                raise LauncherError(f"cannot lock {self.root}: {exc}") from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)


def _wait_for_exec(job: JobDir, child: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    """Wait until the new process shows its own command line: Popen may return while the kernel
    is still setting it up (vfork), and until then another reader would take the job for dead."""
    deadline = time.monotonic() + timeout
    while not job.runs_as(child.pid) and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)


if TYPE_CHECKING:
    def _is_a_launcher(launcher: LocalLauncher) -> Launcher:  # mypy checks the Protocol
        return launcher
