"""/healthz (the process answers) and /readyz (the database and the storage answer)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from sqlalchemy import text

from api.db.unit_of_work import DbSession
from api.dependencies import StorageDep
from api.errors import ServiceUnavailable
from api.integrations.storage import StorageError

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Live: the process serves requests."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "The database or the storage is not usable"}})
def readyz(session: DbSession, storage: StorageDep) -> dict[str, object]:
    """Ready: the database answers a query and the storage its check."""
    checks: dict[str, str] = {}
    try:
        session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means not ready
        log.warning("readiness: database failed", exc_info=True)
        checks["database"] = f"failed: {type(exc).__name__}"
    try:
        storage.check()
        checks["storage"] = "ok"
    except StorageError as exc:
        checks["storage"] = f"failed: {exc}"
    if any(value != "ok" for value in checks.values()):
        raise ServiceUnavailable("Not ready.", code="not_ready", extra={"checks": checks})
    return {"status": "ready", "checks": checks}
