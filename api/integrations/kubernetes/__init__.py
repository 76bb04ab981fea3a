"""Split Jobs on Kubernetes: ``KubernetesLauncher`` builds one batch/v1 Job per plate attempt.

``api.config`` reads the site's ``JobTemplate`` from here at every start, whatever the launcher: the
launcher's module, which imports the Kubernetes client (about a second), loads only when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from api.integrations.kubernetes.config import JobTemplate
from api.integrations.kubernetes.manifest import build_job
from api.integrations.kubernetes.names import job_name_for, label_value

if TYPE_CHECKING:
    from api.integrations.kubernetes.launcher import KubernetesApiError, KubernetesLauncher, load_api_client

__all__ = [
    "JobTemplate",
    "KubernetesApiError",
    "KubernetesLauncher",
    "build_job",
    "job_name_for",
    "label_value",
    "load_api_client",
]

_FROM_THE_LAUNCHER = frozenset({"KubernetesApiError", "KubernetesLauncher", "load_api_client"})


def __getattr__(name: str) -> Any:
    if name in _FROM_THE_LAUNCHER:
        return getattr(importlib.import_module("api.integrations.kubernetes.launcher"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
