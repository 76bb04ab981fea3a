"""Settings: the embedded default, the signing secret kept in the data folder, the env prefix, each group
read from its own variables, flat keywords routed into their group, and clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError
from pydantic_settings import SettingsError

from api.config import RunSettings, S3Settings, Settings, env_names, environment_names
from api.integrations.disk import DiskStorage
from api.integrations.factory import build_storage


def test_embedded_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.embedded_database and settings.storage == "disk"
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path / 'platecut-data' / 'platecut.db'}"
    assert settings.uploads.single_put_max == 64 * 2**20 and settings.uploads.url_ttl == 3600
    storage = build_storage(settings)
    assert isinstance(storage, DiskStorage) and storage.root == Path("platecut-data/storage")


def test_signing_secret_is_made_once(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).secret_bytes()
    assert len(first) == 64 and Settings(data_dir=tmp_path).secret_bytes() == first
    assert (tmp_path / "signing.key").stat().st_mode & 0o777 == 0o600
    assert Settings(data_dir=tmp_path, signing_secret="configured-secret-123").secret_bytes() == \
        b"configured-secret-123"


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLATECUT_DATABASE_URL", "postgresql+psycopg://db/platecut")
    monkeypatch.setenv("PLATECUT_STORAGE", "s3")
    monkeypatch.setenv("PLATECUT_S3_BUCKET", "plates")
    monkeypatch.setenv("PLATECUT_SINGLE_PUT_MAX", "1048576")
    settings = Settings()
    assert settings.resolved_database_url() == "postgresql+psycopg://db/platecut"
    assert not settings.embedded_database
    assert (settings.storage, settings.s3.bucket, settings.uploads.single_put_max) == ("s3", "plates", 2**20)
    monkeypatch.setenv("PLATECUT_SINGLE_PUT_MAX", str(6 * 2**30))  # over S3's largest single PUT
    with pytest.raises(ValidationError):
        Settings()


def test_s3_storage_from_settings() -> None:
    from api.integrations.s3 import S3Storage

    storage = build_storage(Settings(storage="s3", s3_bucket="b", s3_endpoint="http://minio:9000",
                                     s3_public_endpoint="https://s3.example.com", s3_access_key_id="k",
                                     s3_secret_access_key="s"))
    assert isinstance(storage, S3Storage)
    assert (storage.bucket, storage.endpoint_url, storage.public_endpoint_url) == (
        "b", "http://minio:9000", "https://s3.example.com")


# every variable of each group (k8s: its JSON-valued and renamed ones, the rest is in test_runs_setup)
GROUP_ENVIRONMENTS: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
    "kitsu": ({"PLATECUT_KITSU_URL": "http://kitsu:5000", "PLATECUT_KITSU_EMAIL": "p@studio.com",
               "PLATECUT_KITSU_PASSWORD": "pw",
               "PLATECUT_KITSU_SHOT_PATTERN": "^(?P<shot>(?P<sequence>sq\\d+)_\\d+)$",
               "PLATECUT_KITSU_OMITTED_STATUS": "standby", "PLATECUT_KITSU_PROJECTS": '{"proj": "Proj"}',
               "PLATECUT_KITSU_TIMEOUT_SECONDS": "5", "PLATECUT_KITSU_PREVIEW_TASK_TYPE": "Layout"},
              {"url": "http://kitsu:5000", "email": "p@studio.com", "password": SecretStr("pw"),
               "omitted_status": "standby", "projects": {"proj": "Proj"}, "timeout_seconds": 5.0,
               "preview_task_type": "Layout"}),
    "shotgrid": ({"PLATECUT_SHOTGRID_URL": "https://studio.shotgrid.autodesk.com",
                  "PLATECUT_SHOTGRID_SCRIPT_NAME": "platecut", "PLATECUT_SHOTGRID_API_KEY": "key",
                  "PLATECUT_SHOTGRID_OMITTED_STATUS": "hld", "PLATECUT_SHOTGRID_PROJECTS": '{"proj": "P"}',
                  "PLATECUT_SHOTGRID_SHOT_PATTERN": "^(?P<shot>(?P<sequence>sq\\d+)_\\d+)$",
                  "PLATECUT_SHOTGRID_TIMEOUT_SECONDS": "30"},
                 {"url": "https://studio.shotgrid.autodesk.com", "script_name": "platecut",
                  "api_key": SecretStr("key"), "omitted_status": "hld", "projects": {"proj": "P"},
                  "timeout_seconds": 30.0}),
    "trackers": ({"PLATECUT_TRACKER_AUTO_PUBLISH": '["kitsu", "shotgrid"]',
                  "PLATECUT_TRACKER_RETRY_DELAYS": "[1, 60]", "PLATECUT_TRACKER_BATCH_SIZE": "3",
                  "PLATECUT_TRACKER_LEASE_SECONDS": "600"},
                 {"auto_publish": ("kitsu", "shotgrid"), "retry_delays": (1.0, 60.0), "batch_size": 3,
                  "lease_seconds": 600.0}),
    "webhooks": ({"PLATECUT_WEBHOOK_TIMEOUT_SECONDS": "2.5", "PLATECUT_WEBHOOK_RETRY_DELAYS": "[1, 60]",
                  "PLATECUT_WEBHOOK_BATCH_SIZE": "7", "PLATECUT_WEBHOOK_CONCURRENCY": "3"},
                 {"timeout_seconds": 2.5, "retry_delays": (1.0, 60.0), "batch_size": 7, "concurrency": 3}),
    "s3": ({"PLATECUT_S3_ENDPOINT": "http://minio:9000", "PLATECUT_S3_PUBLIC_ENDPOINT": "https://s3.example",
            "PLATECUT_S3_BUCKET": "plates", "PLATECUT_S3_REGION": "eu-west-3",
            "PLATECUT_S3_ACCESS_KEY_ID": "AK", "PLATECUT_S3_SECRET_ACCESS_KEY": "SK",
            "PLATECUT_S3_ADDRESSING_STYLE": "virtual", "PLATECUT_S3_CREATE_BUCKET": "true"},
           {"endpoint": "http://minio:9000", "public_endpoint": "https://s3.example", "bucket": "plates",
            "region": "eu-west-3", "access_key_id": "AK", "secret_access_key": SecretStr("SK"),
            "addressing_style": "virtual", "create_bucket": True}),
    "uploads": ({"PLATECUT_MAX_PLATE_SIZE": "1000000", "PLATECUT_SINGLE_PUT_MAX": "1048576",
                 "PLATECUT_MIN_PART_SIZE": "6291456", "PLATECUT_URL_TTL": "600",
                 "PLATECUT_UPLOAD_EXPIRY": "86400", "PLATECUT_VERIFY_SHA256_MAX": "0",
                 "PLATECUT_BODY_IDLE_SECONDS": "5"},
                {"max_plate_size": 10**6, "single_put_max": 2**20, "min_part_size": 6 * 2**20, "url_ttl": 600,
                 "upload_expiry": 86400, "verify_sha256_max": 0, "body_idle_seconds": 5.0}),
    "runs": ({"PLATECUT_BROKER_URL": "redis://r:6379/0", "PLATECUT_CELERY_QUEUE": "site-a",
              "PLATECUT_RECONCILE_SECONDS": "0.5", "PLATECUT_MAX_CONCURRENT_JOBS": "8",
              "PLATECUT_MAX_ATTEMPTS": "5", "PLATECUT_LOST_GRACE_SECONDS": "30",
              "PLATECUT_QUEUED_WARN_SECONDS": "60"},
             {"broker_url": "redis://r:6379/0", "celery_queue": "site-a", "reconcile_seconds": 0.5,
              "max_concurrent_jobs": 8, "max_attempts": 5, "lost_grace_seconds": 30.0,
              "queued_warn_seconds": 60.0}),
    "editorial": ({"PLATECUT_HEAD_HANDLES": "12", "PLATECUT_TAIL_HANDLES": "4"},
                  {"head_handles": 12, "tail_handles": 4}),
    "sweep": ({"PLATECUT_SWEEP_ENABLED": "false", "PLATECUT_SWEEP_EVERY_SECONDS": "300",
               "PLATECUT_SWEEP_BATCH_SIZE": "20", "PLATECUT_SWEEP_TEMP_MAX_AGE_SECONDS": "7200",
               "PLATECUT_SWEEP_ABANDONED_AFTER_SECONDS": "2592000"},
              {"enabled": False, "every_seconds": 300.0, "batch_size": 20, "temp_max_age_seconds": 7200.0,
               "abandoned_after_seconds": 2592000.0}),
    "drop": ({"PLATECUT_DROP_ENABLED": "true", "PLATECUT_DROP_PREFIX": "incoming/plates/",
              "PLATECUT_DROP_MIN_AGE_SECONDS": "600", "PLATECUT_DROP_STABLE_SECONDS": "30",
              "PLATECUT_DROP_BATCH_SIZE": "10", "PLATECUT_DROP_SECRET": "s3cret"},
             {"enabled": True, "prefix": "incoming/plates/", "min_age_seconds": 600.0, "stable_seconds": 30.0,
              "batch_size": 10, "secret": SecretStr("s3cret")}),
    "local": ({"PLATECUT_LOCAL_JOBS_DIR": "/srv/jobs", "PLATECUT_LOCAL_MAX_CONCURRENT": "4",
               "PLATECUT_LOCAL_JOB_COMMAND": "/usr/bin/env platecut", "PLATECUT_LOCAL_SCRATCH_DIR": "/nvme"},
              {"jobs_dir": Path("/srv/jobs"), "max_concurrent": 4, "job_command": "/usr/bin/env platecut",
               "scratch_dir": Path("/nvme")}),
    "rate_limit": ({"PLATECUT_RATE_LIMIT_PER_SECOND": "2.5", "PLATECUT_RATE_LIMIT_BURST": "10"},
                   {"per_second": 2.5, "burst": 10}),
    "web": ({"PLATECUT_WEB_SESSION_HOURS": "8", "PLATECUT_WEB_SECURE_COOKIES": "true"},
            {"session_hours": 8.0, "secure_cookies": True}),
    "cluster": ({"PLATECUT_K8S_IN_CLUSTER": "false", "PLATECUT_K8S_KUBECONFIG": "/etc/kube/config"},
                {"in_cluster": False, "kubeconfig": "/etc/kube/config"}),
    "k8s": ({"PLATECUT_K8S_IMAGE": "registry.example/platecut:2",
             "PLATECUT_K8S_IMAGE_PULL_SECRETS": '["a", "b"]', "PLATECUT_K8S_NODE_SELECTOR": '{"gpu": "l4"}',
             "PLATECUT_K8S_ENV": '{"PLATECUT_HEAD_IN": "1001"}',
             "PLATECUT_K8S_TOLERATIONS": '[{"key": "gpu", "operator": "Exists"}]',
             "PLATECUT_K8S_SERVICE_ACCOUNT": "split", "PLATECUT_K8S_GPU_RESOURCE": "amd.com/gpu",
             "PLATECUT_K8S_RUNTIME_CLASS": "nvidia", "PLATECUT_K8S_PRIORITY_CLASS": "batch",
             "PLATECUT_K8S_QUEUE_NAME": "gpu", "PLATECUT_K8S_DEADLINE_PER_GB_SECONDS": "90",
             "PLATECUT_K8S_DEADLINE_PER_1000_FRAMES_SECONDS": "45", "PLATECUT_K8S_TTL_SECONDS": "600",
             "PLATECUT_K8S_ENV_SECRET": "s3-keys"},
            {"image": "registry.example/platecut:2", "image_pull_secrets": ("a", "b"),
             "node_selector": {"gpu": "l4"}, "env": {"PLATECUT_HEAD_IN": "1001"},
             "tolerations": ({"key": "gpu", "operator": "Exists"},), "service_account_name": "split",
             "gpu_resource_name": "amd.com/gpu", "runtime_class_name": "nvidia",
             "priority_class_name": "batch", "kueue_queue_name": "gpu", "deadline_seconds_per_gb": 90.0,
             "deadline_seconds_per_1000_frames": 45.0,
             "ttl_seconds_after_finished": 600, "env_secret_name": "s3-keys"}),
}


def test_every_group_is_tested_and_every_variable_is_read_once() -> None:
    assert set(GROUP_ENVIRONMENTS) == set(Settings.groups())
    names = [env for model in Settings.groups().values() for env in env_names(model).values()]
    top = [env for field, env in env_names(Settings).items() if field not in Settings.groups()]
    assert len(set(names + top)) == len(names + top) == len(environment_names())
    assert all(name.startswith("PLATECUT_") for name in names + top)


@pytest.mark.parametrize("group", GROUP_ENVIRONMENTS)
def test_each_group_reads_its_variables(group: str, monkeypatch: pytest.MonkeyPatch) -> None:
    environment, expected = GROUP_ENVIRONMENTS[group]
    variables = set(env_names(Settings.groups()[group]).values())
    assert set(environment) <= variables
    assert group == "k8s" or set(environment) == variables  # every variable of the small groups
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    values = getattr(Settings(), group)
    assert {field: getattr(values, field) for field in expected} == expected


def test_flat_keywords_go_to_their_group_which_reads_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLATECUT_S3_REGION", "eu-west-3")
    monkeypatch.setenv("PLATECUT_S3_BUCKET", "from-env")
    monkeypatch.setenv("PLATECUT_K8S_NAMESPACE", "vfx")
    settings = Settings(s3_bucket="given", k8s_queue_name="gpu", k8s_service_account="split",
                        max_attempts=5, local_max_concurrent=2, k8s_in_cluster=False, single_put_max=2**20)
    assert (settings.s3.bucket, settings.s3.region) == ("given", "eu-west-3")
    assert (settings.k8s.kueue_queue_name, settings.k8s.service_account_name, settings.k8s.namespace) == (
        "gpu", "split", "vfx")
    assert (settings.runs.max_attempts, settings.local.max_concurrent, settings.cluster.in_cluster) == (
        5, 2, False)
    assert settings.uploads.single_put_max == 2**20
    grouped = Settings(s3={"bucket": "given"}, runs=RunSettings(max_attempts=5))
    assert (grouped.s3.bucket, grouped.s3.region, grouped.runs.max_attempts) == ("given", "eu-west-3", 5)
    assert Settings(s3={"bucket": "given"}, s3_region="us-east-2").s3 == S3Settings(
        bucket="given", region="us-east-2")


def test_groups_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValidationError, match="frozen"):
        settings.runs.max_attempts = 9  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        settings.k8s.namespace = "other"  # type: ignore[misc]


@pytest.mark.parametrize(("variable", "value", "named"), [
    ("PLATECUT_MAX_ATTEMPTS", "0", "max_attempts"),
    ("PLATECUT_S3_ADDRESSING_STYLE", "sideways", "addressing_style"),
    ("PLATECUT_LOCAL_MAX_CONCURRENT", "lots", "max_concurrent"),
    ("PLATECUT_K8S_GPU_COUNT", "many", "gpu_count"),
    ("PLATECUT_K8S_DEADLINE_PER_GB_SECONDS", "fast", "PLATECUT_K8S_DEADLINE_PER_GB_SECONDS"),
    ("PLATECUT_K8S_NAMESPACE", "Bad_NS", "invalid Kubernetes job template: namespace 'Bad_NS'"),
    ("PLATECUT_K8S_CPU_LIMIT", "8 cores", "cpu_limit '8 cores' is not a quantity"),
])
def test_a_bad_variable_names_its_field(variable: str, value: str, named: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert named in str(caught.value)


def test_bad_keywords_are_named() -> None:
    with pytest.raises(ValidationError, match=r"runs\.max_attempts"):
        Settings(max_attempts=0)
    with pytest.raises(ValidationError, match=r"k8s\.namespace|namespace 'Bad_NS'"):
        Settings(k8s_namespace="Bad_NS")


def test_bad_json_names_its_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLATECUT_K8S_NODE_SELECTOR", "{gpu: l4}")
    with pytest.raises(SettingsError, match='field "node_selector"'):
        Settings()


def test_the_settings_do_not_import_the_kubernetes_client() -> None:
    code = "import sys, api.config; print('kubernetes' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
