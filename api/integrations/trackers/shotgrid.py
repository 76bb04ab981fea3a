"""Flow Production Tracking (formerly ShotGrid) through shotgun_api3: a publish writes what Import Cut
(tk-multi-importcut) writes for a cut: the Shots with their cut fields, one ``Cut`` per reel version and
one ``CutItem`` per shot of it, comparing first so that publishing the same version again writes nothing.

Where the field names come from (read in their sources, not guessed):

- Shot cut fields ``sg_head_in``, ``sg_cut_in``, ``sg_cut_out``, ``sg_tail_out``, ``sg_cut_duration``,
  ``sg_working_duration`` (tail out - head in + 1), ``sg_cut_order``, ``sg_status_list`` and the Sequence
  link ``sg_sequence``: shotgunsoftware/tk-multi-importcut ``python/tk_multi_importcut/edl_cut.py``
  (``_get_shot_in_out_sg_data``, ``update_sg_shots``), ``constants.py`` (``_SHOT_FIELDS``),
  ``info.yml`` (``cut_link_field: sg_sequence``); the same list in GPLgithub/sg-otio
  ``sg_otio/constants.py`` (``_SHOT_FIELDS``) and ``sg_otio/sg_settings.py`` (``SGShotFieldsConfig``).
- Cut fields ``code``, ``project``, ``entity``, ``revision_number``, ``fps``, ``timecode_start_text``,
  ``timecode_end_text``, ``duration``, ``description``: tk-multi-importcut ``edl_cut.py``
  (``create_sg_cut``), sg-otio ``sg_otio/sg_cut_track_writer.py`` (``_get_sg_cut_payload``,
  ``_write_cut``: ``entity`` is the Project when the Cut has no other link) and ``constants.py``
  (``_CUT_FIELDS``). Neither writes ``edit_in``/``edit_out`` on a Cut (they are CutItem fields), so
  neither does platecut.
- CutItem fields ``code``, ``project``, ``cut``, ``shot``, ``cut_order``, ``cut_item_in``,
  ``cut_item_out``, ``cut_item_duration``, ``edit_in``, ``edit_out``, ``timecode_cut_item_in_text``,
  ``timecode_cut_item_out_text`` (source timecodes), ``timecode_edit_in_text``,
  ``timecode_edit_out_text`` (record timecodes, out exclusive as in an EDL, as platecut's are):
  tk-multi-importcut ``edl_cut.py`` (``create_sg_cut_items``), sg-otio ``sg_cut_track_writer.py``
  (``get_sg_cut_item_payload``) and ``constants.py`` (``_CUT_ITEM_FIELDS``). A CutItem's ``code`` is
  its shot's name; a name repeated in one version gets ``_001``, ``_002``... as sg-otio names them.

Statuses: an omitted shot gets ``request.omitted_status`` (Import Cut's and sg-otio's default "omt").
A shot that comes back with that status gets ``REINSTATE_STATUS`` ("ip"): Import Cut's default is to
restore the "Previous Status" read from the shot's EventLogEntry history, sg-otio falls back to "act";
platecut does not read event logs and uses "ip", which is in the default Shot status list. Import Cut
also reinstates shots "on hold" ("hld"); platecut leaves a hold a person set alone.

Two custom Shot text fields, which Import Cut does not have (it finds omitted shots through the previous
Cut of its Sequence; a platecut reel spans sequences): ``sg_platecut_reel`` (the reel a shot was last
published with: its shots the version lacks are the omitted ones) and ``sg_platecut_thumbnail_sha256``
(the SHA-256 of the picture last uploaded as the shot's thumbnail, set only after the upload worked, so
a publish uploads new or changed pictures only). A site needs both (Text fields on Shot); a publish
first reads the Shot schema and refuses, naming them, when one is missing.

Requests: every call on the shotgun_api3 object counts into ``result.api_calls`` (a ``find`` of more
than 500 records is several HTTP requests inside shotgun_api3, and its first call also reads the
server's info). Creates, updates and deletes go in ``batch`` calls of ``batch_size`` requests (a batch
is one transaction that has to finish within ``timeout_seconds``); one picture is one upload, and the
updates recording the pictures' SHA-256 join the CutItems' batches. A first publish of n shots (fewer
than ``batch_size`` sequences, no pictures) into a new project is 8 + 2 * ceil(n / batch_size) calls;
publishing the same version again is 6: reading the Shot schema, the Project, the Sequences, the Shots,
the Cut and its CutItems.

The script's key is passed to shotgun_api3 only: it is never logged nor put in an error.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any
from xmlrpc.client import ProtocolError  # what shotgun_api3 exports as shotgun_api3.ProtocolError

from shotgun_api3.lib.httplib2.error import HttpLib2Error
from shotgun_api3.shotgun import (
    AuthenticationFault,
    Fault,
    MissingTwoFactorAuthenticationFault,
    Shotgun,
    ShotgunError,
    UserCredentialsNotAllowedForSSOAuthenticationFault,
)

from api.integrations.trackers.base import (
    PublishedShot,
    PublishRequest,
    PublishResult,
    TrackerError,
    TrackerRefused,
    TrackerUnavailable,
)

log = logging.getLogger(__name__)
REINSTATE_STATUS = "ip"  # a shot back in the cut after being omitted (see the module's docstring)
REEL_FIELD = "sg_platecut_reel"  # custom Shot text field: the reel the shot was last published with
THUMBNAIL_SHA_FIELD = "sg_platecut_thumbnail_sha256"  # custom Shot text field: its picture's SHA-256
SHOT_CUT_FIELDS = ["sg_cut_in", "sg_cut_out", "sg_head_in", "sg_tail_out", "sg_cut_duration",
                   "sg_cut_order", "sg_working_duration"]
SHOT_FIELDS = ["code", "project", "sg_sequence", "sg_status_list", *SHOT_CUT_FIELDS, REEL_FIELD,
               THUMBNAIL_SHA_FIELD]
CUT_FIELDS = ["code", "project", "entity", "revision_number", "fps", "timecode_start_text",
              "timecode_end_text", "duration", "description"]
CUT_ITEM_FIELDS = ["code", "project", "cut", "shot", "cut_order", "cut_item_in", "cut_item_out",
                   "cut_item_duration", "edit_in", "edit_out", "timecode_cut_item_in_text",
                   "timecode_cut_item_out_text", "timecode_edit_in_text", "timecode_edit_out_text"]
AUTH_FAULTS = (AuthenticationFault, MissingTwoFactorAuthenticationFault,
               UserCredentialsNotAllowedForSSOAuthenticationFault)
# a Fault is the site's answer to one request; these words are the site (or its proxy) failing instead
SERVER_FAILURE = re.compile(r"(?:HTTP|status|code|error)\D{0,3}5\d\d\b|internal server error|service "
                            r"unavailable|bad gateway|gateway time-?out|too busy|maintenance", re.IGNORECASE)
Entity = dict[str, Any]


class ShotGridTracker:
    name = "shotgrid"
    batch_size = 200  # requests per batch call

    def __init__(self, url: str, script_name: str, api_key: str, timeout_seconds: float = 10.0, *,
                 connect: Callable[[], Any] | None = None) -> None:
        self.url = url.rstrip("/")
        self._script_name = script_name
        self._api_key = api_key
        self.timeout_seconds = timeout_seconds
        self._connect = connect or self._shotgun

    def __repr__(self) -> str:  # no key in any log line or traceback
        return f"ShotGridTracker({self.url!r})"

    def publish(self, request: PublishRequest) -> PublishResult:
        result = PublishResult()
        try:
            sg = _Counted(self._connect(), result)
            self._check_shot_fields(sg)
            _publish(sg, request, result, self.batch_size)
        except Exception as error:
            translated = self._translated(error)
            if translated is None:
                raise
            raise translated from None
        log.info("Published %s v%s to ShotGrid at %s: %d created, %d updated, %d omitted, %d requests",
                 request.reel, request.version, self.url, len(result.created), len(result.updated),
                 len(result.omitted), result.api_calls)
        return result

    def _shotgun(self) -> Any:
        """A shotgun_api3 client of the site (it connects on its first request)."""
        try:
            sg = Shotgun(self.url, script_name=self._script_name, api_key=self._api_key, connect=False)
        except ValueError:
            raise TrackerRefused(f"ShotGrid URL {self.url!r} is not a site's address (http or https).") \
                from None
        sg.config.timeout_secs = self.timeout_seconds
        return sg

    def _check_shot_fields(self, sg: Any) -> None:
        """Refuses, naming them, when the site's Shot lacks a field a publish writes."""
        schema = sg.schema_field_read("Shot")
        missing = [name for name in SHOT_FIELDS if name not in schema]
        if missing:
            raise TrackerRefused(f"ShotGrid at {self.url} has no Shot field {', '.join(missing)}: platecut "
                                 "writes Import Cut's cut fields and two Text fields of its own, "
                                 f"{REEL_FIELD} and {THUMBNAIL_SHA_FIELD}, that an administrator adds.")

    def _translated(self, error: Exception) -> TrackerError | None:
        """The tracker error an exception of shotgun_api3 (or of the network under it) is, or None."""
        if isinstance(error, TrackerError):
            return error
        if isinstance(error, AUTH_FAULTS):
            return TrackerRefused(f"ShotGrid at {self.url} refused platecut's script credentials "
                                  "(PLATECUT_SHOTGRID_SCRIPT_NAME, PLATECUT_SHOTGRID_API_KEY).")
        if isinstance(error, ProtocolError):
            return self._http_error(error.errcode)
        if isinstance(error, Fault) and SERVER_FAILURE.search(str(error)):
            return TrackerUnavailable(f"ShotGrid at {self.url} failed (server error).")
        if isinstance(error, ShotgunError):  # a Fault: the site refused one request
            return TrackerRefused(f"ShotGrid at {self.url} refused a request: {self._scrubbed(error)}")
        if isinstance(error, OSError | HttpLib2Error | http.client.HTTPException | json.JSONDecodeError):
            return TrackerUnavailable(f"ShotGrid at {self.url} did not answer: {type(error).__name__}")
        return None

    def _http_error(self, status: int) -> TrackerError:
        """An HTTP error status: 4xx refused (but 408 and 429, which say try later), others unavailable."""
        if 400 <= status < 500 and status not in (408, 429):
            return TrackerRefused(f"ShotGrid at {self.url} refused a request (HTTP {status}).")
        return TrackerUnavailable(f"ShotGrid at {self.url} failed (HTTP {status}).")

    def _scrubbed(self, error: Exception) -> str:
        """The site's message, short, without the key should the site ever echo it."""
        text = str(error).replace(self._api_key, "***") if self._api_key else str(error)
        return f"{type(error).__name__}: {text[:300]}"


