"""Plates as the API takes and shows them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from api.config import MAX_HANDLES
from api.plates.models import Plate, PlateKind, PlateState, ReelFrom
from api.uploads.schemas import UploadInstructions
from api.validation import DisplayName, RequestBody, Sha256Hex, Slug

MAX_VERSION = 999_999


class PlateCreate(RequestBody):
    name: DisplayName = Field(description="The file name (no path): shown, and kept in the object key")
    project: Slug = Field(description="Name of a project of the token's site")
    size: int = Field(gt=0, description="Exact size in bytes")
    sha256: Sha256Hex | None = Field(None, description="SHA-256 of the file, hex; checked when feasible")
    reel: Slug | None = Field(None, description="The reel this plate is a version of (default: read from "
                              "the name, e.g. ep101_r2_v07.mov; else none)")
    version: int | None = Field(None, ge=1, le=MAX_VERSION, description="Its version of the reel")
    kind: PlateKind = Field(PlateKind.REFERENCE, strict=False,  # its value, as JSON spells it
                            description="reference: segments hold the cuts alone "
                            "(handles virtual); scan: each segment holds its handles too")
    head_handles: int | None = Field(None, ge=0, le=MAX_HANDLES, description="Default: the project's, "
                                     "else the site's")
    tail_handles: int | None = Field(None, ge=0, le=MAX_HANDLES)

    @model_validator(mode="after")
    def _reel_and_version_together(self) -> PlateCreate:
        if (self.reel is None) != (self.version is None):
            raise PydanticCustomError("reel_version", "give both reel and version, or neither")
        return self


class PlateOut(BaseModel):
    id: uuid.UUID
    name: str
    project: str
    state: PlateState
    state_reason: str | None = Field(description="Why the plate is in a terminal state")
    attempt: int
    size: int
    sha256: str | None
    sha256_verified: bool = Field(description="The stored bytes were checked against sha256")
    source_key: str
    output_prefix: str
    job_name: str | None
    created_at: datetime
    updated_at: datetime
    uploaded_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    purged_at: datetime | None = Field(description="When the sweep deleted its objects (source and "
                                                   "outputs) because it was abandoned; it is not retried")
    reel: str | None
    version: int | None
    reel_from: ReelFrom | None = Field(description="declared on creation, or read from the name")
    kind: PlateKind
    head_handles: int
    tail_handles: int

    @classmethod
    def of(cls, plate: Plate, project: str | None = None) -> PlateOut:
        """``project``: the project's name when the plate's project is not loaded (a new plate)."""
        return cls(id=plate.id, name=plate.name, project=project or plate.project.name, state=plate.state,
                   state_reason=plate.state_reason, attempt=plate.attempt, size=plate.size_bytes,
                   sha256=plate.sha256, sha256_verified=plate.sha256_verified,
                   source_key=plate.source_key, output_prefix=plate.output_prefix,
                   job_name=plate.job_name, created_at=plate.created_at, updated_at=plate.updated_at,
                   uploaded_at=plate.uploaded_at, started_at=plate.started_at,
                   finished_at=plate.finished_at, purged_at=plate.purged_at, reel=plate.reel,
                   version=plate.version, reel_from=plate.reel_from, kind=plate.kind,
                   head_handles=plate.head_handles, tail_handles=plate.tail_handles)


class PlateCreated(BaseModel):
    plate: PlateOut
    upload: UploadInstructions


class PlatePage(BaseModel):
    items: list[PlateOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: no more")
