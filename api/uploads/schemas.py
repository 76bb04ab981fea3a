"""Upload instructions: what a client sends where, to upload a plate."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.integrations.storage import MAX_PARTS
from api.validation import RequestBody

PartNumber = int


class SignedRequest(BaseModel):
    """Send ``method`` to ``url`` with exactly these ``headers`` and the bytes as the body."""

    method: str
    url: str
    headers: dict[str, str] = {}


class PartUpload(SignedRequest):
    number: int = Field(ge=1, le=MAX_PARTS)
    size: int = Field(description="Bytes this part must hold (every part but the last: part_size)")


class UploadedPartOut(BaseModel):
    number: int
    etag: str
    size: int


class UploadInstructions(BaseModel):
    """How to upload the plate's bytes.

    ``single``: one PUT of the whole file to ``put``. ``multipart``: the file cut in
    ``part_count`` parts of ``part_size`` bytes (the last one shorter), each PUT to its URL
    in ``parts`` (any order, in parallel; keep each response's ``ETag``). ``parts`` lists at
    most ``limit`` parts still missing, from ``from_part`` on; when ``next_part`` is set, get
    ``GET /api/v1/plates/{id}/upload?from_part=<next_part>`` for the next page. Then
    ``POST /api/v1/plates/{id}/upload/complete``.
    """

    upload_id: uuid.UUID
    kind: Literal["single", "multipart"]
    state: str
    size: int
    expires_at: datetime = Field(description="The upload must be completed before this")
    url_expires_in: int = Field(description="Seconds each URL here stays valid")
    put: SignedRequest | None = None
    part_size: int
    part_count: int
    parts: list[PartUpload] = []
    uploaded_parts: list[UploadedPartOut] = Field([], description="Parts the storage already holds")
    next_part: int | None = None


class CompletedPart(RequestBody):
    number: int = Field(ge=1, le=MAX_PARTS)
    etag: str = Field(min_length=1, max_length=200)


class CompleteUpload(RequestBody):
    """For a multipart upload, the parts and their ETags; left out, the storage's list is used."""

    parts: list[CompletedPart] | None = Field(None, max_length=MAX_PARTS)
