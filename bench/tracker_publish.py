"""Publishing a 1,500-cut reel to a tracker: wall time and requests per shot.

``python -m bench.tracker_publish [--cuts 1500] [--changed 150]``

Kitsu: the local Zou server the tests use (``make zou``; on the local PostgreSQL and Redis), through
``KitsuTracker`` as the API's publish calls it. Three publishes of one reel, side by side in one run:

* v01 first: every sequence and shot created, every thumbnail (a 320x180 JPEG) uploaded as the main
  preview of the shot's task;
* v01 again: nothing changes (the idempotent case);
* v02: ``--changed`` shots trimmed with a new picture, 2% omitted, 2% new.

Flow Production Tracking: the same three through ``ShotGridTracker`` against the SDK's Mockgun with the
schema of ``tests/api/shotgrid_schema.py``: requests only (Mockgun's times say nothing of a site's).
Results in ``bench/results/tracker_publish.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from PIL import Image

from api.integrations.trackers import PublishedShot, PublishRequest, PublishResult
from api.integrations.trackers.kitsu import KitsuTracker
from tests.api.zou_fixtures import running_zou

RESULTS = Path(__file__).parent / "results" / "tracker_publish.json"
OMITTED_SHARE = 0.02
NEW_SHARE = 0.02
FRAMES = 48


def picture(index: int, version: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 180), ((index * 37) % 256, (index * 11 + version * 90) % 256, 128)).save(
        buffer, "JPEG", quality=85)
    return buffer.getvalue()


def shot(index: int, version: int, frames: int) -> PublishedShot:
    name = f"SH{index // 100 + 1:03d}_{index % 100 * 10 + 10:04d}"
    data = picture(index, version)
    return PublishedShot(sequence=name[:5], name=name, frame_in=1009, frame_out=1009 + frames - 1,
                         nb_frames=frames, data={"reel": "r1", "cut_index": index + 1}, cut_order=index + 1,
                         head_in=1001, tail_out=1009 + frames + 7, edit_in=index * FRAMES + 1,
                         edit_out=index * FRAMES + frames, thumbnail_sha256=hashlib.sha256(data).hexdigest(),
                         thumbnail=lambda data=data: data)


def reel(project: str, version: int, shots: list[PublishedShot], omitted: str) -> PublishRequest:
    return PublishRequest(project=project, reel="r1", version=version, plate_id=str(uuid.uuid4()),
                          shots=shots, omitted_status=omitted, plate_name=f"r1_v{version:02d}.mov",
                          fps="24/1")


def versions(cuts: int, changed: int) -> tuple[list[PublishedShot], list[PublishedShot]]:
    first = [shot(i, 1, FRAMES) for i in range(cuts)]
    dropped = int(cuts * OMITTED_SHARE)
    kept = first[dropped:]
    second = [shot(i + dropped, 2, FRAMES - 4) if i < changed else s for i, s in enumerate(kept)]
    second += [shot(cuts + i, 2, FRAMES) for i in range(int(cuts * NEW_SHARE))]
    return first, second


def timed(publish: Any, request: PublishRequest) -> dict[str, Any]:
    started = time.perf_counter()
    result: PublishResult = publish(request)
    seconds = time.perf_counter() - started
    shots = len(request.shots)
    return {"seconds": round(seconds, 2), "shots": shots, "api_calls": result.api_calls,
            "calls_per_shot": round(result.api_calls / shots, 3), "created": len(result.created),
            "updated": len(result.updated), "unchanged": len(result.unchanged),
            "omitted": len(result.omitted), "thumbnails": result.thumbnails}


def kitsu(cuts: int, changed: int) -> dict[str, Any]:
    first, second = versions(cuts, changed)
    with tempfile.TemporaryDirectory() as work, running_zou(Path(work), database="zou_bench") as server:
        tracker = KitsuTracker(server.url, server.email, server.password, timeout_seconds=60)
        project = f"bench{uuid.uuid4().hex[:6]}"
        return {"v01 first": timed(tracker.publish, reel(project, 1, first, "canceled")),
                "v01 again": timed(tracker.publish, reel(project, 1, first, "canceled")),
                "v02": timed(tracker.publish, reel(project, 2, second, "canceled"))}


def shotgrid(cuts: int, changed: int) -> dict[str, Any]:
    from shotgun_api3.lib import mockgun

    from api.integrations.trackers.shotgrid import ShotGridTracker
    from tests.api.shotgrid_schema import write_schema

    first, second = versions(cuts, changed)
    with tempfile.TemporaryDirectory() as work:
        schema, entities = write_schema(Path(work))
        mockgun.Shotgun.set_schema_paths(str(schema), str(entities))
        site = mockgun.Shotgun("https://bench.shotgrid.autodesk.com", script_name="bench", api_key="k")
        site.create("Project", {"name": "bench"})
        tracker = ShotGridTracker(site.base_url, "bench", "k", connect=lambda: site)
        return {"v01 first": timed(tracker.publish, reel("bench", 1, first, "omt")),
                "v01 again": timed(tracker.publish, reel("bench", 1, first, "omt")),
                "v02": timed(tracker.publish, reel("bench", 2, second, "omt"))}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cuts", type=int, default=1500)
    parser.add_argument("--changed", type=int, default=150)
    args = parser.parse_args(argv)
    results = {"cuts": args.cuts, "changed": args.changed, "kitsu": kitsu(args.cuts, args.changed),
               "shotgrid_mockgun": shotgrid(args.cuts, args.changed)}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
