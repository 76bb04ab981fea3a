"""A job's manifest into rows: read from storage, checked, and its cuts and outputs stored at most once
(in the caller's unit of work)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.cuts import repository, rows
from api.cuts.models import Cut, PlateOutput
from api.integrations.storage import Storage
from api.plates.models import Plate
from jobs.manifest import Manifest

log = logging.getLogger(__name__)

_SKIPPED = frozenset({"id", "created_at"})


class ManifestError(ValueError):
    """The manifest cannot be stored (an unsafe output path, duplicate cut indices)."""


def manifest_rows(plate: Plate, manifest: Manifest,
                  output_prefix: str | None = None) -> tuple[list[Cut], list[PlateOutput]]:
    """The rows the manifest makes (not added to any session); ``ManifestError`` when it cannot be
    stored. Output keys are under ``output_prefix`` (default the plate's output prefix)."""
    indices = [cut.index for cut in manifest.cuts]
    if len(set(indices)) != len(indices):
        raise ManifestError("the manifest lists a cut index twice")
    try:
        cuts = [rows.cut_row(plate, cut, output_prefix) for cut in manifest.cuts]
        outputs = rows.output_rows(plate, manifest, output_prefix)
    except ValueError as exc:
        raise ManifestError(str(exc)) from exc
    return cuts, outputs


def ingest_manifest(session: Session, plate: Plate, manifest: Manifest,
                    output_prefix: str | None = None) -> list[Cut]:
    """Replace the plate's cuts and outputs by the manifest's, in the caller's transaction
    (flushed, not committed: the caller commits, with the plate's new state)."""
    cuts, outputs = manifest_rows(plate, manifest, output_prefix)
    repository.delete_for_plate(session, plate.id)
    session.add_all([*cuts, *outputs])
    session.flush()
    log.info("manifest ingested", extra={"plate_id": str(plate.id), "cuts": len(cuts)})
    return cuts


class InvalidManifest(ValueError):
    """The job left a manifest the API cannot read or store: no retry can fix it."""


def read_manifest(storage: Storage, key: str) -> Manifest | None:
    """The manifest stored at ``key``; None when there is none. ``StorageError`` propagates (retry)."""
    if storage.head(key) is None:
        return None
    data = storage.get_bytes(key)
    try:
        return Manifest.model_validate_json(data)
    except ValidationError as exc:
        raise InvalidManifest(f"invalid manifest {key}: {exc.error_count()} errors, first: "
                              f"{exc.errors()[0]['msg']}") from exc


def ingest_once(session: Session, plate: Plate, manifest: Manifest, prefix: str) -> bool:
    """Store the manifest's cuts and outputs unless the plate already holds exactly those rows;
    True when rows were written (flushed, the caller commits). ``InvalidManifest`` when it cannot."""
    try:
        cuts, outputs = manifest_rows(plate, manifest, prefix)
    except ManifestError as exc:
        raise InvalidManifest(str(exc)) from exc
    held_cuts = repository.cuts_of_plate(session, plate.id)
    held_outputs = repository.outputs_of_plate(session, plate.id)
    if _values(held_cuts) == _values(cuts) and _values(held_outputs) == _values(outputs):
        return False
    ingest_manifest(session, plate, manifest, prefix)
    return True


def _values(rows: Sequence[Cut] | Sequence[PlateOutput]) -> list[tuple[object, ...]]:
    """What a row says, without its id and creation time, in a stable order."""
    return sorted((_row(row) for row in rows), key=repr)


def _row(row: Cut | PlateOutput) -> tuple[object, ...]:
    names: Iterable[str] = (c.key for c in row.__table__.columns if c.key not in _SKIPPED)
    return tuple(getattr(row, name) for name in names)
