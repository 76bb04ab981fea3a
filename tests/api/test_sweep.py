"""The sweep on the reconcile tick: expired uploads, abandoned plates, stale temporary files; real rows,
real files, real HTTP through the app (and the disk storage's routes), on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.app import create_app
from api.config import Settings
from api.db.base import utcnow
from api.db.locks import take_write_lock
from api.integrations.disk import DiskStorage
from api.integrations.storage import NoSuchUpload, StorageError
from api.plates import states
from api.plates.models import Plate, PlateState
from api.runs.context import RunContext
from api.runs.reconcile import TickReport, reconcile_once
from api.uploads.models import Upload, UploadState
from tests.api.conftest import PART, Caller, Callers
from tests.api.runs_support import wait_for
from tests.api.test_uploads import plate_row, upload_row

if TYPE_CHECKING:
    from api.integrations.s3 import S3Storage

pytest_plugins = ["tests.api.runs_fixtures", "tests.api.storage_fixtures"]

MULTIPART_SIZE = 2 * PART + 10
HOURS_AGO = timedelta(hours=2)


def with_sweep(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update={"sweep": settings.sweep.model_copy(update=changes)})


@pytest.fixture
def settings(runs_settings: Settings) -> Settings:
    """No launcher (plates stop at ``uploaded``); a sweep on every tick, two of each kind at most."""
    return with_sweep(runs_settings.model_copy(update={"launcher": "none"}), every_seconds=0, batch_size=2)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def ctx(app: FastAPI, settings: Settings | None = None) -> RunContext:
    context: RunContext = app.state.run_context
    if settings is None:
        return context
    return RunContext(context.session_factory, context.launcher, context.storage, settings)


def tick(app: FastAPI) -> TickReport:
    return reconcile_once(ctx(app))


def expire(db: Session, *plate_ids: str) -> None:
    """The uploads' week went by."""
    ids = [uuid.UUID(plate_id) for plate_id in plate_ids]
    past = utcnow() - timedelta(seconds=1)
    db.execute(update(Upload).where(Upload.plate_id.in_(ids)).values(expires_at=past))
    db.commit()


def end(db: Session, plate_id: str, state: PlateState, ago: timedelta) -> None:
    """The plate ended (``state``) ``ago``."""
    db.execute(update(Plate).where(Plate.id == uuid.UUID(plate_id))
               .values(state=state, state_reason=state.value, finished_at=utcnow() - ago))
    db.commit()


def test_an_expired_upload_cancels_its_plate_and_aborts_its_parts(caller: Caller, app: FastAPI,
                                                                   db: Session) -> None:
    data = os.urandom(MULTIPART_SIZE)
    multipart = caller.create_plate(len(data))
    single, open_one = caller.create_plate(10), caller.create_plate(10)
    caller.upload_parts(multipart["upload"], data, [1])  # half done, then the client went away
    plate_id = multipart["plate"]["id"]
    storage: DiskStorage = app.state.storage
    parts = storage.multipart_dir / (upload_row(db, plate_id).multipart_upload_id or "")
    assert parts.is_dir()
    expire(db, plate_id, single["plate"]["id"])

    report = tick(app)
    assert (report.swept, report.uploads_expired, report.errors) == (True, 2, 0)
    for expired in (plate_id, single["plate"]["id"]):
        plate = plate_row(db, expired)
        assert (plate.state, plate.state_reason) == (PlateState.CANCELLED, "upload expired")
        assert upload_row(db, expired).state is UploadState.ABORTED
    assert not parts.exists()  # the multipart upload was aborted in storage once that was committed
    assert plate_row(db, open_one["plate"]["id"]).state is PlateState.AWAITING_UPLOAD
    shown = caller.get(f"/api/v1/plates/{plate_id}").json()
    assert (shown["state"], shown["state_reason"]) == ("cancelled", "upload expired")
    late = caller.send(multipart["upload"]["parts"][1], data[PART:2 * PART])
    assert late.status_code == 404 and late.json()["code"] == "no_such_upload"
    assert tick(app).uploads_expired == 0  # twice: nothing more


def test_each_sweep_is_bounded_by_the_batch_size(caller: Caller, app: FastAPI, db: Session) -> None:
    plate_ids = [caller.create_plate(10)["plate"]["id"] for _ in range(3)]
    expire(db, *plate_ids)
    assert [tick(app).uploads_expired for _ in range(3)] == [2, 1, 0]
    assert {plate_row(db, p).state for p in plate_ids} == {PlateState.CANCELLED}


