"""/api/v1/plates/{id}/publish/kitsu: a plate's served cuts as Kitsu shots."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.auth.dependencies import CurrentPrincipal
from api.db.unit_of_work import DbSession
from api.dependencies import SettingsDep
from api.trackers import flows
from api.trackers.schemas import PublishOut
from api.urls import API_V1

router = APIRouter(prefix=API_V1 + "/plates/{plate_id}/publish", tags=["trackers"])


@router.post("/kitsu", response_model=PublishOut)
def publish_kitsu(plate_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal,
                  settings: SettingsDep) -> PublishOut:
    """One Kitsu sequence per sequence part of the names, one shot per cut (frame in/out = cut in/out,
    nb_frames = cut duration; handles, timecodes, reel, version and plate in its data). Publishing the
    same version again changes nothing; a later version of the reel updates what changed and sets
    the shots it lacks to the omitted status. 502 ``tracker_refused``, 503 ``tracker_unavailable``,
    404 ``tracker_not_configured`` (the site has no Kitsu)."""
    return flows.publish_to_kitsu(session, principal, settings.trackers, plate_id)
