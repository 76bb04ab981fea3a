"""Webhooks through the API and the delivery pass, on SQLite and PostgreSQL, to a real HTTP receiver on
loopback that records what it gets and answers as scripted: a plate's events arrive in order, signed
as the Standard Webhooks specification says (checked with the ``standardwebhooks`` library and by
recomputing), retried with back-off (the time passed as ``now``), given up after about a day,
redelivered on request, and kept from other sites."""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from api.config import Settings, WebhookSettings
from api.db.base import utcnow
from api.integrations.launcher import JobPhase
from api.plates.models import Plate
from api.runs import uris
from api.runs.background import ReconcileLoop
from api.runs.context import RunContext
from api.runs.names import job_name_for
from api.runs.reconcile import reconcile_once
from api.webhooks.delivery import DeliveryReport, deliver_due
from api.webhooks.models import Delivery, WebhookEvent
from tests.api.conftest import Caller, Callers
from tests.api.runs_support import ScriptedLauncher, make_manifest
from tests.support.wait import wait_until

pytest_plugins = ["tests.api.runs_fixtures"]
TIMEOUT = 0.3
ALL_EVENTS = ["plate.uploaded", "plate.running", "plate.succeeded", "plate.failed", "plate.rejected",
              "cuts.published", "tracker.published"]


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.body)
        return loaded


