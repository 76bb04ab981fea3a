"""The in-process reconcile of the embedded mode: a daemon thread ticking every few seconds, a second one
sending the webhooks due at the same interval (``api.webhooks.delivery``), and a third making the
tracker publishes due (``api.trackers.tick``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from api.runs.context import RunContext
from api.runs.reconcile import reconcile_once
from api.runs.report import TickFailed, TickReport
from api.trackers.tick import publish_due
from api.webhooks.delivery import deliver_due

log = logging.getLogger(__name__)


class ReconcileLoop:
    """Runs ``reconcile_once(ctx)`` every ``interval`` seconds until ``stop()``; a failed tick is
    logged and the next one runs as usual. ``on_report`` gets each tick's report (the app's metrics)."""

    def __init__(self, ctx: RunContext, interval: float,
                 on_report: Callable[[TickReport], None] | None = None) -> None:
        if interval <= 0:
            raise ValueError("the reconcile interval must be positive")
        self.ctx = ctx
        self.interval = interval
        self.on_report = on_report
        self.ticks = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._side: list[threading.Thread] = []

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="platecut-reconcile", daemon=True)
        self._thread.start()
        self._side = [threading.Thread(target=self._run_beside, args=(name, work), name=f"platecut-{name}",
                                       daemon=True)
                      for name, work in (("webhooks", self._deliver), ("trackers", self._publish))]
        for thread in self._side:
            thread.start()
        log.info("in-process reconcile started", extra={"interval": self.interval})

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the loop to stop and wait for the tick in progress (if any) to end."""
        self._stop.set()
        for thread in (self._thread, *self._side):
            if thread is not None:
                thread.join(timeout)
                if thread.is_alive():
                    log.warning("in-process loop did not stop in time", extra={"thread": thread.name})
        self._thread, self._side = None, []

    def _run_beside(self, name: str, work: Callable[[], object]) -> None:
        """A pass every interval, on a thread of its own: a slow webhook receiver or tracker never
        holds up the reconcile (with a broker, Celery beat's ``platecut.webhooks`` and
        ``platecut.trackers`` do this instead)."""
        while not self._stop.is_set():
            try:
                work()
            except Exception:  # the database is away, or a bug: the next pass tries again
                log.exception("in-process pass failed", extra={"pass": name})
            self._stop.wait(self.interval)

    def _deliver(self) -> None:
        deliver_due(self.ctx.session_factory, self.ctx.settings.webhooks)

    def _publish(self) -> None:
        publish_due(self.ctx)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                report = reconcile_once(self.ctx)
                if self.on_report is not None:
                    self.on_report(report)
            except TickFailed as exc:
                log.warning("reconcile tick failed", extra={"error": str(exc)})
            except Exception:  # a bug: keep the loop (and the API) going, say so loudly
                log.exception("reconcile tick crashed")
            self.ticks += 1
            self._stop.wait(self.interval)
