"""End to end with a site's services: PostgreSQL, S3 (moto on loopback) and Celery in place of the
API's in-process reconcile, every part a real process.

Each test starts ``platecut serve`` with ``PLATECUT_BROKER_URL`` set (so the API launches jobs but
never reconciles), ``celery -A api.worker.app worker --pool solo`` and ``celery -A api.worker.app
beat`` (a tick a second), on a fresh database, a fresh bucket and a Celery queue of its own (leftovers
of other runs on the shared brokers cannot reach it). A sample plate with known cuts goes up with
``platecut upload``; the local launcher runs the real ``platecut job run`` against S3; the worker's
ticks move the plate to ``succeeded`` and ingest its cuts. Over RabbitMQ and Redis.

The fault test kills the worker (SIGKILL) twice: once while the job runs, once in the middle of
ingesting the job's manifest (held there by a table lock the test takes, so the kill lands inside the
ingest's transaction every time); a new worker must finish the plate with every cut stored once.

A service that cannot be reached skips these tests, or fails them when ``CI`` is set. The services may
be pointed elsewhere with ``PLATECUT_TEST_DATABASE_URL`` (see ``conftest.py``), ``PLATECUT_TEST_AMQP_URL``
and ``PLATECUT_TEST_REDIS_URL``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

import httpx
import psycopg
import pytest
import redis
from kombu.connection import Connection

from jobs.synth import demo_spec, truth_of
from tests.api.conftest import ADMIN_URL, PgServer, _libpq
from tests.conftest import SharedCache, shared_root
from tests.demo_truth import cut_names
from tests.support.wait import WaitTimeout, wait_until

if TYPE_CHECKING:  # imported by pytest as a plugin (pytest_plugins), so that its asserts are rewritten
    from tests.job_fixtures import S3Server

pytest_plugins = ["tests.job_fixtures"]
pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
PLATECUT = str(BIN / "platecut")
CELERY = str(BIN / "celery")
BROKERS = {
    "rabbitmq": os.environ.get("PLATECUT_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"),
    "redis": os.environ.get("PLATECUT_TEST_REDIS_URL", "redis://127.0.0.1:6379/11"),
}
KEYS = {"id": "test", "secret": "test-secret", "region": "us-east-1"}
PROJECT = "show"
FINAL = {"succeeded", "failed", "rejected", "cancelled"}
DONE_TIMEOUT = 120.0
# loggers of the reconcile: the API must never log them when a broker is set
RECONCILE_LOGGERS = {"api.runs.background", "api.runs.reconcile", "api.runs.apply"}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str) -> NoReturn:
    """CI has every service: a missing one fails there; elsewhere the test is skipped."""
    if in_ci():
        pytest.fail(reason)
    pytest.skip(reason)


# -- the plate ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SamplePlate:
    path: Path
    frame_count: int
    cut_starts: list[int]  # first frame of every cut but the first
    names: list[str]  # its burned-in shot names, in order (repeats get _2)

    @property
    def frames(self) -> list[tuple[int, int]]:
        starts = [0, *self.cut_starts]
        return list(zip(starts, [s - 1 for s in self.cut_starts] + [self.frame_count - 1], strict=True))


@pytest.fixture(scope="session")
def sample_plate(tmp_path_factory: pytest.TempPathFactory) -> SamplePlate:
    """``platecut sample``: 640x360 H.264, nine named shots; what it prints is checked against the truth.
    Made once per run (the tests only upload it), by the first xdist worker that needs it."""
    root = shared_root(tmp_path_factory)
    return SharedCache(root / "cache" / "e2e").get("sample", lambda: make_sample(root / "e2e-sample"))


def make_sample(folder: Path) -> SamplePlate:
    path = folder / "A001C003_240611.mp4"
    folder.mkdir(parents=True, exist_ok=True)
    made = subprocess.run([PLATECUT, "sample", str(path), "--size", "640x360"],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    found = re.search(r": (\d+) frames, cuts start at \[([\d, ]*)\]", made.stdout)
    assert found, made.stdout
    frame_count, cut_starts = int(found[1]), [int(n) for n in found[2].split(",")]
    spec = demo_spec(640, 360)
    truth = truth_of(spec)
    assert (frame_count, cut_starts) == (truth.frame_count, truth.cut_starts)
    return SamplePlate(path, frame_count, cut_starts, cut_names(spec))


# -- the services ------------------------------------------------------------------------------------


def broker_connection(url: str) -> Any:
    return Connection(url, connect_timeout=3)  # type: ignore[no-untyped-call]


@pytest.fixture(params=list(BROKERS))
def broker(request: pytest.FixtureRequest) -> str:
    url = BROKERS[request.param]
    try:
        with broker_connection(url) as connection:
            connection.ensure_connection(max_retries=1, timeout=5)
    except Exception as exc:  # kombu raises the transport's own errors
        unavailable(f"{request.param} unreachable at {url}: {exc}")
    return url


@pytest.fixture
def e2e_pg_server() -> PgServer:
    """The PostgreSQL server of the API tests (``PLATECUT_TEST_DATABASE_URL``), failing in CI."""
    try:
        psycopg.connect(_libpq(ADMIN_URL), connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        unavailable(f"PostgreSQL unreachable at {ADMIN_URL}: {exc}")
    return PgServer(ADMIN_URL)


@pytest.fixture
def database(e2e_pg_server: PgServer) -> Iterator[str]:
    """A fresh, empty database (``platecut serve --migrate`` makes the schema), dropped after."""
    url = e2e_pg_server.create_database("platecut_e2e")
    try:
        yield url
    finally:
        e2e_pg_server.drop_all()


# -- the processes -----------------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    out: IO[bytes]
    stop_signal: signal.Signals = signal.SIGTERM


def stop_group(proc: subprocess.Popen[bytes], how: signal.Signals = signal.SIGTERM,
               grace: float = 10.0) -> None:
    """Signal the process group (each process here leads its own), then SIGKILL what is left."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, how)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # anything of the group that outlived its leader
    proc.wait(timeout=30)


