"""Publishing a plate's cuts to Flow Production Tracking (ShotGrid) through ``ShotGridTracker``, against
shotgun_api3's Mockgun (an in-memory site with the schema of tests/api/shotgrid_schema.py), read back with
``find``: every Shot, Cut and CutItem field of a first publish; publishing it again writes nothing; a
next version (changed frames, a shot removed, one added, a picture changed) updates, creates, omits
and uploads only what changed; a picture storage lost is left out until it is back; an omitted shot
coming back is reinstated; a republish of the same Cut deletes only that Cut's extra CutItems; 1,500
shots publish in 24 calls and republish in 6; refused credentials, a site down, a site failing or
refusing a request, and missing custom fields are errors that never show the key.

What Mockgun cannot prove, so these tests do not either:

- that a real site has these fields (the schema here is built from Import Cut's and sg-otio's sources,
  not read from a site; ``sg_platecut_reel`` and ``sg_platecut_thumbnail_sha256`` exist only where an
  administrator created them), nor their data types there;
- permissions: whether the script may create Projects, Sequences, Shots, Cuts and CutItems, or set a
  status (Mockgun has no users, no permission rules, no authentication at all);
- server-side validation: Mockgun does not check a status code against the field's valid values
  (it accepts "omt" or "ip" on any site), nor mandatory fields, nor link types of single links;
- thumbnails: Mockgun's ``upload_thumbnail`` does nothing (``RecordingSite`` records the bytes each
  call was given); whether the site accepts the JPEG, transcodes it and shows it is not tested;
- batch semantics: a real ``batch`` is one transaction (all or nothing) with a size and time limit;
  Mockgun applies requests one by one;
- rate limits, paging (a real ``find`` reads 500 records a request: 1,500 Shots are 3 HTTP requests
  in one counted call), timeouts, retries, the first request's ``info`` call, and event log entries
  (Mockgun writes none).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import socket
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xmlrpc.client import ProtocolError

import pytest
import shotgun_api3
from PIL import Image
from shotgun_api3.lib import mockgun

from api.integrations.trackers.base import (
    PublishedShot,
    PublishRequest,
    TrackerRefused,
    TrackerUnavailable,
)
from api.integrations.trackers.shotgrid import ShotGridTracker
from tests.api.shotgrid_schema import write_schema

URL = "https://studio.shotgrid.example"
SCRIPT = "platecut"
KEY = "0123456789abcdef-secret-application-key"
PROJECT = "Feature One"
REEL = "ep1_r1"
FPS = 24
COLORS = {"red": (200, 30, 30), "green": (30, 200, 30), "blue": (30, 30, 200), "grey": (90, 90, 90),
          "teal": (30, 160, 160), "violet": (140, 40, 200)}
SHOT_FIELDS = ["code", "project", "sg_sequence", "sg_status_list", "sg_head_in", "sg_cut_in", "sg_cut_out",
               "sg_tail_out", "sg_cut_duration", "sg_working_duration", "sg_cut_order", "sg_platecut_reel",
               "sg_platecut_thumbnail_sha256"]
CUT_FIELDS = ["code", "project", "entity", "revision_number", "fps", "timecode_start_text",
              "timecode_end_text", "duration", "description"]
CUT_ITEM_FIELDS = ["code", "project", "cut", "shot", "cut_order", "cut_item_in", "cut_item_out",
                   "cut_item_duration", "edit_in", "edit_out", "timecode_cut_item_in_text",
                   "timecode_cut_item_out_text", "timecode_edit_in_text", "timecode_edit_out_text"]
# (name, cut duration, picture, source timecode in as frames at 24 fps)
V1 = [("SH010_0010", 48, "red", 41 * FPS + 16), ("SH010_0020", 30, "green", 600 * FPS),
      ("SH020_0010", 24, "blue", 1200 * FPS), ("SH020_0020", 36, "grey", 1800 * FPS)]
# SH010_0010 trimmed, SH010_0020 a new picture, SH020_0010 the same, SH020_0020 out, SH030_0010 new
V2 = [("SH010_0010", 40, "red", 41 * FPS + 16), ("SH010_0020", 30, "teal", 600 * FPS),
      ("SH020_0010", 24, "blue", 1200 * FPS), ("SH030_0010", 24, "violet", 2400 * FPS)]


class RecordingSite(mockgun.Shotgun):
    """Mockgun, recording the calls made on it (a batch is one call, whatever it does inside) and the
    pictures given to ``upload_thumbnail`` (a no-op in Mockgun: what a real site does with them is not
    proven here)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.calls: Counter[str] = Counter()
        self.uploads: list[tuple[str, int, bytes]] = []
        self._depth = 0
        super().__init__(*args, **kwargs)
        self.calls.clear()  # Mockgun's own first event log entry

    def _counted(self, name: str, call: Callable[[], Any]) -> Any:
        if self._depth == 0:
            self.calls[name] += 1
        self._depth += 1
        try:
            return call()
        finally:
            self._depth -= 1

    def find(self, *args: Any, **kwargs: Any) -> Any:
        return self._counted("find", lambda: super(RecordingSite, self).find(*args, **kwargs))

    def find_one(self, *args: Any, **kwargs: Any) -> Any:
        return self._counted("find_one", lambda: super(RecordingSite, self).find_one(*args, **kwargs))

    def create(self, *args: Any, **kwargs: Any) -> Any:
        return self._counted("create", lambda: super(RecordingSite, self).create(*args, **kwargs))

    def update(self, *args: Any, **kwargs: Any) -> Any:
        return self._counted("update", lambda: super(RecordingSite, self).update(*args, **kwargs))

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        return self._counted("delete", lambda: super(RecordingSite, self).delete(*args, **kwargs))

    def batch(self, requests: list[dict[str, Any]]) -> Any:
        self.calls["batch requests"] += len(requests) if self._depth == 0 else 0
        return self._counted("batch", lambda: super(RecordingSite, self).batch(requests))

    def schema_field_read(self, *args: Any, **kwargs: Any) -> Any:
        return self._counted("schema_field_read",
                             lambda: super(RecordingSite, self).schema_field_read(*args, **kwargs))

    def upload_thumbnail(self, entity_type: str, entity_id: int, path: str, **kwargs: Any) -> int:
        self.calls["upload_thumbnail"] += 1
        self.uploads.append((entity_type, entity_id, Path(path).read_bytes()))
        return len(self.uploads)

    def writes(self) -> int:
        return sum(self.calls[name] for name in ("create", "update", "delete", "batch", "upload_thumbnail"))


