"""Browser sessions: signing in with a token, the session a cookie names, signing out.

The cookie carries a random secret (only its SHA-256 is stored). Each session has a CSRF value the
pages send back on every request that changes something (``X-CSRF-Token``, or a form field); the
cookie is SameSite=Strict and HttpOnly too. A session ends when signed out, when it expires, or
when its token is revoked. Nothing here commits.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import repository
from api.auth.models import WebSession
from api.auth.principal import Principal
from api.auth.service import principal_of
from api.auth.tokens import hash_token
from api.db.base import utcnow
from api.errors import Forbidden, Unauthorized

COOKIE = "platecut_session"
CSRF_HEADER = "X-CSRF-Token"
SECRET_BYTES = 32


@dataclass(frozen=True)
class SignedIn:
    secret: str  # the cookie's value
    csrf: str
    principal: Principal


def sign_in(session: Session, token: str, hours: float) -> SignedIn:
    """A new session for a valid token (401 ``invalid_token`` otherwise)."""
    row = repository.active_token_by_hash(session, hash_token(token.strip()))
    if row is None:
        raise Unauthorized("That token is not valid (mistyped, or revoked).", code="invalid_token")
    secret, csrf = secrets.token_urlsafe(SECRET_BYTES), secrets.token_urlsafe(SECRET_BYTES)
    session.add(WebSession(secret_hash=hash_token(secret), token_id=row.id, csrf=csrf,
                           created_at=utcnow(), expires_at=utcnow() + timedelta(hours=hours)))
    session.flush()
    return SignedIn(secret, csrf, principal_of(row))


@dataclass(frozen=True)
class Current:
    principal: Principal
    csrf: str


def current(session: Session, secret: str | None) -> Current:
    """Who the session cookie ``secret`` is (401 ``no_session`` or ``session_expired``)."""
    if not secret:
        raise Unauthorized("Sign in first.", code="no_session")
    row = _by_secret(session, secret)
    if row is None or row.ended_at is not None or row.token.revoked_at is not None:
        raise Unauthorized("This session has ended: sign in again.", code="session_expired")
    if row.expires_at <= utcnow():
        raise Unauthorized("This session has expired: sign in again.", code="session_expired")
    return Current(principal_of(row.token), row.csrf)


def check_csrf(expected: str, sent: str | None) -> None:
    if not sent or not hmac.compare_digest(expected, sent):
        raise Forbidden("The request did not carry this session's CSRF token; reload the page.",
                        code="csrf_failed")


def sign_out(session: Session, secret: str | None) -> None:
    if not secret:
        return
    row = _by_secret(session, secret)
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()


def _by_secret(session: Session, secret: str) -> WebSession | None:
    return session.scalar(select(WebSession).where(WebSession.secret_hash == hash_token(secret)))
