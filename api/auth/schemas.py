"""Tokens as the API takes and shows them: never the secret (but once, on creation) nor its hash."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from api.auth.models import ApiToken
from api.validation import RequestBody, Slug


class TokenCreate(RequestBody):
    name: str = Field("", max_length=200, description="What the token is for")
    projects: list[Slug] = Field([], max_length=100,
                                 description="Projects it is limited to (created when missing); "
                                             "empty: every project of the site")
    admin: bool = Field(False, description="May create, list and revoke tokens, and create projects")


class TokenOut(BaseModel):
    id: uuid.UUID
    name: str
    site: str
    projects: list[str] = Field(description="Projects it is limited to; empty: every project of the site")
    admin: bool
    prefix: str = Field(description="Its first characters, to recognise it")
    created_at: datetime
    last_used_at: datetime | None = Field(None, description="To the minute")
    revoked_at: datetime | None = Field(None, description="Set: the token is refused")

    @classmethod
    def from_row(cls, row: ApiToken) -> TokenOut:
        return cls(id=row.id, name=row.name, site=row.site.name,
                   projects=sorted(p.name for p in row.projects), admin=row.is_admin, prefix=row.prefix,
                   created_at=row.created_at, last_used_at=row.last_used_at, revoked_at=row.revoked_at)


class TokenCreated(TokenOut):
    token: str = Field(description="The secret: shown this once, never again")


class TokenList(BaseModel):
    items: list[TokenOut]