class _Counted:
    """The shotgun_api3 object, every method call counted into ``result.api_calls``."""

    def __init__(self, sg: Any, result: PublishResult) -> None:
        self._sg = sg
        self._result = result

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._sg, name)
        if not callable(attribute):
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._result.api_calls += 1
            return attribute(*args, **kwargs)

        return counted


@dataclass
class _ShotPlan:
    """The Shot writes of a publish: creates (name, data), updates (id, changed data), the shots whose
    picture to upload (and of those the ones nothing else changed on), and the ids of the shots found,
    by lower-cased name."""

    creates: list[tuple[str, Entity]] = field(default_factory=list)
    updates: list[tuple[int, Entity]] = field(default_factory=list)
    thumbnails: list[PublishedShot] = field(default_factory=list)
    picture_only: set[str] = field(default_factory=set)
    ids: dict[str, int] = field(default_factory=dict)


def _publish(sg: Any, request: PublishRequest, result: PublishResult, batch_size: int) -> None:
    project = _project(sg, request.project)
    result.project_id = str(project["id"])
    shots = sorted(request.shots, key=lambda shot: shot.cut_order)
    sequences = _sequences(sg, project, shots, batch_size)
    existing = _existing_shots(sg, project, request)
    plan = _plan_shots(request, shots, project, sequences, existing, result)
    ids = _write_shots(sg, plan, batch_size)
    cut, cut_items = _cut(sg, project, request, shots)
    requests = _cut_item_requests(shots, project, cut, cut_items, ids)
    requests += _upload_thumbnails(sg, plan, ids, result)
    _batch(sg, requests, batch_size)


