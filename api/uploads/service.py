"""Starting, describing, completing and aborting a plate's upload.

Completing only checks and records the upload; ``api.plates.flows.complete_upload`` follows it with
the hand-off (``on_uploaded``). Nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from api.config import UploadSettings
from api.db.base import utcnow
from api.db.unit_of_work import UnitOfWork
from api.errors import Conflict
from api.integrations.storage import NoSuchUpload, ObjectInfo, Storage, StorageError, UploadedPart
from api.plates import states
from api.plates.models import Plate, PlateState
from api.uploads import layout, verify
from api.uploads.models import Upload, UploadKind, UploadState
from api.uploads.schemas import CompletedPart, UploadInstructions

log = logging.getLogger(__name__)


def start_upload(storage: Storage, limits: UploadSettings, plate: Plate) -> Upload:
    """The upload of a new plate (to be written with it); a multipart upload is opened in
    storage when it is large."""
    now = utcnow()
    upload = Upload(plate_id=plate.id, created_at=now,
                    expires_at=now + timedelta(seconds=limits.upload_expiry))
    if plate.size_bytes <= limits.single_put_max:
        upload.kind, upload.part_size, upload.part_count = UploadKind.SINGLE, plate.size_bytes, 1
    else:
        upload.kind = UploadKind.MULTIPART
        upload.part_size = layout.choose_part_size(plate.size_bytes, limits.min_part_size)
        upload.part_count = -(-plate.size_bytes // upload.part_size)
        upload.multipart_upload_id = storage.create_multipart(plate.source_key)
    return upload


def record_copied(plate: Plate, info: ObjectInfo) -> Upload:
    """The upload of a plate whose source the storage itself wrote (a dropped object copied to its
    source key): completed at once, and the plate ``uploaded``."""
    now = utcnow()
    upload = Upload(plate_id=plate.id, created_at=now, expires_at=now, completed_at=now,
                    kind=UploadKind.SINGLE, part_size=plate.size_bytes, part_count=1,
                    state=UploadState.COMPLETED)
    plate.source_etag, plate.uploaded_at = info.etag, now
    states.move(plate, PlateState.UPLOADED)
    return upload


def instructions(storage: Storage, limits: UploadSettings, plate: Plate, upload: Upload, *,
                 from_part: int = 1, limit: int = layout.DEFAULT_PAGE,
                 fresh: bool = False) -> UploadInstructions:
    """What to send where; for a multipart upload, the parts the storage holds and URLs for
    the missing ones (``fresh``: nothing was uploaded yet, the storage is not asked)."""
    out = UploadInstructions(upload_id=upload.id, kind=upload.kind.value, state=upload.state.value,
                             size=plate.size_bytes, expires_at=upload.expires_at,
                             url_expires_in=limits.url_ttl, part_size=upload.part_size,
                             part_count=upload.part_count)
    if upload.state is not UploadState.PENDING:
        return out
    _check_not_expired(upload)
    if upload.kind is UploadKind.SINGLE:
        out.put = layout.signed(storage.presign_put(plate.source_key, plate.size_bytes, limits.url_ttl,
                                                    plate.sha256))
        return out
    held = [] if fresh else _held_parts(storage, plate, upload)
    if held is None:  # assembled already (a completion whose commit failed): only complete is left
        return out
    numbers, out.next_part = layout.missing_parts(upload, held, from_part, limit)
    out.parts = layout.part_requests(storage, limits.url_ttl, plate.source_key, upload, plate.size_bytes,
                                     numbers)
    out.uploaded_parts = layout.uploaded_out(held)
    return out


def complete(storage: Storage, limits: UploadSettings, plate: Plate, upload: Upload,
             parts: list[CompletedPart] | None) -> bool:
    """Check the uploaded object and record it; False when it was completed before (idempotent).

    Nothing is changed when a check fails (409 with a code), so the client can fix and retry; but
    when a multipart upload's parts cannot be used again (the storage lost them, or they made bytes
    that do not match the declared SHA-256) the upload is restarted, and the 409 says so
    (``upload_restarted: true``): the client sends every part again and completes.
    """
    if upload.state is UploadState.COMPLETED:
        return False
    if upload.state is not UploadState.PENDING or plate.state is not PlateState.AWAITING_UPLOAD:
        raise Conflict(f"The upload is {upload.state.value} and the plate {plate.state.value}.",
                       code="invalid_state", extra={"state": plate.state.value})
    _check_not_expired(upload)
    if upload.kind is UploadKind.MULTIPART:
        plate.sha256_verified = _finish_or_restart(storage, limits, plate, upload, parts)
    else:
        plate.sha256_verified = verify.checksum(storage, limits.verify_sha256_max, plate, upload)
    try:
        info = verify.uploaded_object(storage, plate)
    except verify.SizeMismatch:  # removed, so that the create-only URL can send the right bytes
        storage.delete_prefix(plate.source_key)
        raise
    plate.source_etag = info.etag
    plate.uploaded_at = upload.completed_at = utcnow()
    upload.state = UploadState.COMPLETED
    states.move(plate, PlateState.UPLOADED)
    return True


def abort(uow: UnitOfWork, storage: Storage, plate: Plate, upload: Upload) -> None:
    """Abandon a pending upload: the plate is cancelled, and the storage forgets its parts."""
    if upload.state is not UploadState.PENDING:
        raise Conflict(f"The upload is {upload.state.value}.", code="invalid_state",
                       extra={"state": plate.state.value})
    states.move(plate, PlateState.CANCELLED, "upload aborted")
    discard(uow, storage, plate, upload)


def discard(uow: UnitOfWork, storage: Storage, plate: Plate, upload: Upload | None) -> None:
    """Mark a pending upload aborted; once that is committed, its URLs are closed where the storage
    can close them and its multipart upload, if one is open, is aborted (idempotent)."""
    if upload is None or upload.state is not UploadState.PENDING:
        return
    upload.state = UploadState.ABORTED
    key, upload_id = plate.source_key, upload.multipart_upload_id
    uow.after_commit(lambda: _end_in_storage(storage, key, upload_id))


def _end_in_storage(storage: Storage, key: str, upload_id: str | None) -> None:
    """After the commit: a storage failure leaves the parts to the storage's own expiry, logged."""
    try:
        storage.close_uploads(key)
        if upload_id is not None:
            storage.abort_multipart(key, upload_id)
    except StorageError as exc:
        log.warning("upload not ended in storage", extra={"key": key, "error": str(exc)})


