"""The integrations the settings ask for: the object storage (``PLATECUT_STORAGE=disk`` (default) or
``s3``) and the job launcher (``PLATECUT_LAUNCHER=local`` (default), ``kubernetes`` or ``none``).

Each implementation is imported only when chosen. The Kubernetes launcher's ``JobTemplate`` takes
every ``PLATECUT_K8S_*`` setting (``TEMPLATE_FIELDS`` maps each of its fields to one).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from api.config import Settings
from api.integrations.launcher import JobPhase, JobRequest, JobStatus, Launcher, LauncherError
from api.integrations.storage import Storage

if TYPE_CHECKING:
    from api.integrations.kubernetes import JobTemplate

# JobTemplate field -> the Settings field it comes from
TEMPLATE_FIELDS = {
    "image": "k8s_image", "namespace": "k8s_namespace", "image_pull_policy": "k8s_image_pull_policy",
    "image_pull_secrets": "k8s_image_pull_secrets", "service_account_name": "k8s_service_account",
    "container_name": "k8s_container_name", "gpu_count": "k8s_gpu_count",
    "gpu_resource_name": "k8s_gpu_resource", "cpu_request": "k8s_cpu_request", "cpu_limit": "k8s_cpu_limit",
    "memory_request": "k8s_memory_request", "memory_limit": "k8s_memory_limit",
    "node_selector": "k8s_node_selector", "tolerations": "k8s_tolerations",
    "runtime_class_name": "k8s_runtime_class", "priority_class_name": "k8s_priority_class",
    "kueue_queue_name": "k8s_queue_name", "backoff_limit": "k8s_backoff_limit",
    "deadline_base_seconds": "k8s_deadline_base_seconds",
    "deadline_seconds_per_gb": "k8s_deadline_per_gb_seconds",
    "deadline_seconds_per_1000_frames": "k8s_deadline_per_1000_frames_seconds",
    "deadline_max_seconds": "k8s_deadline_max_seconds", "ttl_seconds_after_finished": "k8s_ttl_seconds",
    "scratch_size_factor": "k8s_scratch_size_factor", "scratch_base_bytes": "k8s_scratch_base_bytes",
    "request_scratch_storage": "k8s_request_scratch_storage", "env_secret_name": "k8s_env_secret",
    "env": "k8s_env", "run_as_user": "k8s_run_as_user", "run_as_group": "k8s_run_as_group",
    "ocr_device": "k8s_ocr_device",
}


def build_storage(settings: Settings) -> Storage:
    if settings.storage == "s3":
        from api.integrations.s3 import S3Storage

        secret = settings.s3_secret_access_key
        return S3Storage(bucket=settings.s3_bucket, endpoint_url=settings.s3_endpoint,
                         public_endpoint_url=settings.s3_public_endpoint, region=settings.s3_region,
                         access_key=settings.s3_access_key_id,
                         secret_key=secret.get_secret_value() if secret else None,
                         addressing_style=settings.s3_addressing_style,
                         create_bucket=settings.s3_create_bucket)
    from api.integrations.disk import DiskStorage

    return DiskStorage(settings.storage_dir(), settings.public_url, settings.secret_bytes())


class NullLauncher:
    """``PLATECUT_LAUNCHER=none``: nothing is launched (plates stay ``uploaded``), nothing runs."""

    def submit(self, request: JobRequest) -> JobStatus:
        raise LauncherError("no launcher is configured (PLATECUT_LAUNCHER=none)")

    def statuses(self, names: Iterable[str] | None = None) -> dict[str, JobStatus]:
        return {name: JobStatus(job_name=name, phase=JobPhase.MISSING) for name in names or ()}

    def cancel(self, job_name: str) -> None:
        return None

    def delete(self, job_name: str) -> None:
        return None

    def logs(self, job_name: str, tail_lines: int = 200) -> str:
        return ""


def build_launcher(settings: Settings) -> Launcher:
    if settings.launcher == "kubernetes":
        return kubernetes_launcher(settings)
    if settings.launcher == "none":
        return NullLauncher()
    from api.integrations.local import LocalLauncher

    command = shlex.split(settings.local_job_command) if settings.local_job_command else None
    return LocalLauncher(settings.jobs_dir(), max_concurrent=settings.local_max_concurrent, command=command,
                         env=local_job_env(settings))


def kubernetes_launcher(settings: Settings) -> Launcher:
    from api.integrations.kubernetes import KubernetesLauncher, load_api_client

    template = job_template(settings)
    api_client = load_api_client(settings.k8s_kubeconfig, in_cluster=settings.k8s_in_cluster)
    return KubernetesLauncher(api_client, template)


def job_template(settings: Settings) -> JobTemplate:
    """The site's Job template from the ``PLATECUT_K8S_*`` settings (``ValueError`` when invalid)."""
    from api.integrations.kubernetes import JobTemplate

    if not settings.k8s_image:
        raise ValueError("PLATECUT_K8S_IMAGE is required with PLATECUT_LAUNCHER=kubernetes")
    values: dict[str, Any] = {name: getattr(settings, source) for name, source in TEMPLATE_FIELDS.items()}
    values["image_pull_secrets"] = tuple(values["image_pull_secrets"])
    values["tolerations"] = tuple(values["tolerations"])
    return JobTemplate(**values)


def local_job_env(settings: Settings) -> dict[str, str]:
    """What a local job needs to reach the API's S3 storage (nothing for disk storage)."""
    if settings.storage != "s3":
        return {}
    env = {"AWS_REGION": settings.s3_region}
    if settings.s3_endpoint:
        env["PLATECUT_S3_ENDPOINT"] = settings.s3_endpoint
    if settings.s3_access_key_id:
        env["AWS_ACCESS_KEY_ID"] = settings.s3_access_key_id
    if settings.s3_secret_access_key is not None:
        env["AWS_SECRET_ACCESS_KEY"] = settings.s3_secret_access_key.get_secret_value()
    return env
