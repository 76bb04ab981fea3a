"""The short-lived memory of valid tokens."""

from __future__ import annotations

import uuid

from api.auth.cache import PrincipalCache
from api.auth.principal import Principal


def _principal() -> Principal:
    return Principal(uuid.uuid4(), uuid.uuid4(), "studio", False, None)


def test_a_token_is_remembered_for_ttl_seconds_then_asked_again() -> None:
    now = [100.0]
    cache = PrincipalCache(10, clock=lambda: now[0])
    who = _principal()
    cache.put("h1", who)
    assert cache.get("h1") is who
    now[0] += 9.9
    assert cache.get("h1") is who
    now[0] += 0.2
    assert cache.get("h1") is None  # expired: the database is asked again
    assert cache.get("unknown") is None


def test_ttl_zero_turns_it_off() -> None:
    cache = PrincipalCache(0)
    cache.put("h1", _principal())
    assert cache.get("h1") is None
