"""The reconcile at scale: ``reconcile_once`` ticks over N running plates and their Kubernetes Jobs.

``python -m bench.reconcile [--jobs 10,1000,5000] [--repeat 3]``

For each N: a fresh PostgreSQL database (127.0.0.1:5432, created, migrated with
``api.db.migrate.upgrade``, dropped afterwards) and a fresh Kubernetes API emulator on loopback
(``tests.support.k8s_emulator``: kmock's, with label selectors and ``limit``/``continue`` pages, in
a thread of this process, spoken to over HTTP by the real kubernetes client; it keeps no request
log, which would make each request slower than the last). N plates are made
``running`` the way the runs service records them (``runs.service.record_attempt``: the run, its
job name and URIs; then the moves the reconcile makes when the Job runs), inserted in one
transaction; each plate's Job is ``build_job(service.job_request(plate, run), template)``, stored in
the emulator with ``active: 1, ready: 1`` as if the launcher had created it earlier. The launcher is
``KubernetesLauncher`` with the production page size (500); storage is ``DiskStorage`` in a
temporary folder.

Measured, after one warm-up tick (which must change nothing):

* ``--repeat`` ticks with nothing changed: wall time (median, max), Kubernetes API requests per
  tick (``launcher.calls``, checked against the requests the emulator served), SQL statements per tick
  (SQLAlchemy ``before_cursor_execute``); and, apart from the ticks, the time of the launcher's LIST
  alone (``launcher.statuses()``) and of the active-plate query alone;
* one tick after 10% of the Jobs turned Complete, a valid ``manifest.json`` in storage for each of
  their plates: those plates are ingested (cuts and outputs written, plate ``succeeded``) and their
  Jobs deleted.

Targets (the issue): API requests grow only with pages of the list, at most ceil(N/500) plus one
write per changed plate; a tick over 1,000 unchanged Jobs takes under 1 s. The emulator shares
this process (and its GIL): its time serving the pages is inside the tick time, as a real API
server's would be. Results: ``bench/results/reconcile.json``.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import kmock
import kubernetes
import psycopg
from sqlalchemy import Engine, event

from api.config import Settings
from api.db.base import utcnow
from api.db.engine import make_engine, make_session_factory
from api.db.migrate import upgrade
from api.integrations.factory import build_storage, job_template
from api.integrations.kubernetes import JobTemplate, KubernetesLauncher, build_job
from api.plates import keys, states
from api.plates.models import Plate, PlateState
from api.projects.models import Project, Site
from api.runs import repository, service, uris
from api.runs.context import RunContext
from api.runs.models import Run, RunState
from api.runs.reconcile import reconcile_once
from api.runs.report import TickReport
from bench.common import heading, log, machine_info, machine_lines, publish, table
from tests.api.runs_support import make_manifest
from tests.support.k8s_emulator import NAMESPACE, EmulatedCluster, emulated_cluster, now_rfc3339

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PAGE_SIZE = 500  # KubernetesLauncher's default, what the API runs with
COMPLETE_SHARE = 0.10
TARGET_TICK_S = 1.0  # for 1,000 unchanged Jobs
TARGET_AT = 1000
SITE, PROJECT = "bench", "reconcile"


# --- database, settings and context ----------------------------------------------------------

@contextmanager
def fresh_database(n_jobs: int) -> Iterator[str]:
    """A new, migrated PostgreSQL database (dropped on exit); its SQLAlchemy URL."""
    name = f"platecut_bench_reconcile_{os.getpid()}_{n_jobs}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_settings(url: str, data_dir: Path) -> Settings:
    return Settings(database_url=url, data_dir=data_dir, launcher="kubernetes", k8s_in_cluster=False,
                    k8s_image="registry.example/platecut:1.0", k8s_namespace=NAMESPACE,
                    k8s_env_secret="platecut-s3", reconcile_seconds=0, log_json=False,
                    signing_secret="bench-secret-of-at-least-16-bytes")


class StatementCounter:
    """SQL statements sent through ``engine`` (an executemany counts once)."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


# --- the plates and their Jobs ---------------------------------------------------------------

