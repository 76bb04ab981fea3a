"""Progress as plain log lines that read well in ``kubectl logs``.

Every line is ``<UTC time> <stage>: <message>``, e.g.
``2026-05-04T09:12:01Z download: 512.0/1024.0 MB (50%), 96.3 MB/s``. Byte counts and
pipeline stages are reported at about every tenth of the way and when they finish.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

Log = Callable[[str, str], None]  # (stage, message)


class JobLog:
    """Writes log lines to ``stream`` (standard error by default), flushed at once."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr

    def __call__(self, stage: str, message: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        print(f"{stamp} {stage}: {message}", file=self.stream, flush=True)


class _Tenths:
    """Says when a count passes the next tenth of its total (10%, 20%, ... 90%)."""

    def __init__(self, total: int | None) -> None:
        self.total, self._next = total, 1

    def passed(self, done: int) -> bool:
        if not self.total or done >= self.total:
            return False
        tenth = done * 10 // self.total
        if tenth < self._next:
            return False
        self._next = tenth + 1
        return True


def megabytes(count: int) -> str:
    return f"{count / 1e6:,.1f}"


class Meter:
    """Bytes moved in one stage (download, upload). Thread-safe: boto3 reports from its threads."""

    def __init__(self, log: Log, stage: str, total: int) -> None:
        self.log, self.stage, self.total, self.done = log, stage, total, 0
        self._tenths, self._lock, self._start = _Tenths(total), threading.Lock(), time.monotonic()

    def _rate(self) -> str:
        seconds = max(time.monotonic() - self._start, 1e-6)
        return f"{self.done / 1e6 / seconds:,.1f} MB/s"

    def advance(self, count: int) -> None:
        """Add ``count`` bytes; logs when another tenth of the total is done."""
        with self._lock:
            self.done += count
            if self._tenths.passed(self.done):
                self.log(self.stage, f"{megabytes(self.done)}/{megabytes(self.total)} MB "
                                     f"({100 * self.done // self.total}%), {self._rate()}")

    def finish(self, note: str = "") -> None:
        """Log the total, the time and the rate, then ``note``."""
        seconds = time.monotonic() - self._start
        self.log(self.stage, f"done: {megabytes(self.done)} MB in {seconds:.1f} s, {self._rate()}{note}")


class _Stage:
    def __init__(self, log: Log, name: str, total: int | None) -> None:
        self.log, self.name, self.total = log, name, total
        self.done, self.finished, self._tenths = 0, False, _Tenths(total)
        self._start = time.monotonic()
        self.log(name, "started" + (f", {total:,} to do" if total is not None else ""))

    def advance(self, done: int) -> None:
        self.done = done
        if self.finished:
            return
        if self.total is not None and done >= self.total:
            self.finish()
        elif self._tenths.passed(done):
            self.log(self.name, f"{done:,}/{self.total:,} ({100 * done // (self.total or 1)}%)")

    def finish(self) -> None:
        self.finished = True
        count = f"{self.done:,}" + (f"/{self.total:,}" if self.total is not None else "")
        self.log(self.name, f"finished {count} in {time.monotonic() - self._start:.1f} s")


class LogProgress:
    """The pipeline's ``Progress`` as log lines: each stage's start, tenths and end.

    A stage that never reports its last item is closed when the next one starts (or at
    :meth:`close`), so every started stage gets its end line.
    """

    def __init__(self, log: Log) -> None:
        self.log = log
        self._open: _Stage | None = None

    def stage(self, name: str, total: int | None) -> Callable[[int], None]:
        self.close()
        self._open = _Stage(self.log, name, total)
        return self._open.advance

    def close(self) -> None:
        if self._open and not self._open.finished:
            self._open.finish()
        self._open = None