def tail(path: Path, lines: int = 60, skip: str | None = None) -> str:
    """The last ``lines`` lines of a log, leaving out those holding ``skip``."""
    try:
        kept = [line for line in path.read_text(errors="replace").splitlines(True)
                if skip is None or skip not in line]
    except OSError as exc:
        return f"({exc})"
    return "".join(kept[-lines:])


@dataclass
class Site:
    """One site's processes on loopback: ``platecut serve``, Celery worker(s) and beat."""

    root: Path
    env: dict[str, str]
    queue: str
    database_url: str
    procs: dict[str, Proc] = field(default_factory=dict)
    url: str = ""
    token: str = ""
    workers: int = 0
    plates: list[str] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def start(self, name: str, argv: list[str], stop_signal: signal.Signals = signal.SIGTERM) -> Proc:
        log = self.root / f"{name}.log"
        out = log.open("wb")
        popen = subprocess.Popen(argv, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, cwd=self.root, start_new_session=True)
        proc = self.procs[name] = Proc(name, popen, log, out, stop_signal)
        return proc

    def serve(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{port}"
        self.env.update(PLATECUT_PUBLIC_URL=self.url, PLATECUT_API=self.url)
        proc = self.start("server", [PLATECUT, "serve", "--port", str(port), "--migrate"])

        def ready() -> bool:
            if proc.popen.poll() is not None:
                self.fail(f"platecut serve exited with {proc.popen.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(self.url + "/readyz", timeout=2).status_code == 200
            return False

        try:
            wait_until(ready, timeout=60, what="platecut serve to get ready")
        except WaitTimeout:
            self.fail("platecut serve did not get ready within 60 s")
        made = self.platecut("token", "create", "--site", "e2e", "--project", PROJECT)
        if made.returncode != 0:
            self.fail(f"token create failed: {made.stderr}")
        self.token = made.stdout.strip().splitlines()[-1]
        self.env["PLATECUT_TOKEN"] = self.token

    def worker(self) -> Proc:
        """A new worker (solo pool) on this site's queue, with a node name of its own."""
        self.workers += 1
        name = f"worker{self.workers}"
        return self.start(name, [CELERY, "-A", "api.worker.app", "worker", "--pool", "solo",
                                 "--concurrency", "1", "--loglevel", "INFO", "-Q", self.queue,
                                 "-n", f"{name}-{self.queue}@%h", "--without-mingle", "--without-gossip",
                                 "--without-heartbeat"],
                          stop_signal=signal.SIGKILL)  # shutting down takes ~5 s on amqp, and tests nothing

    def beat(self) -> Proc:
        return self.start("beat", [CELERY, "-A", "api.worker.app", "beat", "--loglevel", "INFO",
                                   "--schedule", str(self.root / "beat-schedule")])

    def kill(self, name: str) -> None:
        """SIGKILL a process group: no shutdown, no acknowledgement, as when a node dies."""
        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.popen.pid, signal.SIGKILL)
        proc.popen.wait(timeout=30)

    @contextlib.contextmanager
    def job_held(self) -> Iterator[None]:
        """SIGSTOP the site's one local job (its process group: the wrapper, ``platecut job run`` and
        its FFmpeg) as soon as it has started, and SIGCONT it on leaving."""
        pid_files: list[Path] = []

        def started() -> bool:
            pid_files[:] = [path for path in (self.data / "jobs").glob("*/pid") if path.read_text().strip()]
            return bool(pid_files)

        poll(started, 60, "the plate's job to start", self)
        group = int(pid_files[0].read_text())
        try:
            os.killpg(group, signal.SIGSTOP)
        except ProcessLookupError:
            self.fail("the plate's job ended before it could be held")
        try:
            yield
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGCONT)

    def platecut(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([PLATECUT, *args], env=self.env, capture_output=True, text=True, timeout=300,
                              cwd=self.root)

    def get(self, path: str) -> Any:
        response = httpx.get(f"{self.url}/api/v1{path}", timeout=30,
                             headers={"Authorization": f"Bearer {self.token}"})
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
        return response.json()

    def upload(self, plate: Path) -> str:
        done = self.platecut("upload", str(plate), "--project", PROJECT)
        if done.returncode != 0:
            self.fail(f"platecut upload exited with {done.returncode}: {done.stderr}")
        plate_id = done.stdout.strip().splitlines()[-1]
        self.plates.append(plate_id)
        return plate_id

    def wait_for(self, plate_id: str, states: set[str], timeout: float = DONE_TIMEOUT) -> dict[str, Any]:
        plate: dict[str, Any] = {}

        def reached() -> bool:
            nonlocal plate
            plate = self.get(f"/plates/{plate_id}")
            return plate["state"] in states or plate["state"] in FINAL

        with contextlib.suppress(WaitTimeout):
            wait_until(reached, timeout=timeout, interval=0.25)  # each poll is a request to the API
        if plate.get("state") in states:
            return plate
        self.fail(f"plate {plate_id} is {plate.get('state')} ({plate.get('state_reason')}), "
                  f"not {sorted(states)}")

    def fail(self, message: str) -> NoReturn:
        pytest.fail(message, pytrace=False)  # the fixture prints the logs of a failed test

    def diagnostics(self) -> str:
        """The end of every log: the processes', the jobs' still on disk; the plates' attempts."""
        parts = []
        for proc in self.procs.values():
            proc.out.flush()
            polls = '"method": "GET", "route": "/api/v1/plates/{plate_id}"'  # the test's polling
            parts.append(f"--- {proc.name} ({proc.log}), exit {proc.popen.poll()}:\n"
                         f"{tail(proc.log, skip=polls)}")
        for job_log in sorted((self.data / "jobs").glob("*/log")):
            parts.append(f"--- job {job_log.parent.name} ({job_log}):\n{tail(job_log)}")
        for plate_id in self.plates:  # a finished job's folder is gone: its outcome is in its run
            try:
                runs = httpx.get(f"{self.url}/api/v1/plates/{plate_id}/runs", timeout=5,
                                 headers={"Authorization": f"Bearer {self.token}"}).text
            except httpx.HTTPError as exc:
                runs = f"({exc})"
            parts.append(f"--- runs of plate {plate_id}:\n{runs}")
        return "\n".join(parts)

    def log_of(self, name: str) -> str:
        return self.procs[name].log.read_text(errors="replace")

    def server_records(self) -> list[dict[str, Any]]:
        """The API's JSON log lines."""
        records = []
        for line in self.log_of("server").splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict):
                    records.append(record)
        return records

    def stop(self) -> None:
        for proc in reversed(self.procs.values()):
            stop_group(proc.popen, proc.stop_signal)
            proc.out.close()
        self._kill_jobs()

    def _kill_jobs(self) -> None:
        """Split jobs run in sessions of their own (they outlive the API, by design): end ours."""
        for pid_file in (self.data / "jobs").glob("*/pid"):
            with contextlib.suppress(OSError, ValueError):
                pid = int(pid_file.read_text().strip())
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                if pid > 0 and str(pid_file.parent).encode() in cmdline:  # still that job: ours
                    os.killpg(pid, signal.SIGKILL)


