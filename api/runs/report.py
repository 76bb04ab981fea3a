"""``TickReport``: what one reconcile tick saw and did."""

from __future__ import annotations

from dataclasses import asdict, dataclass


class TickFailed(RuntimeError):
    """The tick could not run at all (the launcher cannot list jobs, the database is unreachable);
    nothing was changed: the next tick starts over."""


@dataclass
class TickReport:
    seen: int = 0  # active plates (queued, running)
    changed: int = 0  # plates whose rows this tick changed
    submitted: int = 0  # runs handed to the launcher (again)
    ingested: int = 0  # manifests whose cuts were written
    retried: int = 0
    rejected: int = 0
    failed: int = 0
    lost: int = 0  # jobs that vanished without a manifest (then retried or failed)
    deleted: int = 0  # jobs deleted or cancelled in the launcher once their outcome was committed
    queued_too_long: int = 0
    errors: int = 0  # plates left as they were for the next tick (storage or launcher trouble)
    skipped: bool = False  # another tick was running (SQLite)
    launcher_calls: int | None = None  # API requests of the launcher, when it counts them
    duration_seconds: float = 0.0

    def as_dict(self) -> dict[str, int | float | bool | None]:
        return asdict(self)
