"""Checks of what a client uploaded: parts, size, SHA-256."""

from __future__ import annotations

import hashlib

from api.errors import BadRequest, Conflict
from api.integrations.storage import InvalidPart, NoSuchUpload, ObjectInfo, Storage, UploadedPart
from api.plates.models import Plate
from api.uploads.models import Upload, UploadKind
from api.uploads.schemas import CompletedPart


class PartsGone(Conflict):
    """The storage holds neither the multipart upload nor the object it would have made."""

    code = "upload_gone"


class ChecksumMismatch(Conflict):
    code = "checksum_mismatch"


class SizeMismatch(Conflict):
    code = "size_mismatch"


def _bare(etag: str) -> str:
    return etag.strip().removeprefix("W/").strip('"')


def finish_multipart(storage: Storage, plate: Plate, upload: Upload,
                     claimed: list[CompletedPart] | None) -> None:
    """Complete the storage's multipart upload once every part is there with the right sizes.

    When the storage already forgot the upload but holds the object (completed by an earlier
    call whose commit failed), the object's checks that follow decide.
    """
    assert upload.multipart_upload_id is not None
    try:
        held = storage.list_parts(plate.source_key, upload.multipart_upload_id)
    except NoSuchUpload as exc:
        if storage.head(plate.source_key) is not None:
            return
        raise PartsGone("The storage no longer holds this upload's parts.") from exc
    parts = _agreed_parts(held, claimed, upload.part_count)
    _check_part_sizes(parts, plate, upload)
    try:
        storage.complete_multipart(plate.source_key, upload.multipart_upload_id, parts)
    except InvalidPart as exc:
        raise Conflict(f"The storage refused the parts: {exc}", code="invalid_parts") from exc


def _agreed_parts(held: list[UploadedPart], claimed: list[CompletedPart] | None,
                  count: int) -> list[UploadedPart]:
    by_number = {part.number: part for part in held}
    if claimed is not None:
        for part in claimed:
            if part.number > count:
                raise BadRequest(f"Part {part.number} is past the last part, {count}.",
                                 code="invalid_part_number")
            known = by_number.get(part.number)
            if known is not None and _bare(known.etag) != _bare(part.etag):
                raise Conflict(f"Part {part.number}'s ETag is not the one stored.", code="part_mismatch",
                               extra={"part": part.number})
    missing = [n for n in range(1, count + 1) if n not in by_number]
    if missing:
        raise Conflict(f"{len(missing)} of {count} parts are not uploaded.", code="parts_missing",
                       extra={"missing_parts": missing[:100]})
    return [by_number[n] for n in range(1, count + 1)]


def _check_part_sizes(parts: list[UploadedPart], plate: Plate, upload: Upload) -> None:
    total = sum(part.size for part in parts)
    if total != plate.size_bytes:
        raise Conflict(f"The parts hold {total} bytes; {plate.size_bytes} were declared.",
                       code="size_mismatch", extra={"declared": plate.size_bytes, "uploaded": total})
    wrong = [p.number for p in parts[:-1] if p.size != upload.part_size]
    if wrong:
        raise Conflict(f"Parts {wrong[:10]} are not {upload.part_size} bytes.", code="invalid_parts")


def uploaded_object(storage: Storage, plate: Plate) -> ObjectInfo:
    info = storage.head(plate.source_key)
    if info is None:
        raise Conflict("Nothing was uploaded yet.", code="upload_incomplete")
    if info.size != plate.size_bytes:
        raise SizeMismatch(f"The upload holds {info.size} bytes; {plate.size_bytes} were declared.",
                           extra={"declared": plate.size_bytes, "uploaded": info.size})
    return info


def checksum(storage: Storage, verify_max: int, plate: Plate, upload: Upload) -> bool:
    """Whether the stored bytes are known to match the declared SHA-256 (409 when they don't).

    A single PUT was signed with the SHA-256, so the storage refused other bytes; a multipart
    upload is read back and hashed when at most ``verify_max`` bytes (``PLATECUT_VERIFY_SHA256_MAX``),
    else only recorded.
    """
    if plate.sha256 is None:
        return False
    if upload.kind is UploadKind.SINGLE:
        return True
    if plate.size_bytes > verify_max:
        return False
    digest = hashlib.sha256(storage.get_bytes(plate.source_key)).hexdigest()
    if digest != plate.sha256.lower():
        raise ChecksumMismatch("The uploaded bytes do not match the declared SHA-256.")
    return True
