"""Structured logs: one JSON object per line, carrying the request id."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from api.observability.context import current_request_id

_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is now (test runners swap it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr from the root logger (uvicorn's loggers propagate to it). Idempotent."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    if any(getattr(handler, "_platecut", False) for handler in root.handlers):
        return
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter())
    handler._platecut = True  # type: ignore[attr-defined]
    root.addHandler(handler)


def log_failure(logger: logging.Logger, what: str, exc: BaseException, level: int = logging.ERROR,
                **fields: Any) -> None:
    """Log a failure the answer does not describe: its text and traceback, with the request id, so
    that a client's problem document (which names the request id) leads to it."""
    logger.log(level, "%s: %s: %s", what, type(exc).__name__, exc, exc_info=exc,
               extra={"request_id": current_request_id(), **fields})