@pytest.fixture(scope="module")
def schema_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("shotgrid_schema")


@pytest.fixture
def site(schema_folder: Path) -> Iterator[RecordingSite]:
    write_schema(schema_folder / "platecut")
    yield RecordingSite(URL, script_name=SCRIPT, api_key=KEY)


def tracker_for(site: Any) -> ShotGridTracker:
    return ShotGridTracker(URL, SCRIPT, KEY, connect=lambda: site)


def jpeg(color: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 18), COLORS[color]).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def tc(frame: int) -> str:
    seconds, frames = divmod(frame, FPS)
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{frames:02d}"


def cuts(spec: list[tuple[str, int, str, int]]) -> list[PublishedShot]:
    """The reel's cuts, back to back from record 01:00:00:00, each from frame 1009 with 8 handles."""
    shots, record, edit = [], 3600 * FPS, 1
    for order, (name, frames, color, source) in enumerate(spec, start=1):
        picture = jpeg(color)
        shots.append(PublishedShot(
            sequence=name[:5], name=name, frame_in=1009, frame_out=1009 + frames - 1, nb_frames=frames,
            data={"reel": REEL}, cut_order=order, head_in=1001, tail_out=1009 + frames - 1 + 8,
            edit_in=edit, edit_out=edit + frames - 1,
            source_tc_in=tc(source), source_tc_out=tc(source + frames),
            record_tc_in=tc(record), record_tc_out=tc(record + frames),
            thumbnail_sha256=hashlib.sha256(picture).hexdigest(), thumbnail=lambda picture=picture: picture))
        record, edit = record + frames, edit + frames
    return shots


