"""A plate's served cuts as tracker shots, and the publish history: what is asked, each attempt's
outcome, the retries. The tracker is the record of the shots (a publish compares before it changes
anything, so it is repeatable); the database records who asked, when, and what each attempt did."""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy.orm import Session

from api.config import TRACKERS, KitsuSettings, PublishSettings, ShotGridSettings, TrackerConnection
from api.cuts.models import Cut
from api.db.base import utcnow
from api.errors import Conflict, NotFound, Problem
from api.integrations.storage import StorageError
from api.integrations.trackers import PublishedShot, PublishRequest, PublishResult, Tracker, TrackerError
from api.plates.models import Plate, PlateState
from api.trackers.models import PublishState, PublishTrigger, TrackerPublish

ERROR_LENGTH = 500
ThumbnailReader = Callable[[str], bytes]  # an object key -> its bytes (StorageError: gone)


class BadGateway(Problem):
    status = 502
    title = "Bad gateway"
    code = "tracker_refused"


def connection(name: str, kitsu: KitsuSettings, shotgrid: ShotGridSettings) -> TrackerConnection:
    """The site's settings of tracker ``name``: 404 ``unknown_tracker``, or ``tracker_not_configured``
    when the site has none (nothing will change until the site configures one)."""
    if name not in TRACKERS:
        raise NotFound(f"There is no tracker {name!r}: {', '.join(TRACKERS)}.", code="unknown_tracker")
    chosen: KitsuSettings | ShotGridSettings = kitsu if name == "kitsu" else shotgrid
    if not chosen.configured:
        names = ("PLATECUT_KITSU_URL, PLATECUT_KITSU_EMAIL, PLATECUT_KITSU_PASSWORD" if name == "kitsu" else
                 "PLATECUT_SHOTGRID_URL, PLATECUT_SHOTGRID_SCRIPT_NAME, PLATECUT_SHOTGRID_API_KEY")
        label = "Kitsu" if name == "kitsu" else "Flow Production Tracking"
        raise NotFound(f"This site has no {label} configured ({names}).", code="tracker_not_configured")
    return chosen


def connect(settings: TrackerConnection) -> Tracker:
    """The tracker client of configured ``settings`` (its package imported only now)."""
    if isinstance(settings, KitsuSettings):
        from api.integrations.trackers.kitsu import KitsuTracker

        assert settings.url and settings.email and settings.password
        return KitsuTracker(settings.url, settings.email, settings.password.get_secret_value(),
                            settings.timeout_seconds, preview_task_type=settings.preview_task_type)
    from api.integrations.trackers.shotgrid import ShotGridTracker

    assert isinstance(settings, ShotGridSettings) and settings.url and settings.script_name
    assert settings.api_key
    return ShotGridTracker(settings.url, settings.script_name, settings.api_key.get_secret_value(),
                           settings.timeout_seconds)


def check_publishable(plate: Plate, cuts: Sequence[Cut]) -> None:
    """409 ``not_succeeded`` before the plate has cuts."""
    if plate.state is not PlateState.SUCCEEDED or not cuts:
        raise Conflict(f"Plate {plate.id} is {plate.state.value}: it has no cuts to publish yet.",
                       code="not_succeeded", extra={"plate_id": str(plate.id), "state": plate.state.value})


def shots_of(plate: Plate, cuts: Sequence[Cut], pattern: str,
             read: ThumbnailReader | None = None) -> list[PublishedShot]:
    """One shot per cut: its sequence and shot from the name pattern (else shot = name, sequence = the
    reel), frame in/out and count from the cut fields, the rest in ``data``."""
    regex = re.compile(pattern)
    reel = plate.reel or plate.name
    return [_shot(plate, cut, regex, reel, read) for cut in cuts]


def _shot(plate: Plate, cut: Cut, regex: re.Pattern[str], reel: str,
          read: ThumbnailReader | None) -> PublishedShot:
    found = regex.fullmatch(cut.name)
    sequence, name = (found["sequence"], found["shot"]) if found else (reel, cut.name)
    cut_in = cut.cut_in if cut.cut_in is not None else cut.head_in
    cut_out = cut.cut_out if cut.cut_out is not None else cut.head_out
    key = cut.thumbnail_key
    return PublishedShot(
        sequence=sequence, name=name, frame_in=cut_in, frame_out=cut_out,
        nb_frames=cut.cut_duration if cut.cut_duration is not None else cut.frame_count,
        data={"head_in": cut.head_in, "tail_out": cut.tail_out, "head_handles": cut.head_handles,
              "tail_handles": cut.tail_handles, "source_tc_in": cut.source_tc_in,
              "source_tc_out": cut.source_tc_out, "record_tc_in": cut.record_tc_in,
              "record_tc_out": cut.record_tc_out, "reel": reel, "version": plate.version,
              "plate_id": str(plate.id), "cut_index": cut.index},
        cut_order=cut.index, head_in=cut.head_in, tail_out=cut.tail_out,
        edit_in=cut.first_frame + 1, edit_out=cut.last_frame + 1,  # record frames, 1 at the reel's first
        source_tc_in=cut.source_tc_in, source_tc_out=cut.source_tc_out, record_tc_in=cut.record_tc_in,
        record_tc_out=cut.record_tc_out,
        thumbnail_sha256=cut.thumbnail_sha256 if key and read else None,
        thumbnail=functools.partial(_picture, read, key) if key and read else None)


