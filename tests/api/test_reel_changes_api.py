"""Cut changes between versions of a reel through the API (SQLite and PostgreSQL): every category,
with head and tail deltas, against the previous version or a chosen one; CSV; bad input."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime

from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.cuts.ingest import ingest_manifest
from api.cuts.models import Cut as CutRow
from api.plates.models import Plate, PlateState
from api.reels.sheet import EMPTY, PAD, TEXT_HEIGHT, TILE
from jobs.manifest import (
    Cut,
    DetectorSettings,
    Manifest,
    OutputFile,
    Outputs,
    PlateInfo,
    Rational,
    Software,
    SplitSettings,
)
from jobs.timecode import FrameRate, frames_to_timecode
from tests.api.conftest import Caller

RATE = FrameRate(24)
# shot name -> first source frame on its camera roll
V1 = [("A", 1000, 48), ("B", 2000, 48), ("C", 3000, 48), ("D", 4000, 48), ("E", 5000, 48), ("F", 6000, 48)]
V2 = [("A", 1000, 48), ("B", 2003, 45), ("C", 3000, 60), ("G", 7000, 24), ("F", 6000, 48), ("E", 5000, 48),
      ("A", 1010, 20)]
V3 = [("A", 1000, 48), ("B", 2003, 45), ("C", 3000, 60), ("D", 4000, 48), ("G", 7000, 24), ("F", 6000, 48),
      ("E", 5000, 48)]


def manifest(shots: list[tuple[str, int, int]]) -> Manifest:
    cuts, first = [], 0
    for index, (name, source, length) in enumerate(shots, 1):
        cuts.append(Cut(
            index=index, name=name, first_frame=first, last_frame=first + length - 1, frame_count=length,
            cut_order=index, head_in=1001, cut_in=1009, cut_out=1008 + length, tail_out=1016 + length,
            head_handles=8, tail_handles=8, cut_duration=length, working_duration=length + 16, media_in=1009,
            media_out=1008 + length, start_time=f"{first}/24", duration=f"{length}/24",
            source_tc_in=frames_to_timecode(source, RATE),
            source_tc_out=frames_to_timecode(source + length, RATE),
            record_tc_in=frames_to_timecode(86400 + first, RATE),
            record_tc_out=frames_to_timecode(86400 + first + length, RATE),
            boundary_in="start" if index == 1 else "cut", confidence=1.0, detected_by="burnin",
            name_from="burnin", source_tc_from="burnin",
            thumbnail=OutputFile(path=f"thumbnails/{index:03d}_{name}.jpg", sha256="0" * 64, size_bytes=1)))
        first += length
    info = PlateInfo(source="ref.mov", kind="movie", container="mov", codec="prores", width=64, height=36,
                     pixel_aspect="1:1", pix_fmt="yuv422p10le", bit_depth=10,
                     frame_rate=Rational(num=24, den=1),
                     frame_count=first, frame_count_counted=False, duration=f"{first}/24", intra_only=True)
    return Manifest(plate_name="ref", created_at=datetime.now(UTC), plate=info, cuts=cuts, transitions=[],
                    detector=DetectorSettings(),
                    split=SplitSettings(enabled=False, codec="none", head_in=1001, copied=False),
                    outputs=Outputs(), software=Software(version="0", ffmpeg="5"), timings={})


def split_version(caller: Caller, db: Session, name: str, shots: list[tuple[str, int, int]] | None,
                  project: str = "proj") -> str:
    """A plate of that name, succeeded with those cuts (None: left awaiting its upload)."""
    response = caller.post("/api/v1/plates", json={"name": name, "project": project, "size": 10})
    assert response.status_code == 201, response.text
    plate_id: str = response.json()["plate"]["id"]
    if shots is not None:
        plate = db.get(Plate, uuid.UUID(plate_id))
        assert plate is not None
        ingest_manifest(db, plate, manifest(shots))
        plate.state = PlateState.SUCCEEDED
        db.commit()
    return plate_id


def rows(report: dict[str, object]) -> list[tuple[object, ...]]:
    items = report["items"]
    assert isinstance(items, list)
    return [(r["name"], r["category"], r["head_delta"], r["tail_delta"], r["reordered"]) for r in items]


def test_every_category_against_the_previous_version(caller: Caller, db: Session) -> None:
    v1 = split_version(caller, db, "ep101_r2_v01.mov", V1)
    v2 = split_version(caller, db, "ep101_r2_v02.mov", V2)
    v3 = split_version(caller, db, "ep101_r2_v03.mov", V3)
    second = caller.get(f"/api/v1/plates/{v2}/changes").json()
    assert (second["against_plate_id"], second["version"], second["against_version"]) == (v1, 2, 1)
    assert rows(second) == [
        ("A", "unchanged", 0, 0, False), ("B", "cut_change", -3, 0, False), ("C", "rescan", 0, 12, False),
        ("D", "omitted", None, None, False), ("G", "new", None, None, False),
        ("F", "unchanged", 0, 0, True), ("E", "unchanged", 0, 0, False), ("A", "repeated", None, None, False)]
    assert second["counts"] == {"new": 1, "omitted": 1, "reinstated": 0, "cut_change": 1, "rescan": 1,
                                "unchanged": 3, "repeated": 1, "reordered": 1}
    third = caller.get(f"/api/v1/plates/{v3}/changes").json()
    assert ("D", "reinstated", None, None, False) in rows(third)
    assert ("A", "omitted", None, None, False) in rows(third)  # v2's second use of A
    chosen = caller.get(f"/api/v1/plates/{v3}/changes?against={v1}").json()
    assert ("D", "unchanged", 0, 0, False) in rows(chosen) and chosen["against_version"] == 1


def test_the_report_as_csv(caller: Caller, db: Session) -> None:
    split_version(caller, db, "ep102_v01.mov", V1)
    v2 = split_version(caller, db, "ep102_v02.mov", V2)
    response = caller.get(f"/api/v1/plates/{v2}/changes.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="changes_ep102_v2.csv"' in response.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["name"], r["category"], r["head_delta"], r["tail_delta"]) for r in table[:3]] == [
        ("A", "unchanged", "0", "0"), ("B", "cut_change", "-3", "0"), ("C", "rescan", "0", "12")]


def test_a_first_version_is_all_new(caller: Caller, db: Session) -> None:
    only = split_version(caller, db, "ep103_v01.mov", V1)
    report = caller.get(f"/api/v1/plates/{only}/changes").json()
    assert report["against_plate_id"] is None and {r["category"] for r in report["items"]} == {"new"}


def test_bad_comparisons_are_refused_clearly(caller: Caller, db: Session) -> None:
    done = split_version(caller, db, "ep104_v01.mov", V1)
    waiting = split_version(caller, db, "ep104_v02.mov", None)
    elsewhere = split_version(caller, db, "ep104_v01.mov", V1, project="other")
    not_yet = caller.get(f"/api/v1/plates/{waiting}/changes")
    assert not_yet.status_code == 409 and not_yet.json()["code"] == "not_succeeded"
    assert not_yet.json()["state"] == "awaiting_upload"
    against_waiting = caller.get(f"/api/v1/plates/{done}/changes?against={waiting}")
    assert against_waiting.status_code == 409 and against_waiting.json()["plate_id"] == waiting
    other_project = caller.get(f"/api/v1/plates/{done}/changes?against={elsewhere}")
    assert other_project.status_code == 404 and other_project.json()["code"] == "plate_not_found"
    unknown = caller.get(f"/api/v1/plates/{done}/changes?against={uuid.uuid4()}")
    assert unknown.status_code == 404
    assert caller.get(f"/api/v1/plates/{done}/changes?against=nope").status_code == 422


def test_handles_from_the_cut_fields_decide_a_rescan(caller: Caller, db: Session) -> None:
    split_version(caller, db, "ep105_v01.mov", V1)
    within = [*V1[:4], ("E", 5000, 56), ("F", 5992, 56)]  # E 8 more at the tail, F 8 more at the head
    beyond = [*V1[:4], ("E", 5000, 57), ("F", 5991, 57)]
    v2 = split_version(caller, db, "ep105_v02.mov", within)
    v3 = split_version(caller, db, "ep105_v03.mov", beyond)
    assert rows(caller.get(f"/api/v1/plates/{v2}/changes").json())[4:] == [
        ("E", "cut_change", 0, 8, False), ("F", "cut_change", 8, 0, False)]
    assert rows(caller.get(f"/api/v1/plates/{v3}/changes?against={v2}").json())[4:] == [
        ("E", "cut_change", 0, 1, False), ("F", "cut_change", 1, 0, False)]
    unversioned = split_version(caller, db, "ep105_original.mov", V1)  # any plate of the project
    first = caller.get(f"/api/v1/plates/{v3}/changes?against={unversioned}")
    assert rows(first.json())[4:] == [("E", "rescan", 0, 9, False), ("F", "rescan", 9, 0, False)]


SHOT_COLOURS = {"A": (200, 40, 40), "B": (40, 200, 40), "C": (40, 40, 200), "D": (200, 200, 40),
                "E": (40, 200, 200), "F": (200, 40, 200), "G": (240, 240, 240)}


def store_thumbnails(app: FastAPI, db: Session, plate_id: str) -> None:
    """What the job uploads: a thumbnail per cut, here a flat picture of its shot's colour."""
    for cut in db.scalars(select(CutRow).where(CutRow.plate_id == uuid.UUID(plate_id))):
        out = io.BytesIO()
        Image.new("RGB", (320, 180), SHOT_COLOURS[cut.name]).save(out, "JPEG", quality=95)
        assert cut.thumbnail_key is not None
        app.state.storage.put_bytes(cut.thumbnail_key, out.getvalue(), "image/jpeg")


