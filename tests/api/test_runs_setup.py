"""Runs wiring: settings and the launcher factory, URIs, the runs migration, the in-process
reconcile of the embedded mode, and the reconcile's decisions one by one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect

from api.app import create_app
from api.config import Settings, env_names
from api.db.engine import make_engine
from api.db.migrate import downgrade, upgrade
from api.integrations.factory import NullLauncher, build_launcher, job_template, local_job_env
from api.integrations.kubernetes import JobTemplate, KubernetesLauncher
from api.integrations.launcher import JobPhase, JobStatus
from api.integrations.local import LocalLauncher
from api.plates.models import Plate, PlateState
from api.runs import uris
from api.runs.context import RunContext
from api.runs.decide import Action, decide
from api.runs.models import RunState
from api.runs.repository import RunView
from tests.api.conftest import Callers, PgServer
from tests.api.runs_support import standin_command, wait_for
from tests.api.test_migrations import schema_diff

pytest_plugins = ["tests.api.runs_fixtures"]

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t0ken}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
"""


# -- settings and the launcher factory ------------------------------------------------------------

def test_the_default_launcher_is_local_under_the_data_folder(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    runs = settings.runs
    assert (settings.launcher, runs.broker_url, runs.reconcile_seconds, runs.max_attempts,
            runs.lost_grace_seconds) == ("local", None, 2.0, 3, 120.0)
    launcher = build_launcher(settings)
    assert isinstance(launcher, LocalLauncher) and launcher.root == (tmp_path / "jobs").resolve()
    custom = build_launcher(Settings(data_dir=tmp_path, local_job_command="/usr/bin/env platecut",
                                     local_max_concurrent=3))
    assert isinstance(custom, LocalLauncher)
    assert (custom.command, custom.max_concurrent) == (("/usr/bin/env", "platecut"), 3)
    assert isinstance(build_launcher(Settings(data_dir=tmp_path, launcher="none")), NullLauncher)


def test_local_jobs_get_the_s3_credentials(tmp_path: Path) -> None:
    assert local_job_env(Settings(data_dir=tmp_path)) == {}
    env = local_job_env(Settings(data_dir=tmp_path, storage="s3", s3_endpoint="http://minio:9000",
                                 s3_access_key_id="AK", s3_secret_access_key="SK", s3_region="eu-west-3"))
    assert env == {"AWS_REGION": "eu-west-3", "PLATECUT_S3_ENDPOINT": "http://minio:9000",
                   "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"}


# JobTemplate field -> its variable, as the settings named them when they were a flat list
TEMPLATE_VARIABLES = {
    "image": "IMAGE", "namespace": "NAMESPACE", "image_pull_policy": "IMAGE_PULL_POLICY",
    "image_pull_secrets": "IMAGE_PULL_SECRETS", "service_account_name": "SERVICE_ACCOUNT",
    "container_name": "CONTAINER_NAME", "gpu_count": "GPU_COUNT", "gpu_resource_name": "GPU_RESOURCE",
    "cpu_request": "CPU_REQUEST", "cpu_limit": "CPU_LIMIT", "memory_request": "MEMORY_REQUEST",
    "memory_limit": "MEMORY_LIMIT", "node_selector": "NODE_SELECTOR", "tolerations": "TOLERATIONS",
    "runtime_class_name": "RUNTIME_CLASS", "priority_class_name": "PRIORITY_CLASS",
    "kueue_queue_name": "QUEUE_NAME", "backoff_limit": "BACKOFF_LIMIT",
    "deadline_base_seconds": "DEADLINE_BASE_SECONDS", "deadline_seconds_per_gb": "DEADLINE_PER_GB_SECONDS",
    "deadline_seconds_per_1000_frames": "DEADLINE_PER_1000_FRAMES_SECONDS",
    "deadline_max_seconds": "DEADLINE_MAX_SECONDS", "ttl_seconds_after_finished": "TTL_SECONDS",
    "scratch_size_factor": "SCRATCH_SIZE_FACTOR", "scratch_base_bytes": "SCRATCH_BASE_BYTES",
    "request_scratch_storage": "REQUEST_SCRATCH_STORAGE", "scratch_storage_class": "SCRATCH_STORAGE_CLASS",
    "owner": "OWNER",
    "env_secret_name": "ENV_SECRET", "env": "ENV",
    "run_as_user": "RUN_AS_USER", "run_as_group": "RUN_AS_GROUP", "ocr_device": "OCR_DEVICE",
}


def test_every_job_template_field_comes_from_a_setting(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    variables = {field: f"PLATECUT_K8S_{name}" for field, name in TEMPLATE_VARIABLES.items()}
    assert env_names(JobTemplate) == variables
    assert Settings.groups()["k8s"] is JobTemplate
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG)
    environment = {
        "LAUNCHER": "kubernetes", "K8S_IN_CLUSTER": "false", "K8S_KUBECONFIG": str(kubeconfig),
        "K8S_IMAGE": "registry.example/platecut:1.2", "K8S_NAMESPACE": "vfx", "K8S_GPU_COUNT": "2",
        "K8S_NODE_SELECTOR": '{"gpu": "a100"}', "K8S_QUEUE_NAME": "gpu-queue",
        "K8S_TOLERATIONS": '[{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]',
        "K8S_IMAGE_PULL_SECRETS": '["regcred"]', "K8S_ENV": '{"PLATECUT_OCR_ENGINE": "paddle"}',
        "K8S_RUNTIME_CLASS": "nvidia", "K8S_BACKOFF_LIMIT": "1", "K8S_DEADLINE_PER_GB_SECONDS": "90",
        "K8S_TTL_SECONDS": "600", "K8S_CPU_LIMIT": "8", "K8S_ENV_SECRET": "platecut-s3",
    }
    for name, value in environment.items():
        monkeypatch.setenv(f"PLATECUT_{name}", value)
    settings = Settings(data_dir=tmp_path)
    template = job_template(settings)
    assert (template.image, template.namespace, template.gpu_count, template.node_selector,
            template.kueue_queue_name, template.image_pull_secrets, template.env) == (
        "registry.example/platecut:1.2", "vfx", 2, {"gpu": "a100"}, "gpu-queue", ("regcred",),
        {"PLATECUT_OCR_ENGINE": "paddle"})
    assert template.tolerations == ({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},)
    assert (template.runtime_class_name, template.backoff_limit, template.deadline_seconds_per_gb,
            template.ttl_seconds_after_finished, template.cpu_limit, template.env_secret_name) == (
        "nvidia", 1, 90.0, 600, "8", "platecut-s3")
    launcher = build_launcher(settings)
    assert isinstance(launcher, KubernetesLauncher) and launcher.template == template
    with pytest.raises(ValueError, match="PLATECUT_K8S_IMAGE"):
        job_template(settings.model_copy(update={"k8s": settings.k8s.model_copy(update={"image": None})}))


def test_uris(tmp_path: Path) -> None:
    plate = Plate(id=uuid.uuid4(), source_key="sites/s/p/source/a.mov", output_prefix="sites/s/p/output/")
    s3 = Settings(data_dir=tmp_path, storage="s3", s3_bucket="plates")
    assert uris.source_uri(s3, plate) == "s3://plates/sites/s/p/source/a.mov"
    assert uris.output_uri(s3, plate, 2) == "s3://plates/sites/s/p/output/a2/"
    disk = Settings(data_dir=tmp_path)
    objects = tmp_path.resolve() / "storage" / "objects"
    assert uris.source_uri(disk, plate) == str(objects / "sites/s/p/source/a.mov")
    assert uris.output_uri(disk, plate, 1) == f"{objects / 'sites/s/p/output/a1'}/"
    assert uris.manifest_key(plate, 3) == "sites/s/p/output/a3/manifest.json"


def test_the_context_is_made_once_per_process_and_settings(tmp_path: Path) -> None:
    def made(**changes: object) -> RunContext:
        values = {"data_dir": tmp_path, "launcher": "none", "s3_secret_access_key": "one", **changes}
        return RunContext.from_settings(Settings(**values))

    try:
        first = made()
        assert RunContext.from_settings(first.settings.model_copy()) is first
        assert made() is first
        assert made(max_attempts=5) is not first
        # a group's field, a secret in a group, a JSON-valued template field: each its own context
        assert made(s3_secret_access_key="two") is not first
        assert made(k8s_node_selector={"gpu": "l4"}) is not made(k8s_node_selector={"gpu": "a100"})
        assert first.dialect == "sqlite" and isinstance(first.launcher, NullLauncher)
    finally:
        RunContext.clear_cache()


# -- the migration ----------------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    yield server.create_database("platecut_runs_migration")


def test_the_runs_migration_matches_the_models_and_goes_down(empty_url: str) -> None:
    upgrade(empty_url)
    assert schema_diff(empty_url) == []
    engine = make_engine(empty_url)
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            assert {c["name"] for c in inspector.get_check_constraints("runs")} == {"ck_runs_run_state"}
            unique = {c["name"] for c in inspector.get_unique_constraints("runs")}
            assert unique == {"uq_runs_plate_id_attempt"}
            assert {i["name"] for i in inspector.get_indexes("runs")} - unique == {"ix_runs_job_name"}
            assert "ix_plates_state" in {i["name"] for i in inspector.get_indexes("plates")}
            if connection.dialect.name == "postgresql":  # SQLite keeps no time zone
                times = [c for c in inspector.get_columns("runs") if c["name"].endswith(("_at", "_since"))]
                assert len(times) == 6 and all(getattr(c["type"], "timezone", False) for c in times)
        downgrade(empty_url, "0001")
        with engine.connect() as connection:
            assert "runs" not in inspect(connection).get_table_names()
        upgrade(empty_url)
        assert schema_diff(empty_url) == []
    finally:
        engine.dispose()


# -- the embedded mode -------------------------------------------------------------------------------

def test_the_embedded_api_reconciles_in_process(runs_settings: Settings, tmp_path: Path) -> None:
    settings = runs_settings.model_copy(update={"runs": runs_settings.runs.model_copy(
        update={"reconcile_seconds": 0.1})})
    launcher = LocalLauncher(tmp_path / "jobs", command=standin_command(tmp_path))
    app = create_app(settings, launcher=launcher)
    with TestClient(app) as client:
        loop = app.state.reconcile_loop
        assert loop is not None and loop.running
        caller = Callers(client, app.state.session_factory)()
        plate = caller.uploaded_plate(b"ok-2\n")
        wait_for(lambda: caller.get(f"/api/v1/plates/{plate['id']}").json()["state"] == "succeeded",
                 what="the in-process reconcile")
        assert [c["name"] for c in caller.get(f"/api/v1/plates/{plate['id']}/cuts").json()["items"]] == [
            "SH010", "SH020"]
    assert not loop.running  # stopped with the app


def test_with_a_broker_the_api_does_not_reconcile(runs_settings: Settings) -> None:
    settings = runs_settings.model_copy(update={"runs": runs_settings.runs.model_copy(
        update={"reconcile_seconds": 0.1, "broker_url": "redis://r:6379/0"})})
    app = create_app(settings, launcher=NullLauncher())
    with TestClient(app):
        assert app.state.reconcile_loop is None


# -- decisions ---------------------------------------------------------------------------------------

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(minutes=5)
PENDING_SUBMIT = RunState.SUBMIT_PENDING


def view(state: RunState = RunState.QUEUED, tries: int = 1, submitted: datetime | None = EARLIER,
         missing_since: datetime | None = None) -> RunView:
    return RunView(state, tries, EARLIER, submitted, missing_since)


def status(phase: JobPhase, **details: object) -> JobStatus:
    return JobStatus("platecut-0123456789ab-a1", phase, **details)  # type: ignore[arg-type]


@pytest.mark.parametrize(("plate", "run", "job", "action"), [
    (PlateState.QUEUED, view(), status(JobPhase.PENDING), Action.NOTHING),
    (PlateState.QUEUED, view(), status(JobPhase.PENDING, reason="Suspended"), Action.NOTHING),
    (PlateState.QUEUED, view(PENDING_SUBMIT, submitted=None), status(JobPhase.PENDING), Action.QUEUED),
    (PlateState.QUEUED, view(PENDING_SUBMIT, submitted=None), None, Action.SUBMIT),
    (PlateState.QUEUED, view(), status(JobPhase.RUNNING), Action.RUNNING),
    (PlateState.RUNNING, view(RunState.RUNNING), status(JobPhase.RUNNING), Action.NOTHING),
    (PlateState.RUNNING, view(RunState.RUNNING), status(JobPhase.PENDING), Action.NOTHING),
    (PlateState.RUNNING, view(RunState.RUNNING, missing_since=EARLIER), status(JobPhase.RUNNING),
     Action.RUNNING),
    (PlateState.RUNNING, view(RunState.RUNNING), status(JobPhase.SUCCEEDED), Action.SUCCEED),
    (PlateState.RUNNING, view(), status(JobPhase.FAILED, exit_code=65), Action.REJECT),
    (PlateState.RUNNING, view(), status(JobPhase.FAILED, exit_code=66), Action.REJECT),
    (PlateState.RUNNING, view(), status(JobPhase.FAILED, reason="PodFailurePolicy", message=(
        "Container split for pod jobs/p-x failed with exit code 65 matching FailJob rule at index 0")),
     Action.REJECT),
    # the job's command, its image, its scratch or its credentials: failed at once, not retried
    *[(PlateState.RUNNING, view(), status(JobPhase.FAILED, exit_code=code), Action.FAIL)
      for code in (2, 69, 73, 77)],
    (PlateState.RUNNING, view(), status(JobPhase.FAILED, reason="PodFailurePolicy", message=(
        "Container split for pod jobs/p-x failed with exit code 69 matching FailJob rule at index 0")),
     Action.FAIL),
    (PlateState.RUNNING, view(), status(JobPhase.FAILED, reason="PodFailurePolicy"), Action.FAIL),
    (PlateState.RUNNING, view(), status(JobPhase.FAILED, exit_code=75), Action.RETRY),
    (PlateState.RUNNING, view(), status(JobPhase.FAILED, reason="DeadlineExceeded"), Action.RETRY),
    (PlateState.RUNNING, view(tries=3), status(JobPhase.FAILED, exit_code=70), Action.FAIL),
    (PlateState.RUNNING, view(), status(JobPhase.MISSING), Action.CHECK_MISSING),
    (PlateState.RUNNING, view(), None, Action.CHECK_MISSING),
    (PlateState.QUEUED, view(submitted=NOW + timedelta(seconds=1)), None, Action.NOTHING),
    (PlateState.QUEUED, None, None, Action.SUBMIT),
])
def test_decide(plate: PlateState, run: RunView | None, job: JobStatus | None, action: Action) -> None:
    assert decide(plate, run, job, NOW, max_attempts=3).action is action


def test_a_rejection_keeps_the_termination_message() -> None:
    step = decide(PlateState.RUNNING, view(), status(JobPhase.FAILED, exit_code=65, reason="PodFailurePolicy",
                                                     message="error 65: not a video"), NOW, 3)
    assert (step.reason, step.exit_code, step.run_state) == ("error 65: not a video", 65, RunState.REJECTED)
    retry = decide(PlateState.RUNNING, view(), status(JobPhase.FAILED, reason="BackoffLimitExceeded",
                                                      exit_code=137), NOW, 3)
    assert retry.reason == "BackoffLimitExceeded; exit code 137"