def request(version: int | None, spec: list[tuple[str, int, str, int]], cut_version: int | None = None,
            shots: list[PublishedShot] | None = None) -> PublishRequest:
    return PublishRequest(project=PROJECT, reel=REEL, version=version, plate_id="pl_7f3a",
                          plate_name=f"{REEL}.mov", shots=cuts(spec) if shots is None else shots,
                          omitted_status="omt", cut_version=cut_version, fps="24/1")


def plain(value: Any) -> Any:
    """A link as (type, id), whatever else Mockgun added to it."""
    return (value["type"], value["id"]) if isinstance(value, dict) else value


def read(site: RecordingSite, entity: str, fields: list[str], filters: list[Any] | None = None,
         key: str = "code") -> dict[str, dict[str, Any]]:
    rows = site.find(entity, filters or [], [*fields, "id"])
    site.calls.clear()
    return {row[key]: {name: plain(value) for name, value in row.items() if name != "type"} for row in rows}


def sha(color: str) -> str:
    return hashlib.sha256(jpeg(color)).hexdigest()


def shot_row(ids: dict[str, int], sequences: dict[str, int], name: str, cut: tuple[int, int, int],
             order: int, status: str, color: str, project: int = 1) -> dict[str, Any]:
    """A Shot as a publish leaves it: ``cut`` is (cut in, cut out, cut duration)."""
    cut_in, cut_out, duration = cut
    return {"id": ids[name], "code": name, "project": ("Project", project),
            "sg_sequence": ("Sequence", sequences[name[:5]]), "sg_status_list": status,
            "sg_head_in": cut_in - 8, "sg_cut_in": cut_in, "sg_cut_out": cut_out, "sg_tail_out": cut_out + 8,
            "sg_cut_duration": duration, "sg_working_duration": duration + 16, "sg_cut_order": order,
            "sg_platecut_reel": REEL, "sg_platecut_thumbnail_sha256": sha(color)}


