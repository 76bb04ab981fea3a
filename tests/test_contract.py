"""The package boundaries the design fixes: the contract modules (the manifest, the cut list) are
light, jobs never imports api; and the manifest's schemas: 2 is written, 1 is still read."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from jobs.manifest import (
    SCHEMA_VERSION,
    Cut,
    DetectorSettings,
    Manifest,
    Outputs,
    PlateInfo,
    Rational,
    ReviewOutputs,
    Software,
    SplitSettings,
    load_manifest,
    picture_distance,
)

ROOT = Path(__file__).resolve().parents[1]
MANIFESTS = Path(__file__).resolve().parent / "manifests"
V1 = MANIFESTS / "v1_A001C003.json"  # written by the schema 1 job: 2 cuts of 12 and 14 frames
V2_SCAN = MANIFESTS / "v2_A001C004_scan.json"  # schema 2, a scan: 28 and 30 frames, 8/8 handles


@pytest.mark.parametrize("module", ["jobs.manifest", "jobs.cut_list"])
def test_contract_modules_import_nothing_heavy(module: str) -> None:
    code = (f"import sys, {module}; heavy = {{'numpy', 'ffmpeg', 'PIL', 'opentimelineio', "
            "'api', 'jobs.segments', 'jobs.pipeline'} & set(sys.modules); print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_jobs_never_imports_api() -> None:
    offenders = []
    for path in (ROOT / "jobs").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n == "api" or n.startswith("api.")]
    assert offenders == []


def _manifest(**cut_changes: object) -> Manifest:
    plate = PlateInfo(source="p.mov", kind="movie", container="mov", codec="prores", width=1920,
                      height=1080, pixel_aspect="1:1", pix_fmt="yuv422p10le", bit_depth=10,
                      frame_rate=Rational(num=24000, den=1001), frame_count=48,
                      frame_count_counted=False, duration="1001/500", intra_only=True)
    cut = {"index": 1, "name": "p_001", "first_frame": 0, "last_frame": 47, "frame_count": 48,
           "head_in": 1001, "head_out": 1048, "start_time": "0", "duration": "1001/500",
           "record_tc_in": "01:00:00:00", "record_tc_out": "01:00:02:00", "boundary_in": "start",
           "confidence": 1.0, **cut_changes}
    return Manifest(plate_name="p", created_at=datetime(2026, 1, 1, tzinfo=UTC), plate=plate,
                    cuts=[Cut.model_validate(cut)], transitions=[], detector=DetectorSettings(),
                    split=SplitSettings(enabled=False, codec="none", head_in=1001, copied=False),
                    outputs=Outputs(), software=Software(version="0", ffmpeg="5"), timings={})


def test_manifest_round_trips_through_json() -> None:
    m = _manifest()
    assert Manifest.from_json(m.to_json()) == m
    assert '"schema_version": 2' in m.to_json() and SCHEMA_VERSION == 2  # was 1


def _review(frames: int = 48, sheets: tuple[int, ...] = (40, 8)) -> dict[str, object]:
    hashed = {"sha256": "a" * 64, "size_bytes": 10}
    starts = [sum(sheets[:i]) for i in range(len(sheets))]
    return {
        "proxy": {"path": "review/proxy.mp4", "frames": frames, "width": 640, "height": 360,
                  "frame_rate": {"num": 24000, "den": 1001}, **hashed},
        "strips": [{"path": f"review/strip-{i + 1:04d}.jpg", "first_frame": first, "frames": n,
                    "columns": 8, "rows": 5, "tile_width": 96, "tile_height": 54, **hashed}
                   for i, (first, n) in enumerate(zip(starts, sheets, strict=True))],
        "scores": {"path": "review/scores.json", "frames": frames, "threshold": 0.5, **hashed},
    }


def test_a_manifest_with_review_files_round_trips_and_one_without_still_reads() -> None:
    m = _manifest().model_copy(update={"review": ReviewOutputs.model_validate(_review())})
    data = json.loads(m.to_json())
    assert data["review"]["proxy"]["frame_rate"] == {"num": 24000, "den": 1001}
    assert [s["first_frame"] for s in data["review"]["strips"]] == [0, 40]
    assert Manifest.from_json(m.to_json()) == m
    without = json.loads(_manifest().to_json())
    assert without["review"] is None
    del without["review"]  # as the jobs before it wrote them
    assert Manifest.model_validate(without) == _manifest()
    for old in (V1, V2_SCAN):
        assert load_manifest(old.read_text()).review is None


@pytest.mark.parametrize(("change", "words"), [
    ({"sheets": (40, 7)}, "do not cover the same frames"),  # a frame missing from the strip
    ({"sheets": (40, 9)}, "do not cover the same frames"),
    ({"frames": 0, "sheets": (1,)}, "greater than 0"),
])
def test_review_files_that_do_not_cover_the_plate_once_are_refused(change: dict[str, Any],
                                                                    words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        ReviewOutputs.model_validate(_review(**change))


# --- schema 1 is still read, as schema 2 --------------------------------------------------------


def test_a_schema_1_manifest_reads_as_schema_2_without_handles() -> None:
    text = V1.read_text()
    assert json.loads(text)["schema_version"] == 1
    m = Manifest.model_validate_json(text)  # what the API calls
    assert m == load_manifest(text.encode()) == Manifest.from_json(text)
    assert m.schema_version == 2
    assert (m.split.plate_kind, m.split.head_handles, m.split.tail_handles) == ("reference", 0, 0)
    # schema 1 numbered each cut's file head_in..head_out (1001..): those are the cut
    first, second = m.cuts
    assert first.cut_fields.as_dict() == {
        "cut_order": 1, "head_in": 1001, "cut_in": 1001, "cut_out": 1012, "tail_out": 1012,
        "head_handles": 0, "tail_handles": 0, "cut_duration": 12, "working_duration": 12,
        "media_in": 1001, "media_out": 1012}
    assert (second.cut_order, second.cut_in, second.cut_out, second.cut_duration) == (2, 1001, 1014, 14)
    assert [(c.head_in, c.head_out) for c in m.cuts] == [(1001, 1012), (1001, 1014)]  # v1 names
    assert [(c.cut_first_frame, c.cut_last_frame) for c in m.cuts] == [(0, 11), (12, 25)]
    assert [c.picture_hash for c in m.cuts] == [None, None]
    assert m.split.cut_list_version is None  # detected, not written from a cut list
    # everything else as it was
    assert [(c.first_frame, c.last_frame, c.frame_count) for c in m.cuts] == [(0, 11, 12), (12, 25, 14)]
    assert m.outputs.edl is not None and m.outputs.edl.path == "A001C003.edl"


def test_an_upgraded_manifest_is_written_as_schema_2_and_reads_back_the_same() -> None:
    upgraded = load_manifest(V1.read_text())
    data = json.loads(upgraded.to_json())
    assert data["schema_version"] == 2 and "head_out" not in data["cuts"][0]
    assert data["cuts"][0]["media_out"] == 1012
    assert load_manifest(upgraded.to_json()) == upgraded


def test_a_schema_2_scan_manifest() -> None:
    m = load_manifest(V2_SCAN.read_bytes())
    assert (m.split.plate_kind, m.split.head_in, m.split.head_handles, m.split.tail_handles) == (
        "scan", 1001, 8, 8)
    # each segment holds 8 + cut + 8 frames, numbered from head_in
    assert [(c.first_frame, c.last_frame, c.frame_count) for c in m.cuts] == [(0, 27, 28), (28, 57, 30)]
    assert [(c.head_in, c.cut_in, c.cut_out, c.tail_out) for c in m.cuts] == [
        (1001, 1009, 1020, 1028), (1001, 1009, 1022, 1030)]
    assert [(c.cut_duration, c.working_duration) for c in m.cuts] == [(12, 28), (14, 30)]
    assert [(c.media_in, c.media_out) for c in m.cuts] == [(1001, 1028), (1001, 1030)]
    assert [(c.cut_first_frame, c.cut_last_frame) for c in m.cuts] == [(8, 19), (36, 49)]
    assert [c.plate_frame(1001) for c in m.cuts] == [0, 28]
    assert all(c.picture_hash and len(c.picture_hash) == 16 for c in m.cuts)
    assert m.split.cut_list_version is None
    assert load_manifest(m.to_json()) == m


def test_a_cut_built_the_schema_1_way_is_a_cut_without_handles() -> None:
    # code written against schema 1 (the API's tests build cuts so) keeps working
    cut = _manifest().cuts[0]
    assert (cut.head_in, cut.cut_in, cut.cut_out, cut.tail_out) == (1001, 1001, 1048, 1048)
    assert cut.head_out == cut.media_out == 1048
    assert (cut.head_handles, cut.tail_handles, cut.cut_order) == (0, 0, 1)


def _v2_cut(**changes: object) -> dict[str, object]:
    cut: dict[str, object] = json.loads(V2_SCAN.read_text())["cuts"][0]
    cut.update(changes)
    return cut


@pytest.mark.parametrize(("changes", "words"), [
    ({"cut_in": 1010}, "cut_in != head_in + head_handles"),
    ({"tail_out": 1030}, "tail_out != cut_out + tail_handles"),
    ({"working_duration": 12}, "working_duration"),
    ({"media_in": 1009, "media_out": 1036}, "must be numbered"),
    ({"frame_count": 27}, "media_out - media_in + 1 != frame_count"),
    ({"head_out": 1028}, "head_out"),  # schema 1's name is not written in schema 2
    ({"picture_hash": "E7672FA7"}, "picture_hash"),
])
def test_cut_fields_that_do_not_add_up_are_refused(changes: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(words)):
        Cut.model_validate(_v2_cut(**changes))


def test_media_numbered_against_the_plate_kind_is_refused() -> None:
    data = json.loads(V2_SCAN.read_text())
    data["split"]["plate_kind"] = "reference"  # a reference plate's media starts at cut_in
    with pytest.raises(ValidationError, match=r"cuts \[1, 2\]: a reference plate's media"):
        Manifest.model_validate(data)


@pytest.mark.parametrize("version", [0, 3, "2"])
def test_other_schema_versions_are_refused(version: object) -> None:
    data = json.loads(V2_SCAN.read_text())
    data["schema_version"] = version
    with pytest.raises(ValidationError):
        Manifest.model_validate_json(json.dumps(data))


def test_picture_distance_counts_the_bits_that_differ() -> None:
    assert picture_distance("e7672fa7e7e7e6e7", "e7672fa7e7e7e6e7") == 0
    assert picture_distance("0000000000000000", "ffffffffffffffff") == 64
    assert picture_distance("0000000000000001", "8000000000000000") == 2


@pytest.mark.parametrize("change", [{"boundary_in": "wipe"}, {"frame_count": 0},
                                    {"confidence": 1.5}, {"surprise": True}])
def test_manifest_rejects_what_the_contract_does_not_allow(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _manifest(**change)


def test_a_manifest_written_from_a_cut_list_says_which_version() -> None:
    data = json.loads(V2_SCAN.read_text())
    data["split"]["cut_list_version"] = 4
    data["cuts"][1].update(detected_by="editor", name_from="cut_list")
    m = load_manifest(json.dumps(data))
    assert m.split.cut_list_version == 4
    assert (m.cuts[1].detected_by, m.cuts[1].name_from) == ("editor", "cut_list")
    assert load_manifest(m.to_json()) == m
    data["split"]["cut_list_version"] = 0
    with pytest.raises(ValidationError, match="cut_list_version"):
        load_manifest(json.dumps(data))
