"""The split Job manifest: valid for the API server (strict schemas of Kubernetes 1.30 to 1.37), and
what the schemas cannot say: names, GPU only in limits, no root, no token, failure policy, deadline."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import kubernetes_validate
import pytest

from api.integrations.kubernetes import JobTemplate, build_job, job_name_for, label_value
from api.integrations.kubernetes.manifest import active_deadline_seconds, scratch_bytes, scratch_quantity
from api.integrations.kubernetes.names import DNS1123_LABEL, LABEL_VALUE
from api.integrations.launcher import JobRequest

pytest_plugins = ["tests.api.k8s_fixtures"]

MakeRequest = Callable[..., JobRequest]
IMAGE = "registry.example/platecut:1.0"
VERSIONS = ["1.30.0", "1.33.0", "1.37.0"]
TEMPLATES: dict[str, JobTemplate] = {
    "cpu": JobTemplate(image=IMAGE, gpu_count=0, cpu_request="2", memory_request="8Gi", memory_limit="8Gi"),
    "gpu": JobTemplate(image=IMAGE, gpu_count=1, env_secret_name="platecut-s3",
                       env={"PLATECUT_S3_ENDPOINT": "http://minio:9000", "PLATECUT_OCR_ENGINE": "paddle"}),
    "gpu-kueue": JobTemplate(image=IMAGE, gpu_count=2, kueue_queue_name="vfx-gpu", cpu_limit="8"),
    "gpu-full": JobTemplate(
        image=IMAGE, namespace="vfx-split", image_pull_policy="Always", image_pull_secrets=("regcred",),
        service_account_name="platecut-split", gpu_count=1, gpu_resource_name="nvidia.com/gpu",
        cpu_request="500m", cpu_limit="4", memory_request="12Gi", memory_limit="24Gi",
        node_selector={"nvidia.com/gpu.product": "NVIDIA-L4", "kubernetes.io/arch": "amd64"},
        tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
                     {"key": "spot", "operator": "Equal", "value": "true", "effect": "NoExecute",
                      "tolerationSeconds": 300}],
        runtime_class_name="nvidia", priority_class_name="batch-low", kueue_queue_name="gpu-queue",
        backoff_limit=1, ttl_seconds_after_finished=3600, env_secret_name="platecut-s3",
        env={"PLATECUT_OCR_ENGINE": "onnx"}, run_as_user=20000, run_as_group=20001, ocr_device="gpu:0",
        request_scratch_storage=False),
    "scratch-volume": JobTemplate(image=IMAGE, gpu_count=1, scratch_storage_class="fast-nvme"),
}


def _requests(make_request: MakeRequest) -> dict[str, JobRequest]:
    return {
        "plain": make_request(),
        "no-sha-extra-args": make_request(attempt=3, sha256=None, extra_args=("--no-ocr",)),
        "huge-with-frames": make_request(size_bytes=800 * 10**9, frame_count_hint=250_000,
                                         site="x" * 80, project="ÆØÅ / weird :: name__"),
        "cut-list": make_request(attempt=2, cut_list_uri="s3://plates/cut-lists/v3.json"),
    }


def _container(job: dict[str, Any]) -> dict[str, Any]:
    containers = job["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]  # type: ignore[no-any-return]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("template_name", TEMPLATES)
def test_every_job_validates_strictly(template_name: str, version: str, make_request: MakeRequest) -> None:
    for request in _requests(make_request).values():
        job = build_job(request, TEMPLATES[template_name])
        assert kubernetes_validate.validate(job, version, strict=True) == version.rsplit(".", 1)[0]


def test_strict_validation_catches_a_mistake(make_request: MakeRequest) -> None:
    job = build_job(make_request(), TEMPLATES["gpu"])
    _container(job)["resources"]["limit"] = {"cpu": "1"}  # a typo the API server would reject
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, "1.33.0", strict=True)


@pytest.mark.parametrize("template_name", TEMPLATES)
def test_the_pod_runs_locked_down(template_name: str, make_request: MakeRequest) -> None:
    template = TEMPLATES[template_name]
    job = build_job(make_request(), template)
    pod = job["spec"]["template"]["spec"]
    container = _container(job)
    assert pod["restartPolicy"] == "Never"
    assert pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == template.service_account_name
    assert pod["securityContext"] == {"runAsNonRoot": True, "runAsUser": template.run_as_user,
                                      "runAsGroup": template.run_as_group, "fsGroup": template.run_as_group,
                                      "seccompProfile": {"type": "RuntimeDefault"}}
    assert template.run_as_user > 0
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container.get("securityContext", {}).get("privileged") is not True
    assert container["terminationMessagePolicy"] == "FallbackToLogsOnError"
    assert {"name": "scratch", "mountPath": "/scratch"} in container["volumeMounts"]
    assert pod["volumes"][0]["name"] == "scratch"


@pytest.mark.parametrize("template_name", TEMPLATES)
def test_gpu_only_in_limits(template_name: str, make_request: MakeRequest) -> None:
    template = TEMPLATES[template_name]
    resources = _container(build_job(make_request(), template))["resources"]
    assert template.gpu_resource_name not in resources["requests"]
    assert all(isinstance(v, str) for part in resources.values() for v in part.values())
    assert resources["requests"]["cpu"] == template.cpu_request
    assert resources["requests"]["memory"] == template.memory_request
    if template.gpu_count:
        assert resources["limits"][template.gpu_resource_name] == str(template.gpu_count)
    else:
        assert not any("gpu" in key for key in resources.get("limits", {}))


def test_pod_failure_policy(make_request: MakeRequest) -> None:
    spec = build_job(make_request(), TEMPLATES["gpu"])["spec"]
    assert spec["backoffLimit"] == 2
    assert spec["podFailurePolicy"] == {"rules": [
        {"action": "FailJob",
         "onExitCodes": {"containerName": "split", "operator": "In", "values": [2, 65, 66, 69, 73, 77]}},
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
    ]}


@pytest.mark.parametrize("template_name", TEMPLATES)
def test_labels_and_annotations(template_name: str, make_request: MakeRequest) -> None:
    template = TEMPLATES[template_name]
    for request in _requests(make_request).values():
        job = build_job(request, template)
        labels = job["metadata"]["labels"]
        expected = {
            "app.kubernetes.io/name": "platecut", "app.kubernetes.io/component": "split-job",
            "app.kubernetes.io/managed-by": "platecut-api", "platecut.io/plate-id": request.plate_id,
            "platecut.io/site": label_value(request.site),
            "platecut.io/project": label_value(request.project),
            "platecut.io/attempt": str(request.attempt),
        }
        assert labels.items() >= expected.items()
        assert all(len(v) <= 63 and LABEL_VALUE.match(v) for v in labels.values())
        pod_labels = job["spec"]["template"]["metadata"]["labels"]
        assert pod_labels == expected  # the queue label only on the Job
        assert job["metadata"]["annotations"] == {"platecut.io/plate-name": request.plate_name,
                                                  "platecut.io/source-uri": request.source_uri,
                                                  "platecut.io/output-uri": request.output_uri}
        assert job["metadata"]["namespace"] == template.namespace


def test_kueue_queue_suspends_the_job(make_request: MakeRequest) -> None:
    request = make_request()
    queued = build_job(request, TEMPLATES["gpu-kueue"])
    assert queued["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "vfx-gpu"
    assert queued["spec"]["suspend"] is True
    plain = build_job(request, TEMPLATES["gpu"])
    assert "kueue.x-k8s.io/queue-name" not in plain["metadata"]["labels"]
    assert "suspend" not in plain["spec"]


def test_site_choices_reach_the_pod(make_request: MakeRequest) -> None:
    template = TEMPLATES["gpu-full"]
    pod = build_job(make_request(), template)["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == template.node_selector
    assert pod["tolerations"] == list(template.tolerations)
    assert pod["runtimeClassName"] == "nvidia"
    assert pod["priorityClassName"] == "batch-low"
    assert pod["imagePullSecrets"] == [{"name": "regcred"}]
    bare = build_job(make_request(), TEMPLATES["cpu"])["spec"]["template"]["spec"]
    assert not {"nodeSelector", "tolerations", "runtimeClassName", "priorityClassName"} & bare.keys()


def test_container_command_and_environment(make_request: MakeRequest) -> None:
    request = make_request(extra_args=("--no-ocr",))
    container = _container(build_job(request, TEMPLATES["gpu"]))
    assert container["image"] == IMAGE
    assert "command" not in container  # the image's entrypoint is `platecut`
    assert container["args"] == [
        "job", "run", "--plate-id", request.plate_id, "--source", request.source_uri,
        "--output", request.output_uri, "--sha256", request.sha256, "--size", str(request.size_bytes),
        "--plate-kind", "reference", "--head-handles", "8", "--tail-handles", "8", "--no-ocr"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env == {"PLATECUT_S3_ENDPOINT": "http://minio:9000", "PLATECUT_OCR_ENGINE": "paddle",
                   "TMPDIR": "/scratch", "HOME": "/scratch",
                   "PLATECUT_TERMINATION_LOG": "/dev/termination-log", "PLATECUT_OCR_DEVICE": "gpu",
                   "PLATECUT_DECODE_DEVICE": "auto"}
    assert container["envFrom"] == [{"secretRef": {"name": "platecut-s3"}}]
    no_sha = _container(build_job(make_request(sha256=None), TEMPLATES["cpu"]))
    assert "--sha256" not in no_sha["args"]
    assert {"name": "PLATECUT_OCR_DEVICE", "value": "cpu"} in no_sha["env"]
    assert {"name": "PLATECUT_DECODE_DEVICE", "value": "cpu"} in no_sha["env"]  # no GPU: no NVDEC
    assert "envFrom" not in no_sha


def test_a_cut_list_is_an_argument_of_the_job(make_request: MakeRequest) -> None:
    request = make_request(cut_list_uri="s3://plates/cut-lists/0b5c/v3.json", extra_args=("--no-ocr",))
    job = build_job(request, TEMPLATES["cpu"])
    assert _container(job)["args"] == [
        "job", "run", "--plate-id", request.plate_id, "--source", request.source_uri,
        "--output", request.output_uri, "--sha256", request.sha256,
        "--cut-list", "s3://plates/cut-lists/0b5c/v3.json", "--size", str(request.size_bytes),
        "--plate-kind", "reference", "--head-handles", "8", "--tail-handles", "8", "--no-ocr"]
    for version in VERSIONS:
        kubernetes_validate.validate(job, version, strict=True)
    assert "--cut-list" not in _container(build_job(make_request(), TEMPLATES["cpu"]))["args"]


def test_deadline_and_scratch_scale_with_the_plate(make_request: MakeRequest) -> None:
    template = TEMPLATES["gpu"]
    small, big = make_request(size_bytes=10**9), make_request(size_bytes=100 * 10**9)
    assert active_deadline_seconds(small, template) == 1800 + 120
    assert active_deadline_seconds(big, template) == 1800 + 100 * 120
    long_clip = make_request(size_bytes=10**9, frame_count_hint=300_000)
    assert active_deadline_seconds(long_clip, template) == 1800 + 300 * 60
    huge = make_request(size_bytes=10**13)
    assert active_deadline_seconds(huge, template) == template.deadline_max_seconds
    job = build_job(big, template)
    assert job["spec"]["activeDeadlineSeconds"] == active_deadline_seconds(big, template)
    assert job["spec"]["ttlSecondsAfterFinished"] == 86400
    size_limit = job["spec"]["template"]["spec"]["volumes"][0]["emptyDir"]["sizeLimit"]
    assert re.fullmatch(r"\d+Mi", size_limit)
    assert int(size_limit[:-2]) * 1024**2 >= scratch_bytes(big, template) >= 3 * big.size_bytes
    assert _container(job)["resources"]["requests"]["ephemeral-storage"] == size_limit
    assert scratch_bytes(small, template) < scratch_bytes(big, template)


def test_scratch_can_be_a_volume_of_the_sites_storage_class(make_request: MakeRequest) -> None:
    big = make_request(size_bytes=40 * 10**9)  # 40 GB: 140 GB of scratch, more than a node's disk
    job = build_job(big, TEMPLATES["scratch-volume"])
    [volume] = job["spec"]["template"]["spec"]["volumes"]
    claim = volume["ephemeral"]["volumeClaimTemplate"]
    assert claim["spec"] == {"accessModes": ["ReadWriteOnce"], "storageClassName": "fast-nvme",
                             "resources": {"requests": {"storage": scratch_quantity(big, TEMPLATES["gpu"])}}}
    assert claim["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "platecut-api",
                                           "platecut.io/plate-id": big.plate_id}
    assert "ephemeral-storage" not in _container(job)["resources"]["requests"]  # not the node's disk
    assert _container(job)["volumeMounts"] == [{"name": "scratch", "mountPath": "/scratch"}]
    with pytest.raises(ValueError, match="scratch_storage_class 'Fast_NVMe'"):
        JobTemplate(image=IMAGE, scratch_storage_class="Fast_NVMe")


@pytest.mark.parametrize("attempt", [1, 2, 10, 10**20])
def test_job_names_are_dns_labels(attempt: int) -> None:
    plate_id = str(uuid.uuid4())
    name = job_name_for(plate_id, attempt)
    assert name == f"platecut-{plate_id.replace('-', '')[:12]}-a{attempt}"
    assert len(name) <= 63 and DNS1123_LABEL.match(name)
    assert job_name_for(plate_id.upper(), attempt) == name


def test_job_name_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        job_name_for("not-a-uuid", 1)
    with pytest.raises(ValueError):
        job_name_for(str(uuid.uuid4()), 0)
    with pytest.raises(ValueError):
        job_name_for(str(uuid.uuid4()), 10**60)  # longer than 63 characters


@pytest.mark.parametrize(("text", "expected"), [
    ("london", "london"),
    ("Feature Film: Part 2", "Feature-Film-Part-2"),
    ("-_.edge._-", "edge"),
    ("ÆØÅ", ""),
    ("a" * 70, "a" * 63),
    ("x" * 62 + "-y", "x" * 62),
    ("v1.2_rc", "v1.2_rc"),
])
def test_label_values_are_sanitised(text: str, expected: str) -> None:
    assert label_value(text) == expected
    assert LABEL_VALUE.match(label_value(text))


def test_a_bad_request_name_is_refused(make_request: MakeRequest) -> None:
    with pytest.raises(ValueError, match="DNS-1123"):
        build_job(make_request(job_name="Platecut_Bad"), TEMPLATES["cpu"])


def test_a_site_can_keep_gpu_jobs_decoding_on_the_cpu(make_request: MakeRequest) -> None:
    template = JobTemplate(image=IMAGE, env={"PLATECUT_DECODE_DEVICE": "cpu"})
    env = _container(build_job(make_request(), template))["env"]
    assert {"name": "PLATECUT_DECODE_DEVICE", "value": "cpu"} in env
    assert template.gpu_count == 1


@pytest.mark.parametrize("change", [
    {"cpu_request": 2},
    {"memory_limit": "8 GB"},
    {"gpu_count": -1},
    {"run_as_user": 0},
    {"namespace": "Bad_NS"},
    {"image_pull_policy": "Sometimes"},
    {"env": {"HOME": "/root"}},
    {"env": {"1=bad": "x"}},
    {"tolerations": [{"key": "k", "efect": "NoSchedule"}]},
    {"ocr_device": "cuda"},
    {"env": {"PLATECUT_DECODE_DEVICE": "nvdec"}},
    {"env": {"PLATECUT_PARTS": "0"}},
    {"env": {"PLATECUT_PARTS": "four"}},
    {"env": {"PLATECUT_PARTS": "65"}},
    {"owner": "a" * 64},
    {"owner": "-studio"},
    {"deadline_base_seconds": 0},
])
def test_template_refuses_nonsense(change: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="invalid Kubernetes job template"):
        JobTemplate(image=IMAGE, **change)