@dataclass(frozen=True)
class Seeded:
    job_name: str
    manifest_key: str  # of the plate's current attempt


def seed(ctx: RunContext, cluster: EmulatedCluster, template: JobTemplate, n_jobs: int) -> list[Seeded]:
    """N plates ``running`` with their current run ``running`` (one transaction), and their Jobs."""
    started = utcnow() - timedelta(minutes=5)
    seeded: list[Seeded] = []
    with ctx.session_factory() as session:
        site = Site(name=SITE)
        session.add(site)
        session.flush()
        project = Project(site_id=site.id, name=PROJECT)
        session.add(project)
        session.flush()
        plates = [_uploaded_plate(site, project, i) for i in range(n_jobs)]
        session.add_all(plates)
        session.flush()  # runs reference plates, and the ORM does not order them (no relationship)
        pairs: list[tuple[Plate, Run]] = []
        for plate in plates:
            states.move(plate, PlateState.QUEUED)  # what service.launch does ...
            run = service.record_attempt(session, ctx.settings, plate, tries=1)
            service.mark_submitted(run)  # ... then submit, once the launcher has the Job
            run.submitted_at = started
            run.state = RunState.RUNNING  # and the reconcile, once the Job runs
            run.started_at = started
            states.move(plate, PlateState.RUNNING)
            plate.started_at = started
            pairs.append((plate, run))
        session.commit()
        for plate, run in pairs:
            job = build_job(service.job_request(plate, run), template)
            cluster.put_job(job, {"active": 1, "ready": 1, "startTime": _rfc3339(started)})
            seeded.append(Seeded(run.job_name, uris.manifest_key(plate, plate.attempt)))
    return seeded


def _uploaded_plate(site: Site, project: Project, i: int) -> Plate:
    """A plate as an upload leaves it (``uploaded``, its keys made by the server)."""
    plate_id, name = uuid.uuid4(), f"A{i % 1000:03d}_C{i:06d}.mov"
    prefix = keys.plate_prefix(SITE, PROJECT, str(plate_id))
    return Plate(id=plate_id, site=site, project=project, name=name, attempt=1, size_bytes=2 * 10**9,
                 sha256=f"{i:064x}", source_key=keys.source_key(prefix, name),
                 output_prefix=keys.output_prefix(prefix), state=PlateState.UPLOADED, uploaded_at=utcnow())


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def complete_some(ctx: RunContext, cluster: EmulatedCluster, seeded: list[Seeded]) -> list[Seeded]:
    """Every tenth Job turns Complete, its attempt's ``manifest.json`` written first (as a job does)."""
    chosen = seeded[::round(1 / COMPLETE_SHARE)]
    manifest = make_manifest(["SH010", "SH020", "SH030"]).to_json().encode()
    for item in chosen:
        ctx.storage.put_bytes(item.manifest_key, manifest, "application/json")
        job = cluster.job(item.job_name)
        if job is None:
            raise RuntimeError(f"the emulator lost Job {item.job_name}")
        now = now_rfc3339()
        cluster.put_job(job, {
            "startTime": job["status"]["startTime"], "completionTime": now, "succeeded": 1, "active": 0,
            "ready": 0, "conditions": [
                {"type": "SuccessCriteriaMet", "status": "True", "lastTransitionTime": now},
                {"type": "Complete", "status": "True", "lastTransitionTime": now}]})
    return chosen


# --- measuring -------------------------------------------------------------------------------

@dataclass
class Tick:
    wall_s: float
    cpu_s: float  # of the thread that ticks (not the emulator's, not PostgreSQL's)
    calls: int
    requests: int  # as the emulator counted them
    statements: int
    report: TickReport


def tick(ctx: RunContext, launcher: KubernetesLauncher, cluster: EmulatedCluster,
         counter: StatementCounter) -> Tick:
    calls, requests, statements = launcher.calls, cluster.apiserver.served, counter.count
    start, cpu = time.perf_counter(), time.thread_time()
    report = reconcile_once(ctx)
    wall, cpu = time.perf_counter() - start, time.thread_time() - cpu
    return Tick(wall, cpu, launcher.calls - calls, cluster.apiserver.served - requests,
                counter.count - statements, report)


