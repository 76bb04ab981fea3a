"""Serialising read-decide-write transactions on both databases.

PostgreSQL locks the rows a transaction reads ``FOR UPDATE``. SQLite has no row locks: there a
transaction that will write what it read takes the database's write lock before it reads anything
(``BEGIN IMMEDIATE``), so two requests on one plate run one after the other instead of both deciding
from the same old row. Readers are never blocked (WAL).
"""

from __future__ import annotations

from sqlalchemy.orm import Session


def take_write_lock(session: Session) -> None:
    """On SQLite, hold the write lock from now until the transaction ends (no-op elsewhere, and when
    this transaction already wrote: it holds the lock then)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    driver_connection = connection.connection.dbapi_connection
    if driver_connection is not None and not driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
