"""New rows written with one Core INSERT each, without the ORM's unit of work.

For the hot path of the API (creating a plate and its upload): the objects are filled with
their Python-side column defaults and stay transient (not in the session), so the caller can
still read them to answer. The unit of work's flush was the largest part of a creation's CPU
(docs/BENCHMARKS.md, control plane).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, insert, inspect
from sqlalchemy.orm import Session

from api.db.base import Base


def with_defaults(obj: Base) -> dict[str, Any]:
    """The row of ``obj``: every column's value, a column left unset taking its Python default
    (which is also set on ``obj``)."""
    mapper = inspect(type(obj))
    row: dict[str, Any] = {}
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        value = getattr(obj, attr.key)
        if value is None and column.default is not None:
            default = column.default
            value = default.arg(None) if default.is_callable else default.arg
            setattr(obj, attr.key, value)
        row[column.key] = value
    return row


def insert_new(session: Session, *objects: Base) -> None:
    """INSERT ``objects`` in the order given (parents first), in the session's transaction."""
    for obj in objects:
        table = cast(Table, inspect(type(obj)).local_table)  # Core: no ORM bulk-insert machinery
        session.execute(insert(table), [with_defaults(obj)])
