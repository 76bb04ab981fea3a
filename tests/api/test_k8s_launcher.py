"""``KubernetesLauncher`` with the real kubernetes client, over HTTP, against kmock's emulator on
loopback (see ``k8s_fixtures``); and, marked ``cluster``, against a real cluster (``KUBECONFIG``)."""

from __future__ import annotations

import math
import os
import socket
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from kmock import KubernetesError

from api.integrations.kubernetes import (
    JobTemplate,
    KubernetesApiError,
    KubernetesLauncher,
    build_job,
    load_api_client,
)
from api.integrations.launcher import JobPhase, JobRequest, LauncherError

if TYPE_CHECKING:
    from tests.api.k8s_fixtures import EmulatedCluster

pytest_plugins = ["tests.api.k8s_fixtures"]

MakeRequest = Callable[..., JobRequest]
NS = "platecut-test"


def _status_error(status: int, reason: str) -> KubernetesError:
    return KubernetesError(status=status, reason=reason, message=f"injected {status}")


def test_submit_creates_the_built_job_pending(cluster: EmulatedCluster, launcher: KubernetesLauncher,
                                              make_request: MakeRequest, template: JobTemplate) -> None:
    request = make_request()
    status = launcher.submit(request)
    assert status.job_name == request.job_name and status.phase is JobPhase.PENDING
    assert status.labels["platecut.io/plate-id"] == request.plate_id
    posts = cluster.requests("post", cluster.jobs_path())
    assert len(posts) == 1 and posts[0].data == build_job(request, template)
    stored = cluster.job(request.job_name)
    assert stored is not None
    assert stored["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "platecut-api"
    assert stored["metadata"]["uid"]  # set by the (emulated) server
    assert launcher.statuses()[request.job_name].phase is JobPhase.PENDING
    assert launcher.calls == 2


def test_the_job_controller_moves_the_phase(cluster: EmulatedCluster, launcher: KubernetesLauncher,
                                            make_request: MakeRequest) -> None:
    name = launcher.submit(make_request()).job_name

    def phase() -> JobPhase:
        return launcher.statuses([name])[name].phase

    cluster.set_job_status(name, {"active": 1, "startTime": "2025-03-01T10:00:00Z"})
    assert phase() is JobPhase.RUNNING  # no `ready` count (older clusters): active is enough
    cluster.set_job_status(name, {"ready": 0})
    assert phase() is JobPhase.PENDING  # the pod is there but not started (image pull, no GPU yet)
    cluster.set_job_status(name, {"ready": 1})
    status = launcher.statuses([name])[name]
    assert status.phase is JobPhase.RUNNING
    assert status.started_at is not None and status.started_at.isoformat() == "2025-03-01T10:00:00+00:00"
    cluster.set_job_status(name, {"active": None, "ready": 0, "succeeded": 1,
                                  "completionTime": "2025-03-01T10:20:00Z",
                                  "conditions": [{"type": "SuccessCriteriaMet", "status": "True"},
                                                 {"type": "Complete", "status": "True"}]})
    status = launcher.statuses([name])[name]
    assert status.phase is JobPhase.SUCCEEDED
    assert status.finished_at is not None and status.finished_at.isoformat() == "2025-03-01T10:20:00+00:00"
    assert status.exit_code is None and status.reason is None


def test_suspended_is_pending(cluster: EmulatedCluster, launcher: KubernetesLauncher,
                              make_request: MakeRequest) -> None:
    name = launcher.submit(make_request()).job_name
    cluster.set_job_status(name, {"active": 1, "ready": 1})
    assert launcher.statuses()[name].phase is JobPhase.RUNNING
    cluster.set_job_spec(name, {"suspend": True})  # Kueue preempted it: back in the queue
    status = launcher.statuses()[name]
    assert status.phase is JobPhase.PENDING and status.reason == "Suspended"


def test_a_kueue_job_is_created_suspended_and_queued(cluster: EmulatedCluster, make_request: MakeRequest,
                                                     template: JobTemplate) -> None:
    queued = JobTemplate(image=template.image, namespace=NS, kueue_queue_name="gpu-queue")
    launcher = KubernetesLauncher(cluster.api_client(), queued)
    status = launcher.submit(make_request())
    assert status.phase is JobPhase.PENDING
    stored = cluster.job(status.job_name)
    assert stored is not None and stored["spec"]["suspend"] is True
    assert launcher.statuses()[status.job_name].phase is JobPhase.PENDING


def test_failed_job_has_reason_message_and_exit_code(cluster: EmulatedCluster, launcher: KubernetesLauncher,
                                                     make_request: MakeRequest) -> None:
    name = launcher.submit(make_request()).job_name
    cluster.add_pod(name, f"{name}-old", exit_code=75, message="S3 timed out", age_s=120)
    cluster.add_pod(name, f"{name}-new", exit_code=65, message="not a video: moov atom missing", age_s=5)
    cluster.add_pod("platecut-other-a1", "someone-else", exit_code=70, message="not this job")
    cluster.set_job_status(name, {"failed": 2, "conditions": [
        {"type": "FailureTarget", "status": "True", "reason": "PodFailurePolicy"},
        {"type": "Failed", "status": "True", "reason": "PodFailurePolicy",
         "message": "Container split for pod platecut-test/x failed with exit code 65 matching FailJob "
                    "rule at index 0",
         "lastTransitionTime": "2025-03-01T11:00:00Z"}]})
    before = launcher.calls
    status = launcher.statuses()[name]
    assert status.phase is JobPhase.FAILED and status.reason == "PodFailurePolicy"
    assert status.exit_code == 65 and status.message == "not a video: moov atom missing"
    assert status.finished_at is not None
    assert launcher.calls - before == 2  # the jobs LIST and this failed job's pods LIST
    pod_lists = cluster.requests("get", f"/api/v1/namespaces/{NS}/pods")
    assert [r.params["labelSelector"] for r in pod_lists] == [f"batch.kubernetes.io/job-name={name}"]
    launcher.statuses()
    assert launcher.calls - before == 3  # a failure is final: its pods are not listed again


def test_failed_without_pods_keeps_the_job_message(cluster: EmulatedCluster, launcher: KubernetesLauncher,
                                                   make_request: MakeRequest) -> None:
    name = launcher.submit(make_request()).job_name
    cluster.set_job_status(name, {"conditions": [
        {"type": "Failed", "status": "True", "reason": "DeadlineExceeded",
         "message": "Job was active longer than specified deadline"}]})
    status = launcher.statuses([name])[name]
    assert (status.phase, status.reason, status.exit_code) == (JobPhase.FAILED, "DeadlineExceeded", None)
    assert status.message == "Job was active longer than specified deadline"


def test_oom_killed_pod_without_a_message(cluster: EmulatedCluster, launcher: KubernetesLauncher,
                                          make_request: MakeRequest) -> None:
    name = launcher.submit(make_request()).job_name
    cluster.add_pod(name, f"{name}-x", exit_code=137, reason="OOMKilled")
    cluster.set_job_status(name, {"conditions": [
        {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
         "message": "Job has reached the specified backoff limit"}]})
    status = launcher.statuses([name])[name]
    assert (status.reason, status.exit_code) == ("BackoffLimitExceeded", 137)
    assert status.message == "Job has reached the specified backoff limit; container OOMKilled"


def test_submit_twice_adopts_our_job(cluster: EmulatedCluster, launcher: KubernetesLauncher,
                                     make_request: MakeRequest) -> None:
    request = make_request()
    first = launcher.submit(request)
    cluster.set_job_status(request.job_name, {"active": 1})
    second = launcher.submit(request)  # e.g. the API restarted between create and commit
    assert second.job_name == first.job_name and second.phase is JobPhase.RUNNING
    job_requests = [(str(r.method.value), r.url.path) for r in cluster.requests()
                    if not r.url.path.endswith("/status")]
    assert job_requests == [("POST", cluster.jobs_path()), ("POST", cluster.jobs_path()),
                            ("GET", cluster.jobs_path(request.job_name))]


def test_a_foreign_job_of_that_name_is_not_adopted(cluster: EmulatedCluster, launcher: KubernetesLauncher,
                                                   make_request: MakeRequest,
                                                   job_manifest: Callable[..., dict[str, Any]]) -> None:
    request = make_request()
    foreign = job_manifest()  # another plate's Job, under this request's name
    foreign["metadata"]["name"] = request.job_name
    cluster.put_job(foreign)
    with pytest.raises(LauncherError, match="not this plate's"):
        launcher.submit(request)
    unmanaged = job_manifest(plate_id=request.plate_id)
    unmanaged["metadata"]["labels"]["app.kubernetes.io/managed-by"] = "helm"
    cluster.put_job(unmanaged)
    with pytest.raises(LauncherError, match="not this plate's"):
        launcher.submit(request)


def test_a_job_being_deleted_is_not_adopted(cluster: EmulatedCluster, launcher: KubernetesLauncher,
                                            make_request: MakeRequest, template: JobTemplate) -> None:
    request = make_request()
    job = build_job(request, template)
    job["metadata"]["deletionTimestamp"] = "2025-03-01T10:00:00Z"
    cluster.put_job(job)
    with pytest.raises(LauncherError, match="being deleted"):
        launcher.submit(request)


@pytest.mark.parametrize(("status", "reason"), [(500, "InternalError"), (503, "ServiceUnavailable"),
                                                (403, "Forbidden"), (422, "Invalid")])
def test_api_errors_on_submit_are_launcher_errors(cluster: EmulatedCluster, launcher: KubernetesLauncher,
                                                  make_request: MakeRequest, status: int,
                                                  reason: str) -> None:
    cluster.apiserver["post", cluster.jobs_path()] << _status_error(status, reason)
    with pytest.raises(LauncherError) as caught:
        launcher.submit(make_request())
    assert isinstance(caught.value, KubernetesApiError) and caught.value.status == status
    assert f"injected {status}" in str(caught.value)


def test_a_500_after_the_create_is_adopted_next_time(cluster: EmulatedCluster, launcher: KubernetesLauncher,
                                                     make_request: MakeRequest) -> None:
    # kmock keeps the Job although it answered 500: a create that "failed" after it was stored
    cluster.apiserver["post", cluster.jobs_path()] << cluster.once(_status_error(500, "InternalError"))
    request = make_request()
    with pytest.raises(LauncherError):
        launcher.submit(request)
    assert launcher.submit(request).phase is JobPhase.PENDING
    assert [str(r.method.value) for r in cluster.requests()] == ["POST", "POST", "GET"]


@pytest.mark.parametrize("status", [500, 403, 410])
def test_api_errors_on_status_are_launcher_errors(cluster: EmulatedCluster, launcher: KubernetesLauncher,
                                                  status: int) -> None:
    cluster.apiserver["get", cluster.jobs_path()] << _status_error(status, "Injected")
    with pytest.raises(LauncherError):
        launcher.statuses()
    with pytest.raises(LauncherError):
        launcher.statuses(["platecut-00000000-a1"])


def test_errors_on_delete_and_logs(cluster: EmulatedCluster, launcher: KubernetesLauncher,
                                   make_request: MakeRequest) -> None:
    name = launcher.submit(make_request()).job_name  # kmock answers 404 for a missing one first
    cluster.apiserver["delete", cluster.jobs_path(name)] << _status_error(500, "InternalError")
    with pytest.raises(LauncherError):
        launcher.cancel(name)
    launcher.delete(name)  # kmock deleted the Job although it answered 500: this 404 is fine
    cluster.apiserver["get", f"/api/v1/namespaces/{NS}/pods"] << _status_error(403, "Forbidden")
    with pytest.raises(LauncherError):
        launcher.logs(name)


def test_an_unreachable_api_is_a_launcher_error(template: JobTemplate, make_request: MakeRequest) -> None:
    from kubernetes import client as k8s

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    configuration = k8s.Configuration()
    configuration.host = f"http://127.0.0.1:{port}"
    configuration.retries = 0
    with k8s.ApiClient(configuration) as api_client:
        launcher = KubernetesLauncher(api_client, template, request_timeout=(1.0, 1.0))
        with pytest.raises(LauncherError, match="unreachable"):
            launcher.submit(make_request())
        with pytest.raises(LauncherError, match="unreachable"):
            launcher.statuses()
        assert launcher.calls == 2


def _kubeconfig(tmp_path: Path, server: str) -> str:
    path = tmp_path / "kubeconfig"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: emu\n"
        f"clusters: [{{name: emu, cluster: {{server: '{server}'}}}}]\n"
        "users: [{name: me, user: {token: t0ken}}]\n"
        "contexts: [{name: emu, context: {cluster: emu, user: me}}]\n")
    return str(path)


