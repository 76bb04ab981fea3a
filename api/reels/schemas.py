"""Reels and their versions as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from api.plates.models import PlateState, ReelFrom


class ReelOut(BaseModel):
    project: str
    reel: str
    versions: int = Field(description="How many versions of it were declared")
    latest_version: int
    latest_plate_id: uuid.UUID
    updated_at: datetime = Field(description="When its newest version was declared")


class ReelList(BaseModel):
    items: list[ReelOut]


class ReelVersionOut(BaseModel):
    version: int
    plate_id: uuid.UUID
    name: str
    state: PlateState
    reel_from: ReelFrom | None
    cuts: int = Field(description="Cuts of the plate (0 until its split succeeded)")
    created_at: datetime


class ReelVersions(BaseModel):
    project: str
    reel: str
    items: list[ReelVersionOut] = Field(description="Newest version first")