def tile_colour(sheet: Image.Image, row: int, column: int) -> tuple[int, int, int]:
    band = TILE[1] + TEXT_HEIGHT + PAD
    x = PAD + column * (TILE[0] + PAD) + TILE[0] // 2
    y = TEXT_HEIGHT + PAD + row * band + TILE[1] // 2
    r, g, b = sheet.getpixel((x, y))[:3]
    return r, g, b


def near(found: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(found, expected, strict=True))  # JPEG


def test_the_changed_shots_as_a_picture(caller: Caller, db: Session, app: FastAPI) -> None:
    v1 = split_version(caller, db, "ep106_v01.mov", V1)
    v2 = split_version(caller, db, "ep106_v02.mov", V2)
    for plate_id in (v1, v2):
        store_thumbnails(app, db, plate_id)
    response = caller.get(f"/api/v1/plates/{v2}/changes.png")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    sheet = Image.open(io.BytesIO(response.content))
    # changed shots in order: B cut change, C rescan, D omitted, G new, F moved, A repeated
    assert sheet.height == TEXT_HEIGHT + PAD + 6 * (TILE[1] + TEXT_HEIGHT + PAD) + TEXT_HEIGHT
    assert near(tile_colour(sheet, 0, 0), SHOT_COLOURS["B"])
    assert near(tile_colour(sheet, 0, 1), SHOT_COLOURS["B"])
    assert near(tile_colour(sheet, 2, 0), SHOT_COLOURS["D"]) and tile_colour(sheet, 2, 1) == EMPTY
    assert tile_colour(sheet, 3, 0) == EMPTY and near(tile_colour(sheet, 3, 1), SHOT_COLOURS["G"])
    assert tile_colour(sheet, 5, 0) == EMPTY and near(tile_colour(sheet, 5, 1), SHOT_COLOURS["A"])
