"""Publishing one plate's served cuts: plates (the visible plate, its project) and cuts (its rows)
composed with the tracker."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.config import TrackerSettings
from api.cuts.repository import cuts_of_plate
from api.plates.repository import get_plate
from api.projects.models import Project
from api.trackers import service
from api.trackers.schemas import PublishOut


def publish_to_kitsu(session: Session, principal: Principal, settings: TrackerSettings,
                     plate_id: uuid.UUID) -> PublishOut:
    plate = get_plate(session, principal, plate_id)  # 404 when not visible
    project = session.get(Project, plate.project_id)
    assert project is not None
    tracker = service.kitsu(settings)
    return service.publish(tracker, settings, plate, project.name, cuts_of_plate(session, plate.id))
