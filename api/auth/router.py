"""/api/v1/tokens: admins create tokens of their site."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.auth import service
from api.auth.dependencies import CurrentPrincipal
from api.auth.schemas import TokenCreate, TokenCreated
from api.db.unit_of_work import DbSession
from api.urls import API_V1

router = APIRouter(prefix=API_V1 + "/tokens", tags=["tokens"])


@router.post("", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(body: TokenCreate, session: DbSession, principal: CurrentPrincipal) -> TokenCreated:
    """Create a token of the caller's site (admin tokens only); the secret is returned once."""
    issued = service.create_token_as(session, principal, body.projects, body.admin, body.name)
    row = issued.row
    return TokenCreated(id=row.id, name=row.name, site=principal.site_name,
                        projects=sorted(p.name for p in row.projects), admin=row.is_admin,
                        prefix=row.prefix, created_at=row.created_at, token=issued.token)