def test_a_first_publish_writes_every_field_import_cut_writes(site: RecordingSite) -> None:
    result = tracker_for(site).publish(request(1, V1))
    assert result.created == ["SH010_0010", "SH010_0020", "SH020_0010", "SH020_0020"]
    assert (result.updated, result.unchanged, result.omitted, result.thumbnails) == ([], [], [], 4)
    # schema, project (find + create), sequences (find + batch), shots (find + batch), cut (find + create),
    # 4 uploads, one batch of 4 CutItems and 4 thumbnail SHA-256 updates
    assert result.api_calls == 14 == sum(v for k, v in site.calls.items() if k != "batch requests")
    assert site.calls["batch requests"] == 2 + 4 + 8
    projects = read(site, "Project", ["name"], key="name")
    assert projects == {PROJECT: {"id": 1, "name": PROJECT}} and result.project_id == "1"
    sequences = {name: row["id"] for name, row in read(site, "Sequence", ["code", "project"]).items()}
    assert set(sequences) == {"SH010", "SH020"}
    shots = read(site, "Shot", SHOT_FIELDS)
    ids = {name: row["id"] for name, row in shots.items()}
    assert shots == {
        "SH010_0010": shot_row(ids, sequences, "SH010_0010", (1009, 1056, 48), 1, "wtg", "red"),
        "SH010_0020": shot_row(ids, sequences, "SH010_0020", (1009, 1038, 30), 2, "wtg", "green"),
        "SH020_0010": shot_row(ids, sequences, "SH020_0010", (1009, 1032, 24), 3, "wtg", "blue"),
        "SH020_0020": shot_row(ids, sequences, "SH020_0020", (1009, 1044, 36), 4, "wtg", "grey")}
    assert shots["SH010_0010"]["sg_working_duration"] == 64 and shots["SH010_0010"]["sg_head_in"] == 1001
    assert sorted(site.uploads) == sorted([("Shot", ids["SH010_0010"], jpeg("red")),
                                           ("Shot", ids["SH010_0020"], jpeg("green")),
                                           ("Shot", ids["SH020_0010"], jpeg("blue")),
                                           ("Shot", ids["SH020_0020"], jpeg("grey"))])
    (cut,) = read(site, "Cut", CUT_FIELDS).values()
    assert cut == {"id": cut["id"], "code": "ep1_r1_v001", "project": ("Project", 1),
                   "entity": ("Project", 1), "revision_number": 1, "fps": 24.0,
                   "timecode_start_text": "01:00:00:00", "timecode_end_text": "01:00:05:18", "duration": 138,
                   "description": "platecut plate pl_7f3a (ep1_r1.mov): reel ep1_r1, version 1, "
                                  "cut version 1"}
    items = read(site, "CutItem", CUT_ITEM_FIELDS)
    common = {"project": ("Project", 1), "cut": ("Cut", cut["id"]), "cut_item_in": 1009}
    assert items == {
        "SH010_0010": {**common, "id": items["SH010_0010"]["id"], "code": "SH010_0010",
                       "shot": ("Shot", ids["SH010_0010"]), "cut_order": 1, "cut_item_out": 1056,
                       "cut_item_duration": 48, "edit_in": 1, "edit_out": 48,
                       "timecode_cut_item_in_text": "00:00:41:16",
                       "timecode_cut_item_out_text": "00:00:43:16",
                       "timecode_edit_in_text": "01:00:00:00", "timecode_edit_out_text": "01:00:02:00"},
        "SH010_0020": {**common, "id": items["SH010_0020"]["id"], "code": "SH010_0020",
                       "shot": ("Shot", ids["SH010_0020"]), "cut_order": 2, "cut_item_out": 1038,
                       "cut_item_duration": 30, "edit_in": 49, "edit_out": 78,
                       "timecode_cut_item_in_text": "00:10:00:00",
                       "timecode_cut_item_out_text": "00:10:01:06",
                       "timecode_edit_in_text": "01:00:02:00", "timecode_edit_out_text": "01:00:03:06"},
        "SH020_0010": {**common, "id": items["SH020_0010"]["id"], "code": "SH020_0010",
                       "shot": ("Shot", ids["SH020_0010"]), "cut_order": 3, "cut_item_out": 1032,
                       "cut_item_duration": 24, "edit_in": 79, "edit_out": 102,
                       "timecode_cut_item_in_text": "00:20:00:00",
                       "timecode_cut_item_out_text": "00:20:01:00",
                       "timecode_edit_in_text": "01:00:03:06", "timecode_edit_out_text": "01:00:04:06"},
        "SH020_0020": {**common, "id": items["SH020_0020"]["id"], "code": "SH020_0020",
                       "shot": ("Shot", ids["SH020_0020"]), "cut_order": 4, "cut_item_out": 1044,
                       "cut_item_duration": 36, "edit_in": 103, "edit_out": 138,
                       "timecode_cut_item_in_text": "00:30:00:00",
                       "timecode_cut_item_out_text": "00:30:01:12",
                       "timecode_edit_in_text": "01:00:04:06", "timecode_edit_out_text": "01:00:05:18"}}


def test_publishing_the_same_version_again_writes_nothing(site: RecordingSite) -> None:
    tracker = tracker_for(site)
    tracker.publish(request(1, V1))
    before = {entity: read(site, entity, fields) for entity, fields in
              (("Shot", SHOT_FIELDS), ("Cut", CUT_FIELDS), ("CutItem", CUT_ITEM_FIELDS))}
    again = tracker.publish(request(1, V1))
    assert again.unchanged == ["SH010_0010", "SH010_0020", "SH020_0010", "SH020_0020"]
    assert (again.created, again.updated, again.omitted, again.thumbnails) == ([], [], [], 0)
    # the Shot schema, the project, its sequences, the shots, the cut, its cut items: reads only
    assert again.api_calls == 6
    assert site.calls == Counter({"schema_field_read": 1, "find_one": 2, "find": 3}) and site.writes() == 0
    assert {entity: read(site, entity, fields) for entity, fields in
            (("Shot", SHOT_FIELDS), ("Cut", CUT_FIELDS), ("CutItem", CUT_ITEM_FIELDS))} == before


