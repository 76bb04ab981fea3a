"""A Kubernetes API on loopback for the launcher tests: kmock's ``KubernetesEmulator``, extended.

Tests use it through ``pytest_plugins = ["tests.api.k8s_fixtures"]`` and import from here only
under ``TYPE_CHECKING`` (so pytest imports this module first, as a plugin, and rewrites its asserts).

kmock 0.8 stores, serves, patches and deletes objects, but its LIST answers every object of the
resource: ``Apiserver`` adds what the launcher relies on, as the real API server does it:

* label selectors (``labelSelector``: ``k=v``, ``k==v``, ``k!=v``, ``k``, ``!k``, ``k in (a,b)``,
  ``k notin (a,b)``);
* pagination: ``limit`` and an opaque ``continue`` token (the last key served), objects in key
  order (namespace, name), ``remainingItemCount``;
* what the server sets on create: ``metadata.namespace``, ``uid``, ``creationTimestamp``,
  ``resourceVersion``.

kmock runs on asyncio; the kubernetes client is synchronous (urllib3). So the emulator runs on its
own event loop in a thread, and the client talks to it over real HTTP. Answers are injected with
kmock's own DSL (``cluster.apiserver['post /apis/...'] << ...``, see ``once``). Requests are kept:
``cluster.requests(...)`` filters them. kmock applies a create/patch/delete to its objects even when
an injected answer replaces its own (e.g. a 500 on create still stores the Job).
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import kmock
import pytest
from kmock import KubernetesEmulator, KubernetesError, Request
from kubernetes import client as k8s

from api.integrations.kubernetes import JobTemplate, KubernetesLauncher, build_job, job_name_for
from api.runs.launcher import JobRequest

NAMESPACE = "platecut-test"
# resources as kmock keys them (``in apiserver.objects`` takes these, not strings)
JOBS = kmock.resource("batch", "v1", "jobs")
PODS = kmock.resource("", "v1", "pods")

Selector = Callable[[Mapping[str, str]], bool]
_SET_EXPR = re.compile(r"^\s*(!?)\s*([^!=\s]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def parse_selector(text: str) -> Selector:
    """A predicate on labels for a Kubernetes label selector (equality- and set-based)."""
    tests: list[Selector] = []
    for part in _split_selector(text):
        tests.append(_requirement(part.strip()))
    return lambda labels: all(test(labels) for test in tests)


def _split_selector(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p for p in [*parts, current] if p.strip()]


def _requirement(part: str) -> Selector:
    if m := _SET_EXPR.match(part):
        key, values = m.group(2), {v.strip() for v in m.group(4).split(",")}
        if m.group(3) == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    for op in ("!=", "==", "="):
        if op in part:
            key, value = (s.strip() for s in part.split(op, 1))
            if op == "!=":
                return lambda labels: labels.get(key) != value
            return lambda labels: labels.get(key) == value
    if part.startswith("!"):
        return lambda labels: part[1:].strip() not in labels
    return lambda labels: part in labels


def _token(key: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode("\0".join(key).encode()).decode()


def _untoken(token: str) -> tuple[str, str]:
    try:
        namespace, name = base64.urlsafe_b64decode(token.encode()).decode().split("\0")
    except ValueError as exc:
        raise KubernetesError(status=400, reason="BadRequest", message="invalid continue token") from exc
    return namespace, name


class Apiserver(KubernetesEmulator):
    """``KubernetesEmulator`` with label selectors, pagination and server-set metadata."""

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.resource_version = 1000

    async def _serve_create(self, request: Request) -> Any:
        # kmock stored the client's body; add what the server sets (a new dict: the recorded
        # request keeps the body as the client sent it)
        meta = dict(request.data.get("metadata") or {})
        namespace = request.namespace or meta.get("namespace")
        assert request.resource is not None
        stored = self.objects[request.resource, namespace, str(meta["name"])]
        self.resource_version += 1
        stored["metadata"] = {**meta, "namespace": namespace, "uid": str(uuid.uuid4()),
                              "creationTimestamp": now_rfc3339(),
                              "resourceVersion": str(self.resource_version)}
        return await super()._serve_create(request)

    async def _serve_list(self, request: Request) -> Any:
        selector = parse_selector(request.params.get("labelSelector", ""))
        items = sorted(
            ((namespace or "", name), obj.raw)
            for (resource, namespace, name), obj in list(self.objects.items())
            if resource == request.resource and not obj.deleted
            and (request.namespace is None or namespace == request.namespace)
            and selector((obj.raw.get("metadata") or {}).get("labels") or {})
        )
        if token := request.params.get("continue"):
            after = _untoken(token)
            items = [item for item in items if item[0] > after]
        limit = int(request.params.get("limit") or 0)
        page, rest = (items[:limit], items[limit:]) if limit else (items, [])
        meta: dict[str, Any] = {"resourceVersion": str(self.resource_version)}
        if rest:
            meta["continue"] = _token(page[-1][0])
            meta["remainingItemCount"] = len(rest)
        return {"kind": "List", "apiVersion": "v1", "metadata": meta, "items": [raw for _, raw in page]}


def now_rfc3339(offset_s: float = 0.0) -> str:
    moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=offset_s)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def once(answer: Any) -> Callable[[], Any]:
    """An answer for kmock that is served once; later requests fall through to the emulator."""
    answers = iter([answer])
    return lambda: next(answers, StopIteration())


@dataclass
class EmulatedCluster:
    """The emulator (``apiserver``) at ``url``, and helpers that act as the cluster would."""

    apiserver: Apiserver
    url: str
    clients: list[k8s.ApiClient] = field(default_factory=list)
    once = staticmethod(once)

    def api_client(self) -> k8s.ApiClient:
        configuration = k8s.Configuration()
        configuration.host = self.url
        api_client = k8s.ApiClient(configuration)
        self.clients.append(api_client)
        return api_client

    def requests(self, method: str | None = None, path: str | None = None,
                 action: str | None = None) -> list[Request]:
        """The requests seen so far: by HTTP method, exact path, or Kubernetes action (list, ...)."""
        return [r for r in list(self.apiserver)
                if (method is None or str(r.method.value).lower() == method.lower())
                and (path is None or r.url.path == path)
                and (action is None or (r.action is not None and r.action.value == action))]

    def jobs_path(self, name: str | None = None) -> str:
        base = f"/apis/batch/v1/namespaces/{NAMESPACE}/jobs"
        return f"{base}/{name}" if name else base

    def job(self, name: str) -> dict[str, Any] | None:
        key = (JOBS, NAMESPACE, name)
        if key not in self.apiserver.objects or self.apiserver.objects[key].deleted:
            return None
        return self.apiserver.objects[key].raw

    def put_job(self, manifest: dict[str, Any], status: dict[str, Any] | None = None) -> None:
        """Store a Job directly (no request), as if created earlier."""
        body = {**manifest, "status": status or {}}
        meta = body.setdefault("metadata", {})
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", now_rfc3339())
        self.apiserver.objects[JOBS, NAMESPACE, meta["name"]] = body

    def set_job_status(self, name: str, status: dict[str, Any]) -> None:
        """What the Job controller does: a merge patch of ``status`` (None removes a field)."""
        k8s.BatchV1Api(self.api_client()).patch_namespaced_job_status(
            name, NAMESPACE, {"status": status}, _content_type="application/merge-patch+json")

    def set_job_spec(self, name: str, spec: dict[str, Any]) -> None:
        k8s.BatchV1Api(self.api_client()).patch_namespaced_job(
            name, NAMESPACE, {"spec": spec}, _content_type="application/merge-patch+json")

    def add_pod(self, job_name: str, pod_name: str, *, phase: str = "Failed", exit_code: int | None = 1,
                message: str | None = None, reason: str = "Error", age_s: float = 0.0,
                container: str = "split") -> None:
        """A pod of the Job as the controller labels it, its container ended (or still waiting)."""
        state: dict[str, Any] = {"waiting": {"reason": "ContainerCreating"}}
        if exit_code is not None:
            state = {"terminated": {"exitCode": exit_code, "reason": reason,
                                    **({"message": message} if message else {})}}
        self.apiserver.objects[PODS, NAMESPACE, pod_name] = {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod_name, "namespace": NAMESPACE,
                         "creationTimestamp": now_rfc3339(-age_s),
                         "labels": {"batch.kubernetes.io/job-name": job_name, "job-name": job_name}},
            "status": {"phase": phase, "containerStatuses": [{"name": container, "state": state}]},
        }


def _serve(ready: threading.Event, box: dict[str, Any]) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        async with Apiserver() as apiserver, kmock.Server(apiserver) as server:
            box.update(apiserver=apiserver, url=str(server.url).rstrip("/"), stop=stop,
                       loop=asyncio.get_running_loop())
            ready.set()
            await stop.wait()

    try:
        asyncio.run(main())
    except BaseException as exc:  # reported by the fixture
        box["error"] = exc
        ready.set()


@pytest.fixture
def cluster() -> Iterator[EmulatedCluster]:
    """A fresh emulated API server on 127.0.0.1 (its own thread and event loop) per test."""
    ready, box = threading.Event(), dict[str, Any]()
    thread = threading.Thread(target=_serve, args=(ready, box), name="kmock-apiserver", daemon=True)
    thread.start()
    if not ready.wait(15) or "error" in box:
        raise RuntimeError(f"the kmock API server did not start: {box.get('error')!r}")
    emulated = EmulatedCluster(apiserver=box["apiserver"], url=box["url"])
    try:
        yield emulated
    finally:
        for api_client in emulated.clients:
            api_client.close()
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(15)


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
