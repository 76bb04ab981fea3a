"""A few seconds of memory for what every request asks the database the same answer to.

Used for valid API tokens (keyed by the token's SHA-256, so a busy client costs no token
query per request) and for projects by name. Only found entries are kept, each for ``ttl``
seconds: a revoked token stops working at once in the process that revoked it (``drop``) and in
at most ``ttl`` seconds in every other API process (``PLATECUT_AUTH_CACHE_SECONDS``; 0 turns the
memory off), and a new project is seen at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

MAX_ENTRIES = 10_000
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self._clock = ttl, clock
        self._items: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        if self.ttl <= 0:
            return None
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] <= self._clock():
                self._items.pop(key, None)
                return None
            return item[1]

    def put(self, key: K, value: V) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._items) >= MAX_ENTRIES:
                self._items.clear()
            self._items[key] = (self._clock() + self.ttl, value)

    def drop(self, key: K) -> None:
        """Forget ``key`` now (a revoked token)."""
        with self._lock:
            self._items.pop(key, None)
