"""The Kubernetes Job of one plate attempt, as a plain dict the API accepts (batch/v1 Job)."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from api.integrations.kubernetes.config import JobTemplate
from api.integrations.kubernetes.names import is_dns1123_label, label_value
from api.integrations.launcher import JobRequest, job_run_arguments
from jobs.errors import NOT_RETRIED
from jobs.manifest import DECODE_DEVICE_ENV

MANAGED_BY = "platecut-api"
LABEL_NAME = "app.kubernetes.io/name"
LABEL_COMPONENT = "app.kubernetes.io/component"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_PLATE_ID = "platecut.io/plate-id"
LABEL_SITE = "platecut.io/site"
LABEL_PROJECT = "platecut.io/project"
LABEL_ATTEMPT = "platecut.io/attempt"
LABEL_OWNER = "platecut.io/owner"  # the installation that made the Job (JobTemplate.owner)
LABEL_KUEUE_QUEUE = "kueue.x-k8s.io/queue-name"
ANNOTATION_PLATE_NAME = "platecut.io/plate-name"
ANNOTATION_SOURCE = "platecut.io/source-uri"
ANNOTATION_OUTPUT = "platecut.io/output-uri"
MANAGED_SELECTOR = f"{LABEL_MANAGED_BY}={MANAGED_BY}"
SCRATCH = "/scratch"
TERMINATION_LOG = "/dev/termination-log"
MiB = 1024 * 1024


def build_job(request: JobRequest, template: JobTemplate) -> dict[str, Any]:
    """The Job for ``request``: one pod at a time, retried ``backoff_limit`` times except on bad input."""
    if not is_dns1123_label(request.job_name):
        raise ValueError(f"job name {request.job_name!r} is not a DNS-1123 label of at most 63 characters")
    labels = job_labels(request)
    if template.owner:
        labels[LABEL_OWNER] = template.owner
    job_meta_labels = dict(labels)
    spec: dict[str, Any] = {
        "backoffLimit": template.backoff_limit,
        "podFailurePolicy": pod_failure_policy(template),
        "activeDeadlineSeconds": active_deadline_seconds(request, template),
        "ttlSecondsAfterFinished": template.ttl_seconds_after_finished,
        "template": {"metadata": {"labels": labels}, "spec": pod_spec(request, template)},
    }
    if template.kueue_queue_name:
        # Kueue admits the Job by unsuspending it; the queue label goes on the Job only
        job_meta_labels[LABEL_KUEUE_QUEUE] = label_value(template.kueue_queue_name)
        spec["suspend"] = True
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": request.job_name,
            "namespace": template.namespace,
            "labels": job_meta_labels,
            "annotations": job_annotations(request),
        },
        "spec": spec,
    }


def job_labels(request: JobRequest) -> dict[str, str]:
    return {
        LABEL_NAME: "platecut",
        LABEL_COMPONENT: "split-job",
        LABEL_MANAGED_BY: MANAGED_BY,
        LABEL_PLATE_ID: label_value(request.plate_id),
        LABEL_SITE: label_value(request.site),
        LABEL_PROJECT: label_value(request.project),
        LABEL_ATTEMPT: str(request.attempt),
    }


def job_annotations(request: JobRequest) -> dict[str, str]:
    return {
        ANNOTATION_PLATE_NAME: request.plate_name,
        ANNOTATION_SOURCE: _without_query(request.source_uri),
        ANNOTATION_OUTPUT: _without_query(request.output_uri),
    }


def _without_query(uri: str) -> str:
    """Annotations are for people: no query string (it could hold a signature) or fragment."""
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def pod_failure_policy(template: JobTemplate) -> dict[str, Any]:
    return {"rules": [
        {"action": "FailJob",
         "onExitCodes": {"containerName": template.container_name, "operator": "In",
                         "values": sorted(int(code) for code in NOT_RETRIED)}},
        # a drained node, preemption or eviction is not the plate's fault: not counted as a failure
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
    ]}


def active_deadline_seconds(request: JobRequest, template: JobTemplate) -> int:
    by_size = request.size_bytes / 1e9 * template.deadline_seconds_per_gb
    by_frames = (request.frame_count_hint or 0) / 1000 * template.deadline_seconds_per_1000_frames
    seconds = template.deadline_base_seconds + math.ceil(max(by_size, by_frames, 0.0))
    return min(seconds, template.deadline_max_seconds)


def scratch_bytes(request: JobRequest, template: JobTemplate) -> int:
    return math.ceil(max(request.size_bytes, 0) * template.scratch_size_factor) + template.scratch_base_bytes


def scratch_quantity(request: JobRequest, template: JobTemplate) -> str:
    return f"{math.ceil(scratch_bytes(request, template) / MiB)}Mi"


def scratch_volume(request: JobRequest, template: JobTemplate) -> dict[str, Any]:
    """``/scratch``: the node's disk (emptyDir), or a volume of the site's StorageClass made and
    deleted with the pod (a generic ephemeral volume), for plates larger than a node's disk."""
    size = scratch_quantity(request, template)
    if not template.scratch_storage_class:
        return {"name": "scratch", "emptyDir": {"sizeLimit": size}}
    claim = {"accessModes": ["ReadWriteOnce"], "storageClassName": template.scratch_storage_class,
             "resources": {"requests": {"storage": size}}}
    return {"name": "scratch", "ephemeral": {"volumeClaimTemplate": {
        "metadata": {"labels": {LABEL_MANAGED_BY: MANAGED_BY, LABEL_PLATE_ID: label_value(request.plate_id)}},
        "spec": claim}}}


