"""The ``CurrentPrincipal`` dependency: a valid bearer token, or a 401 problem."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.auth.cache import PrincipalCache
from api.auth.principal import Principal
from api.auth.service import authenticate, remembered
from api.db.unit_of_work import DbSession
from api.errors import Unauthorized

bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer pct_...`")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def get_principal_cache(request: Request) -> PrincipalCache | None:
    cache: PrincipalCache | None = getattr(request.app.state, "principal_cache", None)
    return cache


async def get_principal(request: Request, session: DbSession, credentials: Credentials) -> Principal:
    """On the event loop when the token is remembered; its database lookup goes to the thread pool."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized("An `Authorization: Bearer <token>` header is required.",
                           code="missing_token", headers={"WWW-Authenticate": "Bearer"})
    cache = await get_principal_cache(request)
    known = remembered(credentials.credentials, cache)
    if known is not None:
        return known
    return await run_in_threadpool(authenticate, session, credentials.credentials, cache)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
PrincipalCacheDep = Annotated[PrincipalCache | None, Depends(get_principal_cache)]