def _project(sg: Any, name: str) -> Entity:
    """The Project of that name, created when missing."""
    project: Entity | None = sg.find_one("Project", [["name", "is", name]], ["name"])
    if project is None:
        project = sg.create("Project", {"name": name})
    return _link(project)


def _sequences(sg: Any, project: Entity, shots: list[PublishedShot], batch_size: int) -> dict[str, Entity]:
    """The Sequences of the shots by name (as the request spells it), the missing ones created."""
    names = list(dict.fromkeys(shot.sequence for shot in shots))
    found = {s["code"].lower(): _link(s) for s in
             sg.find("Sequence", [["project", "is", project], ["code", "in", names]], ["code"])} \
        if names else {}
    missing = [name for name in names if name.lower() not in found]
    created = _batch(sg, [{"request_type": "create", "entity_type": "Sequence",
                           "data": {"code": name, "project": project}} for name in missing], batch_size)
    found.update((name.lower(), _link(sequence)) for name, sequence in zip(missing, created, strict=True))
    return {name: found[name.lower()] for name in names}


def _existing_shots(sg: Any, project: Entity, request: PublishRequest) -> dict[str, Entity]:
    """The project's Shots named as the request's or carrying its reel, by lower-cased code (ShotGrid
    compares text case-insensitively, as Import Cut matches shots)."""
    names = [shot.name for shot in request.shots]
    either: list[Any] = [[REEL_FIELD, "is", request.reel]]
    if names:
        either.append(["code", "in", names])
    shots = sg.find("Shot", [["project", "is", project], {"filter_operator": "any", "filters": either}],
                    SHOT_FIELDS)
    return {shot["code"].lower(): shot for shot in shots}


