"""Runs as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from api.runs.models import Run, RunState


class RunOut(BaseModel):
    attempt: int
    tries: int = Field(description="Place in a series of automatic retries (1: started by an upload "
                                   "or a client's retry)")
    job_name: str
    state: RunState
    reason: str | None = Field(description="Why it ended (the job's termination message), or why "
                                           "submitting failed")
    exit_code: int | None
    created_at: datetime
    submitted_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, run: Run) -> RunOut:
        return cls(attempt=run.attempt, tries=run.tries, job_name=run.job_name, state=run.state,
                   reason=run.reason, exit_code=run.exit_code, created_at=run.created_at,
                   submitted_at=run.submitted_at, started_at=run.started_at, finished_at=run.finished_at)


class RunList(BaseModel):
    items: list[RunOut]


class JobLogs(BaseModel):
    plate_id: uuid.UUID
    attempt: int
    job_name: str | None
    text: str = Field(description="The last lines of the current job's log (empty once it was deleted)")
