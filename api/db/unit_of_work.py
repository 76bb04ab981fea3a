"""The unit of work: the one place a transaction is committed or rolled back.

Services change rows and flush; they never commit. A request's unit of work (``get_unit_of_work``,
the ``Uow`` dependency) commits once when its route returned and rolls back when it raised (unless
the problem raised says ``keep_changes``: a failed check whose new state the client must see); a
reconcile step, a CLI command or a test opens its own with ``unit_of_work(factory)``.

Side effects that must follow the commit (submitting a Job, aborting a multipart upload, deleting
objects) are registered with ``after_commit``: they run only once the commit succeeded, in the order
registered, and what each changes in the session (a launch records the launcher's answer) is
committed after it. A rollback forgets them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.db.engine import SessionFactory

log = logging.getLogger(__name__)
AfterCommit = Callable[[], object]  # what it returns is not used


class UnitOfWork:
    """One session and the side effects waiting for its commit."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._after_commit: list[AfterCommit] = []

    def after_commit(self, action: AfterCommit) -> None:
        """Run ``action`` once the transaction is committed (never if it is rolled back)."""
        self._after_commit.append(action)

    @property
    def pending(self) -> bool:
        """Whether finishing needs the database: a transaction is open or actions wait."""
        return self.session.in_transaction() or bool(self._after_commit)

    def commit(self) -> None:
        """Commit, then carry out the after-commit actions, committing what each one changed."""
        self.session.commit()
        while self._after_commit:
            action = self._after_commit.pop(0)
            action()
            self.session.commit()

    def rollback(self) -> None:
        self._after_commit.clear()
        self.session.rollback()

    def close(self) -> None:
        self._after_commit.clear()
        self.session.close()


@contextlib.contextmanager
def unit_of_work(factory: SessionFactory) -> Iterator[UnitOfWork]:
    """A unit of work outside a request: committed when the block ends, rolled back if it raises."""
    uow = UnitOfWork(factory())
    try:
        yield uow
        uow.commit()
    except BaseException:
        uow.rollback()
        raise
    finally:
        uow.close()


async def get_unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    """The request's unit of work, finished before the response is sent (``scope="function"``).

    Made on the event loop (a session holds no connection until its first statement); committed,
    or rolled back, in the thread pool, and only when there is something to finish: a read-only
    route whose session already let go of its connection costs no thread hop."""
    factory: SessionFactory = request.app.state.session_factory
    uow = UnitOfWork(factory())
    try:
        yield uow
    except BaseException as exc:
        if getattr(exc, "keep_changes", False):  # a problem that answers with what was changed
            await run_in_threadpool(_commit_and_close, uow)
        elif uow.pending:
            await run_in_threadpool(_rollback_and_close, uow)
        else:
            uow.close()
        raise
    if uow.pending:
        await run_in_threadpool(_commit_and_close, uow)
    else:
        uow.close()


def _commit_and_close(uow: UnitOfWork) -> None:
    try:
        uow.commit()
    except BaseException:
        uow.rollback()
        raise
    finally:
        uow.close()


def _rollback_and_close(uow: UnitOfWork) -> None:
    try:
        uow.rollback()
    finally:
        uow.close()


async def get_session(uow: Annotated[UnitOfWork, Depends(get_unit_of_work, scope="function")]) -> Session:
    """The session of the request's unit of work (for routes and dependencies that only read)."""
    return uow.session


Uow = Annotated[UnitOfWork, Depends(get_unit_of_work, scope="function")]
DbSession = Annotated[Session, Depends(get_session)]