def _picture(read: ThumbnailReader, key: str) -> bytes | None:
    """A thumbnail's bytes, None when storage lost it (the shot is published without)."""
    try:
        return read(key)
    except StorageError:
        return None


def frame_rate(cuts: Sequence[Cut]) -> str:
    """The plate's rate as "num/den", from a cut's frame count over its exact duration."""
    cut = max(cuts, key=lambda c: c.frame_count)
    rate = Fraction(cut.frame_count) / Fraction(cut.duration)
    return f"{rate.numerator}/{rate.denominator}"


def build_request(plate: Plate, project_name: str, cuts: Sequence[Cut], settings: TrackerConnection,
                  read: ThumbnailReader | None) -> PublishRequest:
    target = settings.projects.get(project_name, project_name)
    omitted = getattr(settings, "omitted_status", "")
    return PublishRequest(project=target, reel=plate.reel or plate.name, version=plate.version,
                          plate_id=str(plate.id), shots=shots_of(plate, cuts, settings.shot_pattern, read),
                          omitted_status=omitted, plate_name=plate.name,
                          cut_version=plate.published_cut_version, fps=frame_rate(cuts))


def queue(session: Session, plate: Plate, tracker: str, trigger: PublishTrigger, requested_by: str | None,
          due: datetime) -> TrackerPublish:
    publish = TrackerPublish(plate_id=plate.id, tracker=tracker, trigger=trigger, requested_by=requested_by,
                             cut_version=plate.published_cut_version, state=PublishState.QUEUED,
                             next_attempt_at=due, created_at=utcnow())
    session.add(publish)
    session.flush()
    return publish


def queue_automatic(session: Session, plate: Plate, settings: PublishSettings) -> list[TrackerPublish]:
    """The site's automatic publishes of ``plate``, whose cuts were just published: due at once, made
    by the next tick (in the caller's unit of work: splitting never waits on a tracker)."""
    now = utcnow()
    return [queue(session, plate, name, PublishTrigger.AUTOMATIC, None, now)
            for name in settings.auto_publish]


def retry_at(delays: Sequence[float], attempts: int, now: datetime) -> datetime | None:
    """When the next attempt is due after ``attempts`` failed ones; None: give up."""
    if attempts > len(delays):
        return None
    return now + timedelta(seconds=delays[attempts - 1])


def result_of(request: PublishRequest, result: PublishResult) -> dict[str, Any]:
    return {"project": request.project, "project_id": result.project_id, "reel": request.reel,
            "version": request.version, "cut_version": request.cut_version, "created": result.created,
            "updated": result.updated, "unchanged": result.unchanged, "omitted": result.omitted,
            "thumbnails": result.thumbnails, "api_calls": result.api_calls}


def record_success(publish: TrackerPublish, request: PublishRequest, result: PublishResult,
                   now: datetime) -> None:
    publish.attempts += 1
    publish.last_attempt_at = now
    publish.state = PublishState.SUCCEEDED
    publish.result = result_of(request, result)
    publish.last_error_code = publish.last_error = None
    publish.next_attempt_at = None
    publish.finished_at = now


def record_failure(publish: TrackerPublish, error: TrackerError | Problem, delays: Sequence[float],
                   now: datetime) -> None:
    """Retried after ``delays`` (a tracker down, credentials refused: the site may fix either), given up
    after the last; a plate that has no cuts any more is given up at once."""
    publish.attempts += 1
    publish.last_attempt_at = now
    publish.last_error_code = error.code
    publish.last_error = str(error.detail if isinstance(error, Problem) else error)[:ERROR_LENGTH]
    publish.next_attempt_at = None if isinstance(error, Problem) else retry_at(delays, publish.attempts, now)
    publish.state = PublishState.RETRYING if publish.next_attempt_at else PublishState.GAVE_UP
    if publish.next_attempt_at is None:
        publish.finished_at = now


def requester(principal_token_id: uuid.UUID) -> str:
    return f"token:{principal_token_id}"
