"""How a plate is cut in parts, and the presigned requests for them."""

from __future__ import annotations

import math
from collections.abc import Iterable

from api.integrations.storage import MAX_PARTS, PresignedRequest, Storage, UploadedPart, part_size_for
from api.uploads.models import Upload
from api.uploads.schemas import PartUpload, SignedRequest, UploadedPartOut

DEFAULT_PAGE = 100
MAX_PAGE = 1000


def choose_part_size(size: int, floor: int) -> int:
    """``part_size_for(size)``, its 64 MiB floor lowered to ``floor`` when configured lower."""
    return min(part_size_for(size), max(floor, math.ceil(size / MAX_PARTS)))


def part_bytes(size: int, part_size: int, number: int) -> int:
    return min(part_size, size - (number - 1) * part_size)


def signed(request: PresignedRequest) -> SignedRequest:
    return SignedRequest(method=request.method, url=request.url, headers=dict(request.headers))


def missing_parts(upload: Upload, uploaded: Iterable[UploadedPart], from_part: int,
                  limit: int) -> tuple[list[int], int | None]:
    """Numbers of up to ``limit`` parts not uploaded yet from ``from_part`` on, and the next page's start."""
    have = {part.number for part in uploaded}
    numbers: list[int] = []
    for number in range(from_part, upload.part_count + 1):
        if number in have:
            continue
        if len(numbers) == limit:
            return numbers, number
        numbers.append(number)
    return numbers, None


def part_requests(storage: Storage, url_ttl: int, key: str, upload: Upload, size: int,
                  numbers: list[int]) -> list[PartUpload]:
    assert upload.multipart_upload_id is not None
    parts = []
    for number in numbers:
        part_size = part_bytes(size, upload.part_size, number)
        request = storage.presign_part(key, upload.multipart_upload_id, number, url_ttl, size=part_size)
        parts.append(PartUpload(number=number, size=part_size, **signed(request).model_dump()))
    return parts


def uploaded_out(parts: Iterable[UploadedPart]) -> list[UploadedPartOut]:
    return [UploadedPartOut(number=p.number, etag=p.etag, size=p.size) for p in parts]
