"""``TickReport``: what one reconcile tick saw and did, its sweep's removals included."""

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
    swept: bool = False  # the sweep ran this tick (``api.sweep``)
    uploads_expired: int = 0  # plates whose upload expired: cancelled, their upload aborted
    plates_purged: int = 0  # abandoned plates whose objects were deleted
    objects_purged: int = 0  # objects of purged plates deleted
    temp_files_removed: int = 0  # the storage's temporary files left by a dead process
    drops_taken: int = 0  # dropped objects that became plates (``api.drops``)
    drops_refused: int = 0  # dropped objects refused for good (unknown site or project...)

    def as_dict(self) -> dict[str, int | float | bool | None]:
        return asdict(self)

    def removals(self) -> dict[str, int]:
        """What the sweep removed, by kind (the ``what`` of the ``platecut_swept_total`` metric)."""
        return {kind: getattr(self, kind) for kind in REMOVALS}

    @property
    def noteworthy(self) -> bool:
        """Worth a log line: something changed or went wrong."""
        return bool(self.changed or self.errors or self.queued_too_long or self.drops_taken
                    or self.drops_refused or any(self.removals().values()))


REMOVALS = ("uploads_expired", "plates_purged", "objects_purged", "temp_files_removed")
