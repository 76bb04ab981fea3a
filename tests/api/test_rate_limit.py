"""Requests per token: a token bucket per token in each API process; over it, a 429 problem."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from api.config import Settings
from api.rate_limit import MAX_KEYS, RateLimiter
from tests.api.conftest import Callers, make_settings
from tests.api.test_problems import assert_problem


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Three requests at once, then one every hundred seconds."""
    return make_settings(database_url, tmp_path / "data", rate_limit_per_second=0.01, rate_limit_burst=3)


def test_a_token_over_its_limit_gets_429_with_retry_after(callers: Callers) -> None:
    busy, other = callers("limited"), callers("limited", make_projects=())
    for _ in range(3):
        assert busy.get("/api/v1/plates").status_code == 200
    refused = busy.get("/api/v1/plates")
    body = assert_problem(refused, 429, "rate_limited")
    assert 1 <= int(refused.headers["retry-after"]) <= 100
    assert refused.headers["retry-after"] in body["detail"]
    assert other.get("/api/v1/plates").status_code == 200  # each token has its own bucket
    creating = busy.post("/api/v1/plates", json={"name": "a.mov", "project": "proj", "size": 1})
    assert creating.status_code == 429


def test_the_limit_is_on_by_default_and_0_turns_it_off() -> None:
    limits = Settings().rate_limit
    assert limits.per_second > 0 and limits.burst > 1
    off: RateLimiter[str] = RateLimiter(0, 1)
    assert all(off.take("t") is None for _ in range(1000))


def test_the_bucket_refills_at_the_rate() -> None:
    now = [0.0]
    limiter: RateLimiter[str] = RateLimiter(2, 4, clock=lambda: now[0])
    assert [limiter.take("t") for _ in range(5)] == [None, None, None, None, 1]
    assert limiter.take("u") is None  # another key
    now[0] += 0.5  # one more request's worth
    assert limiter.take("t") is None and limiter.take("t") == 1
    now[0] += 100
    assert [limiter.take("t") for _ in range(5)] == [None, None, None, None, 1]  # never above the burst
    slow: RateLimiter[str] = RateLimiter(0.1, 1, clock=lambda: now[0])
    assert slow.take("t") is None and slow.take("t") == 10


def test_memory_stays_bounded() -> None:
    now = [0.0]
    limiter: RateLimiter[uuid.UUID] = RateLimiter(1, 2, clock=lambda: now[0])
    for _ in range(MAX_KEYS + 10):
        limiter.take(uuid.uuid4())
    assert len(limiter._buckets) <= MAX_KEYS
