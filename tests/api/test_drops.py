"""Drop folders: objects written under the drop prefix by any S3 client become plates, by the listing on
the reconcile tick or by MinIO's notification; once each. Real rows (SQLite and PostgreSQL), moto's S3
server and the disk storage."""

from __future__ import annotations

import copy
import os
import threading
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from api.app import create_app
from api.config import Settings
from api.db.unit_of_work import unit_of_work
from api.drops import flows
from api.drops.models import DroppedObject, DropState
from api.drops.service import Offer
from api.integrations.storage import Storage
from api.plates.models import Plate, PlateState
from api.projects.models import Site
from api.runs.context import RunContext
from api.runs.reconcile import TickReport, reconcile_once
from tests.api.conftest import Callers
from tests.api.runs_support import ScriptedLauncher

if TYPE_CHECKING:
    pass

pytest_plugins = ["tests.api.runs_fixtures", "tests.api.storage_fixtures"]

SECRET = "drop-secret-for-tests"
# MinIO's documented bucket notification (docs "Bucket Notifications", the webhook target's body): an
# s3:ObjectCreated:Put record; the test sets the bucket, key (URL-encoded as MinIO sends it), size, eTag
MINIO_EVENT: dict[str, Any] = {
    "EventName": "s3:ObjectCreated:Put",
    "Key": "BUCKET/KEY",
    "Records": [{
        "eventVersion": "2.0",
        "eventSource": "minio:s3",
        "awsRegion": "",
        "eventTime": "2026-12-03T12:00:00.000Z",
        "eventName": "s3:ObjectCreated:Put",
        "userIdentity": {"principalId": "minioadmin"},
        "requestParameters": {"principalId": "minioadmin", "region": "", "sourceIPAddress": "10.0.0.7"},
        "responseElements": {"content-length": "0", "x-amz-id-2": "dd9025bab4ad464b049177c95eb6ebf3",
                             "x-amz-request-id": "17E3B8A3B3A7D2C4", "x-minio-deployment-id": "dpl",
                             "x-minio-origin-endpoint": "http://10.0.0.2:9000"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "Config",
            "bucket": {"name": "BUCKET", "ownerIdentity": {"principalId": "minioadmin"},
                       "arn": "arn:aws:s3:::BUCKET"},
            "object": {"key": "KEY", "size": 0, "eTag": "ETAG", "contentType": "video/quicktime",
                       "userMetadata": {"content-type": "video/quicktime"}, "sequencer": "17E3B8A3B3C1E2A0"},
        },
        "source": {"host": "10.0.0.7", "port": "", "userAgent": "MinIO (linux; amd64) minio-go/v7.0.70"},
    }],
}


@pytest.fixture(params=["s3", "disk"])
def storage_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(runs_settings: Settings) -> Settings:
    """Drops on; a listed object is taken when seen unchanged on two ticks (never by its age)."""
    drop = runs_settings.drop.model_copy(update={"enabled": True, "min_age_seconds": 3600.0,
                                                 "stable_seconds": 0.0, "secret": SecretStr(SECRET)})
    return runs_settings.model_copy(update={"drop": drop, "launcher": "kubernetes"})


@pytest.fixture
def launcher() -> ScriptedLauncher:
    return ScriptedLauncher()


@pytest.fixture
def app(settings: Settings, storage_kind: str, launcher: ScriptedLauncher,
        request: pytest.FixtureRequest) -> FastAPI:
    storage: Storage | None = None
    if storage_kind == "s3":
        storage = request.getfixturevalue("s3")
    return create_app(settings, storage=storage, launcher=launcher)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def site(client: TestClient, app: FastAPI) -> str:
    """A new site with projects ``proj`` and ``other``."""
    return Callers(client, app.state.session_factory)().site


def tick(app: FastAPI) -> TickReport:
    context: RunContext = app.state.run_context
    return reconcile_once(context)


def storage_of(app: FastAPI) -> Storage:
    storage: Storage = app.state.storage
    return storage


def plates_of(app: FastAPI, site: str) -> list[Plate]:
    with app.state.session_factory() as session:
        query = select(Plate).join(Site, Plate.site_id == Site.id).where(Site.name == site)
        return list(session.scalars(query))


def rows_of(app: FastAPI, key: str) -> list[DroppedObject]:
    with app.state.session_factory() as session:
        return list(session.scalars(select(DroppedObject).where(DroppedObject.key == key)))


