"""Projects as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from api.validation import RequestBody, Slug


class ProjectCreate(RequestBody):
    name: Slug


class ProjectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    created_at: datetime


class ProjectList(BaseModel):
    items: list[ProjectOut]
