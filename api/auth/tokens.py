"""Token material: high-entropy secrets, stored only as SHA-256, shown by a short prefix."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "pct_"  # recognisable in logs and by secret scanners
PREFIX_LENGTH = len(TOKEN_PREFIX) + 8


def generate_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)  # 256 bits


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def display_prefix(token: str) -> str:
    return token[:PREFIX_LENGTH]
