"""Queries of API tokens."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import ApiToken
from api.projects.models import Site


def active_token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash,
                                                 ApiToken.revoked_at.is_(None)))


def tokens_of_site(session: Session, site_id: uuid.UUID) -> Sequence[ApiToken]:
    """Every token of the site, revoked ones included, oldest first."""
    query = select(ApiToken).where(ApiToken.site_id == site_id).order_by(ApiToken.created_at, ApiToken.id)
    return session.scalars(query).all()


def token_of_site(session: Session, site_id: uuid.UUID, token_id: uuid.UUID) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.site_id == site_id))


def tokens_by_site_name(session: Session, site_name: str | None = None) -> Sequence[ApiToken]:
    """Tokens of every site (or of ``site_name``), by site, oldest first: for the command line."""
    query = select(ApiToken).join(Site, ApiToken.site_id == Site.id)
    if site_name is not None:
        query = query.where(Site.name == site_name)
    return session.scalars(query.order_by(Site.name, ApiToken.created_at, ApiToken.id)).all()


def token_by_id(session: Session, token_id: uuid.UUID) -> ApiToken | None:
    return session.get(ApiToken, token_id)
