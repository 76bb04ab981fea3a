"""One local job's state on disk, so that it outlives the API process that started it::

    <root>/<job_name>/request.json      the JobRequest, when it was submitted, the command line
    <root>/<job_name>/pid               the wrapper shell's pid (= the job's process group); absent: pending
    <root>/<job_name>/exit_code         written by the wrapper when the job ends
    <root>/<job_name>/log               the job's stdout and stderr
    <root>/<job_name>/termination-log   the job's one-line outcome (PLATECUT_TERMINATION_LOG)

Every file is written aside and renamed into place: a reader sees it whole or not at all.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.integrations.launcher import JobRequest

TAIL_BLOCK = 64 * 1024
PROC = Path("/proc")


def write_atomically(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def mtime(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return None


@dataclass(frozen=True)
class Submitted:
    request: JobRequest
    submitted: float  # unix seconds: pending jobs start oldest first


@dataclass(frozen=True)
class JobDir:
    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def log(self) -> Path:
        return self.path / "log"

    @property
    def termination_log(self) -> Path:
        return self.path / "termination-log"

    def write_request(self, request: JobRequest) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        record = {"request": dataclasses.asdict(request), "submitted": time.time()}
        write_atomically(self.path / "request.json", json.dumps(record, indent=2))

    def read_request(self) -> Submitted | None:
        try:
            record: dict[str, Any] = json.loads((self.path / "request.json").read_text("utf-8"))
            fields = dict(record["request"])
            fields["extra_args"] = tuple(fields.get("extra_args") or ())
            return Submitted(JobRequest(**fields), float(record["submitted"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write_pid(self, pid: int) -> None:
        write_atomically(self.path / "pid", f"{pid}\n")

    def pid(self) -> int | None:
        return _read_int(self.path / "pid")

    def exit_code(self) -> int | None:
        return _read_int(self.path / "exit_code")

    def write_exit_code(self, code: int) -> None:
        write_atomically(self.path / "exit_code", f"{code}\n")

    def started_at(self) -> datetime | None:
        return mtime(self.path / "pid")

    def finished_at(self) -> datetime | None:
        return mtime(self.path / "exit_code")

    def termination_message(self) -> str | None:
        try:
            text = self.termination_log.read_text("utf-8", errors="replace").strip()
        except OSError:
            return None
        return text.splitlines()[0] if text else None

    def runs_as(self, pid: int) -> bool:
        """Whether ``pid`` is alive and is this job's wrapper (its command line names this folder):
        a reused pid is not taken for the job."""
        if not PROC.is_dir():  # no /proc (macOS): trust the pid
            return _pid_exists(pid)
        try:
            cmdline = (PROC / str(pid) / "cmdline").read_bytes()
        except OSError:
            return False
        return os.fsencode(str(self.path)) in cmdline.split(b"\0")

    def tail(self, lines: int) -> str:
        """The last ``lines`` lines of the log ("" without one)."""
        try:
            with self.log.open("rb") as stream:
                end = stream.seek(0, os.SEEK_END)
                start, data = end, b""
                while start > 0 and data.count(b"\n") <= lines:
                    start = max(0, start - TAIL_BLOCK)
                    stream.seek(start)
                    data = stream.read(end - start)
        except OSError:
            return ""
        text = data.decode("utf-8", errors="replace")
        kept = text.splitlines()[-lines:] if lines > 0 else []
        return "\n".join(kept) + ("\n" if kept else "")


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text("ascii").strip())
    except (OSError, ValueError):
        return None


def group_alive(pgid: int) -> bool:
    """Whether a live process (zombies aside) is left in process group ``pgid``."""
    if not PROC.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text("ascii", errors="replace").rpartition(")")[2].split()
        except OSError:
            continue
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            return True
    return False


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
