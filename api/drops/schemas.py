"""MinIO's bucket notification (the webhook target's body) as far as the drop folders read it, and
the answer. Every other field of MinIO's event is ignored."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class EventObject(_Lenient):
    key: str = Field(description="The object's key, URL-encoded (spaces as '+')")
    size: int = 0
    eTag: str = ""


class EventS3(_Lenient):
    object: EventObject


class EventRecord(_Lenient):
    eventName: str = ""
    s3: EventS3


class MinioEvent(_Lenient):
    """MinIO's payload: ``Records``, one per object (``EventName`` and ``Key`` too, not read)."""

    Records: list[EventRecord] = Field(default_factory=list)


class DropOutcome(BaseModel):
    taken: int = Field(description="Objects that became plates")
    refused: int = Field(description="Objects refused for good (unknown site or project...)")
    skipped: int = Field(description="Objects decided before, not created ones, or outside the prefix")
