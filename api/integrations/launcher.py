"""The launcher interface: how the control plane starts, watches and stops split jobs.

Two implementations, chosen by settings: ``KubernetesLauncher``
(``api.integrations.kubernetes``), one Kubernetes Job per plate attempt, and
``LocalLauncher`` (``api.integrations.local``), the same ``platecut job run`` as
subprocesses on this machine for the embedded default.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class JobRequest:
    """One attempt at splitting one plate."""

    plate_id: str  # uuid, as text
    attempt: int  # 1, 2, ...
    job_name: str  # deterministic per attempt (see ``job_name_for``)
    site: str
    project: str
    plate_name: str
    source_uri: str  # where the job reads the plate, e.g. s3://bucket/key
    output_uri: str  # prefix the job writes its outputs under (manifest.json last)
    size_bytes: int
    sha256: str | None = None
    frame_count_hint: int | None = None  # scales the deadline when known
    plate_kind: str = "reference"  # reference: the segments hold the cuts alone; scan: their handles too
    head_handles: int = 8
    tail_handles: int = 8
    extra_args: tuple[str, ...] = ()  # e.g. ("--no-ocr",)
    cut_list_uri: str | None = None  # a cut version's cut list (jobs.cut_list): its cuts, no detection


def job_run_arguments(request: JobRequest) -> list[str]:
    """``job run --plate-id ... --source ... --output ... [--sha256 HEX] [--cut-list URI] --size N
    --plate-kind K --head-handles H --tail-handles T [extra]``: the arguments of the job program
    (``platecut``) for ``request``, whichever launcher runs it."""
    args = ["job", "run", "--plate-id", request.plate_id, "--source", request.source_uri,
            "--output", request.output_uri]
    if request.sha256:
        args += ["--sha256", request.sha256]
    if request.cut_list_uri:
        args += ["--cut-list", request.cut_list_uri]
    editorial = ["--plate-kind", request.plate_kind, "--head-handles", str(request.head_handles),
                 "--tail-handles", str(request.tail_handles)]
    return [*args, "--size", str(request.size_bytes), *editorial, *request.extra_args]


class JobPhase(enum.StrEnum):
    PENDING = "pending"  # created, not running yet (includes suspended by Kueue: queued)
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    MISSING = "missing"  # the launcher does not know this job (deleted, TTL, never created)


@dataclass(frozen=True)
class JobStatus:
    job_name: str
    phase: JobPhase
    reason: str | None = None  # e.g. BackoffLimitExceeded, DeadlineExceeded, PodFailurePolicy
    message: str | None = None  # e.g. the pod's termination message
    exit_code: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    labels: dict[str, str] = field(default_factory=dict)


class LauncherError(Exception):
    """The launcher's backend failed (API down, timeout): retry on the next tick."""


class Launcher(Protocol):
    def submit(self, request: JobRequest) -> JobStatus:
        """Create the job; idempotent: a job of ours with that name already there is adopted."""
        ...

    def statuses(self, names: Iterable[str] | None = None) -> dict[str, JobStatus]:
        """Status of our jobs (all of them when ``names`` is None) in as few calls as possible;
        a name asked for but not found maps to ``JobPhase.MISSING``."""
        ...

    def cancel(self, job_name: str) -> None:
        """Stop and delete the job (idempotent)."""
        ...

    def delete(self, job_name: str) -> None:
        """Delete a finished job once its outcome is in the database (idempotent)."""
        ...

    def logs(self, job_name: str, tail_lines: int = 200) -> str:
        ...