def test_a_next_version_updates_creates_omits_and_uploads_changed_pictures(site: RecordingSite) -> None:
    tracker = tracker_for(site)
    tracker.publish(request(1, V1))
    first = read(site, "Shot", SHOT_FIELDS)
    (old_cut,) = read(site, "Cut", CUT_FIELDS).values()
    old_items = read(site, "CutItem", CUT_ITEM_FIELDS)
    site.uploads.clear()
    second = tracker.publish(request(2, V2))
    assert (second.created, second.omitted) == (["SH030_0010"], ["SH020_0020"])
    assert (second.updated, second.unchanged) == (["SH010_0010", "SH010_0020"], ["SH020_0010"])
    # schema, project, sequences (find + a batch creating SH030), shots (find + one batch: a create, an
    # update, an omission), a new cut (find + create), 2 uploads, one batch of 4 CutItems and 2 SHA-256
    assert second.api_calls == 11 and second.thumbnails == 2
    assert site.calls["batch requests"] == 1 + 3 + 6
    shots = read(site, "Shot", SHOT_FIELDS)
    ids = {name: row["id"] for name, row in shots.items()}
    sequences = {name: row["id"] for name, row in read(site, "Sequence", ["code"]).items()}
    assert shots == {
        "SH010_0010": shot_row(ids, sequences, "SH010_0010", (1009, 1048, 40), 1, "wtg", "red"),
        "SH010_0020": shot_row(ids, sequences, "SH010_0020", (1009, 1038, 30), 2, "wtg", "teal"),
        "SH020_0010": shot_row(ids, sequences, "SH020_0010", (1009, 1032, 24), 3, "wtg", "blue"),
        "SH020_0020": shot_row(ids, sequences, "SH020_0020", (1009, 1044, 36), 4, "omt", "grey"),
        "SH030_0010": shot_row(ids, sequences, "SH030_0010", (1009, 1032, 24), 4, "wtg", "violet")}
    assert {name: ids[name] for name in first} == {name: row["id"] for name, row in first.items()}
    assert site.uploads == [("Shot", ids["SH010_0020"], jpeg("teal")),
                            ("Shot", ids["SH030_0010"], jpeg("violet"))]
    cuts_now = read(site, "Cut", CUT_FIELDS)
    assert cuts_now["ep1_r1_v001"] == old_cut
    new_cut = cuts_now["ep1_r1_v002"]
    assert new_cut == {**old_cut, "id": new_cut["id"], "code": "ep1_r1_v002", "revision_number": 2,
                       "timecode_end_text": "01:00:04:22", "duration": 118,
                       "description": "platecut plate pl_7f3a (ep1_r1.mov): reel ep1_r1, version 2, "
                                      "cut version 2"}
    new_items = read(site, "CutItem", CUT_ITEM_FIELDS, [["cut", "is", {"type": "Cut", "id": new_cut["id"]}]])
    assert {name: (item["shot"], item["cut_order"], item["edit_in"], item["edit_out"], item["cut_item_out"],
                   item["timecode_edit_in_text"], item["timecode_edit_out_text"])
            for name, item in new_items.items()} == {
        "SH010_0010": (("Shot", ids["SH010_0010"]), 1, 1, 40, 1048, "01:00:00:00", "01:00:01:16"),
        "SH010_0020": (("Shot", ids["SH010_0020"]), 2, 41, 70, 1038, "01:00:01:16", "01:00:02:22"),
        "SH020_0010": (("Shot", ids["SH020_0010"]), 3, 71, 94, 1032, "01:00:02:22", "01:00:03:22"),
        "SH030_0010": (("Shot", ids["SH030_0010"]), 4, 95, 118, 1032, "01:00:03:22", "01:00:04:22")}
    old_cut_filter = [["cut", "is", {"type": "Cut", "id": old_cut["id"]}]]
    assert read(site, "CutItem", CUT_ITEM_FIELDS, old_cut_filter) == old_items


