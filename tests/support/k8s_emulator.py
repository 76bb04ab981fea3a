"""A Kubernetes API on loopback: kmock's ``KubernetesEmulator``, extended (no pytest needed).

The launcher tests use it through the fixtures of ``tests.api.k8s_fixtures``; benchmarks
(``bench/reconcile.py``) through ``emulated_cluster()``.

kmock 0.8 stores, serves, patches and deletes objects, but its LIST answers every object of the
resource: ``Apiserver`` adds what the launcher relies on, as the real API server does it:

* label selectors (``labelSelector``: ``k=v``, ``k==v``, ``k!=v``, ``k``, ``!k``, ``k in (a,b)``,
  ``k notin (a,b)``);
* pagination: ``limit`` and an opaque ``continue`` token (the last key served), objects in key
  order (namespace, name), ``remainingItemCount`` (without a label selector, as the API server);
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
import bisect
import contextlib
import datetime
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import kmock
from kmock import KubernetesEmulator, KubernetesError, Request
from kubernetes import client as k8s

__all__ = ["JOBS", "NAMESPACE", "PODS", "Apiserver", "EmulatedCluster", "emulated_cluster", "now_rfc3339",
           "once", "parse_selector"]

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
        self.served = 0  # requests handled, kept or not
        # kmock matches each request against its whole request log (``request in view`` scans it),
        # so a request costs time in proportion to those before it (about 0.3 ms per earlier
        # request on a 2-core EPYC VM): benchmarks turn keeping off, tests keep them for assertions
        self.keep_requests = True

    async def _handle(self, request: Request) -> Any:
        try:
            return await super()._handle(request)
        finally:
            self.served += 1
            if not self.keep_requests:
                self._forget(request)

    def _forget(self, request: Request) -> None:
        log = self._requests  # kmock 0.8's log (Root._requests), newest last
        for index in range(len(log) - 1, -1, -1):
            if log[index] is request:
                del log[index]
                return

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
        """One page: keys sorted, then objects read from the continue token on, only as many as the
        page takes (a page costs about the same wherever it starts, as on a real API server)."""
        selector_text = request.params.get("labelSelector", "")
        selector = parse_selector(selector_text)
        objects = {(namespace or "", name): obj
                   for (resource, namespace, name), obj in list(self.objects.items())
                   if resource == request.resource
                   and (request.namespace is None or namespace == request.namespace)}
        keys = sorted(objects)
        start = bisect.bisect_right(keys, _untoken(token)) if (token := request.params.get("continue")) else 0
        limit = int(request.params.get("limit") or 0)
        page: list[tuple[tuple[str, str], dict[str, Any]]] = []
        rest: list[tuple[str, str]] = []  # the keys after the page, when it is full
        for index in range(start, len(keys)):
            obj = objects[keys[index]]
            if obj.deleted or not selector((obj.raw.get("metadata") or {}).get("labels") or {}):
                continue
            if limit and len(page) == limit:
                rest = keys[index:]
                break
            page.append((keys[index], obj.raw))
        meta: dict[str, Any] = {"resourceVersion": str(self.resource_version)}
        if rest:
            meta["continue"] = _token(page[-1][0])
            if not selector_text:  # with a selector, the API server leaves the count unknown
                meta["remainingItemCount"] = sum(1 for key in rest if not objects[key].deleted)
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
    except BaseException as exc:  # reported by emulated_cluster
        box["error"] = exc
        ready.set()


@contextlib.contextmanager
def emulated_cluster(start_timeout: float = 15.0, *, keep_requests: bool = True) -> Iterator[EmulatedCluster]:
    """A fresh emulated API server on 127.0.0.1 (its own thread and event loop), stopped on exit
    with the API clients made by ``api_client()``. Without ``keep_requests`` it keeps no request
    log (``requests()`` stays empty; ``apiserver.served`` counts them), so that each request costs
    the same however many came before."""
    ready, box = threading.Event(), dict[str, Any]()
    thread = threading.Thread(target=_serve, args=(ready, box), name="kmock-apiserver", daemon=True)
    thread.start()
    if not ready.wait(start_timeout) or "error" in box:
        raise RuntimeError(f"the kmock API server did not start: {box.get('error')!r}")
    emulated = EmulatedCluster(apiserver=box["apiserver"], url=box["url"])
    emulated.apiserver.keep_requests = keep_requests
    try:
        yield emulated
    finally:
        for api_client in emulated.clients:
            api_client.close()
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(start_timeout)