@dataclass
class Receiver:
    """Records each POST; answers the next scripted status (an int), or sleeps first (a float: seconds
    before a 200); 200 when the script is empty. With ``hold`` set, no answer goes before it is set."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    script: list[int | float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    hold: threading.Event | None = None

    @property
    def types(self) -> list[str]:
        return [r.payload["type"] for r in self.requests]

    @property
    def ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            with state.lock:
                state.requests.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                action = state.script.pop(0) if state.script else 200
            if isinstance(action, float):
                time.sleep(action)
                action = 200
            if state.hold is not None:
                state.hold.wait(timeout=10)
            self.send_response(action)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def settings(runs_settings: Settings) -> Settings:
    return runs_settings.model_copy(update={"webhooks": WebhookSettings(timeout_seconds=TIMEOUT)})


@pytest.fixture
def admin(callers: Callers) -> Caller:
    return callers(admin=True)


def subscribe(caller: Caller, url: str, events: list[str]) -> dict[str, Any]:
    answer = caller.post("/api/v1/webhooks", json={"url": url, "events": events})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def deliver(app: FastAPI, settings: Settings, now: datetime | None = None) -> DeliveryReport:
    return deliver_due(app.state.session_factory, settings.webhooks, now)


def tick(app: FastAPI, launcher: ScriptedLauncher, plate_id: str, phase: JobPhase, db: Session) -> None:
    if phase is JobPhase.SUCCEEDED:
        db.expire_all()
        plate = db.get(Plate, uuid.UUID(plate_id))
        assert plate is not None
        key = uris.manifest_key(plate, 1)
        manifest = make_manifest(["sh010", "sh020"])
        app.state.run_context.storage.put_bytes(key, manifest.to_json().encode(), "application/json")
    launcher.set(job_name_for(plate_id, 1), phase)
    reconcile_once(app.state.run_context)


def recomputed(secret: str, received: Received) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    headers = received.headers
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + received.body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def delivery_rows(db: Session, subscription_id: str) -> list[Delivery]:
    db.expire_all()
    return list(db.scalars(select(Delivery).where(Delivery.subscription_id == uuid.UUID(subscription_id))
                           .order_by(Delivery.sequence)))


def test_a_plate_s_life_reaches_the_receiver_in_order_and_signed(
        admin: Caller, app: FastAPI, launcher: ScriptedLauncher, db: Session, settings: Settings,
        receiver: Receiver) -> None:
    hook = subscribe(admin, receiver.url, ALL_EVENTS)
    assert hook["secret"].startswith("whsec_") and len(base64.b64decode(hook["secret"][6:])) >= 24
    assert "secret" not in admin.get("/api/v1/webhooks").json()["items"][0]
    plate = admin.uploaded_plate(b"plate", name="shot.mov")
    tick(app, launcher, plate["id"], JobPhase.RUNNING, db)
    tick(app, launcher, plate["id"], JobPhase.SUCCEEDED, db)
    assert deliver(app, settings).delivered == 3
    assert receiver.types == ["plate.uploaded", "plate.running", "plate.succeeded"]
    assert len(set(receiver.ids)) == 3 and all(i.startswith("msg_") for i in receiver.ids)
    verifier = Webhook(hook["secret"])
    for received in receiver.requests:
        assert verifier.verify(received.body, received.headers) == received.payload  # independent check
        assert received.headers["webhook-signature"] == recomputed(hook["secret"], received)
        assert received.headers["content-type"] == "application/json"
        assert abs(int(received.headers["webhook-timestamp"]) - time.time()) < 60
    data = [r.payload["data"] for r in receiver.requests]
    assert [(d["plate_id"], d["name"], d["project"], d["attempt"]) for d in data] == [
        (plate["id"], "shot.mov", "proj", 1)] * 3
    assert [d["state"] for d in data] == ["uploaded", "running", "succeeded"]
    assert datetime.fromisoformat(receiver.requests[0].payload["timestamp"]).tzinfo is not None
    log = admin.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert [(d["type"], d["status"], d["attempts"], d["last_status_code"]) for d in log] == [
        ("plate.succeeded", "delivered", 1, 200), ("plate.running", "delivered", 1, 200),
        ("plate.uploaded", "delivered", 1, 200)]
    assert deliver(app, settings).sent == 0  # nothing twice
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + base64.b64encode(b"another key of 24 bytes!").decode()).verify(
            receiver.requests[0].body, receiver.requests[0].headers)


def test_only_subscribed_events_and_nothing_without_a_subscription(
        admin: Caller, app: FastAPI, launcher: ScriptedLauncher, db: Session, settings: Settings,
        receiver: Receiver) -> None:
    before = admin.uploaded_plate(b"before")  # no subscription yet: no event recorded
    db.expire_all()
    assert db.scalar(select(WebhookEvent).where(WebhookEvent.plate_id == uuid.UUID(before["id"]))) is None
    subscribe(admin, receiver.url, ["plate.succeeded", "tracker.published"])
    plate = admin.uploaded_plate(b"plate")
    tick(app, launcher, plate["id"], JobPhase.RUNNING, db)
    deliver(app, settings)
    assert receiver.types == []
    tick(app, launcher, plate["id"], JobPhase.SUCCEEDED, db)
    deliver(app, settings)
    assert receiver.types == ["plate.succeeded"]
    admin.post(f"/api/v1/plates/{before['id']}/cancel")


def test_500_twice_then_200_is_retried_with_back_off_under_one_id(
        admin: Caller, app: FastAPI, db: Session, settings: Settings, receiver: Receiver) -> None:
    hook = subscribe(admin, receiver.url, ["plate.uploaded"])
    receiver.script = [500, 500, 200]
    plate = admin.uploaded_plate(b"plate")
    now = utcnow()
    assert deliver(app, settings, now).failed == 1
    (row,) = delivery_rows(db, hook["id"])
    assert (row.attempts, row.last_status_code, row.last_error) == (1, 500, "HTTP 500")
    assert row.next_attempt_at == now + timedelta(seconds=5)
    assert deliver(app, settings, now + timedelta(seconds=4)).sent == 0  # not due yet
    assert deliver(app, settings, now + timedelta(seconds=5)).failed == 1
    (row,) = delivery_rows(db, hook["id"])
    assert row.attempts == 2 and row.next_attempt_at == now + timedelta(seconds=5 + 300)
    assert deliver(app, settings, now + timedelta(seconds=305)).delivered == 1
    assert len(receiver.requests) == 3 and len(set(receiver.ids)) == 1
    (row,) = delivery_rows(db, hook["id"])
    assert (row.attempts, row.last_status_code, row.next_attempt_at, row.gave_up_at) == (3, 200, None, None)
    assert row.delivered_at == now + timedelta(seconds=305)
    log = admin.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert [(d["status"], d["attempts"], d["plate_id"]) for d in log] == [("delivered", 3, plate["id"])]
    assert deliver(app, settings, now + timedelta(days=2)).sent == 0


def test_a_timeout_is_a_failed_attempt(admin: Caller, app: FastAPI, db: Session, settings: Settings,
                                        receiver: Receiver) -> None:
    hook = subscribe(admin, receiver.url, ["plate.uploaded"])
    receiver.script = [TIMEOUT + 0.7]
    admin.uploaded_plate(b"plate")
    now = utcnow()
    assert deliver(app, settings, now).failed == 1
    (row,) = delivery_rows(db, hook["id"])
    assert row.last_status_code is None and (row.last_error or "").startswith("timeout")
    assert deliver(app, settings, now + timedelta(seconds=5)).delivered == 1
    assert len(set(receiver.ids)) == 1 and len(receiver.ids) == 2


def test_a_plate_s_later_event_waits_for_the_earlier_one(
        admin: Caller, app: FastAPI, launcher: ScriptedLauncher, db: Session, settings: Settings,
        receiver: Receiver) -> None:
    hook = subscribe(admin, receiver.url, ["plate.uploaded", "plate.running"])
    receiver.script = [500]
    plate = admin.uploaded_plate(b"plate")
    now = utcnow()
    deliver(app, settings, now)
    tick(app, launcher, plate["id"], JobPhase.RUNNING, db)  # plate.running is due, but waits
    assert deliver(app, settings, now + timedelta(seconds=1)).sent == 0
    report = deliver(app, settings, now + timedelta(seconds=5))
    assert (report.sent, report.delivered) == (2, 2)
    assert receiver.types == ["plate.uploaded", "plate.uploaded", "plate.running"]
    assert len(set(receiver.ids)) == 2
    assert [d.delivered_at is not None for d in delivery_rows(db, hook["id"])] == [True, True]
    launcher.set(job_name_for(plate["id"], 1), JobPhase.FAILED)
    admin.post(f"/api/v1/plates/{plate['id']}/cancel")


def test_given_up_after_a_day_then_redelivered(admin: Caller, app: FastAPI, db: Session, settings: Settings,
                                               receiver: Receiver) -> None:
    hook = subscribe(admin, receiver.url, ["plate.uploaded"])
    receiver.script = [503] * 8
    admin.uploaded_plate(b"plate")
    at: datetime | None = utcnow()
    start = at
    while at is not None:
        deliver(app, settings, at)
        (row,) = delivery_rows(db, hook["id"])
        at = row.next_attempt_at
    assert row.attempts == 8 and row.gave_up_at is not None and row.delivered_at is None
    assert row.gave_up_at - start == timedelta(seconds=5 + 300 + 1800 + 7200 + 18000 + 36000 + 23400)  # a day
    (entry,) = admin.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert (entry["status"], entry["attempts"], entry["last_status_code"]) == ("given_up", 8, 503)
    answer = admin.post(f"/api/v1/webhooks/deliveries/{entry['id']}/redeliver")
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "pending"
    assert deliver(app, settings).delivered == 1
    assert len(receiver.ids) == 9 and len(set(receiver.ids)) == 1
    (entry,) = admin.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert (entry["status"], entry["attempts"], entry["gave_up_at"]) == ("delivered", 9, None)
    assert admin.post(f"/api/v1/webhooks/deliveries/{entry['id']}/redeliver").status_code == 202
    assert deliver(app, settings).delivered == 1  # a delivered one too, on request
    assert len(receiver.ids) == 10 and len(set(receiver.ids)) == 1


def test_another_site_sees_nothing_and_tokens_must_be_site_admins(
        admin: Caller, callers: Callers, app: FastAPI, db: Session, settings: Settings,
        receiver: Receiver) -> None:
    hook = subscribe(admin, receiver.url, ["plate.uploaded"])
    admin.uploaded_plate(b"plate")
    deliver(app, settings)
    (delivery,) = admin.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    stranger = callers("elsewhere", admin=True)
    assert stranger.get("/api/v1/webhooks").json()["items"] == []
    assert stranger.get(f"/api/v1/webhooks/{hook['id']}/deliveries").status_code == 404
    assert stranger.post(f"/api/v1/webhooks/deliveries/{delivery['id']}/redeliver").status_code == 404
    assert stranger.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 404
    for token in (callers(), callers(projects=("proj",), admin=True)):  # not admin; a project's admin
        assert token.get("/api/v1/webhooks").status_code == 403
        assert token.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["plate.uploaded"]}
                          ).status_code == 403
        assert token.post(f"/api/v1/webhooks/deliveries/{delivery['id']}/redeliver").status_code == 403
    assert deliver(app, settings).sent == 0
    deleted = admin.delete(f"/api/v1/webhooks/{hook['id']}")
    assert deleted.status_code == 200 and deleted.json()["disabled_at"] is not None
    admin.uploaded_plate(b"after")
    assert deliver(app, settings).sent == 0 and len(receiver.requests) == 1


@pytest.mark.parametrize("body", [
    {"url": "ftp://example.com/x", "events": ["plate.uploaded"]},
    {"url": "/relative", "events": ["plate.uploaded"]},
    {"url": "https://user:pw@example.com/", "events": ["plate.uploaded"]},
    {"url": "https://example.com/", "events": []},
    {"url": "https://example.com/", "events": ["plate.deleted"]},
])
def test_bad_subscriptions_are_422(admin: Caller, body: dict[str, Any]) -> None:
    assert admin.post("/api/v1/webhooks", json=body).status_code == 422


def test_a_published_cut_version_is_announced(
        admin: Caller, app: FastAPI, launcher: ScriptedLauncher, db: Session, settings: Settings,
        receiver: Receiver) -> None:
    subscribe(admin, receiver.url, ["cuts.published", "plate.succeeded"])
    plate = admin.uploaded_plate(b"plate")
    tick(app, launcher, plate["id"], JobPhase.SUCCEEDED, db)  # a detection: succeeded, not cuts.published
    edit = {"base_version": 1, "edits": [{"op": "split", "frame": 30}]}
    assert admin.post(f"/api/v1/plates/{plate['id']}/cut-versions", json=edit).status_code == 201
    assert admin.post(f"/api/v1/plates/{plate['id']}/cut-versions/2/publish").status_code == 202
    manifest = make_manifest(["sh010", "sh020", "sh020_2"])
    split = manifest.split.model_copy(update={"cut_list_version": 2})
    manifest = manifest.model_copy(update={"split": split})
    db.expire_all()
    row = db.get(Plate, uuid.UUID(plate["id"]))
    assert row is not None
    app.state.run_context.storage.put_bytes(uris.manifest_key(row, 2), manifest.to_json().encode(),
                                            "application/json")
    launcher.set(job_name_for(plate["id"], 2), JobPhase.SUCCEEDED)
    reconcile_once(app.state.run_context)
    deliver(app, settings)
    assert receiver.types == ["plate.succeeded", "plate.succeeded", "cuts.published"]
    published = receiver.requests[-1].payload["data"]
    assert (published["cut_version"], published["attempt"], published["state"]) == (2, 2, "succeeded")


@pytest.mark.parametrize(("exit_code", "event"), [(65, "plate.rejected"), (2, "plate.failed")])  # 2: no retry
def test_a_rejected_or_failed_plate_is_announced(
        admin: Caller, app: FastAPI, launcher: ScriptedLauncher, settings: Settings, receiver: Receiver,
        exit_code: int, event: str) -> None:
    subscribe(admin, receiver.url, ["plate.rejected", "plate.failed"])
    plate = admin.uploaded_plate(b"plate")
    launcher.set(job_name_for(plate["id"], 1), JobPhase.FAILED, exit_code=exit_code, message="no good")
    reconcile_once(app.state.run_context)
    deliver(app, settings)
    assert receiver.types == [event]
    assert receiver.requests[0].payload["data"]["state"] == event.removeprefix("plate.")


def test_the_in_process_loop_delivers_after_its_ticks(
        admin: Caller, app: FastAPI, settings: Settings, receiver: Receiver) -> None:
    subscribe(admin, receiver.url, ["plate.uploaded"])
    admin.uploaded_plate(b"plate")
    loop = ReconcileLoop(app.state.run_context, 0.05)
    loop.start()
    try:
        wait_until(lambda: receiver.types == ["plate.uploaded"], timeout=10)
    finally:
        loop.stop()


def test_the_celery_task_delivers(admin: Caller, settings: Settings, receiver: Receiver,
                                  monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Beat schedules ``platecut.webhooks`` beside the reconcile; the task is one delivery pass."""
    subscribe(admin, receiver.url, ["plate.uploaded"])
    admin.uploaded_plate(b"plate")
    for name, value in {"PLATECUT_BROKER_URL": "redis://127.0.0.1:6379/15", "PLATECUT_LAUNCHER": "none",
                        "PLATECUT_DATABASE_URL": str(settings.database_url),
                        "PLATECUT_DATA_DIR": str(tmp_path / "worker")}.items():
        monkeypatch.setenv(name, value)
    tasks = importlib.import_module("api.worker.tasks")
    worker = importlib.import_module("api.worker.app")
    try:
        assert worker.app.conf.beat_schedule["webhooks"]["task"] == worker.WEBHOOKS_TASK
        assert tasks.deliver_webhooks() == {"sent": 1, "delivered": 1, "failed": 0, "gave_up": 0}
    finally:
        RunContext.clear_cache()
    assert receiver.types == ["plate.uploaded"]