def _unchanged(t: Tick, n_jobs: int, what: str) -> None:
    r = t.report
    if r.seen != n_jobs or r.changed or r.errors or r.deleted or r.skipped:
        raise RuntimeError(f"{what}: expected nothing to change over {n_jobs} plates: {r.as_dict()}")


def one_size(n_jobs: int, repeat: int) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="platecut-bench-reconcile-"))
    try:
        with fresh_database(n_jobs) as url, emulated_cluster(keep_requests=False) as cluster:
            settings = bench_settings(url, data_dir)
            engine = make_engine(url)
            template = job_template(settings)
            launcher = KubernetesLauncher(cluster.api_client(), template, page_size=PAGE_SIZE)
            ctx = RunContext(make_session_factory(engine), launcher, build_storage(settings), settings,
                             engine=engine)
            try:
                return _measure(ctx, launcher, cluster, template, engine, n_jobs, repeat)
            finally:
                ctx.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _measure(ctx: RunContext, launcher: KubernetesLauncher, cluster: EmulatedCluster, template: JobTemplate,
             engine: Engine, n_jobs: int, repeat: int) -> dict[str, Any]:
    start = time.perf_counter()
    seeded = seed(ctx, cluster, template, n_jobs)
    seed_s = time.perf_counter() - start
    log(f"{n_jobs} jobs: seeded in {seed_s:.1f} s; warm-up tick")
    counter = StatementCounter(engine)
    warm = tick(ctx, launcher, cluster, counter)
    _unchanged(warm, n_jobs, "warm-up tick")
    ticks, lists, reads = [], [], []
    for k in range(repeat):
        t = tick(ctx, launcher, cluster, counter)
        _unchanged(t, n_jobs, f"tick {k + 1}")
        ticks.append(t)
        begin = time.perf_counter()
        launcher.statuses()
        lists.append(time.perf_counter() - begin)
        with ctx.session_factory() as session:
            begin = time.perf_counter()
            repository.active_plates(session)
            reads.append(time.perf_counter() - begin)
        log(f"{n_jobs} jobs: tick {k + 1}/{repeat}: {t.wall_s:.3f} s, {t.calls} API calls, "
            f"{t.statements} SQL")
    pages = max(1, math.ceil(n_jobs / PAGE_SIZE))
    chosen = complete_some(ctx, cluster, seeded)
    done = tick(ctx, launcher, cluster, counter)
    r = done.report
    if r.changed != len(chosen) or r.deleted != len(chosen) or r.errors:
        raise RuntimeError(f"completion tick: expected {len(chosen)} plates ingested: {r.as_dict()}")
    log(f"{n_jobs} jobs: {len(chosen)} completed: {done.wall_s:.3f} s, {done.calls} API calls, "
        f"{done.statements} SQL")
    walls = [t.wall_s for t in ticks]
    return {
        "jobs": n_jobs, "pages": pages, "seed_s": round(seed_s, 2),
        "unchanged": {
            "median_s": statistics.median(walls), "max_s": max(walls), "runs_s": walls,
            "cpu_median_s": statistics.median(t.cpu_s for t in ticks),
            "calls": [t.calls for t in ticks], "emulator_requests": [t.requests for t in ticks],
            "sql_statements": [t.statements for t in ticks],
            "list_jobs_median_s": statistics.median(lists), "read_plates_median_s": statistics.median(reads),
            "report": ticks[-1].report.as_dict(),
        },
        "completed": {
            "plates": len(chosen), "wall_s": done.wall_s, "cpu_s": done.cpu_s, "calls": done.calls,
            "emulator_requests": done.requests, "sql_statements": done.statements,
            "call_bound": pages + len(chosen), "report": r.as_dict(),
        },
    }


# --- report ----------------------------------------------------------------------------------

