"""Job names: one deterministic name per plate attempt (the Kubernetes helper's, shared by every
launcher so a job keeps its name whichever launcher runs it)."""

from __future__ import annotations

from api.integrations.kubernetes.names import job_name_for

__all__ = ["job_name_for"]
