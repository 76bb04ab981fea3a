"""Cut versions and corrections as the API takes and shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from api.corrections import edits
from api.corrections.models import CutVersion, VersionOrigin
from api.validation import RequestBody
from jobs.manifest import DetectorSettings

Frame = Annotated[int, Field(ge=0, le=2**31 - 1, description="0-based plate frame")]
Order = Annotated[int, Field(ge=1, le=2**31 - 1, description="1-based place of the cut in the plate")]
MAX_EDITS = 500
MAX_REGIONS = 8


class SplitIn(RequestBody):
    op: Literal["split"]
    frame: Frame = Field(description="First frame of the new cut")


class MergeIn(RequestBody):
    op: Literal["merge"]
    order: Order = Field(description="This cut joins the one before it")


class MoveIn(RequestBody):
    op: Literal["move"]
    order: Order = Field(description="The boundary that starts this cut")
    by: int = Field(ge=-100_000, le=100_000, description="Frames; later when positive")


class RenameIn(RequestBody):
    op: Literal["rename"]
    order: Order
    name: str = Field(max_length=edits.MAX_NAME_LENGTH * 2)


class AcceptIn(RequestBody):
    op: Literal["accept"]
    frame: Frame = Field(description="A suspicious frame that becomes a cut")


class DismissIn(RequestBody):
    op: Literal["dismiss"]
    frame: Frame = Field(description="A suspicious frame that is no cut")


EditIn = Annotated[SplitIn | MergeIn | MoveIn | RenameIn | AcceptIn | DismissIn, Field(discriminator="op")]


def to_edit(edit: EditIn) -> edits.Edit:
    if isinstance(edit, SplitIn):
        return edits.Split(edit.frame)
    if isinstance(edit, MergeIn):
        return edits.Merge(edit.order)
    if isinstance(edit, MoveIn):
        return edits.Move(edit.order, edit.by)
    if isinstance(edit, RenameIn):
        return edits.Rename(edit.order, edit.name)
    if isinstance(edit, AcceptIn):
        return edits.Accept(edit.frame)
    return edits.Dismiss(edit.frame)


class CorrectionIn(RequestBody):
    base_version: int = Field(ge=1, description="The version the edits were made on: the latest")
    edits: list[EditIn] = Field(min_length=1, max_length=MAX_EDITS, description="Applied in order")


Fraction = Annotated[float, Field(ge=0, le=1)]
Region = Annotated[list[Fraction], Field(min_length=4, max_length=4)]


class RedetectIn(RequestBody):
    detector: dict[str, float | int] = Field(
        default_factory=dict, description="Detector settings (`platecut split --set NAME=VALUE`), "
        f"of: {', '.join(DetectorSettings.model_fields)}")
    burnin_regions: list[Region] = Field(
        default_factory=list, max_length=MAX_REGIONS,
        description="Burn-in bands to read, as x, y, width, height fractions of the picture; "
                    "empty: found automatically")
    ocr: bool = Field(True, description="false: do not read burn-ins")


class VersionCutOut(BaseModel):
    order: int
    first_frame: int = Field(description="0-based plate frame: the cut's segment starts here")
    last_frame: int
    name: str
    detected_by: str = Field(description="picture, burnin, both, or editor")


class SuspiciousOut(BaseModel):
    frame: int
    reason: str
    dismissed: bool


class CutVersionSummary(BaseModel):
    number: int
    based_on: int | None
    origin: VersionOrigin
    author: str
    created_at: datetime
    cuts: int
    edits: list[dict[str, object]] = Field(description="What changed from `based_on`, in order")
    published_at: datetime | None
    published: bool = Field(description="The version the plate's cut routes serve")
    publishing: bool = Field(description="A job is writing its outputs")

    @classmethod
    def of(cls, version: CutVersion, published: int | None, publishing: int | None) -> CutVersionSummary:
        return cls(number=version.number, based_on=version.based_on, origin=version.origin,
                   author=version.author, created_at=version.created_at, cuts=len(version.cuts),
                   edits=version.edits, published_at=version.published_at,
                   published=published == version.number, publishing=publishing == version.number)


class CutVersionOut(CutVersionSummary):
    frame_count: int
    items: list[VersionCutOut]
    suspicious: list[SuspiciousOut]


class CutVersionList(BaseModel):
    latest: int | None
    published: int | None
    publishing: int | None
    items: list[CutVersionSummary] = Field(description="Newest first")
