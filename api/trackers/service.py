"""A plate's served cuts as tracker shots, and publishing them. Nothing is recorded in the database:
the tracker is the record, and a publish compares before it changes anything, so it is repeatable."""

from __future__ import annotations

import re
from collections.abc import Sequence

from api.config import TrackerSettings
from api.cuts.models import Cut
from api.errors import Conflict, NotFound, Problem, ServiceUnavailable
from api.integrations.trackers import PublishedShot, PublishRequest, PublishResult, Tracker, TrackerError
from api.integrations.trackers.base import TrackerRefused
from api.plates.models import Plate, PlateState
from api.trackers.schemas import PublishOut


class BadGateway(Problem):
    status = 502
    title = "Bad gateway"
    code = "tracker_refused"


def kitsu(settings: TrackerSettings) -> Tracker:
    """404 ``tracker_not_configured`` without a URL, email and password: the site has no such
    tracker (not a failure of the server: nothing will change until the site configures one)."""
    if not (settings.url and settings.email and settings.password):
        raise NotFound("This site has no Kitsu configured (PLATECUT_KITSU_URL, PLATECUT_KITSU_EMAIL, "
                       "PLATECUT_KITSU_PASSWORD).", code="tracker_not_configured")
    from api.integrations.trackers.kitsu import KitsuTracker

    return KitsuTracker(settings.url, settings.email, settings.password.get_secret_value(),
                        settings.timeout_seconds)


def shots_of(plate: Plate, cuts: Sequence[Cut], pattern: str) -> list[PublishedShot]:
    """One shot per cut: its sequence and shot from the name pattern (else shot = name, sequence = the
    reel), frame in/out and count from the cut fields, the rest in ``data``."""
    regex = re.compile(pattern)
    reel = plate.reel or plate.name
    shots = []
    for cut in cuts:
        found = regex.fullmatch(cut.name)
        sequence, name = (found["sequence"], found["shot"]) if found else (reel, cut.name)
        cut_in = cut.cut_in if cut.cut_in is not None else cut.head_in
        cut_out = cut.cut_out if cut.cut_out is not None else cut.head_out
        shots.append(PublishedShot(
            sequence=sequence, name=name, frame_in=cut_in, frame_out=cut_out,
            nb_frames=cut.cut_duration if cut.cut_duration is not None else cut.frame_count,
            data={"head_in": cut.head_in, "tail_out": cut.tail_out, "head_handles": cut.head_handles,
                  "tail_handles": cut.tail_handles, "source_tc_in": cut.source_tc_in,
                  "source_tc_out": cut.source_tc_out, "record_tc_in": cut.record_tc_in,
                  "record_tc_out": cut.record_tc_out, "reel": reel, "version": plate.version,
                  "plate_id": str(plate.id), "cut_index": cut.index}))
    return shots


def publish(tracker: Tracker, settings: TrackerSettings, plate: Plate, project_name: str,
            cuts: Sequence[Cut]) -> PublishOut:
    """409 ``not_succeeded`` before the plate has cuts; 502 ``tracker_refused`` (credentials, or a
    request it refused), 503 ``tracker_unavailable`` (down, timed out, failing)."""
    if plate.state is not PlateState.SUCCEEDED or not cuts:
        raise Conflict(f"Plate {plate.id} is {plate.state.value}: it has no cuts to publish yet.",
                       code="not_succeeded", extra={"plate_id": str(plate.id), "state": plate.state.value})
    target = settings.projects.get(project_name, project_name)
    request = PublishRequest(project=target, reel=plate.reel or plate.name, version=plate.version,
                             plate_id=str(plate.id), shots=shots_of(plate, cuts, settings.shot_pattern),
                             omitted_status=settings.omitted_status)
    try:
        result: PublishResult = tracker.publish(request)
    except TrackerRefused as error:
        raise BadGateway(str(error), code=error.code) from None
    except TrackerError as error:
        raise ServiceUnavailable(str(error), code=error.code) from None
    return PublishOut(plate_id=plate.id, tracker=tracker.name, project=target, project_id=result.project_id,
                      reel=request.reel, version=plate.version, created=result.created,
                      updated=result.updated, unchanged=result.unchanged, omitted=result.omitted,
                      api_calls=result.api_calls)
