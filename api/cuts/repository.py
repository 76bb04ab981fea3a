"""Queries of cuts and plate outputs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.cuts.models import Cut, OutputKind, PlateOutput


def cuts_of_plate(session: Session, plate_id: uuid.UUID) -> Sequence[Cut]:
    return session.scalars(select(Cut).where(Cut.plate_id == plate_id).order_by(Cut.index)).all()


def cut_by_index(session: Session, plate_id: uuid.UUID, index: int) -> Cut | None:
    return session.scalar(select(Cut).where(Cut.plate_id == plate_id, Cut.index == index))


def outputs_of_plate(session: Session, plate_id: uuid.UUID) -> Sequence[PlateOutput]:
    return session.scalars(select(PlateOutput).where(PlateOutput.plate_id == plate_id)).all()


def output_of_plate(session: Session, plate_id: uuid.UUID, kind: OutputKind,
                    part: int = 0) -> PlateOutput | None:
    """The plate's output of ``kind`` (``part``: a strip sheet's number, from 1)."""
    return session.scalar(select(PlateOutput).where(PlateOutput.plate_id == plate_id,
                                                    PlateOutput.kind == kind,
                                                    PlateOutput.part == part))


def delete_for_plate(session: Session, plate_id: uuid.UUID) -> None:
    session.execute(delete(Cut).where(Cut.plate_id == plate_id))
    session.execute(delete(PlateOutput).where(PlateOutput.plate_id == plate_id))
