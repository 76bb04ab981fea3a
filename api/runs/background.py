"""The in-process reconcile of the embedded mode: a daemon thread ticking every few seconds (each tick
followed by sending the webhooks due, ``api.webhooks.delivery``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from api.runs.context import RunContext
from api.runs.reconcile import reconcile_once
from api.runs.report import TickFailed, TickReport
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

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="platecut-reconcile", daemon=True)
        self._thread.start()
        log.info("in-process reconcile started", extra={"interval": self.interval})

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the loop to stop and wait for the tick in progress (if any) to end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("in-process reconcile did not stop in time")
            self._thread = None

    def _deliver_webhooks(self) -> None:
        """The webhooks due, after each tick (with a broker, Celery beat's ``platecut.webhooks`` does it)."""
        try:
            deliver_due(self.ctx.session_factory, self.ctx.settings.webhooks)
        except Exception:  # the database is away, or a bug: the next tick tries again
            log.exception("webhook delivery failed")

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
            self._deliver_webhooks()
            self.ticks += 1
            self._stop.wait(self.interval)
