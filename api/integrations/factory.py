"""The integrations the settings ask for: the object storage (``PLATECUT_STORAGE=disk`` (default) or
``s3``) and the job launcher (``PLATECUT_LAUNCHER=local`` (default), ``kubernetes`` or ``none``).

Each implementation is imported only when chosen. The Kubernetes launcher's ``JobTemplate`` is
``settings.k8s``, read from the ``PLATECUT_K8S_*`` variables.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

from api.config import Settings
from api.integrations.kubernetes.config import JobTemplate
from api.integrations.launcher import JobPhase, JobRequest, JobStatus, Launcher, LauncherError
from api.integrations.storage import Storage


def build_storage(settings: Settings) -> Storage:
    if settings.storage == "s3":
        from api.integrations.s3 import S3Storage

        s3 = settings.s3
        secret = s3.secret_access_key
        return S3Storage(bucket=s3.bucket, endpoint_url=s3.endpoint, public_endpoint_url=s3.public_endpoint,
                         region=s3.region, access_key=s3.access_key_id,
                         secret_key=secret.get_secret_value() if secret else None,
                         addressing_style=s3.addressing_style, create_bucket=s3.create_bucket)
    from api.integrations.disk import DiskStorage

    return DiskStorage(settings.storage_dir(), settings.public_url, settings.secret_bytes(),
                       body_idle_seconds=settings.uploads.body_idle_seconds)


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

    local = settings.local
    command = shlex.split(local.job_command) if local.job_command else None
    return LocalLauncher(settings.jobs_dir(), max_concurrent=local.max_concurrent, command=command,
                         env=local_job_env(settings), scratch_root=local.scratch_dir)


def kubernetes_launcher(settings: Settings) -> Launcher:
    from api.integrations.kubernetes import KubernetesLauncher, load_api_client

    template = job_template(settings)
    api_client = load_api_client(settings.cluster.kubeconfig, in_cluster=settings.cluster.in_cluster)
    return KubernetesLauncher(api_client, template)


def job_template(settings: Settings) -> JobTemplate:
    """The site's Job template, ``settings.k8s`` (validated with the settings), once it has an image."""
    if not settings.k8s.image:
        raise ValueError("PLATECUT_K8S_IMAGE is required with PLATECUT_LAUNCHER=kubernetes")
    return settings.k8s


def local_job_env(settings: Settings) -> dict[str, str]:
    """What a local job needs to reach the API's S3 storage (nothing for disk storage)."""
    if settings.storage != "s3":
        return {}
    s3 = settings.s3
    env = {"AWS_REGION": s3.region}
    if s3.endpoint:
        env["PLATECUT_S3_ENDPOINT"] = s3.endpoint
    if s3.access_key_id:
        env["AWS_ACCESS_KEY_ID"] = s3.access_key_id
    if s3.secret_access_key is not None:
        env["AWS_SECRET_ACCESS_KEY"] = s3.secret_access_key.get_secret_value()
    return env
