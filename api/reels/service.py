"""Reels: the versions of one reel a studio turns over (``ep101_r2`` v07, v08...)."""

from __future__ import annotations

import uuid
from fractions import Fraction

from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.cuts.models import Cut
from api.cuts.repository import cuts_of_plate
from api.errors import Conflict, NotFound
from api.integrations.storage import Storage, StorageError
from api.plates.models import Plate, PlateKind, PlateState
from api.plates.repository import get_plate
from api.reels import repository, sheet
from api.reels.changes import VersionCut, compare
from api.reels.report import ChangeReport, ChangeRow, counts_of
from api.reels.schemas import ReelOut, ReelVersionOut, ReelVersions
from jobs.timecode import FrameRate, timecode_to_frames


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


def cut_changes(session: Session, principal: Principal, plate_id: uuid.UUID,
                against_id: uuid.UUID | None) -> ChangeReport:
    """Every shot of the plate and of the version it is compared with (``against_id``, default the
    reel's previous version) with its category. 404 for a plate of another project; 409
    ``not_succeeded`` while either has no cuts yet."""
    plate = _succeeded(get_plate(session, principal, plate_id))
    earlier = _earlier_versions(session, plate)
    if against_id is not None:
        chosen = get_plate(session, principal, against_id)  # 404 when not visible
        if chosen.project_id != plate.project_id:
            raise NotFound(f"No plate {against_id} in this plate's project.", code="plate_not_found")
        against: Plate | None = _succeeded(chosen)
    else:
        against = earlier[-1] if earlier else None
    old = _version_cuts(session, against) if against is not None else []
    before = [p for p in earlier if against is not None and p.version is not None
              and against.version is not None and p.version < against.version]
    gone = _names(session, before) - {cut.name for cut in old if cut.named}
    rows = [ChangeRow.of(row) for row in compare(old, _version_cuts(session, plate), gone)]
    return ChangeReport(plate_id=plate.id, against_plate_id=against.id if against else None, reel=plate.reel,
                        version=plate.version, against_version=against.version if against else None,
                        counts=counts_of(rows), items=rows)


def _succeeded(plate: Plate) -> Plate:
    if plate.state is not PlateState.SUCCEEDED:
        raise Conflict(f"Plate {plate.id} is {plate.state.value}: it has no cuts to compare yet.",
                       code="not_succeeded", extra={"plate_id": str(plate.id), "state": plate.state.value})
    return plate


def _earlier_versions(session: Session, plate: Plate) -> list[Plate]:
    """The reel's succeeded versions before this plate's, oldest first."""
    if plate.reel is None or plate.version is None:
        return []
    version = plate.version
    return [p for p in repository.version_plates(session, plate.project_id, plate.reel)
            if p.version is not None and p.version < version and p.state is PlateState.SUCCEEDED]


def _names(session: Session, plates: list[Plate]) -> set[str]:
    return {cut.name for plate in plates for cut in _version_cuts(session, plate) if cut.named}


def _version_cuts(session: Session, plate: Plate) -> list[VersionCut]:
    return [version_cut(cut, plate) for cut in cuts_of_plate(session, plate.id)]


def version_cut(cut: Cut, plate: Plate) -> VersionCut:
    """A cut as the comparison sees it. Its source range counts when the source timecode is the
    camera's: read from burn-ins, or a scan's own timecode (an edit ref's own is record time)."""
    duration = cut.cut_duration or cut.frame_count  # cuts ingested from schema 1: no handles
    source_in = source_out = None
    camera_timecode = cut.source_tc_from == "burnin" or plate.kind is PlateKind.SCAN
    if camera_timecode and cut.source_tc_in:
        rate = FrameRate.from_fraction(Fraction(cut.frame_count) / Fraction(cut.duration))
        into_media = (cut.cut_in - cut.media_in) if cut.cut_in is not None and cut.media_in is not None else 0
        source_in = timecode_to_frames(cut.source_tc_in, rate) + into_media  # a scan's head handles
        source_out = source_in + duration
    picture = int(cut.picture_hash, 16) if cut.picture_hash else None
    return VersionCut(order=cut.index, name=cut.name, named=cut.name_from == "burnin", duration=duration,
                      head_handles=_handles(cut.head_handles, plate.head_handles),
                      tail_handles=_handles(cut.tail_handles, plate.tail_handles),
                      source_in=source_in, source_out=source_out, picture=picture)


def _handles(of_cut: int | None, of_plate: int) -> int:
    """The cut's own (a short scan segment has none), else its plate's."""
    return of_plate if of_cut is None else of_cut


def changes_picture(session: Session, storage: Storage, principal: Principal, plate_id: uuid.UUID,
                    against_id: uuid.UUID | None) -> bytes:
    """The report's changed shots as a PNG: old and new thumbnails side by side, the change under."""
    report = cut_changes(session, principal, plate_id, against_id)
    keys = {"new": _thumbnail_keys(session, report.plate_id)}
    keys["old"] = _thumbnail_keys(session, report.against_plate_id) if report.against_plate_id else {}

    def thumbnail(side: str, order: int) -> bytes | None:
        key = keys[side].get(order)
        if key is None:
            return None
        try:
            return storage.get_bytes(key)
        except StorageError:  # gone from storage: drawn as an empty tile
            return None

    old = f"v{report.against_version:02d}" if report.against_version else "nothing"
    title = f"{report.reel or 'plate'}: {old} -> v{report.version or 0:02d}, changed shots"
    return sheet.render(sheet.changed(report.items), thumbnail, title)


def _thumbnail_keys(session: Session, plate_id: uuid.UUID) -> dict[int, str]:
    return {cut.index: cut.thumbnail_key for cut in cuts_of_plate(session, plate_id) if cut.thumbnail_key}
