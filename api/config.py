"""All of the control plane's configuration, from ``PLATECUT_*`` variables: ``Settings`` and its groups.

With nothing set at all the API runs embedded: SQLite and object files under the data
folder (``./platecut-data``), URLs signed with a secret generated once and kept there.

Each group is a settings model of its own, read from its own variables: ``settings.s3``
(``PLATECUT_S3_*``), ``settings.uploads``, ``settings.runs``, ``settings.sweep`` (``PLATECUT_SWEEP_*``),
``settings.local`` (``PLATECUT_LOCAL_*``), ``settings.webhooks`` (``PLATECUT_WEBHOOK_*``),
``settings.rate_limit`` (``PLATECUT_RATE_LIMIT_*``),
``settings.trackers`` (Kitsu, ``PLATECUT_KITSU_*``),
``settings.cluster`` (how to reach Kubernetes) and ``settings.k8s``, the split Jobs' ``JobTemplate``
(``PLATECUT_K8S_*``; lists and maps are JSON). ``env_names`` tells which variable each field is read
from. ``Settings`` also takes a grouped field by the flat keyword of its variable, the name less
``PLATECUT_`` in lower case: ``Settings(s3_bucket="b", k8s_queue_name="gpu")``.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeGuard

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.integrations.kubernetes.config import JobTemplate
from api.integrations.storage import MAX_PRESIGN_SECONDS, MAX_SINGLE_PUT, MIN_PART_SIZE, S3_MIN_PART

MiB = 1024 * 1024
TiB = 1024 * 1024 * MiB
SECRET_FILE = "signing.key"
ENV_PREFIX = "PLATECUT_"
MAX_HANDLES = 1000  # frames; more is not a handle but another shot


class S3Settings(BaseSettings):
    """The object store when ``PLATECUT_STORAGE=s3`` (``PLATECUT_S3_*``)."""

    model_config = SettingsConfigDict(env_prefix="PLATECUT_S3_", extra="forbid", frozen=True)

    endpoint: str | None = Field(None, description="Endpoint the API talks to (None: AWS)")
    public_endpoint: str | None = Field(None, description="Endpoint presigned URLs point at")
    bucket: str = "platecut"
    region: str = "us-east-1"
    access_key_id: str | None = None
    secret_access_key: SecretStr | None = None
    addressing_style: Literal["path", "virtual"] = "path"
    create_bucket: bool = Field(False, description="Create the bucket when missing (development)")


class UploadSettings(BaseSettings):
    """How plates are uploaded: sizes, parts, URL and upload lifetimes."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    max_plate_size: int = Field(5 * TiB, gt=0, description="Largest plate accepted, bytes")
    single_put_max: int = Field(64 * MiB, gt=0, le=MAX_SINGLE_PUT,
                                description="Larger plates are uploaded in parts")
    min_part_size: int = Field(MIN_PART_SIZE, ge=S3_MIN_PART, le=MAX_SINGLE_PUT,
                               description="Floor of the multipart part size (lower it only in tests)")
    url_ttl: int = Field(3600, ge=60, le=MAX_PRESIGN_SECONDS, description="Presigned URL lifetime, seconds")
    body_idle_seconds: float = Field(60.0, gt=0, le=3600, description="Embedded storage: a PUT whose body "
                                     "sends nothing this long is dropped (408)")
    upload_expiry: int = Field(7 * 24 * 3600, ge=60, description="Seconds an upload stays open")
    verify_sha256_max: int = Field(64 * MiB, ge=0, description="Largest plate whose SHA-256 is checked")


