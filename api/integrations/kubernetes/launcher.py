"""``KubernetesLauncher``: one Kubernetes Job per plate attempt, through the official client.

Bodies go out as plain dicts and answers are read as JSON (``_preload_content=False``): no model
objects, which keeps listing a thousand Jobs cheap. Every API request adds one to ``calls``.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import urllib3
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from api.integrations.kubernetes.client import load_api_client
from api.integrations.kubernetes.config import JobTemplate
from api.integrations.kubernetes.manifest import (
    LABEL_MANAGED_BY,
    LABEL_OWNER,
    LABEL_PLATE_ID,
    MANAGED_BY,
    MANAGED_SELECTOR,
    build_job,
)
from api.integrations.kubernetes.names import label_value
from api.integrations.kubernetes.status import Termination, job_status, termination_of, with_termination
from api.integrations.launcher import JobPhase, JobRequest, JobStatus, LauncherError

if TYPE_CHECKING:
    from api.integrations.launcher import Launcher

__all__ = ["KubernetesApiError", "KubernetesLauncher", "load_api_client"]

JOB_NAME_LABEL = "batch.kubernetes.io/job-name"  # set on a Job's pods by the Job controller (1.27+)
Timeout = float | tuple[float, float]


class KubernetesApiError(LauncherError):
    """The API server answered with an error (``status``) or could not be reached (``status`` None)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class KubernetesLauncher:
    """The ``Launcher`` on a Kubernetes cluster: Jobs in ``template.namespace``, labelled ours."""

    def __init__(self, api_client: k8s.ApiClient, template: JobTemplate, page_size: int = 500, *,
                 request_timeout: Timeout = (5.0, 30.0), remembered_failures: int = 4096) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.template = template
        self.page_size = page_size
        self.request_timeout = request_timeout
        self.calls = 0  # API requests made, for benchmarks and metrics
        self._batch = k8s.BatchV1Api(api_client)
        self._core = k8s.CoreV1Api(api_client)
        self._lock = threading.Lock()
        # a failed Job's pod ending, by Job uid: failure is final, so its pods are listed once
        self._endings: OrderedDict[str, Termination] = OrderedDict()
        self._remembered = remembered_failures

    @property
    def namespace(self) -> str:
        return self.template.namespace

    # -- the Launcher protocol ---------------------------------------------------------------

    def submit(self, request: JobRequest) -> JobStatus:
        body = build_job(request, self.template)
        try:
            job = self._json(self._batch.create_namespaced_job, self.namespace, body)
        except KubernetesApiError as exc:
            if exc.status != 409:
                raise
            job = self._adopt(request)
        return self._status(job)

    def statuses(self, names: Iterable[str] | None = None) -> dict[str, JobStatus]:
        wanted = None if names is None else set(names)
        if wanted is not None and not wanted:
            return {}
        found: dict[str, JobStatus] = {}
        for job in self._list_jobs():
            name = str(job.get("metadata", {}).get("name", ""))
            if wanted is None or name in wanted:
                found[name] = self._status(job)
        for name in sorted((wanted or set()) - found.keys()):
            found[name] = JobStatus(job_name=name, phase=JobPhase.MISSING)
        return found

    def cancel(self, job_name: str) -> None:
        """Delete the Job and, first, its pods (Foreground): they get their grace period to stop."""
        self._delete(job_name, "Foreground")

    def delete(self, job_name: str) -> None:
        self._delete(job_name, "Background")

    def logs(self, job_name: str, tail_lines: int = 200) -> str:
        pods = self._job_pods(job_name)
        if not pods:
            return ""
        newest = max(pods, key=lambda p: str(p.get("metadata", {}).get("creationTimestamp") or ""))
        if newest.get("status", {}).get("phase") == "Pending":
            return ""  # nothing has run yet
        try:
            data = self._call(self._core.read_namespaced_pod_log, newest["metadata"]["name"],
                              self.namespace, container=self.template.container_name,
                              tail_lines=tail_lines)
        except KubernetesApiError as exc:
            if exc.status == 404:
                return ""
            raise
        return data.decode("utf-8", errors="replace")

    # -- helpers -----------------------------------------------------------------------------

    def _adopt(self, request: JobRequest) -> dict[str, Any]:
        """The Job already there under ``request.job_name``, when it is ours and for this plate."""
        job = self._json(self._batch.read_namespaced_job, request.job_name, self.namespace)
        meta = job.get("metadata") or {}
        labels = meta.get("labels") or {}
        if labels.get(LABEL_MANAGED_BY) != MANAGED_BY or \
                labels.get(LABEL_PLATE_ID) != label_value(request.plate_id):
            raise LauncherError(
                f"Job {request.job_name} exists in {self.namespace} but is not this plate's "
                f"({LABEL_MANAGED_BY}={labels.get(LABEL_MANAGED_BY)!r}, "
                f"{LABEL_PLATE_ID}={labels.get(LABEL_PLATE_ID)!r})")
        if meta.get("deletionTimestamp"):
            raise LauncherError(f"Job {request.job_name} is being deleted: submit again later")
        return job

    def _status(self, job: dict[str, Any]) -> JobStatus:
        status = job_status(job)
        if status.phase is not JobPhase.FAILED:
            return status
        key = str(job.get("metadata", {}).get("uid") or status.job_name)
        ending = self._endings.get(key)
        if ending is None:
            ending = termination_of(self._job_pods(status.job_name), self.template.container_name)
            self._remember(key, ending)
        return with_termination(status, ending)

    def _remember(self, key: str, ending: Termination) -> None:
        with self._lock:
            self._endings[key] = ending
            while len(self._endings) > self._remembered:
                self._endings.popitem(last=False)

    def _list_jobs(self) -> list[dict[str, Any]]:
        """All our Jobs of the namespace, ``page_size`` at a time. With an owner: this installation's,
        and those made before Jobs carried an owner (a second LIST, empty once they are gone)."""
        if not self.template.owner:
            return self._list_selected(MANAGED_SELECTOR)
        return [*self._list_selected(f"{MANAGED_SELECTOR},{LABEL_OWNER}={self.template.owner}"),
                *self._list_selected(f"{MANAGED_SELECTOR},!{LABEL_OWNER}")]

    def _list_selected(self, selector: str) -> list[dict[str, Any]]:
        jobs: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page_args: dict[str, Any] = {"label_selector": selector, "limit": self.page_size}
            if token:
                page_args["_continue"] = token
            page = self._json(self._batch.list_namespaced_job, self.namespace, **page_args)
            jobs.extend(page.get("items") or ())
            token = (page.get("metadata") or {}).get("continue") or None
            if not token:
                return jobs

    def _job_pods(self, job_name: str) -> list[dict[str, Any]]:
        page = self._json(self._core.list_namespaced_pod, self.namespace,
                          label_selector=f"{JOB_NAME_LABEL}={job_name}")
        return list(page.get("items") or ())

    def _delete(self, job_name: str, propagation: str) -> None:
        try:
            self._call(self._batch.delete_namespaced_job, job_name, self.namespace,
                       propagation_policy=propagation,
                       body={"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": propagation})
        except KubernetesApiError as exc:
            if exc.status != 404:
                raise

    def _json(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
        data = self._call(method, *args, **kwargs)
        try:
            answer = json.loads(data)
        except ValueError as exc:
            raise KubernetesApiError(f"{_verb(method)}: the API answered something not JSON") from exc
        if not isinstance(answer, dict):
            raise KubernetesApiError(f"{_verb(method)}: the API answered {type(answer).__name__}")
        return answer

    def _call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> bytes:
        """One API request; its body as bytes. Errors become ``KubernetesApiError``."""
        with self._lock:
            self.calls += 1
        try:
            response = method(*args, _preload_content=False, _request_timeout=self.request_timeout,
                              **kwargs)
            data = response.data
            response.release_conn()
        except ApiException as exc:
            status = exc.status or None
            raise KubernetesApiError(
                f"{_verb(method)}: {status or ''} {exc.reason}: {_api_message(exc)}".strip(),
                status=status) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise KubernetesApiError(f"{_verb(method)}: the Kubernetes API is unreachable: {exc}") from exc
        return bytes(data)


def _verb(method: Callable[..., Any]) -> str:
    return getattr(method, "__name__", "kubernetes api")


def _api_message(exc: ApiException) -> str:
    """The ``message`` of the API's Status answer, else its body's start."""
    body = exc.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    try:
        message = json.loads(body).get("message") if body else None
    except (ValueError, AttributeError):
        message = None
    return str(message or (body or "")[:300])


if TYPE_CHECKING:
    def _is_a_launcher(launcher: KubernetesLauncher) -> Launcher:  # mypy checks the Protocol
        return launcher
