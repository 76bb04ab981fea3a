"""Creating tokens and authenticating them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from api.auth import repository
from api.auth.cache import PrincipalCache
from api.auth.models import ApiToken
from api.auth.principal import Principal
from api.auth.tokens import display_prefix, generate_token, hash_token
from api.db.base import utcnow
from api.errors import Forbidden, Unauthorized
from api.projects import repository as projects

LAST_USED_RESOLUTION = timedelta(minutes=1)  # not one write per request


@dataclass(frozen=True)
class IssuedToken:
    row: ApiToken
    token: str  # shown once, never stored


def create_token(session: Session, site_name: str, project_names: Sequence[str] = (),
                 admin: bool = False, name: str = "") -> IssuedToken:
    """A new token of ``site_name`` (rows of the site and projects made when missing), flushed."""
    site = projects.get_or_create_site(session, site_name)
    scoped = [projects.get_or_create_project(session, site.id, p) for p in dict.fromkeys(project_names)]
    token = generate_token()
    row = ApiToken(site_id=site.id, name=name, prefix=display_prefix(token), token_hash=hash_token(token),
                   is_admin=admin, projects=scoped)
    session.add(row)
    session.flush()
    return IssuedToken(row, token)


def create_token_as(session: Session, principal: Principal, project_names: Sequence[str],
                    admin: bool, name: str) -> IssuedToken:
    """An admin makes a token of its own site; a project-scoped admin only within its projects."""
    if not principal.is_admin:
        raise Forbidden("Creating tokens takes an admin token.", code="admin_required")
    if principal.project_ids is not None:
        allowed = {p.name for p in projects.projects_by_ids(session, list(principal.project_ids)).values()}
        if not project_names or not set(project_names) <= allowed:
            raise Forbidden("A project-scoped admin token can only create tokens of its projects.",
                            code="scope_exceeded")
    return create_token(session, principal.site_name, project_names, admin, name)


def remembered(token: str, cache: PrincipalCache | None) -> Principal | None:
    """The token's principal when the cache holds it (no database work: safe on the event loop)."""
    return cache.get(hash_token(token)) if cache else None


def authenticate(session: Session, token: str, cache: PrincipalCache | None = None) -> Principal:
    known = remembered(token, cache)
    if known is not None:
        return known
    token_hash = hash_token(token)
    row = repository.active_token_by_hash(session, token_hash)
    if row is None:
        raise Unauthorized("The bearer token is not valid.", code="invalid_token",
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now  # written when the request's unit of work commits
    scope = frozenset(p.id for p in row.projects) if row.projects else None
    principal = Principal(token_id=row.id, site_id=row.site_id, site_name=row.site.name,
                          is_admin=row.is_admin, project_ids=scope)
    if cache:
        cache.put(token_hash, principal)
    return principal
