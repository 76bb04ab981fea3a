"""The ``CurrentPrincipal`` dependency: a valid bearer token, or a 401 problem."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth.cache import PrincipalCache
from api.auth.principal import Principal
from api.auth.service import authenticate
from api.db.engine import DbSession
from api.errors import Unauthorized

bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer pct_...`")


def get_principal(request: Request, session: DbSession,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized("An `Authorization: Bearer <token>` header is required.",
                           code="missing_token", headers={"WWW-Authenticate": "Bearer"})
    cache: PrincipalCache | None = getattr(request.app.state, "principal_cache", None)
    return authenticate(session, credentials.credentials, cache)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