class RunSettings(BaseSettings):
    """Runs: launching one job per plate attempt and reconciling its outcome."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    broker_url: str | None = Field(None, description="Celery broker; unset: the API reconciles in-process")
    celery_queue: str = Field("platecut", min_length=1, description="Celery queue of the reconcile ticks "
                              "(beat sends to it, workers consume it)")
    reconcile_seconds: float = Field(2.0, ge=0, description="In-process reconcile (and sweep) interval, "
                                     "without a broker (0: off)")
    max_concurrent_jobs: int = Field(0, ge=0, description="Jobs submitted and unfinished at once for "
                                     "the site; more plates wait queued (0: no limit)")
    max_attempts: int = Field(3, ge=1, description="Attempts of a plate before it fails (user retries "
                                                   "start a new series)")
    lost_grace_seconds: float = Field(120.0, ge=0, description="A vanished job is lost after this long")
    queued_warn_seconds: float = Field(1800.0, gt=0, description="A plate queued longer is reported")


class EditorialSettings(BaseSettings):
    """The site's editorial defaults: handles of a cut (a project or a plate may set its own)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    head_handles: int = Field(8, ge=0, le=MAX_HANDLES, description="Frames kept before each cut")
    tail_handles: int = Field(8, ge=0, le=MAX_HANDLES, description="Frames kept after each cut")


class SweepSettings(BaseSettings):
    """The sweep on the reconcile tick: what is removed, and how long things live (``PLATECUT_SWEEP_*``)."""

    model_config = SettingsConfigDict(env_prefix="PLATECUT_SWEEP_", extra="forbid", frozen=True)

    enabled: bool = Field(True, description="Sweep on the reconcile ticks")
    every_seconds: float = Field(60.0, ge=0, description="A process sweeps at most this often (0: every "
                                 "tick)")
    batch_size: int = Field(100, ge=1, description="Most uploads, plates and temporary files each kind of "
                                                   "removal handles per sweep")
    temp_max_age_seconds: float = Field(3600.0, gt=0, description="The storage's temporary files (bodies "
                                        "being received) unchanged this long and not open are removed")
    abandoned_after_seconds: float = Field(0.0, ge=0, description="Cancelled, failed and rejected plates "
                                           "ended this long ago have their objects deleted (0: never); "
                                           "a succeeded plate's never are")


class WebhookSettings(BaseSettings):
    """Sending webhooks (``PLATECUT_WEBHOOK_*``): the HTTP timeout, the retries' delays, the batch."""

    model_config = SettingsConfigDict(env_prefix="PLATECUT_WEBHOOK_", extra="forbid", frozen=True)

    timeout_seconds: float = Field(10.0, gt=0, le=120, description="One POST's timeout")
    retry_delays: tuple[float, ...] = Field(
        (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 23400.0),  # given up a day after the first
        description="Seconds before each retry after a failed attempt (JSON list); after the last, given up")
    batch_size: int = Field(50, ge=1, description="Most deliveries one pass sends")
    concurrency: int = Field(8, ge=1, le=64, description="Deliveries a pass sends at once")


class DropSettings(BaseSettings):
    """Drop folders (``PLATECUT_DROP_*``): files any S3 client writes under ``prefix``, as
    ``<prefix><site>/<project>/<file>``, become plates of that project (``api.drops``)."""

    model_config = SettingsConfigDict(env_prefix="PLATECUT_DROP_", extra="forbid", frozen=True)

    enabled: bool = Field(False, description="List the drop prefix on the reconcile ticks and take "
                          "MinIO's notifications")
    prefix: str = Field("drop/", min_length=2, pattern=r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*/$",
                        description="Where dropped files go: <prefix><site>/<project>/<file>")
    min_age_seconds: float = Field(300.0, ge=0, description="A listed object last modified this long "
                                   "ago is taken at once (else: when seen unchanged on two ticks)")
    stable_seconds: float = Field(10.0, ge=0, description="A listed object is taken once its size and "
                                  "ETag stayed the same on two ticks at least this far apart")
    batch_size: int = Field(100, ge=1, description="Most objects taken per tick")
    secret: SecretStr | None = Field(None, description="Bearer token of POST /api/v1/drop/minio-events "
                                     "(MinIO's webhook auth_token); unset: the route answers 401")


