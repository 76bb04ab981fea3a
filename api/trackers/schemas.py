"""What a publish to a tracker answers."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field


class PublishOut(BaseModel):
    plate_id: uuid.UUID
    tracker: str
    project: str = Field(description="The tracker's project")
    project_id: str = Field(description="Its id in the tracker")
    reel: str
    version: int | None
    created: list[str] = Field(description="Shots created")
    updated: list[str] = Field(description="Shots whose frames or data changed")
    unchanged: list[str]
    omitted: list[str] = Field(description="Shots of the reel this version no longer has, now in the "
                                           "site's omitted status (never deleted)")
    api_calls: int = Field(description="Requests made to the tracker")
