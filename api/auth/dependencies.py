"""The ``CurrentPrincipal`` dependency: a valid bearer token within its rate limit, or a problem
(401 without a valid token, 429 ``rate_limited`` with ``Retry-After`` over the limit)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.auth import sessions
from api.auth.cache import PrincipalCache
from api.auth.principal import Principal
from api.auth.service import authenticate, remembered
from api.db.unit_of_work import DbSession
from api.errors import TooManyRequests, Unauthorized
from api.rate_limit import RateLimiter

bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer pct_...`")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
TokenRateLimiter = RateLimiter[uuid.UUID]  # by token id
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_principal_cache(request: Request) -> PrincipalCache | None:
    cache: PrincipalCache | None = getattr(request.app.state, "principal_cache", None)
    return cache


async def get_principal(request: Request, session: DbSession, credentials: Credentials) -> Principal:
    """On the event loop when the token is remembered; its database lookup goes to the thread pool.
    Without a bearer token, a browser's session cookie (and, on a request that changes something,
    its CSRF token) stands for the token it signed in with."""
    if credentials is None and sessions.COOKIE in request.cookies:
        signed_in = await run_in_threadpool(_session_principal, request, session)
        _count_request(request, signed_in)
        return signed_in
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized("An `Authorization: Bearer <token>` header is required.",
                           code="missing_token", headers={"WWW-Authenticate": "Bearer"})
    cache = await get_principal_cache(request)
    principal = remembered(credentials.credentials, cache)
    if principal is None:
        principal = await run_in_threadpool(authenticate, session, credentials.credentials, cache)
    _count_request(request, principal)
    return principal


def _session_principal(request: Request, session: Session) -> Principal:
    found = sessions.current(session, request.cookies.get(sessions.COOKIE))
    if request.method not in SAFE_METHODS:
        sessions.check_csrf(found.csrf, request.headers.get(sessions.CSRF_HEADER))
    return found.principal


def _count_request(request: Request, principal: Principal) -> None:
    """One request of the token against its limit in this process (``PLATECUT_RATE_LIMIT_*``)."""
    limiter: TokenRateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    wait = limiter.take(principal.token_id) if limiter is not None else None
    if wait is not None:
        raise TooManyRequests(f"Too many requests with this token; retry in {wait} s.",
                              headers={"Retry-After": str(wait)})


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
PrincipalCacheDep = Annotated[PrincipalCache | None, Depends(get_principal_cache)]