class LocalLauncherSettings(BaseSettings):
    """The LocalLauncher's: subprocesses on this machine (``PLATECUT_LOCAL_*``)."""

    model_config = SettingsConfigDict(env_prefix="PLATECUT_LOCAL_", extra="forbid", frozen=True)

    jobs_dir: Path | None = Field(None, description="The jobs' state; default data_dir/jobs")
    max_concurrent: int = Field(1, ge=1, description="Jobs running at once")
    job_command: str | None = Field(None, description="The command before 'job run ...' (shell words); "
                                    "default the platecut script")
    scratch_dir: Path | None = Field(None, description="Where each job's scratch folder goes (its "
                                     "download and outputs; removed when the job ends, killed or not); "
                                     "default inside the job's own folder")


class ClusterSettings(BaseSettings):
    """How the Kubernetes launcher reaches the cluster (the Jobs themselves are ``settings.k8s``)."""

    model_config = SettingsConfigDict(env_prefix="PLATECUT_K8S_", extra="forbid", frozen=True)

    in_cluster: bool = Field(True, description="Use the pod's service account (else a kubeconfig)")
    kubeconfig: str | None = Field(None, description="Kubeconfig file when not in-cluster")


class RateLimitSettings(BaseSettings):
    """Requests per token, counted in each API process's memory (``PLATECUT_RATE_LIMIT_*``)."""

    model_config = SettingsConfigDict(env_prefix="PLATECUT_RATE_LIMIT_", extra="forbid", frozen=True)

    per_second: float = Field(100.0, ge=0, description="Requests a token may make per second on average, "
                              "per API process (0: no limit)")
    burst: int = Field(500, ge=1, description="Requests a token may make at once before the average applies")


class WebSettings(BaseSettings):
    """The browser pages' sign-in sessions (``PLATECUT_WEB_*``)."""

    model_config = SettingsConfigDict(env_prefix="PLATECUT_WEB_", extra="forbid", frozen=True)

    session_hours: float = Field(12.0, gt=0, le=24 * 30, description="A browser session ends this long "
                                 "after signing in")
    secure_cookies: bool | None = Field(None, description="Mark the session cookie Secure; None: when "
                                        "the request came over HTTPS (X-Forwarded-Proto too)")


DEFAULT_SHOT_PATTERN = r"^(?P<shot>(?P<sequence>[A-Za-z]+\d+)_\d+)$"


