"""The id of the request being served, for logs and problem documents."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

REQUEST_ID_HEADER = "X-Request-ID"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()


def accept_or_make_request_id(incoming: str | None) -> str:
    """Keep a caller's id when it is sane (no spaces, quotes or control characters)."""
    if incoming and _VALID.match(incoming):
        return incoming
    return uuid.uuid4().hex
