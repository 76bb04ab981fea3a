"""Cuts: ingesting a manifest (built from the schema), listing them, download URLs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.cuts.ingest import ManifestError, ingest_manifest
from api.cuts.models import Cut, OutputKind, PlateOutput
from api.plates.models import Plate
from jobs.manifest import (
    Cut as ManifestCut,
)
from jobs.manifest import (
    DetectorSettings,
    Manifest,
    OutputFile,
    Outputs,
    PlateInfo,
    Rational,
    ReviewOutputs,
    ReviewProxy,
    ReviewScores,
    Software,
    SplitSettings,
    StripSheet,
    Transition,
)
from tests.api.conftest import Caller


def output(path: str, frames: int | None = None) -> OutputFile:
    return OutputFile(path=path, sha256="0" * 64, size_bytes=1234, frames=frames)


def manifest(cut_count: int = 3, media: bool = True) -> Manifest:
    cuts = []
    for i in range(cut_count):
        first = i * 24
        transition = (Transition(kind="dissolve", first_frame=first - 4, last_frame=first + 3,
                                 edit_frame=first, confidence=0.8) if i == 2 else None)
        cuts.append(ManifestCut(
            index=i + 1, name=f"SH{(i + 1) * 10:03d}", first_frame=first, last_frame=first + 23,
            frame_count=24, head_in=1001, head_out=1024, start_time=f"{first}/24", duration="1/1",
            source_tc_in="01:00:00:00" if i else None, source_tc_out="01:00:01:00" if i else None,
            record_tc_in=f"01:00:0{i}:00", record_tc_out=f"01:00:0{i + 1}:00",
            boundary_in="start" if i == 0 else ("dissolve" if transition else "cut"),
            transition_in=transition,
            confidence=1.0 if i == 0 else 0.9, is_black=i == 1, detected_by="both" if i else "picture",
            name_from="burnin" if i else "template", source_tc_from="burnin" if i else "plate",
            media=output(f"cuts/SH{(i + 1) * 10:03d}.mov", 24) if media else None,
            thumbnail=output(f"thumbnails/SH{(i + 1) * 10:03d}.jpg") if media else None))
    info = PlateInfo(source="plate.mov", kind="movie", container="mov", codec="prores", width=1920,
                     height=1080, pixel_aspect="1:1", pix_fmt="yuv422p10le", bit_depth=10,
                     frame_rate=Rational(num=24, den=1), frame_count=24 * cut_count,
                     frame_count_counted=False, duration=f"{cut_count}/1", intra_only=True)
    split = SplitSettings(enabled=True, codec="prores", head_in=1001, copied=True)
    return Manifest(plate_name="plate", created_at=datetime.now(UTC), plate=info, cuts=cuts, transitions=[],
                    detector=DetectorSettings(), split=split,
                    outputs=Outputs(contact_sheet=output("contact_sheet.png"), edl=output("plate.edl"),
                                    otio=output("plate.otio")),
                    software=Software(version="0.1.0", ffmpeg="7.1"), timings={"detect": 1.0})


@pytest.fixture
def ingested(caller: Caller, db: Session) -> tuple[dict[str, Any], Plate]:
    data = caller.uploaded_plate(b"m" * 100)
    plate = db.get(Plate, uuid.UUID(data["id"]))
    assert plate is not None
    ingest_manifest(db, plate, manifest())
    db.commit()
    return data, plate


def test_ingest_manifest_rows(ingested: tuple[dict[str, Any], Plate], db: Session) -> None:
    _, plate = ingested
    rows = db.scalars(select(Cut).where(Cut.plate_id == plate.id).order_by(Cut.index)).all()
    assert [(r.index, r.name, r.first_frame, r.last_frame, r.frame_count) for r in rows] == [
        (1, "SH010", 0, 23, 24), (2, "SH020", 24, 47, 24), (3, "SH030", 48, 71, 24)]
    first, second, third = rows
    assert (first.source_tc_in, first.record_tc_in, first.record_tc_out) == (
        None, "01:00:00:00", "01:00:01:00")
    assert (second.detected_by, second.name_from, second.source_tc_from, second.is_black) == (
        "both", "burnin", "burnin", True)
    assert (third.boundary_in, third.transition_kind, third.transition_first_frame,
            third.transition_edit_frame, third.transition_confidence) == ("dissolve", "dissolve", 44, 48, 0.8)
    assert first.transition_kind is None and first.head_in == 1001 and first.start_time == "0/24"
    assert first.media_key == plate.output_prefix + "cuts/SH010.mov" and first.media_frames == 24
    assert first.thumbnail_key == plate.output_prefix + "thumbnails/SH010.jpg"
    outputs = {o.kind: o.key for o in db.scalars(select(PlateOutput).where(PlateOutput.plate_id == plate.id))}
    assert outputs == {OutputKind.MANIFEST: plate.output_prefix + "manifest.json",
                       OutputKind.CONTACT_SHEET: plate.output_prefix + "contact_sheet.png",
                       OutputKind.EDL: plate.output_prefix + "plate.edl",
                       OutputKind.OTIO: plate.output_prefix + "plate.otio"}


def test_ingest_replaces_the_cuts(ingested: tuple[dict[str, Any], Plate], db: Session) -> None:
    _, plate = ingested
    ingest_manifest(db, plate, manifest(cut_count=1, media=False))
    db.commit()
    rows = db.scalars(select(Cut).where(Cut.plate_id == plate.id)).all()
    assert [(r.index, r.media_key) for r in rows] == [(1, None)]


@pytest.mark.parametrize("path", ["../x.mov", "/abs.mov", "cuts/../../x.mov", "a\\b.mov", ""])
def test_ingest_refuses_unsafe_paths(ingested: tuple[dict[str, Any], Plate], db: Session, path: str) -> None:
    _, plate = ingested
    bad = manifest()
    bad_cut = bad.cuts[0].model_copy(update={"media": output(path)})
    with pytest.raises(ManifestError):
        ingest_manifest(db, plate, bad.model_copy(update={"cuts": [bad_cut]}))
    db.rollback()
    assert len(db.scalars(select(Cut).where(Cut.plate_id == plate.id)).all()) == 3


def test_list_cuts(ingested: tuple[dict[str, Any], Plate], caller: Caller) -> None:
    data, _ = ingested
    response = caller.get(f"/api/v1/plates/{data['id']}/cuts")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [c["name"] for c in items] == ["SH010", "SH020", "SH030"]
    assert items[2]["transition_in"] == {"kind": "dissolve", "first_frame": 44, "last_frame": 51,
                                         "edit_frame": 48, "confidence": 0.8}
    assert items[0]["media"] == {"sha256": "0" * 64, "size": 1234, "frames": 24}
    empty = caller.uploaded_plate(b"e" * 10)
    assert caller.get(f"/api/v1/plates/{empty['id']}/cuts").json() == {"items": []}


def test_download_urls(ingested: tuple[dict[str, Any], Plate], caller: Caller, client: TestClient) -> None:
    data, plate = ingested
    objects = client.app.state.settings.storage_dir() / "objects"  # type: ignore[attr-defined]
    media = objects / plate.output_prefix / "cuts" / "SH010.mov"
    media.parent.mkdir(parents=True)
    media.write_bytes(b"cut one")
    base = f"/api/v1/plates/{data['id']}"
    redirect = caller.get(f"{base}/cuts/1/media", follow_redirects=False)
    assert redirect.status_code == 302 and redirect.headers["location"].startswith("http://testserver/")
    assert client.get(redirect.headers["location"]).content == b"cut one"
    body = caller.get(f"{base}/cuts/1/media", params={"redirect": "false"}).json()
    assert body["filename"] == "SH010.mov" and body["expires_in"] == 3600
    assert client.get(body["url"]).content == b"cut one"
    for path in ("cuts/2/thumbnail", "contact-sheet", "manifest", "edl", "otio"):
        response = caller.get(f"{base}/{path}", params={"redirect": "false"})
        assert response.status_code == 200, (path, response.text)
        assert "/api/v1/storage/objects/sites/" in response.json()["url"]
    for path, code in (("cuts/4/media", "cut_not_found"), ("csv", "output_not_found")):
        response = caller.get(f"{base}/{path}")
        assert response.status_code == 404 and response.json()["code"] == code
    assert caller.get(f"{base}/cuts/0/media").status_code == 422
    assert caller.get(f"{base}/cuts/1/sound").status_code == 422


def review(frames: int = 72) -> ReviewOutputs:
    """A review section: the proxy, the scores and two strip sheets (40 + 32 tiles)."""
    hashed = {"sha256": "1" * 64, "size_bytes": 99}
    sheet = {"columns": 8, "rows": 5, "tile_width": 96, "tile_height": 54, **hashed}
    return ReviewOutputs(
        proxy=ReviewProxy(path="review/proxy.mp4", frames=frames, width=640, height=360,
                          frame_rate=Rational(num=24, den=1), **hashed),
        strips=[StripSheet(path="review/strip-0001.jpg", first_frame=0, frames=40, **sheet),
                StripSheet(path="review/strip-0002.jpg", first_frame=40, frames=frames - 40, **sheet)],
        scores=ReviewScores(path="review/scores.json", frames=frames, **hashed))


def test_review_files_become_outputs_with_their_kinds(caller: Caller, db: Session,
                                                      client: TestClient) -> None:
    data = caller.uploaded_plate(b"r" * 100)
    plate = db.get(Plate, uuid.UUID(data["id"]))
    assert plate is not None
    ingest_manifest(db, plate, manifest().model_copy(update={"review": review()}))
    db.commit()
    rows = db.scalars(select(PlateOutput).where(PlateOutput.plate_id == plate.id,
                                                PlateOutput.kind.in_([OutputKind.PROXY, OutputKind.SCORES,
                                                                      OutputKind.STRIP])))
    prefix = plate.output_prefix
    assert sorted((r.kind.value, r.part, r.key, r.sha256, r.size_bytes) for r in rows) == [
        ("proxy", 0, prefix + "review/proxy.mp4", "1" * 64, 99),
        ("scores", 0, prefix + "review/scores.json", "1" * 64, 99),
        ("strip", 1, prefix + "review/strip-0001.jpg", "1" * 64, 99),
        ("strip", 2, prefix + "review/strip-0002.jpg", "1" * 64, 99)]
    objects = client.app.state.settings.storage_dir() / "objects"  # type: ignore[attr-defined]
    base = f"/api/v1/plates/{data['id']}"
    for path, name in (("review/proxy", "proxy.mp4"), ("review/scores", "scores.json"),
                       ("review/strips/1", "strip-0001.jpg"), ("review/strips/2", "strip-0002.jpg")):
        stored = objects / prefix / "review" / name
        stored.parent.mkdir(parents=True, exist_ok=True)
        stored.write_bytes(name.encode())
        body = caller.get(f"{base}/{path}", params={"redirect": "false"}).json()
        assert body["filename"] == name and client.get(body["url"]).content == name.encode()
    missing = caller.get(f"{base}/review/strips/3")
    assert missing.status_code == 404 and missing.json()["code"] == "output_not_found"
    assert caller.get(f"{base}/review/strips/0").status_code == 422


def test_a_plate_split_without_review_has_no_review_files(ingested: tuple[dict[str, Any], Plate],
                                                          caller: Caller) -> None:
    data, _ = ingested
    for path in ("review/proxy", "review/scores", "review/strips/1"):
        response = caller.get(f"/api/v1/plates/{data['id']}/{path}")
        assert response.status_code == 404 and response.json()["code"] == "output_not_found"
