"""The chart and the launcher agree: the PLATECUT_* settings the chart renders for the API and worker
become the API's Settings, the launcher's JobTemplate and the Job it creates, and that Job is valid
Kubernetes, runs as the account, in the namespace, with the Secret, the chart made for it."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

import kubernetes_validate
import pytest

from api.config import ClusterSettings, Settings, env_names, environment_names
from api.integrations.factory import job_template
from api.integrations.kubernetes import JobTemplate, build_job, job_name_for
from api.integrations.kubernetes.manifest import LABEL_KUEUE_QUEUE, LABEL_MANAGED_BY, MANAGED_BY
from api.integrations.launcher import JobRequest
from tests.deploy.conftest import CASES, KUBE_VERSIONS, NAMESPACE, RELEASE, Case, Manifest, Render, find, one

CASE_IDS = [case.name for case in CASES]


def chart_settings(manifests: list[Manifest], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The API's Settings with exactly the chart's ConfigMap in the environment."""
    for name in list(os.environ):
        if name.startswith("PLATECUT_"):
            monkeypatch.delenv(name)
    for name, value in one(manifests, "ConfigMap", "-env")["data"].items():
        monkeypatch.setenv(name, value)
    return Settings()


def plate_request(size_bytes: int = 40 * 10**9, cut_list_uri: str | None = None) -> JobRequest:
    plate_id = "0b5c2b9e-51f4-4f55-9a57-2f7c3c8a1d10"
    return JobRequest(plate_id=plate_id, attempt=1, job_name=job_name_for(plate_id, 1), site="london",
                      project="feature-x", plate_name="A001C003_230101_R1AB.mov",
                      source_uri=f"s3://platecut/plates/{plate_id}/A001C003.mov",
                      output_uri=f"s3://platecut/outputs/{plate_id}/1/", size_bytes=size_bytes,
                      sha256="0" * 64, frame_count_hint=120_000, cut_list_uri=cut_list_uri)