def test_a_process_sweeps_at_most_every_so_often(caller: Caller, app: FastAPI, db: Session,
                                                 settings: Settings) -> None:
    context = ctx(app, with_sweep(settings, every_seconds=3600))
    assert reconcile_once(context).swept
    plate_id = caller.create_plate(10)["plate"]["id"]
    expire(db, plate_id)
    report = reconcile_once(context)
    assert (report.swept, report.uploads_expired) == (False, 0)
    assert plate_row(db, plate_id).state is PlateState.AWAITING_UPLOAD
    assert not reconcile_once(ctx(app, with_sweep(settings, enabled=False))).swept
    assert tick(app).uploads_expired == 1


def test_a_plate_a_request_is_working_on_is_not_touched(caller: Caller, app: FastAPI, db: Session) -> None:
    """A client cancels the plate just as its upload expires: its request holds the plate (a row lock
    on PostgreSQL, the write lock on SQLite); the sweep skips it, or waits and finds it cancelled."""
    plate_id = caller.create_plate(10)["plate"]["id"]
    expire(db, plate_id)
    reports: list[TickReport] = []
    with app.state.session_factory() as request:
        take_write_lock(request)
        plate = request.scalar(select(Plate).where(Plate.id == uuid.UUID(plate_id)).with_for_update())
        assert plate is not None
        states.move(plate, PlateState.CANCELLED, "cancelled by the client")
        request.flush()
        sweeper = threading.Thread(target=lambda: reports.append(tick(app)))
        sweeper.start()
        time.sleep(0.5)  # PostgreSQL: the sweep skipped it already; SQLite: it waits for the lock
        request.commit()
    sweeper.join(60)
    assert (reports[0].uploads_expired, reports[0].errors) == (0, 0)
    plate = plate_row(db, plate_id)
    assert (plate.state, plate.state_reason) == (PlateState.CANCELLED, "cancelled by the client")