def _finish_or_restart(storage: Storage, limits: UploadSettings, plate: Plate, upload: Upload,
                       parts: list[CompletedPart] | None) -> bool:
    """Assemble the parts and check the bytes (True: they match the declared SHA-256); parts that
    cannot be used again restart the upload."""
    try:
        verify.finish_multipart(storage, plate, upload, parts)
        return verify.checksum(storage, limits.verify_sha256_max, plate, upload)
    except (verify.PartsGone, verify.ChecksumMismatch) as exc:
        storage.delete_prefix(plate.source_key)  # the assembled bytes that did not match, if any
        _restart(storage, plate, upload)
        raise Conflict(f"{exc.detail} The upload was restarted: send every part again (GET the "
                       "upload for their URLs), then complete.", code=exc.code,
                       extra={"upload_restarted": True}, keep_changes=True) from exc


def _restart(storage: Storage, plate: Plate, upload: Upload) -> None:
    """A new multipart upload in place of one whose parts are gone or unusable (same part layout)."""
    upload.multipart_upload_id = storage.create_multipart(plate.source_key)
    log.info("multipart upload restarted", extra={"plate_id": str(plate.id)})


def _held_parts(storage: Storage, plate: Plate, upload: Upload) -> list[UploadedPart] | None:
    """The parts the storage holds; None when it holds the assembled object instead. An upload the
    storage forgot (MinIO and S3 expire stale ones) is restarted: no part is held."""
    assert upload.multipart_upload_id is not None
    try:
        return storage.list_parts(plate.source_key, upload.multipart_upload_id)
    except NoSuchUpload:
        if storage.head(plate.source_key) is not None:
            return None
        _restart(storage, plate, upload)
        return []


def _check_not_expired(upload: Upload) -> None:
    if upload.expires_at <= utcnow():
        raise Conflict("The upload expired; delete the plate and create it again.", code="upload_expired")
