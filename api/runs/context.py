"""``RunContext``: what a reconcile tick works with (database sessions, launcher, storage, settings).

The API builds one from what its app already holds; a worker process (Celery) calls
``RunContext.from_settings(settings)``, which builds the engine, launcher and storage once per process
and settings. On SQLite (embedded) ticks also take a file lock: it has no row locks, so one tick runs
at a time across every process sharing the data folder; on PostgreSQL ticks run side by side and
keep apart with ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import SecretStr
from sqlalchemy import Engine

from api.config import Settings
from api.db.engine import SessionFactory, make_engine, make_session_factory
from api.integrations.factory import build_launcher, build_storage
from api.integrations.launcher import Launcher
from api.integrations.storage import Storage

LOCK_FILE = "reconcile.lock"


@dataclass
class RunContext:
    session_factory: SessionFactory
    launcher: Launcher
    storage: Storage
    settings: Settings
    engine: Engine | None = None  # set when the context owns it (``from_settings``): ``close`` disposes it
    _cache: ClassVar[dict[str, RunContext]] = {}
    _cache_lock: ClassVar[threading.Lock] = threading.Lock()
    _thread_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _swept_at: float | None = field(default=None, init=False, repr=False)  # monotonic: this process's last

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> RunContext:
        """The context for ``settings`` (default: from the environment), made once per process."""
        settings = settings or Settings()
        key = _cache_key(settings)
        with cls._cache_lock:
            context = cls._cache.get(key)
            if context is None:
                context = cls._cache[key] = cls._build(settings)
            return context

    @classmethod
    def _build(cls, settings: Settings) -> RunContext:
        engine = make_engine(settings.resolved_database_url())
        return cls(make_session_factory(engine), build_launcher(settings), build_storage(settings), settings,
                   engine=engine)

    @classmethod
    def clear_cache(cls) -> None:
        """Forget (and close) the contexts ``from_settings`` made (tests, worker shutdown)."""
        with cls._cache_lock:
            contexts, cls._cache = list(cls._cache.values()), {}
        for context in contexts:
            context.close()

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()

    @property
    def dialect(self) -> str:
        bind = self.session_factory.kw.get("bind")
        return str(bind.dialect.name) if bind is not None else ""

    def sweep_due(self, every_seconds: float) -> bool:
        """Whether this context's sweep is due (at most once every ``every_seconds``); if so, it counts
        as done now. Two at once would be harmless: the sweep is safe side by side."""
        now = time.monotonic()
        if self._swept_at is not None and now - self._swept_at < every_seconds:
            return False
        self._swept_at = now
        return True

    @contextlib.contextmanager
    def tick_lock(self) -> Iterator[bool]:
        """True when this tick may run: always on PostgreSQL; on SQLite when no other tick runs."""
        if self.dialect != "sqlite":
            yield True
            return
        if not self._thread_lock.acquire(blocking=False):
            yield False
            return
        try:
            with _file_lock(self.settings.data_dir / LOCK_FILE) as acquired:
                yield acquired
        finally:
            self._thread_lock.release()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _cache_key(settings: Settings) -> str:
    """Every field, the groups' (``settings.s3``, ``settings.k8s`` ...) included, secrets by value: a
    masked dump (``mode="json"``) would take settings that differ only in a secret for the same."""

    def plain(value: Any) -> Any:
        return value.get_secret_value() if isinstance(value, SecretStr) else str(value)

    return json.dumps(settings.model_dump(), default=plain, sort_keys=True)