def test_a_slow_api_times_out_once(cluster: EmulatedCluster, template: JobTemplate, tmp_path: Path) -> None:
    import asyncio

    cluster.apiserver["get", cluster.jobs_path()] << (lambda: asyncio.sleep(3))
    with load_api_client(_kubeconfig(tmp_path, cluster.url), in_cluster=False) as api_client:
        launcher = KubernetesLauncher(api_client, template, request_timeout=(1.0, 0.3))
        started = time.monotonic()
        with pytest.raises(LauncherError):
            launcher.statuses()
        assert time.monotonic() - started < 1.0
    assert len(cluster.requests("get")) == 1  # a read that timed out is not repeated


def test_1200_jobs_in_three_pages(cluster: EmulatedCluster, launcher: KubernetesLauncher,
                                  job_manifest: Callable[..., dict[str, Any]]) -> None:
    names = []
    for i in range(1200):
        job = job_manifest(attempt=1 + i % 3)
        names.append(job["metadata"]["name"])
        status = {"active": 1, "ready": 1} if i % 2 else {}
        cluster.put_job(job, status)
    outsider = job_manifest()
    outsider["metadata"]["labels"]["app.kubernetes.io/managed-by"] = "someone-else"
    cluster.put_job(outsider)
    before = launcher.calls
    found = launcher.statuses()
    assert launcher.calls - before == math.ceil(1200 / 500) == 3
    assert set(found) == set(names) and outsider["metadata"]["name"] not in found
    assert sum(s.phase is JobPhase.RUNNING for s in found.values()) == 600
    lists = cluster.requests("get", cluster.jobs_path())
    assert len(lists) == 3
    assert all(r.params["limit"] == "500" for r in lists)
    assert all(r.params["labelSelector"] == "app.kubernetes.io/managed-by=platecut-api" for r in lists)
    assert "continue" not in lists[0].params and lists[1].params["continue"] and lists[2].params["continue"]
    asked = [*names[:10], "platecut-deadbeef-a1"]
    subset = launcher.statuses(asked)
    assert set(subset) == set(asked) and subset["platecut-deadbeef-a1"].phase is JobPhase.MISSING
    assert launcher.calls - before == 6  # asking for some names still lists (not a call per job)


