"""Split Jobs on Kubernetes: ``KubernetesLauncher`` builds one batch/v1 Job per plate attempt."""

from api.integrations.kubernetes.config import JobTemplate
from api.integrations.kubernetes.launcher import KubernetesApiError, KubernetesLauncher, load_api_client
from api.integrations.kubernetes.manifest import build_job
from api.integrations.kubernetes.names import job_name_for, label_value

__all__ = [
    "JobTemplate",
    "KubernetesApiError",
    "KubernetesLauncher",
    "build_job",
    "job_name_for",
    "label_value",
    "load_api_client",
]
