"""Opaque cursors over (created_at, id), newest first."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from api.errors import BadRequest


@dataclass(frozen=True)
class Cursor:
    created_at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        raw = json.dumps([self.created_at.isoformat(), self.id.hex]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            created, ident = json.loads(raw)
            cursor = cls(datetime.fromisoformat(created), uuid.UUID(hex=ident))
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
            raise BadRequest("The cursor is not one this API returned.", code="invalid_cursor") from exc
        if cursor.created_at.tzinfo is None:
            raise BadRequest("The cursor is not one this API returned.", code="invalid_cursor")
        return cursor
