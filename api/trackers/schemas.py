"""A publish to a tracker as the API shows it: one entry of a plate's publish history."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from api.trackers.models import PublishState, PublishTrigger, TrackerPublish


class PublishResultOut(BaseModel):
    project: str = Field(description="The tracker's project")
    project_id: str = Field(description="Its id in the tracker")
    reel: str
    version: int | None
    cut_version: int | None
    created: list[str] = Field(description="Shots created")
    updated: list[str] = Field(description="Shots whose frames or data changed")
    unchanged: list[str]
    omitted: list[str] = Field(description="Shots of the reel this version no longer has, now in the "
                                           "site's omitted status (never deleted)")
    thumbnails: int = Field(0, description="Thumbnails uploaded (new or changed pictures only)")
    api_calls: int = Field(description="Requests made to the tracker")


class PublishOut(BaseModel):
    id: uuid.UUID
    plate_id: uuid.UUID
    tracker: str
    trigger: PublishTrigger
    requested_by: str | None
    cut_version: int | None
    state: PublishState = Field(description="queued, succeeded, retrying (due again at next_attempt_at) "
                                            "or gave_up")
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_error_code: str | None
    last_error: str | None
    result: PublishResultOut | None = Field(description="What the last successful attempt did")
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, publish: TrackerPublish) -> PublishOut:
        result: dict[str, Any] | None = publish.result
        return cls(id=publish.id, plate_id=publish.plate_id, tracker=publish.tracker, trigger=publish.trigger,
                   requested_by=publish.requested_by, cut_version=publish.cut_version, state=publish.state,
                   attempts=publish.attempts, next_attempt_at=publish.next_attempt_at,
                   last_attempt_at=publish.last_attempt_at, last_error_code=publish.last_error_code,
                   last_error=publish.last_error,
                   result=PublishResultOut.model_validate(result) if result else None,
                   created_at=publish.created_at, finished_at=publish.finished_at)


class PublishList(BaseModel):
    items: list[PublishOut]
