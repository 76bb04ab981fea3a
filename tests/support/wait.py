"""Waiting for something to happen: poll a predicate until it holds, with a deadline.

Tests wait this way instead of sleeping a fixed time: they go on as soon as what they wait for
is there (a server ready, a row written, a log line), and fail with a message when it never is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """What was waited for did not happen in time (an ``AssertionError``: pytest shows it as a failure)."""


def wait_until(predicate: Callable[[], T], timeout: float = 30.0, interval: float = 0.05,
               what: str = "condition") -> T:
    """Call ``predicate`` every ``interval`` seconds until it returns something true, and return that.

    Raises ``WaitTimeout`` when ``timeout`` seconds pass first; the predicate is always tried once
    more at the deadline, so a slow machine that gets there just in time still passes.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            result = predicate()
            if result:
                return result
            raise WaitTimeout(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)
