"""Requests per token per second, in this process's memory: one token bucket per key.

Each key (a token's id) may make ``burst`` requests at once, then ``per_second`` on average. The
buckets live in one API process: with several processes (uvicorn workers, pods) a token may make
that many requests in each. ``per_second`` 0 turns the limit off.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

MAX_KEYS = 10_000
K = TypeVar("K", bound=Hashable)


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter(Generic[K]):
    def __init__(self, per_second: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second, self.burst, self._clock = per_second, burst, clock
        self._buckets: dict[K, _Bucket] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.per_second > 0

    def take(self, key: K) -> int | None:
        """Count one request of ``key``: None when allowed, else the whole seconds to wait (>= 1)."""
        if not self.enabled:
            return None
        now = self._clock()
        with self._lock:
            bucket = self._refilled(key, now)
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            return max(1, math.ceil((1 - bucket.tokens) / self.per_second))

    def _refilled(self, key: K, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_KEYS:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.per_second)
        bucket.updated = now
        return bucket

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled: forgetting them changes nothing."""
        full = [key for key, b in self._buckets.items()
                if b.tokens + (now - b.updated) * self.per_second >= self.burst]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= MAX_KEYS:  # all busy: start afresh rather than grow without end
            self._buckets.clear()
