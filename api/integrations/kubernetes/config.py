"""What a site sets about its split Jobs: where and as whom they run, on what, for how long.

``JobTemplate`` is read from the ``PLATECUT_K8S_*`` variables (``Settings.k8s``); lists and maps are
JSON there, e.g. ``PLATECUT_K8S_NODE_SELECTOR='{"gpu": "l4"}'``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Self

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.integrations.kubernetes.names import is_dns1123_label, is_label_value
from jobs.manifest import DECODE_DEVICE_ENV, DECODE_DEVICES, MAX_PARTS, PARTS_ENV

GiB = 1024**3
ENV_PREFIX = "PLATECUT_K8S_"
# what the API server accepts as a resource quantity, e.g. "2", "500m", "8Gi", "1.5e3"
QUANTITY = re.compile(r"^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+|[numkMGTPE]|[KMGTPE]i)?$")
QUANTITY_FIELDS = ("cpu_request", "cpu_limit", "memory_request", "memory_limit")
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
OCR_DEVICE = re.compile(r"^(cpu|gpu(:\d+)?)$")
STORAGE_CLASS = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")  # a DNS-1123 subdomain
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
TOLERATION_KEYS = frozenset({"key", "operator", "value", "effect", "tolerationSeconds"})
# set by the manifest itself: a site's ``env`` may not replace them
RESERVED_ENV = frozenset({"TMPDIR", "HOME", "PLATECUT_TERMINATION_LOG", "PLATECUT_OCR_DEVICE"})
INVALID = "invalid Kubernetes job template: "


def _env(name: str) -> str:
    """The variable of a field whose name is not ``PLATECUT_K8S_`` + its own."""
    return ENV_PREFIX + name.upper()


def _not_a_quantity(name: str | None, value: Any) -> str:
    return f"{name} {value!r} is not a quantity string such as '2' or '8Gi'"


class JobTemplate(BaseSettings):
    """Everything about a split Job that is the site's to choose (the plate's part is ``JobRequest``).

    Quantities are strings as Kubernetes writes them ("2", "500m", "8Gi"). ``gpu_count`` 0 makes CPU
    Jobs. With ``kueue_queue_name`` the Job carries ``kueue.x-k8s.io/queue-name`` and is created
    suspended: Kueue admits (unsuspends) it. ``activeDeadlineSeconds`` is ``deadline_base_seconds``
    plus the larger of ``deadline_seconds_per_gb`` per 10**9 bytes and
    ``deadline_seconds_per_1000_frames`` (when the request has a frame count), at most
    ``deadline_max_seconds``; it bounds the whole Job, retries included. The ``/scratch`` emptyDir
    gets ``scratch_size_factor`` x the plate's size + ``scratch_base_bytes`` (its sizeLimit, and the
    container's ephemeral-storage request when ``request_scratch_storage``); with
    ``scratch_storage_class`` it is a generic ephemeral volume of that size and class instead.

    Each field is read from ``PLATECUT_K8S_`` + its name in capitals, except where a field names its
    variable (``validation_alias``); keywords take the field names. ``image`` may be left unset
    unless the launcher is ``kubernetes`` (``api.integrations.factory.job_template`` checks it).
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True,
                                      populate_by_name=True)

    image: str | None = Field(None, description="The job image (required with launcher=kubernetes)")
    namespace: str = Field("platecut", description="Namespace of the Jobs")
    image_pull_policy: str = Field("IfNotPresent", description=", ".join(PULL_POLICIES))
    image_pull_secrets: tuple[str, ...] = Field((), description="Secret names (JSON list)")
    service_account_name: str = Field("platecut-split", validation_alias=_env("service_account"),
                                      description="The Jobs' own account: no RBAC permissions")
    container_name: str = Field("split", description="The split container's name")
    gpu_count: int = Field(1, description="GPUs per Job (0: a CPU Job)")
    gpu_resource_name: str = Field("nvidia.com/gpu", validation_alias=_env("gpu_resource"),
                                   description="The GPUs' extended resource")
    cpu_request: str = "4"
    cpu_limit: str | None = None
    memory_request: str = "16Gi"
    memory_limit: str | None = "16Gi"
    node_selector: Mapping[str, str] = Field(default_factory=dict, description="JSON object")
    tolerations: tuple[Mapping[str, Any], ...] = Field((), description="JSON list of tolerations")
    runtime_class_name: str | None = Field(None, validation_alias=_env("runtime_class"),
                                           description="e.g. nvidia")
    priority_class_name: str | None = Field(None, validation_alias=_env("priority_class"))
    kueue_queue_name: str | None = Field(None, validation_alias=_env("queue_name"),
                                         description="Kueue LocalQueue of the namespace: Jobs are "
                                                     "created suspended")
    backoff_limit: int = Field(2, description="Pod retries within one Job")
    deadline_base_seconds: int = 1800
    deadline_seconds_per_gb: float = Field(120.0, validation_alias=_env("deadline_per_gb_seconds"))
    deadline_seconds_per_1000_frames: float = Field(
        60.0, validation_alias=_env("deadline_per_1000_frames_seconds"))
    deadline_max_seconds: int = 2 * 86400
    ttl_seconds_after_finished: int = Field(86400, validation_alias=_env("ttl_seconds"),
                                            description="Much longer than the reconcile interval")
    scratch_size_factor: float = 3.0
    scratch_base_bytes: int = 20 * GiB
    request_scratch_storage: bool = Field(True, description="Request /scratch as ephemeral-storage")
    owner: str | None = Field(None, description="This installation's name on its Jobs (label "
                              "platecut.io/owner): installations sharing a jobs namespace each see "
                              "their own Jobs alone; None: every platecut Job of the namespace")
    scratch_storage_class: str | None = Field(
        None, description="Give /scratch a volume of its own from this StorageClass (a generic "
        "ephemeral volume, made and deleted with the pod) instead of the node's disk; None: emptyDir")
    env_secret_name: str | None = Field(None, validation_alias=_env("env_secret"),
                                        description="Secret for the Jobs' envFrom (S3 credentials)")
    env: Mapping[str, str] = Field(default_factory=dict, description="Job variables (JSON object), "
                                   "e.g. PLATECUT_S3_ENDPOINT, PLATECUT_OCR_ENGINE")
    run_as_user: int = 10001
    run_as_group: int = 10001
    ocr_device: str | None = Field(None, description="The job's PLATECUT_OCR_DEVICE: cpu, gpu or gpu:N; "
                                   "default gpu with a GPU, else cpu")

    @field_validator(*QUANTITY_FIELDS, mode="before")
    @classmethod
    def _quantity_is_a_string(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and not isinstance(value, str):
            raise ValueError(INVALID + _not_a_quantity(info.field_name, value))
        return value

    @model_validator(mode="after")
    def _valid(self) -> Self:
        problems = [*self._identity_problems(), *self._resource_problems(), *self._timing_problems(),
                    *self._env_problems()]
        if problems:
            raise ValueError(INVALID + "; ".join(problems))
        return self

    @property
    def effective_ocr_device(self) -> str:
        return self.ocr_device or ("gpu" if self.gpu_count > 0 else "cpu")

    @property
    def effective_decode_device(self) -> str:
        """NVDEC where it works on a GPU Job (auto), never tried on a CPU Job; env can say."""
        return self.env.get(DECODE_DEVICE_ENV) or ("auto" if self.gpu_count > 0 else "cpu")

    def _identity_problems(self) -> list[str]:
        problems = []
        if not is_dns1123_label(self.namespace):
            problems.append(f"namespace {self.namespace!r} is not a DNS-1123 label")
        if self.image is not None and not self.image.strip():
            problems.append("image is empty")
        if self.image_pull_policy not in PULL_POLICIES:
            problems.append(f"image_pull_policy must be one of {', '.join(PULL_POLICIES)}")
        if not self.service_account_name:
            problems.append("service_account_name is empty")
        if not is_dns1123_label(self.container_name):
            problems.append(f"container_name {self.container_name!r} is not a DNS-1123 label")
        if self.run_as_user <= 0 or self.run_as_group < 0:
            problems.append("run_as_user must be a non-root uid (> 0), run_as_group >= 0")
        return problems

    def _resource_problems(self) -> list[str]:
        problems = []
        if self.gpu_count < 0:
            problems.append("gpu_count must be >= 0")
        if "/" not in self.gpu_resource_name:
            problems.append(f"gpu_resource_name {self.gpu_resource_name!r} is not an extended resource")
        for name in QUANTITY_FIELDS:
            value = getattr(self, name)
            if value is not None and not QUANTITY.match(value):
                problems.append(_not_a_quantity(name, value))
        for toleration in self.tolerations:
            unknown = set(toleration) - TOLERATION_KEYS
            if unknown:
                problems.append(f"toleration {dict(toleration)!r} has unknown keys {sorted(unknown)}")
        return problems

    def _timing_problems(self) -> list[str]:
        problems = []
        if self.backoff_limit < 0:
            problems.append("backoff_limit must be >= 0")
        if self.deadline_base_seconds <= 0 or self.deadline_max_seconds < self.deadline_base_seconds:
            problems.append("deadline_base_seconds must be > 0 and <= deadline_max_seconds")
        if self.deadline_seconds_per_gb < 0 or self.deadline_seconds_per_1000_frames < 0:
            problems.append("deadline rates must be >= 0")
        if self.ttl_seconds_after_finished < 0:
            problems.append("ttl_seconds_after_finished must be >= 0")
        if self.scratch_size_factor < 0 or self.scratch_base_bytes < 0:
            problems.append("scratch_size_factor and scratch_base_bytes must be >= 0")
        return problems

    def _env_problems(self) -> list[str]:
        problems = []
        for name in self.env:
            if not ENV_NAME.match(name):
                problems.append(f"env name {name!r} is not valid")
            elif name in RESERVED_ENV:
                problems.append(f"env {name} is set by the manifest (use the template's own field)")
        if self.ocr_device is not None and not OCR_DEVICE.match(self.ocr_device):
            problems.append(f"ocr_device {self.ocr_device!r}: use cpu, gpu or gpu:N")
        if self.scratch_storage_class is not None and not STORAGE_CLASS.match(self.scratch_storage_class):
            problems.append(f"scratch_storage_class {self.scratch_storage_class!r} is not a DNS-1123 "
                            "subdomain")
        if self.owner is not None and not (self.owner and is_label_value(self.owner)):
            problems.append(f"owner {self.owner!r} is not a label value (63 characters at most)")
        decode = self.env.get(DECODE_DEVICE_ENV)
        if decode is not None and decode not in DECODE_DEVICES:
            problems.append(f"env {DECODE_DEVICE_ENV}={decode!r}: use {', '.join(DECODE_DEVICES)}")
        parts = self.env.get(PARTS_ENV)
        if parts is not None and not (parts.isdigit() and 1 <= int(parts) <= MAX_PARTS):
            problems.append(f"env {PARTS_ENV}={parts!r}: use a whole number from 1 to {MAX_PARTS}")
        return problems
