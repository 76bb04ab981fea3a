"""Uploading plates: one presigned PUT, multipart with resume, completion checks."""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.config import Settings
from api.plates.models import Plate, PlateState
from api.uploads.models import Upload, UploadKind, UploadState
from tests.api.conftest import PART, SINGLE_PUT_MAX, Caller

MULTIPART_SIZE = 2 * PART + 1234  # three parts: two full, one short


def plate_row(db: Session, plate_id: str) -> Plate:
    db.expire_all()
    plate = db.get(Plate, uuid.UUID(plate_id))
    assert plate is not None
    return plate


def upload_row(db: Session, plate_id: str) -> Upload:
    db.expire_all()
    upload = db.scalar(select(Upload).where(Upload.plate_id == uuid.UUID(plate_id)))
    assert upload is not None
    return upload


def test_single_put_flow(caller: Caller, db: Session, settings: Settings) -> None:
    data = os.urandom(100_000)
    created = caller.create_plate(len(data), name="A001 reel.mov", sha256=hashlib.sha256(data).hexdigest())
    plate, upload = created["plate"], created["upload"]
    assert plate["state"] == "awaiting_upload" and plate["attempt"] == 1
    assert upload["kind"] == "single" and upload["put"]["method"] == "PUT" and upload["parts"] == []
    assert plate["source_key"] == (f"sites/{caller.site}/projects/proj/plates/{plate['id']}/source/"
                                   "A001_reel.mov")
    assert plate["output_prefix"] == f"sites/{caller.site}/projects/proj/plates/{plate['id']}/output/"
    assert plate_row(db, plate["id"]).state is PlateState.AWAITING_UPLOAD

    assert caller.send(upload["put"], data).status_code == 200
    done = caller.post(f"/api/v1/plates/{plate['id']}/upload/complete")
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "uploaded" and done.json()["sha256_verified"] is True

    row = plate_row(db, plate["id"])
    assert row.state is PlateState.UPLOADED and row.uploaded_at is not None and row.source_etag
    assert upload_row(db, plate["id"]).state is UploadState.COMPLETED
    assert (settings.storage_dir() / "objects" / row.source_key).read_bytes() == data
    got = caller.get(f"/api/v1/plates/{plate['id']}")
    assert got.status_code == 200 and got.json()["state"] == "uploaded"


def test_complete_twice_is_idempotent(caller: Caller, db: Session) -> None:
    first = caller.uploaded_plate(b"x" * 1000)
    again = caller.post(f"/api/v1/plates/{first['id']}/upload/complete")
    assert again.status_code == 200
    assert again.json() == first
    assert plate_row(db, first["id"]).attempt == 1


def test_complete_before_upload_is_a_conflict(caller: Caller, db: Session) -> None:
    created = caller.create_plate(1000)
    response = caller.post(f"/api/v1/plates/{created['plate']['id']}/upload/complete")
    assert response.status_code == 409 and response.json()["code"] == "upload_incomplete"
    assert plate_row(db, created["plate"]["id"]).state is PlateState.AWAITING_UPLOAD


def test_wrong_size_leaves_the_plate_unchanged(caller: Caller, db: Session, settings: Settings) -> None:
    created = caller.create_plate(1000)
    plate_id = created["plate"]["id"]
    # the signed PUT refuses other sizes; bytes put there some other way are caught on completion
    assert caller.send(created["upload"]["put"], b"x" * 999).status_code == 400
    source = settings.storage_dir() / "objects" / created["plate"]["source_key"]
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(b"x" * 999)
    response = caller.post(f"/api/v1/plates/{plate_id}/upload/complete")
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "size_mismatch" and problem["declared"] == 1000 and problem["uploaded"] == 999
    assert plate_row(db, plate_id).state is PlateState.AWAITING_UPLOAD
    assert upload_row(db, plate_id).state is UploadState.PENDING
    # the client fixes it: a new PUT of the right size, then completion works
    assert caller.send(created["upload"]["put"], b"y" * 1000).status_code == 200
    assert caller.post(f"/api/v1/plates/{plate_id}/upload/complete").json()["state"] == "uploaded"


