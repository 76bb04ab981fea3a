"""A few seconds of memory for valid tokens, so a busy client costs no token query per request.

Keyed by the token's SHA-256; only valid tokens are kept, each for ``ttl`` seconds. A revoked
token therefore stops working in at most ``ttl`` seconds on every API worker
(``PLATECUT_AUTH_CACHE_SECONDS``; 0 turns the cache off).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from api.auth.principal import Principal

MAX_ENTRIES = 10_000


class PrincipalCache:
    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self._clock = ttl, clock
        self._items: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, token_hash: str) -> Principal | None:
        if self.ttl <= 0:
            return None
        with self._lock:
            item = self._items.get(token_hash)
            if item is None or item[0] <= self._clock():
                self._items.pop(token_hash, None)
                return None
            return item[1]

    def put(self, token_hash: str, principal: Principal) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._items) >= MAX_ENTRIES:
                self._items.clear()
            self._items[token_hash] = (self._clock() + self.ttl, principal)
