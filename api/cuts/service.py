"""Cuts of a plate: listing them, and download URLs of their files and of the plate's outputs."""

from __future__ import annotations

import logging
import posixpath
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.cuts import repository
from api.cuts.models import Cut, OutputKind
from api.errors import Conflict, NotFound
from api.integrations.storage import Storage
from api.plates.repository import get_plate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Download:
    url: str
    expires_in: int
    filename: str


def list_cuts(session: Session, principal: Principal, plate_id: uuid.UUID) -> Sequence[Cut]:
    plate = get_plate(session, principal, plate_id)
    return repository.cuts_of_plate(session, plate.id)


def cut_download(session: Session, storage: Storage, url_ttl: int, principal: Principal,
                 plate_id: uuid.UUID, index: int, what: str) -> Download:
    plate = get_plate(session, principal, plate_id)
    cut = repository.cut_by_index(session, plate.id, index)
    if cut is None:
        raise NotFound(f"Plate {plate_id} has no cut {index}.", code="cut_not_found")
    key = cut.media_key if what == "media" else cut.thumbnail_key
    if key is None:
        raise NotFound(f"Cut {index} has no {what}.", code="output_not_found")
    return _download(storage, url_ttl, key)


def output_download(session: Session, storage: Storage, url_ttl: int, principal: Principal,
                    plate_id: uuid.UUID, kind: OutputKind, part: int = 0) -> Download:
    """A plate-level output (``part``: which strip sheet, from 1; 0 for the other kinds)."""
    plate = get_plate(session, principal, plate_id)
    output = repository.output_of_plate(session, plate.id, kind, part)
    if output is None:
        what = kind.value.replace("_", " ") + (f" sheet {part}" if part else "")
        raise NotFound(f"Plate {plate_id} has no {what}.", code="output_not_found")
    return _download(storage, url_ttl, output.key)


def source_download(session: Session, storage: Storage, url_ttl: int, principal: Principal,
                    plate_id: uuid.UUID) -> Download:
    """The plate as uploaded (its bytes once the upload completed)."""
    plate = get_plate(session, principal, plate_id)
    if plate.uploaded_at is None:
        raise Conflict(f"Plate {plate_id} has not been uploaded.", code="not_uploaded")
    return _download(storage, url_ttl, plate.source_key)


def _download(storage: Storage, url_ttl: int, key: str) -> Download:
    filename = posixpath.basename(key)
    return Download(storage.presign_get(key, url_ttl, filename=filename), url_ttl, filename)