def _shot_payload(shot: PublishedShot, project: Entity, sequence: Entity, reel: str) -> Entity:
    """A Shot's fields as Import Cut writes them (handles only when known), and its reel."""
    data: Entity = {"code": shot.name, "project": project, "sg_sequence": sequence,
                    "sg_cut_in": shot.frame_in, "sg_cut_out": shot.frame_out,
                    "sg_cut_duration": shot.nb_frames, "sg_cut_order": shot.cut_order, REEL_FIELD: reel}
    if shot.head_in is not None:
        data["sg_head_in"] = shot.head_in
    if shot.tail_out is not None:
        data["sg_tail_out"] = shot.tail_out
    if shot.head_in is not None and shot.tail_out is not None:
        data["sg_working_duration"] = shot.tail_out - shot.head_in + 1
    return data


def _plan_shots(request: PublishRequest, shots: list[PublishedShot], project: Entity,
                sequences: dict[str, Entity], existing: dict[str, Entity],
                result: PublishResult) -> _ShotPlan:
    """What to create and update, comparing first; counts the shots by name into ``result``."""
    plan = _ShotPlan()
    seen: set[str] = set()
    for shot in shots:
        key = shot.name.lower()
        if key in seen:
            continue  # a shot repeated in the version: its first cut sets the Shot
        seen.add(key)
        wanted = _shot_payload(shot, project, sequences[shot.sequence], request.reel)
        old = existing.get(key)
        picture_changed = _picture_changed(shot, old)
        if picture_changed:
            plan.thumbnails.append(shot)
        if old is None:
            plan.creates.append((shot.name, wanted))
            result.created.append(shot.name)
            continue
        plan.ids[key] = old["id"]
        if old.get("sg_status_list") == request.omitted_status:
            wanted["sg_status_list"] = REINSTATE_STATUS
        changes = _changes(old, wanted)
        if changes:
            plan.updates.append((old["id"], changes))
        elif picture_changed:
            plan.picture_only.add(shot.name)
        (result.updated if changes or picture_changed else result.unchanged).append(shot.name)
    _plan_omitted(request, existing, plan, result)
    return plan


