"""Tokens as the API takes and shows them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.validation import Slug


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=200, description="What the token is for")
    projects: list[Slug] = Field([], max_length=100,
                                 description="Projects it is limited to (created when missing); "
                                             "empty: every project of the site")
    admin: bool = Field(False, description="May create tokens and projects")


class TokenCreated(BaseModel):
    id: uuid.UUID
    name: str
    site: str
    projects: list[str]
    admin: bool
    prefix: str = Field(description="Shown in lists to recognise the token")
    created_at: datetime
    token: str = Field(description="The secret: shown this once, never again")
