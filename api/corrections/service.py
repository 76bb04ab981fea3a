"""Cut versions: recording what a split found, saving corrections, and starting a publish.

A correction names the version it was made on (``base``): when that is no longer the plate's latest
version (someone else saved or re-detected meanwhile) it is refused with 409 ``stale_version`` and
nothing is saved. Services flush and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.auth.models import ApiToken
from api.auth.principal import Principal
from api.corrections import repository
from api.corrections.edits import CutState, Edit, EditError, apply_edits
from api.corrections.models import CutVersion, VersionOrigin
from api.corrections.state import (
    cuts_json,
    dismissed_json,
    edits_json,
    state_of,
    state_of_manifest,
    suspicious_frames,
    suspicious_of,
)
from api.db.base import utcnow
from api.errors import Conflict, NotFound, Unprocessable
from api.plates.models import Plate, PlateState
from api.plates.repository import get_plate
from jobs.manifest import Manifest

DETECTION = "detection"  # the author of a detected version
PUBLISHABLE_STATES = frozenset({PlateState.SUCCEEDED, PlateState.FAILED})


def record_manifest(session: Session, plate: Plate, manifest: Manifest) -> CutVersion | None:
    """What a successful attempt wrote: a publish marks its version published; a detection saves a
    new version (published: its outputs are the ones just ingested). Flushed, not committed."""
    published = manifest.split.cut_list_version
    if published is not None:
        version = repository.by_number(session, plate.id, published)
        if version is not None:
            _mark_published(plate, version)
        return version
    latest = repository.latest(session, plate.id)
    version = _new_version(session, plate, (latest.number + 1) if latest else 1, state_of_manifest(manifest),
                           VersionOrigin.DETECTED, DETECTION)
    version.suspicious = suspicious_of(manifest)
    _mark_published(plate, version)
    session.flush()
    return version


def _mark_published(plate: Plate, version: CutVersion) -> None:
    version.published_at = utcnow()
    version.attempt = plate.attempt
    plate.published_cut_version = version.number
    plate.publishing_cut_version = None


def correct(session: Session, principal: Principal, plate_id: uuid.UUID, base: int,
            edits: list[Edit]) -> tuple[Plate, CutVersion]:
    """A new version: ``edits`` applied to version ``base``, which must be the latest."""
    plate = get_plate(session, principal, plate_id, lock=True)
    latest = _latest(session, plate)
    if base != latest.number:
        raise Conflict(f"Version {base} is no longer the latest: version {latest.number} was saved "
                       f"by {latest.author} meanwhile. Reload to see it.", code="stale_version",
                       extra={"latest_version": latest.number})
    try:
        state = apply_edits(state_of(latest), edits, suspicious_frames(latest))
    except EditError as exc:
        raise Unprocessable(str(exc), code=exc.code) from exc
    version = _new_version(session, plate, latest.number + 1, state, VersionOrigin.CORRECTED,
                           _author(session, principal), based_on=latest.number, edits=edits)
    version.suspicious = list(latest.suspicious)
    version.author_token_id = principal.token_id
    _flush(session)
    return plate, version


def _new_version(session: Session, plate: Plate, number: int, state: CutState, origin: VersionOrigin,
                 author: str, based_on: int | None = None, edits: Sequence[Edit] = ()) -> CutVersion:
    version = CutVersion(plate_id=plate.id, number=number, based_on=based_on, origin=origin, author=author,
                         created_at=utcnow(), frame_count=state.frame_count, cuts=cuts_json(state),
                         dismissed=dismissed_json(state), suspicious=[], edits=edits_json(edits))
    session.add(version)
    return version


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:  # the same number saved by a concurrent request (SQLite)
        raise Conflict("Another correction was saved at the same moment; reload and edit again.",
                       code="stale_version") from exc


def _author(session: Session, principal: Principal) -> str:
    token = session.get(ApiToken, principal.token_id)
    if token is None:
        return f"token {principal.token_id}"
    return f"{token.name} ({token.prefix})" if token.name else token.prefix


def _latest(session: Session, plate: Plate) -> CutVersion:
    latest = repository.latest(session, plate.id)
    if latest is None:
        raise Conflict("The plate has no cuts to correct yet: its split has not succeeded.",
                       code="no_cut_version", extra={"state": plate.state.value})
    return latest


def versions(session: Session, principal: Principal, plate_id: uuid.UUID) -> tuple[Plate,
                                                                                   Sequence[CutVersion]]:
    plate = get_plate(session, principal, plate_id)
    return plate, repository.all_of_plate(session, plate.id)


def version(session: Session, principal: Principal, plate_id: uuid.UUID,
            number: int) -> tuple[Plate, CutVersion]:
    plate = get_plate(session, principal, plate_id)
    return plate, _version(session, plate, number)


def _version(session: Session, plate: Plate, number: int) -> CutVersion:
    found = repository.by_number(session, plate.id, number)
    if found is None:
        raise NotFound(f"Plate {plate.id} has no cut version {number}.", code="cut_version_not_found")
    return found


def start_publish(session: Session, principal: Principal, plate_id: uuid.UUID,
                  number: int) -> tuple[Plate, CutVersion]:
    """The plate (locked) will publish version ``number``: checked, and recorded on the plate."""
    plate = get_plate(session, principal, plate_id, lock=True)
    version = _version(session, plate, number)
    if plate.state not in PUBLISHABLE_STATES:
        raise Conflict(f"The plate is {plate.state.value}: wait for its job to end.",
                       code="invalid_state", extra={"state": plate.state.value})
    if plate.state is PlateState.SUCCEEDED and plate.published_cut_version == number:
        raise Conflict(f"Version {number} is already the published one.", code="already_published")
    plate.publishing_cut_version = number
    return plate, version


def start_redetect(session: Session, principal: Principal, plate_id: uuid.UUID) -> Plate:
    """The plate (locked) will be detected again: checked, and recorded on the plate."""
    plate = get_plate(session, principal, plate_id, lock=True)
    if plate.state not in PUBLISHABLE_STATES:
        raise Conflict(f"The plate is {plate.state.value}: wait for its job to end.",
                       code="invalid_state", extra={"state": plate.state.value})
    plate.publishing_cut_version = None
    return plate