def holds(value: object, text: str) -> bool:
    """A template field's ``value`` is what the chart's variable says (``text``: plain or JSON)."""
    if isinstance(value, bool):
        return text == str(value).lower()
    if isinstance(value, int | float):
        return float(text) == value
    if isinstance(value, tuple):
        return bool(json.loads(text) == list(value))
    if isinstance(value, Mapping):
        return bool(json.loads(text) == dict(value))
    return text == value


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_every_setting_the_chart_sets_is_read_by_the_api(render: Render, case: Case) -> None:
    data = one(render(case), "ConfigMap", "-env")["data"]
    unknown = set(data) - environment_names()
    assert not unknown, f"the chart sets variables api/config.py does not read: {sorted(unknown)}"
    template = set(env_names(JobTemplate).values())
    cluster = set(env_names(ClusterSettings).values())
    assert {name for name in data if name.startswith("PLATECUT_K8S_")} - cluster <= template


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_the_template_holds_every_k8s_variable_of_the_chart(render: Render, case: Case,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    manifests = render(case)
    template = job_template(chart_settings(manifests, monkeypatch))
    field_of = {variable: field for field, variable in env_names(JobTemplate).items()}
    data = one(manifests, "ConfigMap", "-env")["data"]
    read = {name: text for name, text in data.items() if name in field_of}
    assert read and all(holds(getattr(template, field_of[name]), text) for name, text in read.items()), [
        (name, text, getattr(template, field_of[name])) for name, text in read.items()
        if not holds(getattr(template, field_of[name]), text)]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_chart_settings_make_a_valid_job(render: Render, case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    manifests = render(case)
    settings = chart_settings(manifests, monkeypatch)
    assert settings.launcher == "kubernetes" and settings.storage == "s3" and settings.cluster.in_cluster
    template = job_template(settings)  # what api/integrations/factory.py gives the KubernetesLauncher
    job = build_job(plate_request(), template)
    for version in KUBE_VERSIONS:
        kubernetes_validate.validate(job, version, strict=True)

    data = one(manifests, "ConfigMap", "-env")["data"]
    spec = job["spec"]["template"]["spec"]
    container = spec["containers"][0]

    # where and as whom: the chart's split account, in the namespace of the launcher's Role
    role = one(manifests, "Role", "-launcher")
    account = one(manifests, "ServiceAccount", "-split")
    assert job["metadata"]["namespace"] == role["metadata"]["namespace"] == account["metadata"]["namespace"]
    assert spec["serviceAccountName"] == account["metadata"]["name"]
    assert spec["automountServiceAccountToken"] is False
    assert job["metadata"]["labels"][LABEL_MANAGED_BY] == MANAGED_BY  # what NOTES.txt tells to watch
    # releases sharing the jobs namespace tell their Jobs apart
    assert job["metadata"]["labels"]["platecut.io/owner"] == f"{NAMESPACE}.{RELEASE}"

    # the S3 keys: a Secret the chart made in the jobs namespace, or the site's own
    secret_name = data.get("PLATECUT_K8S_ENV_SECRET")
    if secret_name:
        assert container["envFrom"] == [{"secretRef": {"name": secret_name}}]
        made = [m for m in find(manifests, "Secret") if m["metadata"]["name"] == secret_name]
        if made:
            secret = next(m for m in made if m["metadata"]["namespace"] == job["metadata"]["namespace"])
            assert set(secret["stringData"]) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    else:
        assert "envFrom" not in container

    env = {e["name"]: e["value"] for e in container["env"]}
    if "PLATECUT_S3_ENDPOINT" in data:
        assert env["PLATECUT_S3_ENDPOINT"] == data["PLATECUT_S3_ENDPOINT"]
    else:  # AWS S3
        assert "PLATECUT_S3_ENDPOINT" not in env
    assert env["AWS_REGION"] == data["PLATECUT_S3_REGION"]
    assert env["HOME"] == env["TMPDIR"] == "/scratch"
    assert container["image"] == data["PLATECUT_K8S_IMAGE"]

    # what runs it: GPUs, node selection, Kueue, pull secrets, as in the values
    gpus = int(data["PLATECUT_K8S_GPU_COUNT"])
    limits = container["resources"]["limits"]
    assert limits.get(data["PLATECUT_K8S_GPU_RESOURCE"]) == (str(gpus) if gpus else None)
    assert env["PLATECUT_OCR_DEVICE"] == data.get("PLATECUT_K8S_OCR_DEVICE", "gpu" if gpus else "cpu")
    assert env["PLATECUT_DECODE_DEVICE"] == ("auto" if gpus else "cpu")
    [scratch] = spec["volumes"]
    storage_class = data.get("PLATECUT_K8S_SCRATCH_STORAGE_CLASS")
    if storage_class:  # a volume of the site's class, not the node's disk
        claim = scratch["ephemeral"]["volumeClaimTemplate"]["spec"]
        assert claim["storageClassName"] == storage_class
        assert "ephemeral-storage" not in container["resources"]["requests"]
    else:
        assert "emptyDir" in scratch
    assert spec.get("nodeSelector", {}) == json.loads(data["PLATECUT_K8S_NODE_SELECTOR"])
    assert spec.get("tolerations", []) == json.loads(data["PLATECUT_K8S_TOLERATIONS"])
    assert spec.get("runtimeClassName") == data.get("PLATECUT_K8S_RUNTIME_CLASS")
    assert spec.get("priorityClassName") == data.get("PLATECUT_K8S_PRIORITY_CLASS")
    pull_secrets = json.loads(data["PLATECUT_K8S_IMAGE_PULL_SECRETS"])
    assert [s["name"] for s in spec.get("imagePullSecrets", [])] == pull_secrets
    queue = data.get("PLATECUT_K8S_QUEUE_NAME")
    assert job["metadata"]["labels"].get(LABEL_KUEUE_QUEUE) == queue
    assert job["spec"].get("suspend", False) is bool(queue)
    assert job["spec"]["backoffLimit"] == int(data["PLATECUT_K8S_BACKOFF_LIMIT"])
    assert job["spec"]["ttlSecondsAfterFinished"] == int(data["PLATECUT_K8S_TTL_SECONDS"])
    assert job["spec"]["activeDeadlineSeconds"] <= int(data["PLATECUT_K8S_DEADLINE_MAX_SECONDS"])
    assert container["resources"]["requests"]["memory"] == data["PLATECUT_K8S_MEMORY_REQUEST"]
    assert limits["memory"] == data["PLATECUT_K8S_MEMORY_LIMIT"]
    assert limits.get("cpu") == data.get("PLATECUT_K8S_CPU_LIMIT")


def test_gpu_site_job_is_what_the_site_file_says(render: Render, monkeypatch: pytest.MonkeyPatch) -> None:
    case = next(c for c in CASES if c.name == "site-gpu-kueue")
    job = build_job(plate_request(), job_template(chart_settings(render(case), monkeypatch)))
    spec = job["spec"]["template"]["spec"]
    assert job["metadata"]["namespace"] == "vfx-split"
    assert job["metadata"]["labels"][LABEL_KUEUE_QUEUE] == "platecut-gpu" and job["spec"]["suspend"] is True
    assert spec["runtimeClassName"] == "nvidia"
    assert spec["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert spec["containers"][0]["resources"]["limits"] == {"memory": "32Gi", "nvidia.com/gpu": "1"}
    assert spec["containers"][0]["envFrom"] == [{"secretRef": {"name": "platecut-split-s3"}}]
    env = {e["name"]: e["value"] for e in spec["containers"][0]["env"]}
    assert env["PLATECUT_OCR_DEVICE"] == "gpu:0" and env["PLATECUT_HEAD_IN"] == "1001"
    # 40 GB plate, 120k frames: 1800 + max(40 x 90, 120 x 45) seconds
    assert job["spec"]["activeDeadlineSeconds"] == 1800 + 5400


def test_small_site_job_runs_on_cpus_beside_the_release(render: Render,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    case = next(c for c in CASES if c.name == "site-small-site")
    job = build_job(plate_request(), job_template(chart_settings(render(case), monkeypatch)))
    spec = job["spec"]["template"]["spec"]
    assert job["metadata"]["namespace"] == NAMESPACE
    assert "suspend" not in job["spec"]
    limits = spec["containers"][0]["resources"]["limits"]
    assert limits == {"cpu": "4", "memory": "8Gi"}
    assert "ephemeral-storage" not in spec["containers"][0]["resources"]["requests"]
    env = {e["name"]: e["value"] for e in spec["containers"][0]["env"]}
    assert env["PLATECUT_OCR_DEVICE"] == "cpu" and env["PLATECUT_OCR_ENGINE"] == "onnx"
    assert env["PLATECUT_S3_ENDPOINT"].startswith("http://pc-platecut-minio.")


def test_a_cut_list_job_from_the_chart_settings(render: Render, monkeypatch: pytest.MonkeyPatch) -> None:
    case = next(c for c in CASES if c.name == "site-gpu-kueue")
    template = job_template(chart_settings(render(case), monkeypatch))
    cut_list = "s3://platecut/cut-lists/0b5c2b9e-51f4-4f55-9a57-2f7c3c8a1d10/3.json"
    job = build_job(plate_request(cut_list_uri=cut_list), template)
    for version in KUBE_VERSIONS:
        kubernetes_validate.validate(job, version, strict=True)
    args = job["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--cut-list") + 1] == cut_list
    detected = build_job(plate_request(), template)["spec"]["template"]["spec"]["containers"][0]["args"]
    assert [a for a in args if a not in ("--cut-list", cut_list)] == detected
