"""Projects as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.config import MAX_HANDLES
from api.validation import RequestBody, Slug


class ProjectCreate(RequestBody):
    name: Slug
    head_handles: int | None = Field(None, ge=0, le=MAX_HANDLES, description="The project's own head "
                                     "handles (default: the site's, PLATECUT_HEAD_HANDLES)")
    tail_handles: int | None = Field(None, ge=0, le=MAX_HANDLES, description="Likewise at the tail")


class ProjectUpdate(RequestBody):
    """The project's own handles; null: the site's again. A field left out is left as it is."""

    head_handles: int | None = Field(None, ge=0, le=MAX_HANDLES)
    tail_handles: int | None = Field(None, ge=0, le=MAX_HANDLES)


class ProjectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    created_at: datetime
    head_handles: int | None
    tail_handles: int | None


class ProjectList(BaseModel):
    items: list[ProjectOut]
