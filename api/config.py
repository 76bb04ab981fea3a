"""All of the control plane's configuration: one settings class, from ``PLATECUT_*`` variables.

With nothing set at all the API runs embedded: SQLite and object files under the data
folder (``./platecut-data``), URLs signed with a secret generated once and kept there.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.integrations.storage import MAX_PRESIGN_SECONDS, MAX_SINGLE_PUT, MIN_PART_SIZE, S3_MIN_PART

MiB = 1024 * 1024
TiB = 1024 * 1024 * MiB
SECRET_FILE = "signing.key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PLATECUT_", extra="ignore")

    data_dir: Path = Field(Path("platecut-data"), description="Embedded database, objects and secret")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite in data_dir")
    storage: Literal["disk", "s3"] = "disk"
    s3_endpoint: str | None = Field(None, description="Endpoint the API talks to (None: AWS)")
    s3_public_endpoint: str | None = Field(None, description="Endpoint presigned URLs point at")
    s3_bucket: str = "platecut"
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_addressing_style: Literal["path", "virtual"] = "path"
    s3_create_bucket: bool = Field(False, description="Create the bucket when missing (development)")
    public_url: str = Field("http://127.0.0.1:8000", description="Base URL clients reach the API at")
    max_plate_size: int = Field(5 * TiB, gt=0)
    single_put_max: int = Field(64 * MiB, gt=0, le=MAX_SINGLE_PUT,
                                description="Larger plates are uploaded in parts")
    min_part_size: int = Field(MIN_PART_SIZE, ge=S3_MIN_PART, le=MAX_SINGLE_PUT,
                               description="Floor of the multipart part size (lower it only in tests)")
    url_ttl: int = Field(3600, ge=60, le=MAX_PRESIGN_SECONDS, description="Presigned URL lifetime, seconds")
    upload_expiry: int = Field(7 * 24 * 3600, ge=60, description="Seconds an upload stays open")
    verify_sha256_max: int = Field(64 * MiB, ge=0, description="Largest plate whose SHA-256 is checked")
    max_request_body: int = Field(MiB, gt=0, description="Largest JSON body the API accepts")
    auth_cache_seconds: float = Field(10.0, ge=0, le=300,
                                      description="A valid token, and a project by name, are "
                                      "remembered this long (0: off)")
    signing_secret: SecretStr | None = Field(None, description="Default: generated in data_dir")
    log_level: str = "INFO"
    log_json: bool = True
    # -- runs: launching one job per plate attempt and reconciling its outcome ---------------------
    launcher: Literal["local", "kubernetes", "none"] = Field(
        "local", description="local: subprocesses on this machine; kubernetes: one Job per attempt; "
                             "none: plates stop at 'uploaded' (jobs are started by something else)")
    broker_url: str | None = Field(None, description="Celery broker; unset: the API reconciles in-process")
    celery_queue: str = Field("platecut", min_length=1, description="Celery queue of the reconcile ticks "
                              "(beat sends to it, workers consume it)")
    reconcile_seconds: float = Field(2.0, ge=0, description="In-process reconcile interval (0: off)")
    max_concurrent_jobs: int = Field(0, ge=0, description="Jobs submitted and unfinished at once for "
                                     "the site; more plates wait queued (0: no limit)")
    max_attempts: int = Field(3, ge=1, description="Attempts of a plate before it fails (user retries "
                                                   "start a new series)")
    lost_grace_seconds: float = Field(120.0, ge=0, description="A vanished job is lost after this long")
    queued_warn_seconds: float = Field(1800.0, gt=0, description="A plate queued longer is reported")
    local_jobs_dir: Path | None = Field(None, description="LocalLauncher state; default data_dir/jobs")
    local_max_concurrent: int = Field(1, ge=1, description="LocalLauncher: jobs running at once")
    local_job_command: str | None = Field(None, description="LocalLauncher: the command before "
                                          "'job run ...' (shell words); default the platecut script")
    k8s_in_cluster: bool = Field(True, description="Use the pod's service account (else a kubeconfig)")
    k8s_kubeconfig: str | None = Field(None, description="Kubeconfig file when not in-cluster")
    k8s_namespace: str = "platecut"
    k8s_image: str | None = Field(None, description="The job image (required with launcher=kubernetes)")
    k8s_image_pull_policy: str = "IfNotPresent"
    k8s_image_pull_secrets: list[str] = Field(default_factory=list, description="JSON list of names")
    k8s_service_account: str = "platecut-split"
    k8s_container_name: str = "split"
    k8s_gpu_count: int = Field(1, ge=0)
    k8s_gpu_resource: str = "nvidia.com/gpu"
    k8s_cpu_request: str = "4"
    k8s_cpu_limit: str | None = None
    k8s_memory_request: str = "16Gi"
    k8s_memory_limit: str | None = "16Gi"
    k8s_node_selector: dict[str, str] = Field(default_factory=dict, description="JSON object")
    k8s_tolerations: list[dict[str, Any]] = Field(default_factory=list, description="JSON list")
    k8s_runtime_class: str | None = Field(None, description="e.g. nvidia")
    k8s_priority_class: str | None = None
    k8s_queue_name: str | None = Field(None, description="Kueue LocalQueue: Jobs are created suspended")
    k8s_backoff_limit: int = Field(2, ge=0)
    k8s_deadline_base_seconds: int = Field(1800, gt=0)
    k8s_deadline_per_gb_seconds: float = Field(120.0, ge=0)
    k8s_deadline_per_1000_frames_seconds: float = Field(60.0, ge=0)
    k8s_deadline_max_seconds: int = Field(2 * 86400, gt=0)
    k8s_ttl_seconds: int = Field(86400, ge=0, description="ttlSecondsAfterFinished")
    k8s_scratch_size_factor: float = Field(3.0, ge=0)
    k8s_scratch_base_bytes: int = Field(20 * 1024 * MiB, ge=0)
    k8s_request_scratch_storage: bool = True
    k8s_env_secret: str | None = Field(None, description="Secret for the jobs' envFrom (S3 credentials)")
    k8s_env: dict[str, str] = Field(default_factory=dict, description="JSON object of job variables")
    k8s_run_as_user: int = 10001
    k8s_run_as_group: int = 10001
    k8s_ocr_device: str | None = Field(None, description="cpu, gpu or gpu:N; default by gpu_count")

    @property
    def embedded_database(self) -> bool:
        return self.database_url is None

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir.resolve() / 'platecut.db'}"

    def storage_dir(self) -> Path:
        return self.data_dir / "storage"

    def jobs_dir(self) -> Path:
        """Where the LocalLauncher keeps its jobs' state."""
        return self.local_jobs_dir or self.data_dir / "jobs"

    def secret_bytes(self) -> bytes:
        """The URL signing secret: configured, or generated once and kept in the data folder."""
        if self.signing_secret is not None:
            return self.signing_secret.get_secret_value().encode()
        path = self.data_dir / SECRET_FILE
        if not path.exists():
            _write_secret_once(path)
        return path.read_text().strip().encode()


def _write_secret_once(path: Path) -> None:
    """Several workers may start at once: write aside, then link into place atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32))
    try:
        os.link(temp, path)
    except FileExistsError:
        pass  # another process won the race: its secret is the one
    finally:
        temp.unlink()
