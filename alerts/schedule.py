"""Schedules: the daily digest, community notices, expiry, purge and the dispatcher's safety
net, on APScheduler's AsyncIOScheduler.

Jobs only call service methods (tested directly with a fake clock). What a job has done is
recorded in `schedule_runs` and `notices`, so a job missed while the process was down runs
once when it comes back (`AlertService.catch_up`), and a job that runs twice does nothing the
second time.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from alerts.deps import AlertDeps
from alerts.status import AlertStatus, MessageType
from bot.store import alerts as store
from bot.store import deliveries
from bot.store.alerts import Notice

if TYPE_CHECKING:
    from alerts.service import AlertService

log = logging.getLogger(__name__)

DIGEST = "digest"


class Scheduling(AlertDeps):
    """The digest and notices half of `AlertService`."""

    def digest_slot(self, day: date) -> float:
        """The digest time on a local calendar day (DST-aware)."""
        hour, minute = (int(x) for x in self.config.alerts.digest_time.split(":"))
        return datetime.combine(day, time(hour, minute), self.tz).timestamp()

    def latest_digest_slot(self, now: float) -> float:
        today = datetime.fromtimestamp(now, self.tz).date()
        slot = self.digest_slot(today)
        return slot if slot <= now else self.digest_slot(today - timedelta(days=1))

    async def run_digest(self, slot: float | None = None) -> int:
        """Queues the digest for digest-mode subscribers who had alerts in their regions since
        the previous digest. Nothing is sent to someone with nothing to read. Returns
        deliveries."""
        now = self.clock.now()
        slot = self.latest_digest_slot(now) if slot is None else slot
        last = await store.last_run(self.db, DIGEST)
        if last is not None and last >= slot:
            return 0
        since = int(last if last is not None else slot - 24 * 3600)
        until = int(slot)
        async with self.db.write() as conn:
            digest_id = await store.insert(
                conn, type_=MessageType.DIGEST, status=AlertStatus.PUBLISHED, now=now,
                expires=now + 12 * 3600, window=(since, until), drill=self.config.alerts.drill)
            count = await deliveries.enqueue_digest(conn, digest_id, now, since, until)
            await store.set_last_run(conn, DIGEST, slot)
        self.wake()
        return count

    async def schedule_notice(self, run_at: float, regions: list[str] | None, text_es: str,
                              text_en: str, actor: str) -> int:
        """A community notice for later; `regions=None` means every subscriber."""
        async with self.db.write() as conn:
            notice_id = await store.insert_notice(conn, run_at, regions, actor)
            await store.set_notice_texts(
                conn, notice_id, self.privacy.seal_text(text_es, f"notice:{notice_id}"),
                self.privacy.seal_text(text_en, f"notice:{notice_id}"))
        return notice_id

    async def list_notices(self) -> list[Notice]:
        """The notices still to go out, soonest first."""
        return await store.scheduled_notices(self.db)

    async def cancel_notice(self, notice_id: int) -> bool:
        return await store.cancel_notice(self.db, notice_id)

    async def send_due_notices(self) -> int:
        """Fans out every scheduled notice whose time has come (once each)."""
        now = self.clock.now()
        due = await store.scheduled_notices(self.db, until=now)
        total = 0
        for notice in due:
            async with self.db.write() as conn:
                if await store.notice_status_in(conn, notice.id) != "scheduled":
                    continue
                alert_id = await store.insert(
                    conn, type_=MessageType.NOTICE, status=AlertStatus.PUBLISHED, now=now,
                    expires=now + 24 * 3600, drill=self.config.alerts.drill)
                total += await deliveries.enqueue_notice(conn, alert_id, now, notice.regions)
                await store.mark_notice_sent(conn, notice.id, alert_id)
        if due:
            self.wake()
        return total


@dataclass(frozen=True)
class Job:
    """A job the composition root adds beside the alerts' own (retention purge, the audit
    head, held-report summaries, backups): an APScheduler trigger and what to run."""

    id: str
    trigger: Any
    run: Callable[[], Awaitable[object]]
    at_start: bool = False      # also run once when the scheduler starts


class Scheduler:
    """APScheduler jobs with fixed ids, registered at start-up (replace_existing)."""

    def __init__(self, alerts: AlertService, jobs: Sequence[Job] = ()) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self.alerts = alerts
        self.jobs = tuple(jobs)
        self.scheduler = AsyncIOScheduler(
            timezone=alerts.tz,
            job_defaults={"misfire_grace_time": 3600, "coalesce": True, "max_instances": 1})

    def register(self) -> None:
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        hour, minute = (int(x) for x in self.alerts.config.alerts.digest_time.split(":"))
        add = self.scheduler.add_job
        add(self._digest, CronTrigger(hour=hour, minute=minute, timezone=self.alerts.tz),
            id="digest", replace_existing=True)
        add(self._minutely, IntervalTrigger(minutes=1), id="notices-expiry",
            replace_existing=True)
        add(self._drain, IntervalTrigger(seconds=30), id="drain-safety-net",
            replace_existing=True)
        for job in self.jobs:
            add(job.run, job.trigger, id=job.id, replace_existing=True)

    async def start(self) -> None:
        self.register()
        self.scheduler.start()
        await self.alerts.catch_up()
        for job in self.jobs:
            if job.at_start:
                await job.run()

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def _digest(self) -> None:
        await self.alerts.run_digest()

    async def _minutely(self) -> None:
        await self.alerts.send_due_notices()
        await self.alerts.expire()

    async def _drain(self) -> None:
        self.alerts.wake()