def test_multipart_upload_with_resume(caller: Caller, db: Session, settings: Settings) -> None:
    data = os.urandom(MULTIPART_SIZE)
    created = caller.create_plate(len(data), sha256=hashlib.sha256(data).hexdigest())
    plate_id, upload = created["plate"]["id"], created["upload"]
    assert upload["kind"] == "multipart" and upload["put"] is None
    assert (upload["part_size"], upload["part_count"]) == (PART, 3)
    assert [(p["number"], p["size"]) for p in upload["parts"]] == [(1, PART), (2, PART), (3, 1234)]
    row = upload_row(db, plate_id)
    assert row.kind is UploadKind.MULTIPART and row.multipart_upload_id and row.part_count == 3

    etags = caller.upload_parts(upload, data, [1, 3])
    resumed = caller.get(f"/api/v1/plates/{plate_id}/upload")
    assert resumed.status_code == 200
    status = resumed.json()
    assert [(p["number"], p["size"]) for p in status["uploaded_parts"]] == [(1, PART), (3, 1234)]
    assert [p["number"] for p in status["parts"]] == [2] and status["next_part"] is None

    early = caller.post(f"/api/v1/plates/{plate_id}/upload/complete")
    assert early.status_code == 409 and early.json()["code"] == "parts_missing"
    assert early.json()["missing_parts"] == [2]

    etags.update(caller.upload_parts(status, data, [2]))
    parts = [{"number": n, "etag": etags[n]} for n in sorted(etags)]
    done = caller.post(f"/api/v1/plates/{plate_id}/upload/complete", json={"parts": parts})
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "uploaded" and done.json()["sha256_verified"] is True
    assert plate_row(db, plate_id).state is PlateState.UPLOADED
    assert upload_row(db, plate_id).state is UploadState.COMPLETED
    stored = settings.storage_dir() / "objects" / created["plate"]["source_key"]
    assert stored.read_bytes() == data
    assert caller.post(f"/api/v1/plates/{plate_id}/upload/complete").json()["state"] == "uploaded"


def test_a_part_larger_than_its_size_is_refused(caller: Caller) -> None:
    """Each part's URL is signed for that part's size: a larger body is 413, a shorter one 400."""
    created = caller.create_plate(MULTIPART_SIZE)
    plate_id, parts = created["plate"]["id"], {p["number"]: p for p in created["upload"]["parts"]}
    last = parts[3]
    assert last["headers"] == {"Content-Length": "1234"}
    too_large = caller.client.put(last["url"], content=os.urandom(PART))  # curl -T: its own length
    assert too_large.status_code == 413 and too_large.json()["code"] == "body_too_large"
    too_small = caller.client.put(last["url"], content=b"x" * 1000)
    assert too_small.status_code == 400 and too_small.json()["code"] == "body_too_small"
    assert caller.get(f"/api/v1/plates/{plate_id}/upload").json()["uploaded_parts"] == []
    assert caller.send(last, b"x" * 1234).status_code == 200


def test_multipart_part_pages(caller: Caller) -> None:
    created = caller.create_plate(MULTIPART_SIZE)
    plate_id = created["plate"]["id"]
    page = caller.get(f"/api/v1/plates/{plate_id}/upload", params={"limit": 2}).json()
    assert [p["number"] for p in page["parts"]] == [1, 2] and page["next_part"] == 3
    rest = caller.get(f"/api/v1/plates/{plate_id}/upload", params={"from_part": 3, "limit": 2}).json()
    assert [p["number"] for p in rest["parts"]] == [3] and rest["next_part"] is None


def test_multipart_completion_checks_etags_and_part_numbers(caller: Caller, db: Session) -> None:
    data = os.urandom(MULTIPART_SIZE)
    created = caller.create_plate(len(data))
    plate_id = created["plate"]["id"]
    etags = caller.upload_parts(created["upload"], data, [1, 2, 3])
    url = f"/api/v1/plates/{plate_id}/upload/complete"
    wrong = [{"number": n, "etag": '"0000"' if n == 2 else etags[n]} for n in (1, 2, 3)]
    assert caller.post(url, json={"parts": wrong}).json()["code"] == "part_mismatch"
    past = caller.post(url, json={"parts": [{"number": 4, "etag": "x"}]})
    assert past.status_code == 400 and past.json()["code"] == "invalid_part_number"
    for bad in (0, 10001):
        response = caller.post(url, json={"parts": [{"number": bad, "etag": "x"}]})
        assert response.status_code == 422 and response.json()["code"] == "validation_error"
    assert plate_row(db, plate_id).state is PlateState.AWAITING_UPLOAD
    assert caller.post(url).json()["state"] == "uploaded"  # the storage's own list of parts