def test_a_picture_storage_has_lost_is_left_out_until_it_is_back(site: RecordingSite) -> None:
    shots = cuts(V1)
    lost = dataclasses.replace(shots[0], thumbnail=lambda: None)
    tracker = tracker_for(site)
    first = tracker.publish(request(1, [], shots=[lost, *shots[1:]]))
    assert len(first.created) == 4 and first.thumbnails == 3
    read_back = read(site, "Shot", SHOT_FIELDS)
    assert read_back["SH010_0010"]["sg_platecut_thumbnail_sha256"] is None
    assert read_back["SH010_0010"]["id"] not in [shot_id for _, shot_id, _ in site.uploads]
    still_lost = tracker.publish(request(1, [], shots=[lost, *shots[1:]]))
    assert (len(still_lost.unchanged), still_lost.thumbnails, still_lost.api_calls) == (4, 0, 6)
    back = tracker.publish(request(1, V1))
    assert (back.updated, back.thumbnails) == (["SH010_0010"], 1)
    assert site.uploads[-1] == ("Shot", read_back["SH010_0010"]["id"], jpeg("red"))


def test_an_omitted_shot_coming_back_is_reinstated(site: RecordingSite) -> None:
    tracker = tracker_for(site)
    tracker.publish(request(1, V1))
    tracker.publish(request(2, V2))
    omitted = read(site, "Shot", SHOT_FIELDS)["SH020_0020"]
    assert omitted["sg_status_list"] == "omt"
    third = tracker.publish(request(3, [*V2, V1[3]]))
    assert (third.updated, third.created, third.omitted, third.thumbnails) == (["SH020_0020"], [], [], 0)
    back = read(site, "Shot", SHOT_FIELDS)["SH020_0020"]
    assert back == {**omitted, "sg_status_list": "ip", "sg_cut_order": 5}  # the same Shot, never deleted


def test_a_republish_of_the_same_cut_deletes_its_extra_cut_items_only(site: RecordingSite) -> None:
    tracker = tracker_for(site)
    tracker.publish(request(1, V1))
    corrected = tracker.publish(request(1, [V1[0], V1[1], V1[3]]))
    assert (corrected.omitted, corrected.updated) == (["SH020_0010"], ["SH020_0020"])  # its cut order: 3
    (cut,) = read(site, "Cut", CUT_FIELDS).values()  # the same Cut (project, code, revision)
    items = read(site, "CutItem", CUT_ITEM_FIELDS)
    assert {name: (item["cut_order"], item["edit_in"], item["edit_out"]) for name, item in items.items()} == {
        "SH010_0010": (1, 1, 48), "SH010_0020": (2, 49, 78), "SH020_0020": (3, 79, 114)}
    assert list(read(site, "CutItem", ["code"], [["code", "is", "SH020_0010"]]).values()) == []
    assert set(read(site, "Shot", ["code"])) == {"SH010_0010", "SH010_0020", "SH020_0010", "SH020_0020"}
    # a corrected cut list of the same version is a new revision: a new Cut, the first one kept whole
    revised = tracker.publish(request(1, V1, cut_version=2))
    assert revised.created == [] and len(read(site, "Cut", ["revision_number"], key="revision_number")) == 2
    by_cut = Counter(plain(row["cut"])[1] for row in site.find("CutItem", [], ["cut"]))
    assert by_cut == Counter({cut["id"]: 3, cut["id"] + 1: 4})


