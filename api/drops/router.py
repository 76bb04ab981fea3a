"""/api/v1/drop/minio-events: MinIO's bucket notifications of the drop prefix (its webhook target)."""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import unquote_plus

from fastapi import APIRouter, Header

from api.db.unit_of_work import Uow
from api.dependencies import LauncherDep, SettingsDep, StorageDep
from api.drops import flows
from api.drops.schemas import DropOutcome, MinioEvent
from api.drops.service import Offer, bare_etag
from api.errors import Unauthorized
from api.urls import API_V1

router = APIRouter(prefix=API_V1 + "/drop", tags=["drop folders"])
CREATED = "s3:ObjectCreated:"


@router.post("/minio-events", response_model=DropOutcome)
def minio_events(event: MinioEvent, uow: Uow, settings: SettingsDep, storage: StorageDep,
                 launcher: LauncherDep,
                 authorization: Annotated[str | None, Header()] = None) -> DropOutcome:
    """Take the objects MinIO says were created under the drop prefix, as the listing would (the same
    ``dropped_objects`` row: never two plates of one object). Authenticated by the drop secret as a
    bearer token (``MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_<ID>``); 401 without it or while drops are off."""
    _check_secret(settings.drop.enabled, settings.drop.secret.get_secret_value() if settings.drop.secret
                  else None, authorization)
    counts = {outcome: 0 for outcome in flows.Outcome}
    for record in event.Records:
        key = unquote_plus(record.s3.object.key)
        if not record.eventName.startswith(CREATED) or not key.startswith(settings.drop.prefix):
            counts[flows.Outcome.SKIPPED] += 1
            continue
        offer = Offer(key, record.s3.object.size, bare_etag(record.s3.object.eTag))
        counts[flows.take(uow, storage, launcher, settings, offer)] += 1
    return DropOutcome(taken=counts[flows.Outcome.TAKEN], refused=counts[flows.Outcome.REFUSED],
                       skipped=counts[flows.Outcome.SKIPPED])


def _check_secret(enabled: bool, secret: str | None, authorization: str | None) -> None:
    scheme, _, token = (authorization or "").partition(" ")
    if (not enabled or not secret or scheme.lower() != "bearer"
            or not hmac.compare_digest(token.strip().encode(), secret.encode())):
        raise Unauthorized("A drop notification takes the drop secret as a bearer token.",
                           code="bad_drop_secret")
