"""Cut changes of a 1,500-cut reel against its previous version.

``python -m bench.reel_changes [--cuts 1500] [--repeat 5]``

Two versions of a reel of N cuts (shots ``SH0001``...; version 2 trims 5% of them within their handles,
extends 2% beyond, omits 2%, adds 2% and swaps 5% of neighbours), measured side by side in one run:

* ``compare()`` alone, the pure comparison, three ways: shots matched by burned-in name; by source
  timecode range and picture (no names); by picture alone (no names, no source timecode);
* ``GET /api/v1/plates/{v2}/changes`` through the app on the embedded SQLite database (both versions'
  cuts ingested from manifests first): the whole report as a client gets it (token check, plate
  reads, both versions' cuts, comparison, JSON).

Target (the issue): the report in under 1 s. Median and max of ``--repeat`` runs after one warm-up;
results in ``bench/results/reel_changes.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.config import Settings
from api.cuts.ingest import ingest_manifest
from api.db.migrate import upgrade
from api.db.unit_of_work import unit_of_work
from api.plates.models import Plate, PlateState
from api.reels.changes import VersionCut, compare
from tests.api.conftest import Callers
from tests.api.test_reel_changes_api import manifest

RESULTS = Path(__file__).parent / "results" / "reel_changes.json"
HANDLES = 8


def versions(cuts: int, seed: int = 7) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
    """(v1, v2) as (name, first source frame, length) per cut."""
    rng = random.Random(seed)
    v1 = [(f"SH{i:04d}", i * 1000, rng.randint(24, 120)) for i in range(1, cuts + 1)]
    v2: list[tuple[str, int, int]] = []
    for name, start, length in v1:
        roll = rng.random()
        if roll < 0.02:
            continue  # omitted
        if roll < 0.07:
            start, length = start + 3, length - 3  # trimmed at the head, within handles
        elif roll < 0.09:
            length += 20  # extended beyond the tail handles: a rescan
        v2.append((name, start, length))
        if rng.random() < 0.02:
            v2.append((f"NEW{len(v2):04d}", 900_000 + len(v2) * 1000, 48))
    for i in range(0, len(v2) - 1, 20):
        v2[i], v2[i + 1] = v2[i + 1], v2[i]
    return v1, v2


def as_cuts(shots: list[tuple[str, int, int]], named: bool, source: bool) -> list[VersionCut]:
    rng = random.Random(11)
    pictures = {name: rng.getrandbits(64) for name, _, _ in shots}
    return [VersionCut(order, name, named, length, HANDLES, HANDLES, start if source else None,
                       start + length if source else None, pictures[name])
            for order, (name, start, length) in enumerate(shots, 1)]


def timed(run: Callable[[], object], repeat: int) -> dict[str, float]:
    run()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return {"median_s": round(statistics.median(times), 4), "max_s": round(max(times), 4)}


def through_the_api(v1: list[tuple[str, int, int]], v2: list[tuple[str, int, int]],
                    repeat: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), launcher="none", log_json=False, reconcile_seconds=0,
                            signing_secret="bench-secret-of-16-bytes+", rate_limit_per_second=0)
        upgrade(settings.resolved_database_url())
        app = create_app(settings)
        with TestClient(app) as client:
            caller = Callers(client, app.state.session_factory)()
            ids = []
            for version, shots in ((1, v1), (2, v2)):
                body = {"name": f"bench_r1_v{version:02d}.mov", "project": "proj", "size": 10}
                plate_id = caller.post("/api/v1/plates", json=body).json()["plate"]["id"]
                with unit_of_work(app.state.session_factory) as uow:
                    plate = uow.session.get(Plate, uuid.UUID(plate_id))
                    assert plate is not None
                    ingest_manifest(uow.session, plate, manifest(shots))
                    plate.state = PlateState.SUCCEEDED
                ids.append(plate_id)

            def report() -> None:
                response = caller.get(f"/api/v1/plates/{ids[1]}/changes")
                assert response.status_code == 200, response.text

            return timed(report, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cuts", type=int, default=1500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    v1, v2 = versions(args.cuts)
    results: dict[str, object] = {"cuts_v1": len(v1), "cuts_v2": len(v2)}
    for label, named, source in (("by_name", True, True), ("by_source_and_picture", False, True),
                                 ("by_picture_only", False, False)):
        old, new = as_cuts(v1, named, source), as_cuts(v2, named, source)
        results[f"compare_{label}"] = timed(lambda o=old, n=new: compare(o, n), args.repeat)  # type: ignore[misc]
    results["api_report"] = through_the_api(v1, v2, args.repeat)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