def purge_queue(broker: str, queue: str) -> None:
    """Remove this run's queue (and, on Redis, its keys and pidbox bindings) from the shared broker."""
    with contextlib.suppress(Exception):
        if broker.startswith("redis"):
            client = redis.Redis.from_url(broker)
            keys = list(client.scan_iter(match=f"*{queue}*"))
            if keys:
                client.delete(*keys)
            for tag, value in client.hscan_iter("unacked"):  # a killed worker's tick, not yet restored
                if queue.encode() in value:
                    client.hdel("unacked", tag)
                    client.zrem("unacked_index", tag)
            for binding in client.scan_iter(match="_kombu.binding.*"):
                if client.type(binding) == b"set":
                    ours = [m for m in client.smembers(binding) if queue.encode() in m]
                    if ours:
                        client.srem(binding, *ours)
            return
        with broker_connection(broker) as connection:
            channel = connection.channel()
            channel.queue_delete(queue)
            channel.exchange_delete(queue)


@pytest.fixture
def site(request: pytest.FixtureRequest, tmp_path: Path, database: str, broker: str,
         s3_server: S3Server) -> Iterator[Site]:
    """The environment every process of the site shares; stopped (all of it) after the test, whose
    logs are printed when it failed."""
    failed_before = request.session.testsfailed
    queue = f"platecut-e2e-{uuid.uuid4().hex[:12]}"
    clean = {key: value for key, value in os.environ.items()
             if not key.startswith(("PLATECUT_", "AWS_", "CELERY"))}
    env = {
        **clean,
        "PLATECUT_DATABASE_URL": database,
        "PLATECUT_DATA_DIR": str(tmp_path / "data"),
        "PLATECUT_STORAGE": "s3",
        "PLATECUT_S3_ENDPOINT": s3_server.endpoint,
        "PLATECUT_S3_BUCKET": f"e2e-{uuid.uuid4().hex[:12]}",
        "PLATECUT_S3_CREATE_BUCKET": "true",
        "PLATECUT_S3_ACCESS_KEY_ID": KEYS["id"],
        "PLATECUT_S3_SECRET_ACCESS_KEY": KEYS["secret"],
        "PLATECUT_S3_REGION": KEYS["region"],
        # the split job inherits the API's environment through the local launcher
        "AWS_ACCESS_KEY_ID": KEYS["id"],
        "AWS_SECRET_ACCESS_KEY": KEYS["secret"],
        "AWS_DEFAULT_REGION": KEYS["region"],
        "PLATECUT_BROKER_URL": broker,
        "PLATECUT_CELERY_QUEUE": queue,
        "PLATECUT_RECONCILE_SECONDS": "1",
        "PLATECUT_LAUNCHER": "local",
        "PLATECUT_UPLOAD_STATE": str(tmp_path / "uploads.json"),
        "COLUMNS": "200",
    }
    running = Site(tmp_path, env, queue, database)
    try:
        yield running
    finally:
        try:
            if request.session.testsfailed > failed_before:
                print(running.diagnostics())
        finally:
            running.stop()
            purge_queue(broker, queue)


