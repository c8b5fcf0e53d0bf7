"""Prometheus metrics at `/metrics` (prometheus-client), off by default ([metrics]).

Counts only, labelled by channel, status, job or error code: never a pseudonym, chat id,
region of one person or message text (tests/test_metrics.py runs the privacy canaries
through it). Served by bot/channels/metrics_web.py on a listener of its own, bound to
localhost unless a bearer token is set, so a reverse proxy that forwards everything to [web]
never exposes it.

Counters for updates and answers wrap `App.handle` on the instance; the rest is read from
the database when scraped (outbox depth, deliveries by outcome and error code, reports by
status, the last backup) and from APScheduler's events (each job's last run).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
)

from bot.messages import Incoming, Reply

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter("compa_updates_handled", "Incoming messages handled",
                               ["channel"], registry=r)
        self.answers = Counter("compa_answers", "Replies sent back, per channel",
                               ["channel"], registry=r)
        self.handler_errors = Counter("compa_handler_errors", "Handlers that raised",
                                      ["channel"], registry=r)
        self.outbox = Gauge("compa_outbox_depth", "Deliveries not yet carried out", registry=r)
        self.fanouts = Gauge("compa_fanout_alerts_in_progress",
                             "Alerts, follow-ups and digests with deliveries still open",
                             registry=r)
        self.deliveries = Gauge("compa_deliveries", "Deliveries by outcome", ["status"],
                                registry=r)
        self.errors = Gauge("compa_platform_errors", "Deliveries that met a platform error, "
                            "by error code", ["code"], registry=r)
        self.reports = Gauge("compa_reports", "Reports by status", ["status"], registry=r)
        self.jobs = Gauge("compa_scheduler_job_last_run_timestamp_seconds",
                          "When each scheduled job last finished", ["job", "outcome"],
                          registry=r)
        self.backup = Gauge("compa_last_backup_timestamp_seconds",
                            "When the last good backup was written", registry=r)
        self.started = Gauge("compa_start_time_seconds", "When this process started",
                             registry=r)
        from bot.operations import STARTED

        self.started.set(STARTED)

    def instrument(self, app: App) -> None:
        """Counts every update and answer by wrapping this App instance's `handle`."""
        handle: Callable[[Incoming], Awaitable[list[Reply]]] = app.handle

        async def counted(msg: Incoming) -> list[Reply]:
            channel = msg.address.channel
            self.updates.labels(channel).inc()
            try:
                replies = await handle(msg)
            except Exception:
                self.handler_errors.labels(channel).inc()
                raise
            for reply in replies:
                self.answers.labels(reply.to.channel if reply.to else channel).inc()
            return replies

        app.handle = counted  # type: ignore[method-assign]

    def watch_scheduler(self, scheduler: Any) -> None:
        """Records each APScheduler job's last run (ids are fixed names, never data)."""
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED

        def listener(event: Any) -> None:
            outcome = "error" if getattr(event, "exception", None) else "ok"
            self.jobs.labels(str(event.job_id), outcome).set(time.time())

        scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

    async def refresh(self, app: App) -> None:
        """Reads the counts kept in the database."""
        from bot.backup import last_run
        from bot.store import ops

        self.outbox.set(await ops.outbox_depth(app.db))
        self.fanouts.set(await ops.alerts_in_fanout(app.db))
        for gauge, values in ((self.deliveries, await ops.deliveries_by_status(app.db)),
                              (self.errors, await ops.delivery_errors(app.db)),
                              (self.reports, await ops.reports_by_status(app.db))):
            gauge.clear()
            for label, count in values.items():
                gauge.labels(label).set(count)
        last = await last_run(app.db)
        if last is not None:
            self.backup.set(last)

    async def render(self, app: App) -> bytes:
        await self.refresh(app)
        return generate_latest(self.registry)
