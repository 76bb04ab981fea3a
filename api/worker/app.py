"""The Celery application: ``celery -A api.worker.app worker`` and ``celery -A api.worker.app beat``.

The broker is ``PLATECUT_BROKER_URL``: RabbitMQ (``amqp://``) in production as before,
Redis (``redis://``) works too. Beat puts one ``platecut.reconcile`` task on the queue every
``PLATECUT_RECONCILE_SECONDS``; each expires after one interval, so a backlog (a worker
down for an hour) never turns into a storm of stale ticks. Beat must run once per site
(the chart runs one replica with the Recreate strategy); the task itself is safe to run
twice or side by side (row locks with SKIP LOCKED). Beat also puts a ``platecut.webhooks`` task
(sending the webhooks due) and a ``platecut.trackers`` task (the tracker publishes due) on the queue
every interval. Ticks go to the queue
``PLATECUT_CELERY_QUEUE`` (default ``platecut``), which the worker consumes.
"""

from __future__ import annotations

from celery import Celery

from api.config import Settings

RECONCILE_TASK = "platecut.reconcile"
WEBHOOKS_TASK = "platecut.webhooks"
TRACKERS_TASK = "platecut.trackers"
BEAT_SYNC_TASKS = 3  # beat writes its schedule file after every round of the three ticks below, so
# the file's age tells that beat is alive (api.worker.beat_alive, the chart's liveness probe)
TRACKERS_TIME_LIMIT = 1800.0  # a publish of a long reel with its thumbnails: PLATECUT_TRACKER_LEASE_SECONDS


def make_celery(settings: Settings | None = None) -> Celery:
    settings = settings or Settings()
    runs = settings.runs
    if not runs.broker_url:
        raise RuntimeError("PLATECUT_BROKER_URL is not set: the Celery worker and beat need a broker "
                           "(without one, the API reconciles in its own process)")
    interval = max(1.0, runs.reconcile_seconds or 5.0)
    celery = Celery("platecut", broker=runs.broker_url, include=["api.worker.tasks"])
    celery.conf.update(
        task_ignore_result=True,
        task_acks_late=True,  # a worker killed mid-tick leaves the message for another
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=max(60.0, 20 * interval),
        broker_connection_retry_on_startup=True,
        timezone="UTC",
        task_default_queue=runs.celery_queue,  # beat's ticks go here; the worker consumes it
        beat_sync_every=BEAT_SYNC_TASKS,
        beat_schedule={"reconcile": {"task": RECONCILE_TASK, "schedule": interval,
                                     "options": {"expires": interval}},
                       "webhooks": {"task": WEBHOOKS_TASK, "schedule": interval,
                                    "options": {"expires": interval}},
                       "trackers": {"task": TRACKERS_TASK, "schedule": interval,
                                    "options": {"expires": interval}}},
    )
    return celery


app = make_celery()