def pod_spec(request: JobRequest, template: JobTemplate) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "serviceAccountName": template.service_account_name,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": template.run_as_user,
            "runAsGroup": template.run_as_group,
            "fsGroup": template.run_as_group,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container(request, template)],
        "volumes": [scratch_volume(request, template)],
    }
    if template.node_selector:
        spec["nodeSelector"] = dict(template.node_selector)
    if template.tolerations:
        spec["tolerations"] = [dict(t) for t in template.tolerations]
    if template.runtime_class_name:
        spec["runtimeClassName"] = template.runtime_class_name
    if template.priority_class_name:
        spec["priorityClassName"] = template.priority_class_name
    if template.image_pull_secrets:
        spec["imagePullSecrets"] = [{"name": name} for name in template.image_pull_secrets]
    return spec


def container(request: JobRequest, template: JobTemplate) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": template.container_name,
        "image": template.image,
        "imagePullPolicy": template.image_pull_policy,
        "args": job_run_arguments(request),  # the image's ``platecut`` entrypoint
        "env": container_env(template),
        "resources": resources(request, template),
        "terminationMessagePath": TERMINATION_LOG,
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "scratch", "mountPath": SCRATCH}],
    }
    if template.env_secret_name:
        spec["envFrom"] = [{"secretRef": {"name": template.env_secret_name}}]
    return spec


def container_env(template: JobTemplate) -> list[dict[str, str]]:
    env = {
        **template.env,
        "TMPDIR": SCRATCH,
        "HOME": SCRATCH,
        "PLATECUT_TERMINATION_LOG": TERMINATION_LOG,
        "PLATECUT_OCR_DEVICE": template.effective_ocr_device,
        DECODE_DEVICE_ENV: template.effective_decode_device,
    }
    return [{"name": name, "value": value} for name, value in env.items()]


def resources(request: JobRequest, template: JobTemplate) -> dict[str, dict[str, str]]:
    """Requests and limits; the GPU only in limits (Kubernetes sets its request to the limit)."""
    requests = {"cpu": template.cpu_request, "memory": template.memory_request}
    if template.request_scratch_storage and not template.scratch_storage_class:
        requests["ephemeral-storage"] = scratch_quantity(request, template)
    limits: dict[str, str] = {}
    if template.cpu_limit:
        limits["cpu"] = template.cpu_limit
    if template.memory_limit:
        limits["memory"] = template.memory_limit
    if template.gpu_count > 0:
        limits[template.gpu_resource_name] = str(template.gpu_count)
    return {"requests": requests, "limits": limits} if limits else {"requests": requests}
