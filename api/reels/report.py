"""The cut-change report between two versions: rows for the API, the CLI's table and the CSV."""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter

from pydantic import BaseModel, Field

from api.reels.changes import Category, ShotChange, VersionCut

CSV_COLUMNS = ("name", "category", "reordered", "old_cut", "new_cut", "old_duration", "new_duration",
               "head_delta", "tail_delta", "duration_delta", "matched_by", "confidence", "note")


class CutSide(BaseModel):
    cut: int = Field(description="cut_order in its version")
    duration: int
    source_in: int | None = Field(description="First source frame (the source timecode as frames)")
    source_out: int | None = Field(description="Past the last source frame, as in an EDL")


class ChangeRow(BaseModel):
    name: str
    category: Category
    reordered: bool
    old: CutSide | None
    new: CutSide | None
    head_delta: int | None = Field(description="Frames added at the head (negative: trimmed)")
    tail_delta: int | None = Field(description="Frames added at the tail (negative: trimmed)")
    duration_delta: int | None
    matched_by: str | None = Field(description="name, source_timecode_and_picture, source_timecode, "
                                                "picture; null when unmatched")
    confidence: float
    note: str | None

    @classmethod
    def of(cls, row: ShotChange) -> ChangeRow:
        return cls(name=row.name, category=row.category, reordered=row.reordered, old=_side(row.old),
                   new=_side(row.new), head_delta=row.head_delta, tail_delta=row.tail_delta,
                   duration_delta=row.duration_delta,
                   matched_by=row.matched_by.value if row.matched_by else None,
                   confidence=row.confidence, note=row.note)


class ChangeReport(BaseModel):
    plate_id: uuid.UUID
    against_plate_id: uuid.UUID | None = Field(description="null: no earlier version, every shot is new")
    reel: str | None
    version: int | None
    against_version: int | None
    counts: dict[str, int] = Field(description="Rows per category, and reordered")
    items: list[ChangeRow]


def _side(cut: VersionCut | None) -> CutSide | None:
    if cut is None:
        return None
    return CutSide(cut=cut.order, duration=cut.duration, source_in=cut.source_in, source_out=cut.source_out)


def counts_of(rows: list[ChangeRow]) -> dict[str, int]:
    counted = Counter(row.category.value for row in rows)
    return {**{c.value: counted.get(c.value, 0) for c in Category},
            "reordered": sum(row.reordered for row in rows)}


def as_csv(report: ChangeReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.items:
        writer.writerow([row.name, row.category.value, "yes" if row.reordered else "",
                         _get(row.old, "cut"), _get(row.new, "cut"), _get(row.old, "duration"),
                         _get(row.new, "duration"), _blank(row.head_delta), _blank(row.tail_delta),
                         _blank(row.duration_delta), row.matched_by or "", f"{row.confidence:.2f}",
                         row.note or ""])
    return out.getvalue()


def _get(side: CutSide | None, field: str) -> str:
    return "" if side is None else str(getattr(side, field))


def _blank(value: int | None) -> str:
    return "" if value is None else str(value)