def test_multipart_sha256_mismatch_is_refused(caller: Caller, db: Session) -> None:
    data = os.urandom(MULTIPART_SIZE)
    created = caller.create_plate(len(data), sha256="ab" * 32)
    plate_id = created["plate"]["id"]
    caller.upload_parts(created["upload"], data, [1, 2, 3])
    response = caller.post(f"/api/v1/plates/{plate_id}/upload/complete")
    assert response.status_code == 409 and response.json()["code"] == "checksum_mismatch"
    assert plate_row(db, plate_id).state is PlateState.AWAITING_UPLOAD


def test_parts_that_do_not_match_the_sha256_restart_the_upload(caller: Caller, db: Session,
                                                               settings: Settings) -> None:
    data = os.urandom(MULTIPART_SIZE)
    created = caller.create_plate(len(data), sha256=hashlib.sha256(data).hexdigest())
    plate_id, url = created["plate"]["id"], f"/api/v1/plates/{created['plate']['id']}/upload"
    caller.upload_parts(created["upload"], os.urandom(MULTIPART_SIZE), [1, 2, 3])  # other bytes
    response = caller.post(f"{url}/complete")
    assert response.status_code == 409 and response.json()["code"] == "checksum_mismatch"
    assert response.json()["upload_restarted"] is True
    assert plate_row(db, plate_id).state is PlateState.AWAITING_UPLOAD
    assert caller.post(f"{url}/complete").json()["code"] == "parts_missing"  # not stranded: resumable
    resumed = caller.get(url).json()
    assert [p["number"] for p in resumed["parts"]] == [1, 2, 3] and resumed["uploaded_parts"] == []
    caller.upload_parts(resumed, data, [1, 2, 3])
    done = caller.post(f"{url}/complete")
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "uploaded" and done.json()["sha256_verified"] is True
    row = plate_row(db, plate_id)
    assert (settings.storage_dir() / "objects" / row.source_key).read_bytes() == data


def test_an_upload_the_storage_forgot_is_restarted(caller: Caller, db: Session, app: FastAPI) -> None:
    data = os.urandom(MULTIPART_SIZE)
    created = caller.create_plate(len(data))
    plate_id, url = created["plate"]["id"], f"/api/v1/plates/{created['plate']['id']}/upload"
    caller.upload_parts(created["upload"], data, [1])
    row, upload = plate_row(db, plate_id), upload_row(db, plate_id)
    assert upload.multipart_upload_id is not None
    app.state.storage.abort_multipart(row.source_key, upload.multipart_upload_id)  # its own expiry
    gone = caller.post(f"{url}/complete")
    assert gone.status_code == 409 and gone.json()["code"] == "upload_gone"
    assert gone.json()["upload_restarted"] is True
    resumed = caller.get(url).json()
    assert [p["number"] for p in resumed["parts"]] == [1, 2, 3]
    caller.upload_parts(resumed, data, [1, 2, 3])
    assert caller.post(f"{url}/complete").json()["state"] == "uploaded"


def test_abort_cancels_the_plate(caller: Caller, db: Session, settings: Settings) -> None:
    created = caller.create_plate(MULTIPART_SIZE)
    plate_id = created["plate"]["id"]
    caller.upload_parts(created["upload"], os.urandom(MULTIPART_SIZE), [1])
    response = caller.post(f"/api/v1/plates/{plate_id}/upload/abort")
    assert response.status_code == 200
    assert response.json()["state"] == "cancelled" and response.json()["state_reason"] == "upload aborted"
    assert upload_row(db, plate_id).state is UploadState.ABORTED
    assert not any((settings.storage_dir() / "multipart").iterdir())
    again = caller.post(f"/api/v1/plates/{plate_id}/upload/abort")
    assert again.status_code == 409 and again.json()["code"] == "invalid_state"
    late = caller.post(f"/api/v1/plates/{plate_id}/upload/complete")
    assert late.status_code == 409 and late.json()["code"] == "invalid_state"


