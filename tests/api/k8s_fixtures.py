"""Fixtures of the launcher tests: a Kubernetes API on loopback (``tests.support.k8s_emulator``:
kmock's ``KubernetesEmulator`` with label selectors, pagination and server-set metadata), a Job
template, a launcher on it, and plate requests.

Tests use them through ``pytest_plugins = ["tests.api.k8s_fixtures"]`` and import from here only
under ``TYPE_CHECKING`` (so pytest imports this module first, as a plugin, and rewrites its asserts).
The emulator's names are re-exported here for them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from api.integrations.kubernetes import JobTemplate, KubernetesLauncher, build_job, job_name_for
from api.integrations.launcher import JobRequest
from tests.support.k8s_emulator import (
    JOBS,
    NAMESPACE,
    PODS,
    Apiserver,
    EmulatedCluster,
    emulated_cluster,
    now_rfc3339,
    once,
    parse_selector,
)

__all__ = ["JOBS", "NAMESPACE", "PODS", "Apiserver", "EmulatedCluster", "now_rfc3339", "once",
           "parse_selector", "plate_request"]


@pytest.fixture
def cluster() -> Iterator[EmulatedCluster]:
    """A fresh emulated API server on 127.0.0.1 (its own thread and event loop) per test."""
    with emulated_cluster() as emulated:
        yield emulated


def plate_request(attempt: int = 1, *, plate_id: str | None = None, size_bytes: int = 2 * 10**9,
                  **overrides: Any) -> JobRequest:
    plate_id = plate_id or str(uuid.uuid4())
    fields: dict[str, Any] = {
        "plate_id": plate_id, "attempt": attempt, "job_name": job_name_for(plate_id, attempt),
        "site": "london", "project": "Feature Film: Part 2", "plate_name": "A001C003_230412_R1AB.mov",
        "source_uri": f"s3://plates/originals/{plate_id}.mov", "output_uri": f"s3://plates/cuts/{plate_id}/",
        "size_bytes": size_bytes, "sha256": "ab" * 32,
    }
    return JobRequest(**{**fields, **overrides})


@pytest.fixture
def make_request() -> Callable[..., JobRequest]:
    return plate_request


@pytest.fixture
def template() -> JobTemplate:
    return JobTemplate(image="registry.example/platecut:1.0", namespace=NAMESPACE,
                       env_secret_name="platecut-s3", env={"PLATECUT_S3_ENDPOINT": "http://minio:9000"})


@pytest.fixture
def launcher(cluster: EmulatedCluster, template: JobTemplate) -> KubernetesLauncher:
    return KubernetesLauncher(cluster.api_client(), template, page_size=500, request_timeout=(2.0, 10.0))


@pytest.fixture
def job_manifest(template: JobTemplate) -> Callable[..., dict[str, Any]]:
    """``build_job`` of a fresh plate request (for Jobs stored without a request)."""
    return lambda **overrides: build_job(plate_request(**overrides), template)
