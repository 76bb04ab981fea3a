"""A dropped object becomes a plate: projects, plates, uploads and runs together.

Called by the drop tick (``api.drops.tick``, listing the prefix) and the notification route, each in
a unit of work of its own: the object's row in ``dropped_objects`` is claimed, the plate made and its
source copied by the storage (``copy_object``: a server-side copy, so that every object of the plate
lives under its prefix, which delete and the sweep rely on; the dropped object stays where it is),
the plate ``uploaded`` and launched as any uploaded plate; all committed together, the Job submitted
after the commit. A copy made for a transaction that then failed is left under that plate id's
prefix, with no row (logged by the caller's error).
"""

from __future__ import annotations

import enum
import logging

from pydantic import ValidationError

from api.auth.principal import Principal
from api.config import Settings
from api.db.unit_of_work import UnitOfWork
from api.drops import service
from api.drops.models import DroppedObject
from api.drops.service import DROP_TOKEN_ID, Offer
from api.errors import Problem
from api.integrations.launcher import Launcher
from api.integrations.storage import Storage, StorageError
from api.plates import service as plates
from api.plates.schemas import PlateCreate
from api.projects import repository as projects
from api.runs import service as runs
from api.uploads import service as uploads

log = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    TAKEN = "taken"
    REFUSED = "refused"
    SKIPPED = "skipped"  # decided before, or by a concurrent transaction


def take(uow: UnitOfWork, storage: Storage, launcher: Launcher | None, settings: Settings,
         offer: Offer) -> Outcome:
    """Make ``offer``'s plate, or refuse it for good; nothing when it was decided already."""
    session = uow.session
    row = service.claim(session, offer)
    if row is None:
        return Outcome.SKIPPED
    place = service.place_of(settings.drop.prefix, offer.key)
    if place is None:
        return _refuse(uow, row, f"not {settings.drop.prefix}<site>/<project>/<file>")
    site = projects.site_by_name(session, place.site)
    project = projects.project_by_name(session, site.id, place.project) if site is not None else None
    if site is None or project is None:
        what = f"site {place.site!r}" if site is None else f"project {place.project!r}"
        return _refuse(uow, row, f"unknown {what}")
    try:
        body = PlateCreate(name=place.name, project=project.name, size=max(offer.size, 1))
    except ValidationError as exc:
        return _refuse(uow, row, f"not a plate's name: {exc.errors()[0]['msg']}")
    if offer.size <= 0:
        return _refuse(uow, row, "empty")
    principal = Principal(token_id=DROP_TOKEN_ID, site_id=site.id, site_name=site.name, is_admin=False,
                          project_ids=None)
    handles = (settings.editorial.head_handles if project.head_handles is None else project.head_handles,
               settings.editorial.tail_handles if project.tail_handles is None else project.tail_handles)
    try:
        plate = plates.new_plate(principal, project.id, project.name, body, settings.uploads.max_plate_size,
                                 handles)
        plates.check_version_free(session, plate)
    except Problem as exc:  # too large, the version taken
        return _refuse(uow, row, f"{exc.code}: {exc}")
    info = storage.copy_object(offer.key, plate.source_key)
    if info.size != offer.size:  # replaced meanwhile: its new ETag is a new object
        raise StorageError(f"{offer.key!r} changed while it was copied")
    upload = uploads.record_copied(plate, info)
    session.add_all([plate, upload])
    session.flush()
    service.taken(session, row, plate.id)
    log.info("dropped object taken", extra={"key": offer.key, "plate_id": str(plate.id)})
    if launcher is not None and settings.launcher != "none":
        runs.launch(uow, launcher, settings, plate)
    return Outcome.TAKEN


def _refuse(uow: UnitOfWork, row: DroppedObject, reason: str) -> Outcome:
    service.refused(uow.session, row, reason)
    return Outcome.REFUSED
