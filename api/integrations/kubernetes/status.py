"""From a Job (and its pods) as the API returns them, as JSON, to a ``JobStatus``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from api.integrations.launcher import JobPhase, JobStatus


@dataclass(frozen=True)
class Termination:
    """How the split container of a failed Job's pod ended."""

    exit_code: int | None = None
    message: str | None = None  # its termination message (or log tail: FallbackToLogsOnError)
    reason: str | None = None  # e.g. Error, OOMKilled


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def true_condition(status: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    for condition in status.get("conditions") or ():
        if condition.get("type") == kind and condition.get("status") == "True":
            return condition  # type: ignore[no-any-return]
    return None


def job_status(job: Mapping[str, Any]) -> JobStatus:
    """Complete → SUCCEEDED; Failed → FAILED with its reason and message; suspended (queued by Kueue)
    → PENDING; active pods that are ready (or a cluster that does not count ready pods) → RUNNING;
    anything else (pods not started yet, between retries) → PENDING."""
    meta, spec, status = job.get("metadata") or {}, job.get("spec") or {}, job.get("status") or {}
    base = JobStatus(job_name=str(meta.get("name", "")), phase=JobPhase.PENDING,
                     started_at=parse_time(status.get("startTime")),
                     labels={str(k): str(v) for k, v in (meta.get("labels") or {}).items()})
    if (done := true_condition(status, "Complete")) is not None:
        finished = parse_time(status.get("completionTime")) or parse_time(done.get("lastTransitionTime"))
        return replace(base, phase=JobPhase.SUCCEEDED, finished_at=finished)
    if (failed := true_condition(status, "Failed")) is not None:
        return replace(base, phase=JobPhase.FAILED, reason=failed.get("reason") or None,
                       message=failed.get("message") or None,
                       finished_at=parse_time(failed.get("lastTransitionTime")))
    if spec.get("suspend"):
        return replace(base, reason="Suspended")
    active, ready = int(status.get("active") or 0), status.get("ready")
    if active > 0 and (ready is None or int(ready) > 0):
        return replace(base, phase=JobPhase.RUNNING)
    return base


def termination_of(pods: Iterable[Mapping[str, Any]], container: str) -> Termination:
    """The newest pod's ending of ``container``, a failed ending (non-zero exit) first."""
    endings: list[tuple[str, Termination]] = []
    for pod in pods:
        created = str((pod.get("metadata") or {}).get("creationTimestamp") or "")
        for cstatus in (pod.get("status") or {}).get("containerStatuses") or ():
            if cstatus.get("name") != container:
                continue
            terminated = (cstatus.get("state") or {}).get("terminated") or \
                (cstatus.get("lastState") or {}).get("terminated")
            if terminated:
                code = terminated.get("exitCode")
                endings.append((created, Termination(
                    exit_code=int(code) if code is not None else None,
                    message=(terminated.get("message") or "").strip() or None,
                    reason=terminated.get("reason") or None)))
    if not endings:
        return Termination()
    endings.sort(key=lambda e: (e[1].exit_code not in (None, 0), e[0]), reverse=True)
    return endings[0][1]


def with_termination(status: JobStatus, ending: Termination) -> JobStatus:
    """A FAILED status with its pod's exit code, and its termination message in place of the Job's
    condition message when the container left one (else the container's reason is added)."""
    message = ending.message
    if message is None:
        extra = f"container {ending.reason}" if ending.reason else None
        message = "; ".join(m for m in (status.message, extra) if m) or None
    return replace(status, exit_code=ending.exit_code, message=message)
