"""/api/v1/plates/{id}/publish/{tracker} and /publishes: a plate's served cuts as tracker shots, and
the plate's publish history."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.auth.dependencies import CurrentPrincipal
from api.db.unit_of_work import DbSession
from api.dependencies import RunContextDep
from api.trackers import flows
from api.trackers.schemas import PublishList, PublishOut
from api.urls import API_V1

router = APIRouter(prefix=API_V1 + "/plates/{plate_id}", tags=["trackers"])


@router.post("/publish/{tracker}", response_model=PublishOut)
def publish(plate_id: uuid.UUID, tracker: str, principal: CurrentPrincipal, ctx: RunContextDep) -> PublishOut:
    """Publish the plate's served cuts to ``kitsu`` or ``shotgrid`` (Flow Production Tracking) now: one
    sequence per sequence part of the names, one shot per cut (frame in/out = cut in/out, cut duration,
    handles, timecodes, reel, version and plate; the thumbnail when it changed). Publishing the same
    version again changes nothing; a later version of the reel updates what changed and sets the shots
    it lacks to the omitted status. Recorded in the plate's publish history either way: 502
    ``tracker_refused`` and 503 ``tracker_unavailable`` are retried later (the problem's ``publish``
    says when); 404 ``tracker_not_configured`` (the site has none) or ``unknown_tracker``; 409
    ``not_succeeded`` before the plate has cuts."""
    return flows.publish_now(ctx, principal, plate_id, tracker)


@router.get("/publishes", response_model=PublishList)
def publishes(plate_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> PublishList:
    """The plate's publish history, newest first: who asked (or automatic), each publish's state,
    attempts, next retry, last error, and what the last successful attempt did."""
    return flows.history(session, principal, plate_id)