def test_installations_sharing_a_namespace_see_their_own_jobs(cluster: EmulatedCluster,
                                                             template: JobTemplate,
                                                             make_request: MakeRequest) -> None:
    def launcher_of(owner: str | None) -> KubernetesLauncher:
        return KubernetesLauncher(cluster.api_client(), template.model_copy(update={"owner": owner}))

    london, paris = launcher_of("studio.london"), launcher_of("studio.paris")
    ours, theirs = make_request(), make_request()
    london.submit(ours)
    paris.submit(theirs)
    legacy = make_request()  # made before Jobs carried an owner
    launcher_of(None).submit(legacy)
    stored = cluster.job(ours.job_name)
    assert stored is not None and stored["metadata"]["labels"]["platecut.io/owner"] == "studio.london"
    assert set(london.statuses()) == {ours.job_name, legacy.job_name}
    assert set(paris.statuses()) == {theirs.job_name, legacy.job_name}
    assert london.statuses([theirs.job_name])[theirs.job_name].phase is JobPhase.MISSING
    selectors = {r.params["labelSelector"] for r in cluster.requests("get", cluster.jobs_path())}
    assert {"app.kubernetes.io/managed-by=platecut-api,platecut.io/owner=studio.london",
            "app.kubernetes.io/managed-by=platecut-api,!platecut.io/owner"} <= selectors
    assert set(launcher_of(None).statuses()) == {ours.job_name, theirs.job_name, legacy.job_name}


