"""Reels: the versions of one reel a studio turns over (``ep101_r2`` v07, v08...)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.errors import NotFound
from api.reels import repository
from api.reels.schemas import ReelOut, ReelVersionOut, ReelVersions


def list_reels(session: Session, principal: Principal, project_id: uuid.UUID | None) -> list[ReelOut]:
    return [ReelOut.model_validate(row) for row in repository.reels(session, principal, project_id)]


def reel_versions(session: Session, principal: Principal, project_id: uuid.UUID, project_name: str,
                  reel: str) -> ReelVersions:
    """404 ``reel_not_found`` when the project has no such reel (or none the token may see)."""
    rows = repository.versions(session, principal, project_id, reel)
    if not rows:
        raise NotFound(f"Project {project_name!r} has no reel {reel!r}.", code="reel_not_found")
    return ReelVersions(project=project_name, reel=reel,
                        items=[ReelVersionOut.model_validate(row) for row in rows])
