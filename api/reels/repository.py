"""Queries of reels: the plates that are versions of a reel, within what a principal may see."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import RowMapping, func, select
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.cuts.models import Cut
from api.plates.models import Plate
from api.plates.repository import visible_to
from api.projects.models import Project


def reels(session: Session, principal: Principal, project_id: uuid.UUID | None) -> Sequence[RowMapping]:
    """One row per (project, reel): how many versions, the newest one and its plate."""
    newest = (select(Plate.project_id, Plate.reel, func.max(Plate.version).label("latest_version"),
                     func.count().label("versions"))
              .where(visible_to(principal), Plate.reel.is_not(None))
              .group_by(Plate.project_id, Plate.reel))
    if project_id is not None:
        newest = newest.where(Plate.project_id == project_id)
    found = newest.subquery()
    query = (select(Project.name.label("project"), found.c.reel, found.c.versions, found.c.latest_version,
                    Plate.id.label("latest_plate_id"), Plate.created_at.label("updated_at"))
             .join(Plate, (Plate.project_id == found.c.project_id) & (Plate.reel == found.c.reel)
                   & (Plate.version == found.c.latest_version))
             .join(Project, Project.id == found.c.project_id)
             .order_by(Project.name, found.c.reel))
    return session.execute(query).mappings().all()


def versions(session: Session, principal: Principal, project_id: uuid.UUID,
             reel: str) -> Sequence[RowMapping]:
    """The reel's versions, newest first, with their plates' states and cut counts."""
    cuts = (select(Cut.plate_id, func.count().label("cuts")).group_by(Cut.plate_id)).subquery()
    query = (select(Plate.version, Plate.id.label("plate_id"), Plate.name, Plate.state, Plate.reel_from,
                    func.coalesce(cuts.c.cuts, 0).label("cuts"), Plate.created_at)
             .outerjoin(cuts, cuts.c.plate_id == Plate.id)
             .where(visible_to(principal), Plate.project_id == project_id, Plate.reel == reel)
             .order_by(Plate.version.desc()))
    return session.execute(query).mappings().all()


def version_plates(session: Session, project_id: uuid.UUID, reel: str) -> Sequence[Plate]:
    """Every version's plate of the reel, oldest first."""
    query = select(Plate).where(Plate.project_id == project_id, Plate.reel == reel).order_by(Plate.version)
    return session.scalars(query).all()