def test_1500_shots_publish_in_24_calls_and_republish_in_6(site: RecordingSite) -> None:
    spec = [(f"SQ{s:03d}_{n:04d}", 24 + n % 7, "red", 86400 + 1000 * (s * 100 + n)) for s in range(15)
            for n in range(100)]
    shots = [dataclasses.replace(shot, thumbnail=None, thumbnail_sha256=None) for shot in cuts(spec)]
    tracker = tracker_for(site)
    first = tracker.publish(request(1, [], shots=shots))
    # 8 + 2 * ceil(1500 / 200): schema, project x2, sequences x2, shots find, 8 shot batches, cut x2,
    # 8 CutItem batches
    assert len(first.created) == 1500 and first.api_calls == 24
    assert len(site.find("Shot", [], ["code"])) == 1500 and len(site.find("CutItem", [], ["code"])) == 1500
    again = tracker.publish(request(1, [], shots=shots))
    assert len(again.unchanged) == 1500 and again.api_calls == 6


@pytest.mark.parametrize(("raised", "expected"), [
    (shotgun_api3.AuthenticationFault("Authentication failed for script user"), TrackerRefused),
    (ProtocolError("studio.shotgrid.example/api3/json", 503, "Service Unavailable", {}), TrackerUnavailable),
    (ProtocolError("studio.shotgrid.example/api3/json", 502, "Bad Gateway", {}), TrackerUnavailable),
    (ProtocolError("studio.shotgrid.example/api3/json", 403, "Forbidden", {}), TrackerRefused),
    (ConnectionRefusedError(111, "Connection refused"), TrackerUnavailable),
    (TimeoutError("timed out"), TrackerUnavailable),
])
def test_connection_errors(raised: Exception, expected: type[Exception]) -> None:
    def failing() -> Any:
        raise raised

    with pytest.raises(expected) as caught:
        ShotGridTracker(URL, SCRIPT, KEY, connect=failing).publish(request(1, V1))
    assert URL in str(caught.value) and KEY not in str(caught.value)


class FailingSite(RecordingSite):
    """A site answering every find with a Fault."""

    failure: Exception = shotgun_api3.Fault("unset")

    def find(self, *args: Any, **kwargs: Any) -> Any:
        raise self.failure


@pytest.mark.parametrize(("fault", "expected"), [
    (f"API read() CRUD ERROR #5: Read failed for [Shot], key {KEY}", TrackerRefused),
    ("API read() Internal Server Error (500)", TrackerUnavailable),
])
def test_a_site_failing_or_refusing_a_request(schema_folder: Path, fault: str,
                                              expected: type[Exception]) -> None:
    write_schema(schema_folder / "platecut")
    failing = FailingSite(URL, script_name=SCRIPT, api_key=KEY)
    failing.failure = shotgun_api3.Fault(fault)
    with pytest.raises(expected) as caught:
        tracker_for(failing).publish(request(1, V1))
    assert URL in str(caught.value) and KEY not in str(caught.value)


def test_a_site_without_platecut_fields_is_refused_naming_them(schema_folder: Path) -> None:
    write_schema(schema_folder / "bare", platecut_fields=False)
    bare = RecordingSite(URL, script_name=SCRIPT, api_key=KEY)
    with pytest.raises(TrackerRefused, match="sg_platecut_reel, sg_platecut_thumbnail_sha256"):
        tracker_for(bare).publish(request(1, V1))
    assert bare.writes() == 0


def test_the_real_client_against_a_closed_port_and_no_key_in_repr() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tracker = ShotGridTracker(f"http://127.0.0.1:{port}/", SCRIPT, KEY, timeout_seconds=2)
    assert repr(tracker) == f"ShotGridTracker('http://127.0.0.1:{port}')" and KEY not in repr(tracker)
    with pytest.raises(TrackerUnavailable) as caught:
        tracker.publish(request(1, V1))
    assert f"127.0.0.1:{port}" in str(caught.value) and KEY not in str(caught.value)
    client = tracker._shotgun()  # connects on its first request only
    assert isinstance(client, shotgun_api3.Shotgun) and client.config.timeout_secs == 2
    with pytest.raises(TrackerRefused, match="not a site's address"):
        ShotGridTracker("ftp://studio.shotgrid.example", SCRIPT, KEY).publish(request(1, V1))