# -- checks ------------------------------------------------------------------------------------------


def check_cuts(site: Site, plate_id: str, sample: SamplePlate) -> list[dict[str, Any]]:
    cuts: list[dict[str, Any]] = site.get(f"/plates/{plate_id}/cuts")["items"]
    assert [c["index"] for c in cuts] == list(range(1, len(sample.frames) + 1))
    assert [(c["first_frame"], c["last_frame"]) for c in cuts] == sample.frames
    assert [c["name"] for c in cuts] == sample.names
    return cuts


def check_edl(site: Site, plate_id: str, cuts: list[dict[str, Any]]) -> None:
    link = site.get(f"/plates/{plate_id}/edl?redirect=false")["url"]
    assert link.startswith(site.env["PLATECUT_S3_ENDPOINT"] + "/")  # presigned, straight from S3
    response = httpx.get(link, timeout=30)
    assert response.status_code == 200, response.text
    named = set(re.findall(r"^\* (?:FROM|TO) CLIP NAME: (\S+)\s*$", response.text, re.MULTILINE))
    assert named == {c["name"] for c in cuts}, response.text


def check_celery_reconciled(site: Site, *workers: str) -> None:
    """The ticks ran in the Celery worker(s), and the API ran none of its own."""
    worker_logs = "".join(site.log_of(name) for name in workers)
    ticks = re.findall(r"Task platecut\.reconcile\[[0-9a-f-]+\] succeeded in [\d.]+s: (\{.*\})",
                       worker_logs)
    assert ticks, "the worker ran no reconcile"
    assert any("'ingested': 1" in tick for tick in ticks), ticks
    assert "manifest ingested" in worker_logs
    records = site.server_records()
    assert any(r.get("message") == "job submitted" for r in records)  # the API launched the job...
    reconciled = [r for r in records if r.get("logger") in RECONCILE_LOGGERS]
    assert not reconciled, reconciled  # ... and never reconciled
    assert "in-process reconcile started" not in site.log_of("server")