def test_statuses_of_nothing_and_of_missing_names(cluster: EmulatedCluster,
                                                  launcher: KubernetesLauncher) -> None:
    assert launcher.statuses() == {}
    assert launcher.statuses([]) == {}
    missing = launcher.statuses(["platecut-12345678-a1"])
    assert missing["platecut-12345678-a1"].phase is JobPhase.MISSING
    assert launcher.calls == 2


def test_cancel_deletes_in_the_foreground(cluster: EmulatedCluster, launcher: KubernetesLauncher,
                                          make_request: MakeRequest) -> None:
    name = launcher.submit(make_request()).job_name
    launcher.cancel(name)
    deletes = cluster.requests("delete", cluster.jobs_path(name))
    assert len(deletes) == 1
    assert deletes[0].params["propagationPolicy"] == "Foreground"
    assert deletes[0].data["propagationPolicy"] == "Foreground"
    assert cluster.job(name) is None
    assert launcher.statuses([name])[name].phase is JobPhase.MISSING
    launcher.cancel(name)  # 404: already gone, fine


def test_delete_is_in_the_background(cluster: EmulatedCluster, launcher: KubernetesLauncher,
                                     make_request: MakeRequest) -> None:
    name = launcher.submit(make_request()).job_name
    launcher.delete(name)
    launcher.delete(name)
    deletes = cluster.requests("delete", cluster.jobs_path(name))
    assert [(r.params["propagationPolicy"], r.data["propagationPolicy"]) for r in deletes] == [
        ("Background", "Background")] * 2
    assert cluster.job(name) is None