def test_a_dropped_object_becomes_one_plate_once_seen_unchanged(app: FastAPI, site: str,
                                                                 launcher: ScriptedLauncher) -> None:
    data = os.urandom(3000)
    key = f"drop/{site}/proj/ep101_r1_v07.mov"
    storage_of(app).put_bytes(key, data, "video/quicktime")

    first = tick(app)
    assert (first.drops_taken, first.errors, plates_of(app, site)) == (0, 0, [])  # seen once: not yet
    assert [row.state for row in rows_of(app, key)] == [DropState.SEEN]
    second = tick(app)
    assert (second.drops_taken, second.errors) == (1, 0)
    [plate] = plates_of(app, site)
    assert (plate.name, plate.reel, plate.version) == ("ep101_r1_v07.mov", "ep101_r1", 7)
    assert plate.project.name == "proj"
    assert plate.state is PlateState.QUEUED and plate.job_name in launcher.verbs("submit")
    assert plate.size_bytes == len(data) and plate.uploaded_at is not None
    assert plate.source_key.startswith(f"sites/{site}/projects/proj/plates/{plate.id}/source/")
    assert storage_of(app).get_bytes(plate.source_key) == data  # copied by the storage
    [row] = rows_of(app, key)
    assert (row.state, row.plate_id) == (DropState.TAKEN, plate.id)

    third = tick(app)
    assert (third.drops_taken, third.drops_refused) == (0, 0)
    assert len(plates_of(app, site)) == 1


def test_an_old_enough_object_is_taken_at_once(app: FastAPI, site: str, settings: Settings) -> None:
    context: RunContext = app.state.run_context
    context.settings = settings.model_copy(update={"drop": settings.drop.model_copy(
        update={"min_age_seconds": 0.0})})
    storage_of(app).put_bytes(f"drop/{site}/other/plate.mov", b"x" * 10, "video/quicktime")
    assert tick(app).drops_taken == 1
    [plate] = plates_of(app, site)
    assert (plate.project.name, plate.reel) == ("other", None)


def test_an_object_still_growing_is_not_taken_until_stable(app: FastAPI, site: str) -> None:
    key = f"drop/{site}/proj/growing_v01.mov"
    storage = storage_of(app)
    storage.put_bytes(key, b"a" * 100, "video/quicktime")
    assert tick(app).drops_taken == 0
    storage.put_bytes(key, b"b" * 250, "video/quicktime")  # more came: another size and ETag
    assert tick(app).drops_taken == 0
    assert plates_of(app, site) == []
    assert tick(app).drops_taken == 1  # unchanged since the last tick
    [plate] = plates_of(app, site)
    assert storage.get_bytes(plate.source_key) == b"b" * 250
    assert [row.state for row in rows_of(app, key)] == [DropState.TAKEN]  # the earlier sighting forgotten


def test_an_unknown_project_or_site_is_refused_once(app: FastAPI, site: str) -> None:
    storage = storage_of(app)
    keys = [f"drop/{site}/nope/a_v01.mov", f"drop/no-such-site-{uuid.uuid4().hex[:6]}/proj/b.mov",
            f"drop/{site}/too/deep/c.mov"]
    for key in keys:
        storage.put_bytes(key, b"z" * 10, "video/quicktime")
    tick(app)
    assert tick(app).drops_refused == 3
    assert tick(app).drops_refused == 0  # not tried again
    reasons = [rows_of(app, key)[0].reason for key in keys]
    assert reasons[0] == "unknown project 'nope'" and reasons[1] is not None and "unknown site" in reasons[1]
    assert reasons[2] == "not drop/<site>/<project>/<file>"
    assert plates_of(app, site) == []


def event_for(app: FastAPI, key: str, bucket: str = "plates") -> dict[str, Any]:
    """MinIO's event for the object at ``key``, as its webhook target would send it."""
    info = storage_of(app).head(key)
    assert info is not None
    event = copy.deepcopy(MINIO_EVENT)
    event["Key"] = f"{bucket}/{key}"
    record = event["Records"][0]["s3"]
    record["bucket"].update(name=bucket, arn=f"arn:aws:s3:::{bucket}")
    record["object"].update(key=quote_plus(key, safe=""), size=info.size, eTag=info.etag.strip('"'))
    return event