def db_rows(url: str, plate_id: str) -> dict[str, Any]:
    """What the database holds for the plate (read directly, not through the API)."""
    key = uuid.UUID(plate_id)
    with psycopg.connect(_libpq(url)) as conn:
        state = conn.execute("SELECT state FROM plates WHERE id = %s", (key,)).fetchone()
        cuts = conn.execute('SELECT count(*), count(DISTINCT "index"), count(DISTINCT name) FROM cuts '
                            "WHERE plate_id = %s", (key,)).fetchone()
        outputs = conn.execute("SELECT count(*) FROM plate_outputs WHERE plate_id = %s", (key,)).fetchone()
        runs = conn.execute("SELECT count(*) FROM runs WHERE plate_id = %s", (key,)).fetchone()
    assert state is not None and cuts is not None and outputs is not None and runs is not None
    return {"state": str(state[0]).lower(), "cuts": tuple(cuts), "outputs": outputs[0], "runs": runs[0]}


def poll(predicate: Callable[[], bool], timeout: float, what: str, site: Site) -> None:
    try:
        wait_until(predicate, timeout=timeout, what=what)
    except WaitTimeout:
        site.fail(f"timed out waiting for {what}")


# -- the tests ---------------------------------------------------------------------------------------


def test_a_plate_goes_through_postgres_s3_and_celery(site: Site, sample_plate: SamplePlate) -> None:
    started = time.monotonic()
    site.serve()
    site.worker()
    site.beat()
    served = time.monotonic()
    plate_id = site.upload(sample_plate.path)
    uploaded = time.monotonic()
    done = site.wait_for(plate_id, {"succeeded"})
    print(f"\nserve and token {served - started:.1f} s, upload {uploaded - served:.1f} s, "
          f"split and reconcile {time.monotonic() - uploaded:.1f} s")
    assert done["attempt"] == 1

    cuts = check_cuts(site, plate_id, sample_plate)
    check_edl(site, plate_id, cuts)
    check_celery_reconciled(site, "worker1")
    rows = db_rows(site.database_url, plate_id)
    assert rows["state"] == "succeeded" and rows["cuts"] == (len(cuts),) * 3 and rows["runs"] == 1


def test_killed_workers_leave_the_plate_whole(site: Site, sample_plate: SamplePlate) -> None:
    site.serve()
    site.worker()
    site.beat()
    plate_id = site.upload(sample_plate.path)

    # 1. the worker dies while the job runs: the job goes on (it is not the worker's). The job is held
    #    stopped until then, so it is still running however late a tick reaches the worker
    with site.job_held():
        site.wait_for(plate_id, {"running"}, timeout=60)
        site.kill("worker1")

    # 2. the next worker dies in the middle of ingesting the manifest: the test holds the cuts table
    #    (reads allowed, writes wait), so the ingest's transaction is stopped at its first write
    libpq = _libpq(site.database_url)
    with psycopg.connect(libpq) as lock, psycopg.connect(libpq, autocommit=True) as watch:
        lock.execute("LOCK TABLE cuts IN EXCLUSIVE MODE")
        worker = site.worker()

        def ingest_waits() -> bool:
            if worker.popen.poll() is not None:
                site.fail(f"worker2 exited with {worker.popen.returncode}")
            waiting = watch.execute("SELECT query FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()").fetchall()
            return any("cuts" in str(query) for (query,) in waiting)

        poll(ingest_waits, DONE_TIMEOUT, "the ingest to wait on the cuts table", site)
        site.kill("worker2")
        lock.rollback()  # the dead worker's transaction goes on to its next statement, finds no one: aborted
    held = db_rows(site.database_url, plate_id)
    assert (held["state"], held["cuts"][0], held["outputs"]) == ("running", 0, 0), held  # rolled back

    # nothing else reconciles: the API does not (a broker is set), beat only queues ticks; watched
    # over two more ticks that beat queues (more than one reconcile interval, however slow the machine)
    def ticks_sent() -> int:
        return site.log_of("beat").count("Scheduler: Sending due task reconcile")

    before = ticks_sent()
    poll(lambda: ticks_sent() >= before + 2, 30, "beat to queue two more ticks", site)
    assert site.get(f"/plates/{plate_id}")["state"] == "running"

    # 3. a new worker finishes the plate: every cut once, one attempt
    site.worker()
    site.wait_for(plate_id, {"succeeded"})
    cuts = check_cuts(site, plate_id, sample_plate)
    rows = db_rows(site.database_url, plate_id)
    assert rows["cuts"] == (len(cuts),) * 3, rows
    assert rows["runs"] == 1, rows  # the kills cost no retry
    check_edl(site, plate_id, cuts)
    check_celery_reconciled(site, "worker1", "worker2", "worker3")