def test_logs_of_the_newest_pod(cluster: EmulatedCluster, launcher: KubernetesLauncher,
                                make_request: MakeRequest) -> None:
    name = launcher.submit(make_request()).job_name
    assert launcher.logs(name) == ""  # no pod yet
    cluster.add_pod(name, f"{name}-first", exit_code=75, age_s=300)
    cluster.add_pod(name, f"{name}-second", phase="Running", exit_code=None, age_s=10)
    log_path = f"/api/v1/namespaces/{NS}/pods/{name}-second/log"
    cluster.apiserver["get", log_path] << b"frame 1001\nframe 1002\n"
    assert launcher.logs(name, tail_lines=50) == "frame 1001\nframe 1002\n"
    (request,) = cluster.requests("get", log_path)
    assert request.params["tailLines"] == "50" and request.params["container"] == "split"


def test_logs_of_a_pending_pod_are_empty(cluster: EmulatedCluster, launcher: KubernetesLauncher,
                                         make_request: MakeRequest) -> None:
    name = launcher.submit(make_request()).job_name
    cluster.add_pod(name, f"{name}-p", phase="Pending", exit_code=None)
    assert launcher.logs(name) == ""
    assert not cluster.requests(path=f"/api/v1/namespaces/{NS}/pods/{name}-p/log")


def test_load_api_client_from_a_kubeconfig(cluster: EmulatedCluster, tmp_path: Path,
                                           template: JobTemplate) -> None:
    with load_api_client(_kubeconfig(tmp_path, cluster.url), in_cluster=False) as api_client:
        assert KubernetesLauncher(api_client, template).statuses() == {}
    (request,) = cluster.requests("get")
    assert {k.lower(): v for k, v in request.headers.items()}["authorization"] == "Bearer t0ken"
    with pytest.raises(LauncherError, match="cannot configure"):
        load_api_client(str(tmp_path / "nope"), in_cluster=False)
    with pytest.raises(LauncherError, match="in-cluster"):
        load_api_client(None, in_cluster=True)