def _plan_omitted(request: PublishRequest, existing: dict[str, Entity], plan: _ShotPlan,
                  result: PublishResult) -> None:
    """The shots of the reel the version lacks get the omitted status (once; never deleted)."""
    wanted = {shot.name.lower() for shot in request.shots}
    for key, shot in existing.items():
        if (key in wanted or (shot.get(REEL_FIELD) or "").lower() != request.reel.lower()
                or shot.get("sg_status_list") == request.omitted_status):
            continue
        plan.updates.append((shot["id"], {"sg_status_list": request.omitted_status}))
        result.omitted.append(shot["code"])


def _picture_changed(shot: PublishedShot, old: Entity | None) -> bool:
    return (shot.thumbnail is not None and shot.thumbnail_sha256 is not None
            and (old is None or old.get(THUMBNAIL_SHA_FIELD) != shot.thumbnail_sha256))


def _write_shots(sg: Any, plan: _ShotPlan, batch_size: int) -> dict[str, int]:
    """Creates and updates the Shots in batches; the ids of all the version's shots, by lower-cased name."""
    requests: list[Entity] = [{"request_type": "create", "entity_type": "Shot", "data": data}
                              for _, data in plan.creates]
    requests += [{"request_type": "update", "entity_type": "Shot", "entity_id": shot_id, "data": data}
                 for shot_id, data in plan.updates]
    answers = _batch(sg, requests, batch_size)
    ids = dict(plan.ids)
    ids.update((name.lower(), answer["id"]) for (name, _), answer in zip(plan.creates, answers, strict=False))
    return ids


def _cut(sg: Any, project: Entity, request: PublishRequest,
         shots: list[PublishedShot]) -> tuple[Entity, dict[str, Entity]]:
    """The version's Cut, found by (project, code, revision_number) and updated, or created; and the
    CutItems it has, by lower-cased code."""
    wanted = _cut_payload(request, project, shots)
    filters = [["project", "is", project], ["code", "is", wanted["code"]],
               ["revision_number", "is", wanted["revision_number"]]]
    old = sg.find_one("Cut", filters, CUT_FIELDS)
    if old is None:
        return _link(sg.create("Cut", wanted)), {}
    changes = _changes(old, wanted)
    if changes:
        sg.update("Cut", old["id"], changes)
    items = sg.find("CutItem", [["cut", "is", _link(old)]], CUT_ITEM_FIELDS)
    return _link(old), {item["code"].lower(): item for item in items if item.get("code")}


def _cut_payload(request: PublishRequest, project: Entity, shots: list[PublishedShot]) -> Entity:
    """A reel version's Cut: named <reel>_v<version:03d>, its record timecodes from first to last shot."""
    code = request.reel if request.version is None else f"{request.reel}_v{request.version:03d}"
    revision = request.cut_version if request.cut_version is not None else request.version
    plate = f"platecut plate {request.plate_id}" + (f" ({request.plate_name})" if request.plate_name else "")
    return {"code": code, "project": project, "entity": project, "revision_number": revision,
            "fps": float(Fraction(request.fps)),
            "timecode_start_text": shots[0].record_tc_in if shots else None,
            "timecode_end_text": shots[-1].record_tc_out if shots else None,
            "duration": sum(shot.nb_frames for shot in shots),
            "description": f"{plate}: reel {request.reel}, version {request.version}, "
                           f"cut version {revision}"}


def _cut_item_payload(shot: PublishedShot, code: str, project: Entity, cut: Entity, shot_id: int) -> Entity:
    return {"code": code, "project": project, "cut": cut, "shot": {"type": "Shot", "id": shot_id},
            "cut_order": shot.cut_order, "cut_item_in": shot.frame_in, "cut_item_out": shot.frame_out,
            "cut_item_duration": shot.nb_frames, "edit_in": shot.edit_in, "edit_out": shot.edit_out,
            "timecode_cut_item_in_text": shot.source_tc_in, "timecode_cut_item_out_text": shot.source_tc_out,
            "timecode_edit_in_text": shot.record_tc_in, "timecode_edit_out_text": shot.record_tc_out}