class TrackerConnection(BaseSettings):
    """What every tracker connection has: how cut names become shots, what an omitted shot becomes,
    which tracker project a platecut project is, how long one request may take."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True)

    shot_pattern: str = Field(DEFAULT_SHOT_PATTERN, description="A cut's name -> its shot and "
                              "sequence: a regex with the named groups 'shot' and 'sequence' (default: "
                              "SH010_0010 -> sequence SH010, shot SH010_0010); a name that does not "
                              "match is published as shot <name> of sequence <reel>")
    projects: dict[str, str] = Field(default_factory=dict, description="platecut project -> the "
                                     "tracker's project name, where they differ (JSON); default the same")
    timeout_seconds: float = Field(10.0, gt=0, le=300, description="One request to the tracker at most")

    @field_validator("shot_pattern")
    @classmethod
    def _pattern_names_its_parts(cls, value: str) -> str:
        try:
            groups = re.compile(value).groupindex
        except re.error as error:
            raise ValueError(f"not a regular expression: {error}") from None
        if not {"shot", "sequence"} <= set(groups):
            raise ValueError("the pattern needs the named groups 'shot' and 'sequence'")
        return value


class KitsuSettings(TrackerConnection):
    """Publishing cuts to Kitsu (``PLATECUT_KITSU_*``; the password is never logged nor shown)."""

    model_config = SettingsConfigDict(env_prefix="PLATECUT_KITSU_", extra="forbid", frozen=True)

    url: str | None = Field(None, description="Kitsu's API root (Zou), e.g. https://kitsu.example/api; "
                            "None: publishing answers 404 tracker_not_configured")
    email: str | None = Field(None, description="The Kitsu user platecut signs in as")
    password: SecretStr | None = Field(None, description="That user's password")
    omitted_status: str = Field("canceled", description="What a shot of the reel that a later version "
                                "no longer has becomes (Kitsu's entity status: canceled, standby...); "
                                "shots are never deleted")
    preview_task_type: str = Field("Edit", description="The task type whose task on each shot holds "
                                   "the cut's thumbnail as its preview (the shot's picture in Kitsu)")

    @property
    def configured(self) -> bool:
        return bool(self.url and self.email and self.password)


class ShotGridSettings(TrackerConnection):
    """Publishing cuts to Flow Production Tracking, formerly ShotGrid (``PLATECUT_SHOTGRID_*``; the
    script's key is never logged nor shown)."""

    model_config = SettingsConfigDict(env_prefix="PLATECUT_SHOTGRID_", extra="forbid", frozen=True)

    url: str | None = Field(None, description="The site, e.g. https://studio.shotgrid.autodesk.com; "
                            "None: publishing answers 404 tracker_not_configured")
    script_name: str | None = Field(None, description="The API script platecut signs in as")
    api_key: SecretStr | None = Field(None, description="That script's application key")
    omitted_status: str = Field("omt", description="The status code an omitted shot gets (sg_status_list)")

    @property
    def configured(self) -> bool:
        return bool(self.url and self.script_name and self.api_key)


TRACKERS = ("kitsu", "shotgrid")


class PublishSettings(BaseSettings):
    """Publishing to trackers (``PLATECUT_TRACKER_*``): which ones follow every published cut version
    of a plate on their own, and how a publish that failed is retried."""

    model_config = SettingsConfigDict(env_prefix="PLATECUT_TRACKER_", extra="forbid", frozen=True)

    auto_publish: tuple[Literal["kitsu", "shotgrid"], ...] = Field(
        (), description="Trackers every plate is published to once its cuts are (JSON list, e.g. "
        '["kitsu"]); none: only when asked')
    retry_delays: tuple[float, ...] = Field(
        (60.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 22800.0),  # given up a day after the first
        description="Seconds before each retry after a failed attempt (JSON list); after the last, given up")
    batch_size: int = Field(10, ge=1, description="Most publishes one tick attempts")
    lease_seconds: float = Field(1800.0, gt=0, description="An attempt not finished this long after it "
                                 "started is due again (its process died)")


class Settings(BaseSettings):
    """The control plane's settings: the process-wide ones here, the rest in frozen groups (change a
    copy: ``settings.model_copy(update={"runs": settings.runs.model_copy(update={...})})``)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    data_dir: Path = Field(Path("platecut-data"), description="Embedded database, objects and secret")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite in data_dir")
    storage: Literal["disk", "s3"] = Field("disk", description="disk: files in data_dir; s3: settings.s3")
    public_url: str = Field("http://127.0.0.1:8000", description="Base URL clients reach the API at")
    max_request_body: int = Field(MiB, gt=0, description="Largest JSON body the API accepts")
    auth_cache_seconds: float = Field(10.0, ge=0, le=300,
                                      description="A valid token, and a project by name, are "
                                      "remembered this long (0: off)")
    metrics_port: int = Field(0, ge=0, le=65535, description="Serve Prometheus metrics on this port of "
                              "their own (0: no metrics server)")
    metrics_host: str = Field("127.0.0.1", description="Address the metrics server listens on "
                              "(0.0.0.0: every interface, as in a pod)")
    metrics_public: bool = Field(False, description="Also answer /metrics on the API's own port (anyone "
                                 "who reaches the API reads them); off: 404")
    signing_secret: SecretStr | None = Field(None, description="Default: generated in data_dir")
    log_level: str = "INFO"
    log_json: bool = True
    launcher: Literal["local", "kubernetes", "none"] = Field(
        "local", description="local: subprocesses on this machine; kubernetes: one Job per attempt; "
                             "none: plates stop at 'uploaded' (jobs are started by something else)")
    s3: S3Settings = Field(default_factory=S3Settings, description="The object store when storage=s3")
    uploads: UploadSettings = Field(default_factory=UploadSettings, description="Upload sizes and times")
    runs: RunSettings = Field(default_factory=RunSettings, description="Launching and reconciling jobs")
    editorial: EditorialSettings = Field(default_factory=EditorialSettings,
                                         description="Handles of a cut, unless its project or plate says")
    local: LocalLauncherSettings = Field(default_factory=LocalLauncherSettings,
                                         description="launcher=local: subprocesses on this machine")
    sweep: SweepSettings = Field(default_factory=SweepSettings,
                                 description="Expired uploads, stale temporary files, abandoned plates")
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings, description="Sending webhooks")
    drop: DropSettings = Field(default_factory=DropSettings, description="Drop folders")
    cluster: ClusterSettings = Field(default_factory=ClusterSettings,
                                     description="launcher=kubernetes: how to reach the cluster")
    web: WebSettings = Field(default_factory=WebSettings, description="Browser sign-in sessions")
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings,
                                          description="Requests per token per API process")
    kitsu: KitsuSettings = Field(default_factory=KitsuSettings, description="Publishing to Kitsu")
    shotgrid: ShotGridSettings = Field(default_factory=ShotGridSettings,
                                       description="Publishing to Flow Production Tracking")
    trackers: PublishSettings = Field(default_factory=PublishSettings,
                                      description="Automatic publishes and retries")
    k8s: JobTemplate = Field(default_factory=JobTemplate,
                             description="launcher=kubernetes: the split Jobs' template")

    @model_validator(mode="before")
    @classmethod
    def _group_flat_keywords(cls, data: Any) -> Any:
        """``s3_bucket="b"`` -> ``s3={"bucket": "b"}``; the group reads its other fields from the
        environment as when it is not given at all."""
        if not isinstance(data, dict):
            return data
        routes = flat_keywords()
        grouped = {key: value for key, value in data.items() if key not in routes}
        for key in data.keys() & routes.keys():
            group, field = routes[key]
            grouped[group] = {**_field_values(grouped.get(group)), field: data[key]}
        return grouped

    @classmethod
    def groups(cls) -> dict[str, type[BaseSettings]]:
        """Each group's field -> its model."""
        fields = cls.model_fields.items()
        return {name: info.annotation for name, info in fields if _is_group(info.annotation)}

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
        return self.local.jobs_dir or self.data_dir / "jobs"

    def secret_bytes(self) -> bytes:
        """The URL signing secret: configured, or generated once and kept in the data folder."""
        if self.signing_secret is not None:
            return self.signing_secret.get_secret_value().encode()
        path = self.data_dir / SECRET_FILE
        if not path.exists():
            _write_secret_once(path)
        return path.read_text().strip().encode()


def env_names(model: type[BaseSettings]) -> dict[str, str]:
    """Each field of ``model`` -> the variable it is read from (its alias, else prefix + name)."""
    prefix = model.model_config.get("env_prefix", "")
    names = {}
    for name, info in model.model_fields.items():
        alias = info.validation_alias
        names[name] = (alias if isinstance(alias, str) else prefix + name).upper()
    return names


def environment_names() -> set[str]:
    """Every variable ``Settings`` reads, its groups' included."""
    groups = Settings.groups()
    top = {env for name, env in env_names(Settings).items() if name not in groups}
    return top.union(*(env_names(model).values() for model in groups.values()))


@cache
def flat_keywords() -> dict[str, tuple[str, str]]:
    """A grouped field's flat keyword (its variable less ``PLATECUT_``, in lower case) -> (group, field)."""
    routes = {}
    for group, model in Settings.groups().items():
        for field, env in env_names(model).items():
            routes[env.removeprefix(ENV_PREFIX).lower()] = (group, field)
    return routes


def _is_group(annotation: Any) -> TypeGuard[type[BaseSettings]]:
    return isinstance(annotation, type) and issubclass(annotation, BaseSettings)


def _field_values(group: Any) -> dict[str, Any]:
    """A group given as a model or a mapping (or not given: None), as field values."""
    if group is None:
        return {}
    if isinstance(group, BaseModel):
        return dict(group)
    if isinstance(group, Mapping):
        return dict(group)
    raise TypeError(f"a settings group is a model or a mapping, not {type(group).__name__}")


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
