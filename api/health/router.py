"""/healthz (the process answers) and /readyz (the database and the storage answer).

A failed check answers 503 ``not_ready`` naming the check, never the failure's text (host names,
paths, credentials' names): that goes to the log, under the request id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import APIRouter
from sqlalchemy import text

from api.db.unit_of_work import DbSession
from api.dependencies import StorageDep
from api.errors import ServiceUnavailable
from api.observability.logging import log_failure

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)
OK, FAILED = "ok", "failed"


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Live: the process serves requests."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "The database or the storage is not usable"}})
def readyz(session: DbSession, storage: StorageDep) -> dict[str, object]:
    """Ready: the database answers a query and the storage its check."""
    checks = {"database": _check("database", lambda: session.execute(text("SELECT 1"))),
              "storage": _check("storage", storage.check)}
    failed = [name for name, state in checks.items() if state != OK]
    if failed:
        raise ServiceUnavailable(f"Not ready: {', '.join(failed)} failed.", code="not_ready",
                                 extra={"checks": checks})
    return {"status": "ready", "checks": checks}


def _check(name: str, probe: Callable[[], object]) -> str:
    try:
        probe()
    except Exception as exc:  # any driver or storage error means not ready
        log_failure(log, f"readiness: {name} failed", exc, logging.WARNING, check=name)
        return FAILED
    return OK