def test_passes_side_by_side_send_each_event_once(admin: Caller, app: FastAPI, settings: Settings,
                                                  receiver: Receiver) -> None:
    subscribe(admin, receiver.url, ["plate.uploaded"])
    plates = [admin.uploaded_plate(b"plate", name=f"p{n}.mov")["id"] for n in range(6)]
    receiver.script = [0.1] * 6  # slow answers: the passes overlap
    one = settings.webhooks.model_copy(update={"concurrency": 1, "batch_size": 2})
    reports: list[DeliveryReport] = []

    def run() -> None:
        while (report := deliver_due(app.state.session_factory, one)).sent:
            reports.append(report)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(r.payload["data"]["plate_id"] for r in receiver.requests) == sorted(plates)
    assert len(set(receiver.ids)) == 6 and sum(r.delivered for r in reports) == 6


def test_a_redelivery_asked_for_during_an_attempt_is_kept(
        admin: Caller, app: FastAPI, settings: Settings, db: Session, receiver: Receiver) -> None:
    hook = subscribe(admin, receiver.url, ["plate.uploaded"])
    admin.uploaded_plate(b"plate")
    receiver.hold = threading.Event()  # the answer waits for the redelivery to be asked for
    (row,) = delivery_rows(db, hook["id"])
    sending = threading.Thread(target=deliver, args=(app, settings))
    sending.start()
    wait_until(lambda: receiver.requests, timeout=10)
    assert admin.post(f"/api/v1/webhooks/deliveries/{row.id}/redeliver").status_code == 202
    receiver.hold.set()
    sending.join(10)
    (row,) = delivery_rows(db, hook["id"])
    assert row.delivered_at is not None and row.next_attempt_at is not None  # still asked for
    assert deliver(app, settings).delivered == 1
    assert len(receiver.ids) == 2 and len(set(receiver.ids)) == 1