def _reachable_cluster() -> tuple[Any, str]:
    kubeconfig = os.environ.get("KUBECONFIG")
    if not kubeconfig:
        pytest.skip("KUBECONFIG is not set: no real cluster to test against")
    try:
        api_client = load_api_client(kubeconfig, in_cluster=False)
    except LauncherError as exc:
        pytest.skip(f"KUBECONFIG {kubeconfig} is not usable: {exc}")
    from kubernetes import client as k8s

    try:
        k8s.VersionApi(api_client).get_code(_request_timeout=5)
    except Exception as exc:  # any failure means: no cluster here
        api_client.close()
        pytest.skip(f"the cluster of KUBECONFIG {kubeconfig} is unreachable: {type(exc).__name__}")
    return api_client, os.environ.get("PLATECUT_TEST_K8S_NAMESPACE", "default")


@pytest.mark.cluster
def test_submit_status_cancel_on_a_real_cluster(make_request: MakeRequest) -> None:
    """Against ``KUBECONFIG``'s cluster, in ``PLATECUT_TEST_K8S_NAMESPACE`` (default ``default``), with
    ``PLATECUT_TEST_K8S_IMAGE`` (default busybox: the Job fails, which is fine here). Needs rights to
    create, list and delete Jobs and list pods there; its ``default`` service account runs the pod."""
    api_client, namespace = _reachable_cluster()
    template = JobTemplate(image=os.environ.get("PLATECUT_TEST_K8S_IMAGE", "busybox:1.36"),
                           namespace=namespace, service_account_name="default", gpu_count=0,
                           cpu_request="50m", memory_request="64Mi", memory_limit="64Mi",
                           scratch_base_bytes=64 * 1024**2, request_scratch_storage=False, backoff_limit=0)
    launcher = KubernetesLauncher(api_client, template)
    request = make_request(plate_id=str(uuid.uuid4()), size_bytes=1000)
    try:
        assert launcher.submit(request).phase in (JobPhase.PENDING, JobPhase.RUNNING)
        assert launcher.submit(request).job_name == request.job_name  # adopted
        assert launcher.statuses([request.job_name])[request.job_name].phase is not JobPhase.MISSING
        launcher.cancel(request.job_name)
        deadline = time.monotonic() + 60
        while launcher.statuses([request.job_name])[request.job_name].phase is not JobPhase.MISSING:
            assert time.monotonic() < deadline, "the cancelled Job is still there after 60 s"
            time.sleep(1)
    finally:
        launcher.delete(request.job_name)
        api_client.close()


def test_bearer_tokens_are_sent_and_rotated() -> None:
    """kubernetes 36.0.0 drops the loaders' token (kubernetes-client/python#2582): the hook copies it,
    also after the loader's own refresh hook rotated it and re-installed itself."""
    from kubernetes import client as k8s

    from api.integrations.kubernetes.client import BearerTokenHook

    tokens = iter(["bearer two", "bearer three"])

    def loader_hook(configuration: Any) -> None:  # like InClusterConfigLoader._set_config
        configuration.api_key["authorization"] = next(tokens)
        configuration.refresh_api_key_hook = loader_hook

    configuration = k8s.Configuration()
    configuration.api_key["authorization"] = "bearer one"
    configuration.refresh_api_key_hook = loader_hook
    BearerTokenHook.install(configuration)
    assert configuration.api_key["BearerToken"] == "bearer one"
    assert configuration.auth_settings()["BearerToken"]["value"] == "bearer two"
    assert isinstance(configuration.refresh_api_key_hook, BearerTokenHook)
    assert configuration.auth_settings()["BearerToken"]["value"] == "bearer three"
