"""Creating, listing, revoking and authenticating tokens.

An admin token manages the tokens of its site; a project-scoped admin only those limited to some of
its projects (never a site-wide one). A token it may not manage is answered as missing (404).
Revoking sets ``revoked_at`` once: revoking again changes nothing and answers the same token.
"""

from __future__ import annotations

import uuid
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
from api.db.unit_of_work import UnitOfWork
from api.errors import Forbidden, NotFound, Unauthorized
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
    _require_admin(principal, "Creating tokens")
    if principal.project_ids is not None:
        allowed = {p.name for p in projects.projects_by_ids(session, list(principal.project_ids)).values()}
        if not project_names or not set(project_names) <= allowed:
            raise Forbidden("A project-scoped admin token can only create tokens of its projects.",
                            code="scope_exceeded")
    return create_token(session, principal.site_name, project_names, admin, name)


def tokens_visible_to(session: Session, principal: Principal) -> list[ApiToken]:
    """The tokens of the caller's site it may manage, revoked ones included, oldest first."""
    _require_admin(principal, "Listing tokens")
    return [row for row in repository.tokens_of_site(session, principal.site_id) if _manages(principal, row)]


def revoke_token_as(uow: UnitOfWork, principal: Principal, token_id: uuid.UUID,
                    cache: PrincipalCache | None) -> ApiToken:
    """Revoke a token the caller may manage; this process forgets it once the revocation is committed
    (other API processes within ``auth_cache_seconds``)."""
    _require_admin(principal, "Revoking tokens")
    row = repository.token_of_site(uow.session, principal.site_id, token_id)
    if row is None or not _manages(principal, row):
        raise _no_token(token_id)
    revoke(uow.session, row)
    if cache is not None:
        token_hash = row.token_hash
        uow.after_commit(lambda: cache.drop(token_hash))
    return row


def revoke_token(session: Session, token_id: uuid.UUID) -> ApiToken:
    """Revoke any token by id (the command line, which holds the database itself)."""
    row = repository.token_by_id(session, token_id)
    if row is None:
        raise _no_token(token_id)
    return revoke(session, row)


def revoke(session: Session, row: ApiToken) -> ApiToken:
    """Set ``revoked_at`` unless it is set already (revoking twice keeps the first time), flushed."""
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return row


def _manages(principal: Principal, row: ApiToken) -> bool:
    """A site-wide admin manages every token of its site; a project-scoped one those limited to some
    of its projects."""
    if principal.project_ids is None:
        return True
    scope = {p.id for p in row.projects}
    return bool(scope) and scope <= principal.project_ids


def _require_admin(principal: Principal, action: str) -> None:
    if not principal.is_admin:
        raise Forbidden(f"{action} takes an admin token.", code="admin_required")


def _no_token(token_id: uuid.UUID) -> NotFound:
    return NotFound(f"No token {token_id}.", code="token_not_found")


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
    principal = principal_of(row)
    if cache:
        cache.put(token_hash, principal)
    return principal


def principal_of(row: ApiToken) -> Principal:
    """Who a valid token is (its use recorded, written when the unit of work commits)."""
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
    scope = frozenset(p.id for p in row.projects) if row.projects else None
    return Principal(token_id=row.id, site_id=row.site_id, site_name=row.site.name,
                     is_admin=row.is_admin, project_ids=scope)