def test_size_limits(caller: Caller, settings: Settings) -> None:
    at_most = caller.create_plate(SINGLE_PUT_MAX)["upload"]
    assert at_most["kind"] == "single"
    response = caller.post("/api/v1/plates", json={"name": "big.mov", "project": "proj",
                                                   "size": settings.uploads.max_plate_size + 1})
    assert response.status_code == 422 and response.json()["code"] == "size_too_large"
    for size in (0, -1):
        response = caller.post("/api/v1/plates", json={"name": "a.mov", "project": "proj", "size": size})
        assert response.status_code == 422 and response.json()["code"] == "validation_error"


def test_expired_uploads_are_refused(caller: Caller, db: Session) -> None:
    created = caller.create_plate(10)
    plate_id = created["plate"]["id"]
    assert caller.send(created["upload"]["put"], b"0123456789").status_code == 200
    upload = upload_row(db, plate_id)
    upload.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.commit()
    for response in (caller.get(f"/api/v1/plates/{plate_id}/upload"),
                     caller.post(f"/api/v1/plates/{plate_id}/upload/complete")):
        assert response.status_code == 409 and response.json()["code"] == "upload_expired"
    assert plate_row(db, plate_id).state is PlateState.AWAITING_UPLOAD


def test_on_uploaded_is_the_one_hand_off(caller: Caller, monkeypatch: pytest.MonkeyPatch) -> None:
    from api.plates import flows as service

    seen: list[tuple[str, int]] = []
    monkeypatch.setattr(service, "on_uploaded",
                        lambda session, plate, *_: seen.append((plate.state, plate.attempt)))
    plate = caller.uploaded_plate(b"h" * 10)
    caller.post(f"/api/v1/plates/{plate['id']}/upload/complete")  # idempotent: no second hand-off
    assert seen == [(PlateState.UPLOADED, 1)]
    caller.post(f"/api/v1/plates/{plate['id']}/cancel")
    caller.post(f"/api/v1/plates/{plate['id']}/retry")
    assert seen == [(PlateState.UPLOADED, 1), (PlateState.UPLOADED, 2)]


def test_a_single_put_url_writes_nothing_once_its_upload_is_complete(caller: Caller, db: Session,
                                                                     settings: Settings) -> None:
    data = b"1" * 64
    created = caller.create_plate(len(data))  # no SHA-256 declared: only the size is signed
    put, plate_id = created["upload"]["put"], created["plate"]["id"]
    assert put["headers"]["If-None-Match"] == "*"
    assert caller.send(put, data).status_code == 200
    assert caller.post(f"/api/v1/plates/{plate_id}/upload/complete").status_code == 200
    again = caller.send(put, b"2" * 64)
    assert again.status_code == 412 and again.json()["code"] == "object_exists"
    source = settings.storage_dir() / "objects" / plate_row(db, plate_id).source_key
    assert source.read_bytes() == data


def test_upload_urls_write_nothing_after_an_abort_or_a_delete(caller: Caller, settings: Settings) -> None:
    aborted = caller.create_plate(64)
    assert caller.post(f"/api/v1/plates/{aborted['plate']['id']}/upload/abort").status_code == 200
    late = caller.send(aborted["upload"]["put"], b"3" * 64)
    assert late.status_code == 410 and late.json()["code"] == "upload_closed"

    deleted = caller.create_plate(64)
    caller.post(f"/api/v1/plates/{deleted['plate']['id']}/cancel")
    assert caller.delete(f"/api/v1/plates/{deleted['plate']['id']}").status_code == 204
    orphan = caller.send(deleted["upload"]["put"], b"4" * 64)
    assert orphan.status_code == 410 and orphan.json()["code"] == "upload_closed"
    prefix = deleted["plate"]["source_key"].rsplit("/source/", 1)[0]
    assert not (settings.storage_dir() / "objects" / prefix).exists()  # nothing brought back