def _cut_item_requests(shots: list[PublishedShot], project: Entity, cut: Entity, old_items: dict[str, Entity],
                       ids: dict[str, int]) -> list[Entity]:
    """Batch requests making the Cut's CutItems the version's shots: create the missing, update the
    changed, delete those of shots the version no longer has (from this Cut only)."""
    requests: list[Entity] = []
    codes = _cut_item_codes(shots)
    for shot, code in zip(shots, codes, strict=True):
        wanted = _cut_item_payload(shot, code, project, cut, ids[shot.name.lower()])
        old = old_items.get(code.lower())
        if old is None:
            requests.append({"request_type": "create", "entity_type": "CutItem", "data": wanted})
        elif changes := _changes(old, wanted):
            requests.append({"request_type": "update", "entity_type": "CutItem", "entity_id": old["id"],
                             "data": changes})
    kept = {code.lower() for code in codes}
    deletes: list[Entity] = [{"request_type": "delete", "entity_type": "CutItem", "entity_id": item["id"]}
                             for code, item in old_items.items() if code not in kept]
    return requests + deletes


def _cut_item_codes(shots: list[PublishedShot]) -> list[str]:
    """The shots' names, a repeated one suffixed _001, _002... after its first (as sg-otio does)."""
    seen: Counter[str] = Counter()
    codes = []
    for shot in shots:
        repeat = seen[shot.name.lower()]
        seen[shot.name.lower()] += 1
        codes.append(shot.name if repeat == 0 else f"{shot.name}_{repeat:03d}")
    return codes


def _upload_thumbnails(sg: Any, plan: _ShotPlan, ids: dict[str, int], result: PublishResult) -> list[Entity]:
    """Uploads the new and changed pictures as the Shots' thumbnails; the batch requests recording
    their SHA-256 (sent after the uploads: a failed upload is tried again next time). A picture storage
    has lost is left out: the shot keeps the one it has (unchanged, when nothing else changed)."""
    requests: list[Entity] = []
    with tempfile.TemporaryDirectory(prefix="platecut-shotgrid-") as folder:
        for shot in plan.thumbnails:
            picture = shot.thumbnail() if shot.thumbnail is not None else None
            if picture is None:
                if shot.name in plan.picture_only:
                    result.updated.remove(shot.name)
                    result.unchanged.append(shot.name)
                continue
            shot_id = ids[shot.name.lower()]
            path = Path(folder) / f"{shot_id}.jpg"
            path.write_bytes(picture)
            sg.upload_thumbnail("Shot", shot_id, str(path))
            result.thumbnails += 1
            requests.append({"request_type": "update", "entity_type": "Shot", "entity_id": shot_id,
                             "data": {THUMBNAIL_SHA_FIELD: shot.thumbnail_sha256}})
    return requests


def _batch(sg: Any, requests: list[Entity], batch_size: int) -> list[Entity]:
    """Sends the requests in batch calls of ``batch_size``; their answers, in order."""
    answers: list[Entity] = []
    for start in range(0, len(requests), batch_size):
        answers += sg.batch(requests[start:start + batch_size])
    return answers


def _changes(old: Entity, wanted: Entity) -> Entity:
    """The fields of ``wanted`` whose value ``old`` does not already have."""
    return {name: value for name, value in wanted.items() if not _same(old.get(name), value)}


def _same(old: Any, new: Any) -> bool:
    if isinstance(new, dict) and "type" in new:  # an entity link: the same entity, whatever else it says
        return isinstance(old, dict) and (old.get("type"), old.get("id")) == (new["type"], new["id"])
    if isinstance(new, float) and isinstance(old, int | float):
        return abs(old - new) < 1e-9
    return bool(old == new)


def _link(entity: Entity) -> Entity:
    return {"type": entity["type"], "id": entity["id"]}


def connect(url: str, script_name: str, api_key: str, timeout_seconds: float) -> ShotGridTracker:
    return ShotGridTracker(url, script_name, api_key, timeout_seconds)