def report(results: list[dict[str, Any]], args: argparse.Namespace, info: dict[str, Any]) -> str:
    quiet, moved = [], []
    for r in results:
        u, c = r["unchanged"], r["completed"]
        quiet.append((r["jobs"], r["pages"], u["median_s"], u["max_s"], u["cpu_median_s"], _one(u["calls"]),
                      r["pages"], _one(u["sql_statements"]), u["list_jobs_median_s"],
                      u["read_plates_median_s"]))
        moved.append((r["jobs"], c["plates"], c["wall_s"], c["cpu_s"], c["calls"], c["call_bound"],
                      c["sql_statements"], c["report"]["ingested"], c["report"]["deleted"]))
    verdicts = []
    at = [r for r in results if r["jobs"] == TARGET_AT]
    if at:
        ok = at[0]["unchanged"]["max_s"] < TARGET_TICK_S
        verdicts.append(f"- {TARGET_AT} unchanged Jobs: slowest tick {at[0]['unchanged']['max_s']:.3f} s "
                        f"({'meets' if ok else 'MISSES'} the {TARGET_TICK_S:.0f} s target)")
    calls_ok = all(max(r["unchanged"]["calls"]) <= r["pages"] and r["completed"]["calls"]
                   <= r["completed"]["call_bound"] for r in results)
    verdicts.append(f"- API requests {'within' if calls_ok else 'OVER'} the bound at every size "
                    "(unchanged: ceil(N/500) pages; completion tick: pages + one DELETE per plate)")
    same = all(r["unchanged"]["calls"] == r["unchanged"]["emulator_requests"]
               and r["completed"]["calls"] == r["completed"]["emulator_requests"] for r in results)
    verdicts.append("- the emulator served " + ("exactly the requests `launcher.calls` counted" if same
                                                else "a different number of requests than `launcher.calls`"))
    return "\n".join([
        heading("Reconcile ticks over N running Kubernetes Jobs", False), "",
        "```", f".venv/bin/python -m bench.reconcile --jobs {args.jobs} --repeat {args.repeat}", "```", "",
        *machine_lines(info),
        f"- load average (1, 5, 15 min) at the end: {', '.join(f'{x:.2f}' for x in info['load_avg_end'])}",
        f"- PostgreSQL {info['postgresql']}, kubernetes client {info['kubernetes_client']}, "
        f"kmock {info['kmock']} (emulated API server in-process, over loopback HTTP)", "",
        f"Unchanged ticks (median and max of {args.repeat} after one warm-up; the LIST and the "
        "active-plate query also timed alone):", "",
        table(["Jobs", "pages", "tick median s", "tick max s", "tick CPU s", "API calls", "bound",
               "SQL statements", "LIST alone s", "plates query s"], quiet), "",
        f"One tick after {COMPLETE_SHARE:.0%} of the Jobs turned Complete (a valid manifest.json each: "
        "cuts ingested, plate succeeded, Job deleted):", "",
        table(["Jobs", "completed", "tick s", "tick CPU s", "API calls", "bound", "SQL statements",
               "ingested", "deleted"], moved), "",
        "tick CPU s: CPU time of the thread that ticks (the kubernetes client reading the pages, the ORM, "
        "the decisions), not of the emulator's thread or of PostgreSQL; most of the rest of an unchanged "
        "tick's wall time is the emulator serving the pages (500 Jobs, about 1.4 MB of JSON, each).", "",
        *verdicts, ""])


def _one(values: list[int]) -> str:
    return str(values[0]) if len(set(values)) == 1 else f"{min(values)}-{max(values)}"


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench.reconcile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", default="10,1000,5000", help="numbers of running plates and Jobs")
    parser.add_argument("--repeat", type=int, default=3, help="timed unchanged ticks per size")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    sizes = [int(n) for n in args.jobs.split(",")]
    info = machine_info()
    with psycopg.connect(ADMIN) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    info.update(postgresql=row[0] if row else "?", kubernetes_client=kubernetes.__version__,
                kmock=getattr(kmock, "__version__", "0.8"))
    results = [one_size(n, args.repeat) for n in sizes]
    info["load_avg_end"] = os.getloadavg()
    return publish("reconcile", {"machine": info, "page_size": PAGE_SIZE, "results": results},
                   report(results, args, info))


if __name__ == "__main__":
    main()
