"""Reading an attempt's manifest from storage and storing its cuts, at most once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.cuts.models import Cut, PlateOutput
from api.cuts.service import ManifestError, ingest_manifest, manifest_rows
from api.integrations.storage import Storage
from api.plates.models import Plate
from api.runs import repository
from jobs.manifest import Manifest

_SKIPPED = frozenset({"id", "created_at"})


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