def post_event(client: TestClient, event: dict[str, Any], secret: str | None = SECRET) -> Any:
    headers = {"Authorization": f"Bearer {secret}"} if secret is not None else {}
    return client.post("/api/v1/drop/minio-events", json=event, headers=headers)


def test_a_minio_notification_takes_the_object_once(app: FastAPI, client: TestClient, site: str) -> None:
    key = f"drop/{site}/proj/ep102 grade pass.mov"  # MinIO sends drop%2F...%2Fep102+grade+pass.mov
    data = os.urandom(500)
    storage_of(app).put_bytes(key, data, "video/quicktime")
    event = event_for(app, key)
    assert "+grade+pass.mov" in event["Records"][0]["s3"]["object"]["key"]

    response = post_event(client, event)
    assert response.status_code == 200, response.text
    assert response.json() == {"taken": 1, "refused": 0, "skipped": 0}
    [plate] = plates_of(app, site)
    assert (plate.name, plate.state) == ("ep102 grade pass.mov", PlateState.QUEUED)
    assert storage_of(app).get_bytes(plate.source_key) == data

    again = post_event(client, event)  # MinIO retries, or sends it twice
    assert again.status_code == 200 and again.json() == {"taken": 0, "refused": 0, "skipped": 1}
    tick(app)
    report = tick(app)  # the listing sees the same object: taken already
    assert (report.drops_taken, report.drops_refused) == (0, 0)
    assert len(plates_of(app, site)) == 1


def test_a_notification_after_a_first_sighting_takes_it(app: FastAPI, client: TestClient, site: str) -> None:
    key = f"drop/{site}/proj/seen_v02.mov"
    storage_of(app).put_bytes(key, b"s" * 64, "video/quicktime")
    tick(app)  # seen by the listing, not yet taken
    assert post_event(client, event_for(app, key)).json()["taken"] == 1
    assert tick(app).drops_taken == 0
    assert len(plates_of(app, site)) == 1


def test_other_events_and_keys_are_skipped(app: FastAPI, client: TestClient, site: str) -> None:
    key = f"drop/{site}/proj/x.mov"
    storage_of(app).put_bytes(key, b"x", "video/quicktime")
    removed = event_for(app, key)
    removed["Records"][0]["eventName"] = "s3:ObjectRemoved:Delete"
    elsewhere = event_for(app, key)
    elsewhere["Records"][0]["s3"]["object"]["key"] = "other%2Fx.mov"
    for event in (removed, elsewhere):
        assert post_event(client, event).json() == {"taken": 0, "refused": 0, "skipped": 1}
    assert plates_of(app, site) == []


@pytest.mark.parametrize("secret", [None, "wrong-secret", ""])
def test_a_wrong_or_missing_secret_is_401(app: FastAPI, client: TestClient, site: str,
                                          secret: str | None) -> None:
    key = f"drop/{site}/proj/y.mov"
    storage_of(app).put_bytes(key, b"y", "video/quicktime")
    response = post_event(client, event_for(app, key), secret)
    assert response.status_code == 401 and response.json()["code"] == "bad_drop_secret"
    assert plates_of(app, site) == [] and rows_of(app, key) == []


@pytest.mark.parametrize("seen_first", [False, True], ids=["new", "seen"])
def test_two_takers_at_once_make_one_plate(app: FastAPI, site: str, seen_first: bool) -> None:
    """A notification and a tick (or two ticks) on one object at the same moment: the loser finds the
    row inserted (unique key and ETag) or the ``seen`` row claimed (compare and set), and makes nothing."""
    key = f"drop/{site}/proj/race_v01.mov"
    storage = storage_of(app)
    storage.put_bytes(key, b"r" * 128, "video/quicktime")
    if seen_first:
        tick(app)
    info = storage.head(key)
    assert info is not None
    offer = Offer(key, info.size, info.etag.strip('"'))
    context: RunContext = app.state.run_context
    barrier, outcomes = threading.Barrier(2), []

    def take() -> None:
        barrier.wait()
        with unit_of_work(context.session_factory) as uow:
            outcomes.append(flows.take(uow, context.storage, context.launcher, context.settings, offer))

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == [flows.Outcome.SKIPPED, flows.Outcome.TAKEN]
    assert len(plates_of(app, site)) == 1
    assert [row.state for row in rows_of(app, key)] == [DropState.TAKEN]
