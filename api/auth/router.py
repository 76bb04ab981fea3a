"""/api/v1/tokens: admins create, list and revoke tokens of their site."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from api.auth import service
from api.auth.dependencies import CurrentPrincipal, PrincipalCacheDep
from api.auth.schemas import TokenCreate, TokenCreated, TokenList, TokenOut
from api.db.unit_of_work import DbSession, Uow
from api.urls import API_V1

router = APIRouter(prefix=API_V1 + "/tokens", tags=["tokens"])


@router.post("", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(body: TokenCreate, session: DbSession, principal: CurrentPrincipal) -> TokenCreated:
    """Create a token of the caller's site (admin tokens only); the secret is returned once."""
    issued = service.create_token_as(session, principal, body.projects, body.admin, body.name)
    return TokenCreated(**TokenOut.from_row(issued.row).model_dump(), token=issued.token)


@router.get("", response_model=TokenList)
def list_tokens(session: DbSession, principal: CurrentPrincipal) -> TokenList:
    """Tokens of the caller's site, revoked ones included, oldest first (admin tokens only; a
    project-scoped admin sees the tokens limited to its projects). Never a secret."""
    return TokenList(items=[TokenOut.from_row(row) for row in service.tokens_visible_to(session, principal)])


@router.delete("/{token_id}", response_model=TokenOut)
def revoke_token(token_id: uuid.UUID, uow: Uow, principal: CurrentPrincipal,
                 cache: PrincipalCacheDep) -> TokenOut:
    """Revoke a token: it is refused from now on (by other API processes within
    `PLATECUT_AUTH_CACHE_SECONDS`). Idempotent: revoking again answers the token unchanged."""
    return TokenOut.from_row(service.revoke_token_as(uow, principal, token_id, cache))
