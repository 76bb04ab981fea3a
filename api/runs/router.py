"""/api/v1/plates/{id}/runs and /logs: a plate's attempts, and its current job's log."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.auth.dependencies import CurrentPrincipal
from api.db.unit_of_work import DbSession
from api.dependencies import LauncherDep
from api.runs import service
from api.runs.schemas import JobLogs, RunList, RunOut
from api.urls import API_V1

router = APIRouter(prefix=API_V1 + "/plates/{plate_id}", tags=["runs"])
MAX_TAIL = 5000


@router.get("/runs", response_model=RunList)
def list_runs(plate_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> RunList:
    """Every attempt at splitting the plate, oldest first."""
    return RunList(items=[RunOut.of(r) for r in service.list_runs(session, principal, plate_id)])


@router.get("/logs", response_model=JobLogs)
def job_logs(plate_id: uuid.UUID, session: DbSession, launcher: LauncherDep, principal: CurrentPrincipal,
             tail: Annotated[int, Query(ge=1, le=MAX_TAIL, description="Lines from the end")] = 200,
             ) -> JobLogs:
    """The end of the current job's log (503 ``launcher_unavailable`` when the launcher fails)."""
    plate, text = service.job_logs(session, launcher, principal, plate_id, tail)
    return JobLogs(plate_id=plate.id, attempt=plate.attempt, job_name=plate.job_name, text=text)
