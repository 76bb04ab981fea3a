"""Rows written without the unit of work carry the same defaults a flush would give them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from api.db.insert import insert_new, with_defaults
from api.uploads.models import Upload, UploadKind, UploadState
from tests.api.conftest import Caller


def test_unset_columns_take_their_python_defaults_on_the_object_too() -> None:
    upload = Upload(plate_id=uuid.uuid4(), kind=UploadKind.SINGLE, part_size=10, part_count=1,
                    expires_at=datetime(2030, 1, 1, tzinfo=UTC))
    row = with_defaults(upload)
    assert isinstance(row["id"], uuid.UUID) and row["id"] == upload.id
    assert row["state"] is UploadState.PENDING is upload.state
    assert row["created_at"] == upload.created_at and row["created_at"].tzinfo is not None
    assert row["multipart_upload_id"] is None and row["completed_at"] is None


def test_inserted_rows_read_back_as_written(caller: Caller, db: Session) -> None:
    plate_id = caller.create_plate(1000)["plate"]["id"]
    upload = Upload(plate_id=uuid.UUID(plate_id), kind=UploadKind.SINGLE, part_size=1000, part_count=1,
                    expires_at=datetime(2030, 1, 1, tzinfo=UTC))
    db.query(Upload).filter_by(plate_id=upload.plate_id).delete()
    insert_new(db, upload)
    db.commit()
    stored = db.get(Upload, upload.id)
    assert stored is not None and stored is not upload  # the object was never in the session
    assert (stored.state, stored.created_at, stored.expires_at) == (
        UploadState.PENDING, upload.created_at, upload.expires_at)