def test_sweeps_side_by_side_expire_each_upload_once(caller: Caller, app: FastAPI, db: Session,
                                                     settings: Settings) -> None:
    plate_ids = [caller.create_plate(10)["plate"]["id"] for _ in range(6)]
    expire(db, *plate_ids)
    wide = with_sweep(settings, batch_size=10)
    contexts = [ctx(app, wide) for _ in range(3)]  # three workers' ticks at once
    reports: list[TickReport] = []
    threads = [threading.Thread(target=lambda c=c: reports.append(reconcile_once(c))) for c in contexts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(r.uploads_expired for r in reports) == 6 and sum(r.errors for r in reports) == 0
    assert {plate_row(db, p).state_reason for p in plate_ids} == {"upload expired"}


def test_abandoned_plates_lose_their_objects_after_the_retention(caller: Caller, app: FastAPI, db: Session,
                                                                 settings: Settings) -> None:
    storage: DiskStorage = app.state.storage
    names = ("cancelled", "failed", "rejected", "succeeded", "recent")
    plates = {name: caller.uploaded_plate(name.encode(), name=f"{name}.mov") for name in names}
    for plate in plates.values():
        storage.put_bytes(f"{plate['output_prefix']}a1/manifest.json", b"{}", "application/json")
    end(db, plates["cancelled"]["id"], PlateState.CANCELLED, HOURS_AGO)
    end(db, plates["failed"]["id"], PlateState.FAILED, HOURS_AGO)
    end(db, plates["rejected"]["id"], PlateState.REJECTED, HOURS_AGO)
    end(db, plates["succeeded"]["id"], PlateState.SUCCEEDED, timedelta(days=400))
    end(db, plates["recent"]["id"], PlateState.CANCELLED, timedelta(minutes=5))
    assert tick(app).plates_purged == 0  # by default never
    context = ctx(app, with_sweep(settings, abandoned_after_seconds=3600, batch_size=10))

    report = reconcile_once(context)
    assert (report.plates_purged, report.objects_purged, report.errors) == (3, 6, 0)
    for name in ("cancelled", "failed", "rejected"):
        assert plate_row(db, plates[name]["id"]).purged_at is not None
        assert storage.head(plates[name]["source_key"]) is None
        assert not list((storage.objects_dir / plates[name]["output_prefix"]).parent.rglob("*.json"))
    for name in ("succeeded", "recent"):
        assert plate_row(db, plates[name]["id"]).purged_at is None
        assert storage.head(plates[name]["source_key"]) is not None
        assert storage.head(f"{plates[name]['output_prefix']}a1/manifest.json") is not None
    assert caller.get(f"/api/v1/plates/{plates['failed']['id']}").json()["purged_at"] is not None
    retried = caller.post(f"/api/v1/plates/{plates['cancelled']['id']}/retry")
    assert retried.status_code == 409 and retried.json()["code"] == "source_missing"
    assert reconcile_once(context).plates_purged == 0  # twice: nothing more


class FailingDeletes:
    """The app's storage, whose deletes fail while ``failing``."""

    def __init__(self, inner: DiskStorage) -> None:
        self.inner, self.failing = inner, True

    def delete_prefix(self, prefix: str) -> int:
        if self.failing:
            raise StorageError("the store is unreachable")
        return self.inner.delete_prefix(prefix)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_an_abandoned_plate_whose_objects_could_not_go_is_tried_again(
        caller: Caller, app: FastAPI, db: Session, settings: Settings) -> None:
    plate = caller.uploaded_plate(b"plate", name="kept.mov")
    end(db, plate["id"], PlateState.FAILED, HOURS_AGO)
    storage = FailingDeletes(app.state.storage)
    base = ctx(app)
    context = RunContext(base.session_factory, base.launcher, storage,
                         with_sweep(settings, abandoned_after_seconds=3600))
    report = reconcile_once(context)
    assert (report.plates_purged, report.errors) == (0, 1)
    assert plate_row(db, plate["id"]).purged_at is None  # unmarked: retried by the next sweep
    assert storage.head(plate["source_key"]) is not None
    storage.failing = False
    report = reconcile_once(context)
    assert (report.plates_purged, report.objects_purged, report.errors) == (1, 1, 0)
    assert plate_row(db, plate["id"]).purged_at is not None and storage.head(plate["source_key"]) is None


def test_stale_temporary_files_of_the_storage_are_swept(app: FastAPI, client: TestClient) -> None:
    storage: DiskStorage = app.state.storage
    left = storage.tmp_dir / "put-left-by-a-killed-server"
    left.write_bytes(b"half a body")
    fresh = storage.tmp_dir / "put-just-now"
    fresh.write_bytes(b"x")
    then = time.time() - 7200
    os.utime(left, (then, then))
    assert tick(app).temp_files_removed == 1
    assert not left.exists() and fresh.exists()


def test_the_in_process_sweep_is_counted_in_the_metrics(runs_settings: Settings) -> None:
    runs = runs_settings.runs.model_copy(update={"reconcile_seconds": 0.05})
    settings = with_sweep(runs_settings.model_copy(update={"launcher": "none", "runs": runs,
                                                           "metrics_public": True}), every_seconds=0)
    app = create_app(settings)
    with TestClient(app) as client:
        assert app.state.reconcile_loop is not None  # no launcher: the loop runs for the sweep
        caller = Callers(client, app.state.session_factory)()
        plate_id = caller.create_plate(10)["plate"]["id"]
        with app.state.session_factory() as session:
            expire(session, plate_id)
        wait_for(lambda: caller.get(f"/api/v1/plates/{plate_id}").json()["state"] == "cancelled",
                 what="the in-process sweep")
        wait_for(lambda: 'platecut_swept_total{what="uploads_expired"} 1.0' in client.get("/metrics").text,
                 what="the metric")


def test_an_expired_upload_is_aborted_in_s3(runs_settings: Settings, s3: S3Storage) -> None:
    settings = with_sweep(runs_settings.model_copy(update={"launcher": "none"}), every_seconds=0)
    app = create_app(settings, storage=s3)
    with TestClient(app) as client:
        caller = Callers(client, app.state.session_factory)()
        data = os.urandom(MULTIPART_SIZE)
        created = caller.create_plate(len(data))
        part = created["upload"]["parts"][0]
        sent = httpx.put(part["url"], headers=part["headers"], content=data[:PART])
        assert sent.status_code == 200, sent.text
        plate_id = created["plate"]["id"]
        with app.state.session_factory() as session:
            expire(session, plate_id)
            upload = session.scalar(select(Upload).where(Upload.plate_id == uuid.UUID(plate_id)))
            assert upload is not None and upload.multipart_upload_id is not None
            key, upload_id = created["plate"]["source_key"], upload.multipart_upload_id
        assert len(s3.list_parts(key, upload_id)) == 1
        assert reconcile_once(app.state.run_context).uploads_expired == 1
        with pytest.raises(NoSuchUpload):
            s3.list_parts(key, upload_id)
