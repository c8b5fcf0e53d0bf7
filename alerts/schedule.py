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

import aiosqlite

from alerts import integrity
from alerts.deps import AlertDeps
from alerts.status import AlertStatus, MessageType
from alerts.textcheck import NOTICE_MAX, Allowed, PublishError, Stale, check_note
from bot.i18n import N_
from bot.store import alerts as store
from bot.store import deliveries
from bot.store.alerts import Notice

PREVERIFIED = "preverified"   # the confirmer of code-made notices (tests, benchmarks)

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
                expires=now + 12 * 3600, window=(since, until), drill=self.config.alerts.drill,
                created_by=integrity.SYSTEM)
            await self._sign_system(conn, digest_id, now)
            count = await deliveries.enqueue_digest(conn, digest_id, now, since, until)
            await store.set_last_run(conn, DIGEST, slot)
        self.wake()
        return count

    async def _sign_system(self, conn: aiosqlite.Connection, alert_id: int,
                           now: float) -> None:
        """A digest is the schedule's own: proposed and confirmed by `SYSTEM`. It only lists
        alerts that two people put out (`Rendering.digest_body` checks each)."""
        await store.mark_published(conn, alert_id, now, integrity.SYSTEM, None)
        row = await store.get_any_in(conn, alert_id)
        assert row is not None
        mac = integrity.alert_mac(self.privacy, row, "", integrity.SYSTEM)
        await store.set_mac_in(conn, alert_id, mac)
        await store.set_confirm_mac_in(conn, alert_id, integrity.alert_confirm_mac(
            self.privacy, alert_id, mac, integrity.SYSTEM, row.published))

    async def schedule_notice(self, run_at: float, regions: list[str] | None, text_es: str,
                              text_en: str, actor: str, preverified: bool = False) -> int:
        """A proposed community notice (`regions=None`: every subscriber); it is scheduled
        when a second person confirms it (`preverified`: code that already has two)."""
        allowed = Allowed.of(self.config)
        text_es = check_note(text_es, allowed, NOTICE_MAX)
        text_en = check_note(text_en, allowed, NOTICE_MAX)
        async with self.db.write() as conn:
            notice_id = await store.insert_notice(conn, run_at, regions, actor)
            notice = await store.notice_in(conn, notice_id)
            assert notice is not None
            await store.set_notice_texts(
                conn, notice_id, self.privacy.seal_text(text_es, f"notice:{notice_id}"),
                self.privacy.seal_text(text_en, f"notice:{notice_id}"),
                integrity.notice_mac(self.privacy, notice, (text_es, text_en)))
            if preverified:
                await self._confirm_notice_in(conn, notice_id, PREVERIFIED)
        return notice_id

    def notice_texts(self, notice: Notice) -> tuple[str, str]:
        return (self.privacy.unseal_text(notice.text_es_sealed, f"notice:{notice.id}"),
                self.privacy.unseal_text(notice.text_en_sealed, f"notice:{notice.id}"))

    def notice_version(self, notice: Notice) -> str:
        """The short MAC of what the notice will say, where and when (buttons carry it)."""
        return integrity.notice_version(self.privacy, notice, self.notice_texts(notice))

    async def get_notice(self, notice_id: int) -> Notice | None:
        return await store.get_notice(self.db, notice_id)

    async def confirm_notice(self, notice_id: int, actor: str, version: str) -> Notice:
        """The second person confirms exactly `version` of a proposed notice: scheduled."""
        async with self.db.write() as conn:
            notice = await store.notice_in(conn, notice_id)
            if notice is None or notice.status != "proposed":
                raise PublishError("Notice #{n} is not waiting for a confirmation.",
                                   n=notice_id)
            if integrity.notice_problem(self.privacy, notice, confirmed=False) is not None:
                raise PublishError("Notice #{n} failed its integrity check (it was not "
                                   "written by Compa): it will not go out, and the admins "
                                   "are told.", n=notice_id)
            if notice.created_by == actor:
                raise PublishError("You proposed notice #{n}: a different publisher must "
                                   "confirm it.", n=notice_id)
            if version != self.notice_version(notice):
                raise Stale(N_("Notice #{n} changed after the preview you confirmed, so it "
                               "was not scheduled. Check the new preview and confirm it."),
                            n=notice_id)
            if notice.run_at <= self.clock.now():
                raise PublishError("That time has already passed.")
            await self._confirm_notice_in(conn, notice_id, actor)
            confirmed = await store.notice_in(conn, notice_id)
        assert confirmed is not None
        return confirmed

    async def _confirm_notice_in(self, conn: aiosqlite.Connection, notice_id: int,
                                 actor: str) -> None:
        notice = await store.notice_in(conn, notice_id)
        assert notice is not None and notice.mac is not None
        await store.confirm_notice_in(conn, notice_id, actor, integrity.notice_confirm_mac(
            self.privacy, notice_id, notice.mac, actor))

    async def list_notices(self) -> list[Notice]:
        """The notices still to go out (proposed or scheduled), soonest first."""
        return await store.scheduled_notices(self.db, statuses=("proposed", "scheduled"))

    async def cancel_notice(self, notice_id: int) -> bool:
        return await store.cancel_notice(self.db, notice_id)

    async def send_due_notices(self) -> int:
        """Fans out every confirmed notice whose time has come (once each). A notice that
        fails its MACs is not sent (the integrity check reports and quarantines it)."""
        now = self.clock.now()
        due = await store.scheduled_notices(self.db, until=now)
        total = 0
        for notice in due:
            if integrity.notice_problem(self.privacy, notice, confirmed=True) is not None:
                log.warning("notice %d failed its integrity check: not sent", notice.id)
                continue
            async with self.db.write() as conn:
                if await store.notice_status_in(conn, notice.id) != "scheduled":
                    continue
                total += await self._fan_out_notice(conn, notice, now)
        if due:
            self.wake()
        return total

    async def _fan_out_notice(self, conn: aiosqlite.Connection, notice: Notice,
                              now: float) -> int:
        """The notice's carrier row (MAC'd with the notice's two people) and its deliveries."""
        alert_id = await store.insert(
            conn, type_=MessageType.NOTICE, status=AlertStatus.PUBLISHED, now=now,
            expires=now + 24 * 3600, drill=self.config.alerts.drill,
            created_by=notice.created_by)
        await store.mark_published(conn, alert_id, now, notice.confirmed_by or "", None)
        carrier = await store.get_any_in(conn, alert_id)
        assert carrier is not None
        mac = integrity.alert_mac(self.privacy, carrier, "", carrier.created_by)
        await store.set_mac_in(conn, alert_id, mac)
        await store.set_confirm_mac_in(conn, alert_id, integrity.alert_confirm_mac(
            self.privacy, alert_id, mac, carrier.confirmed_by, carrier.published))
        count = await deliveries.enqueue_notice(conn, alert_id, now, notice.regions)
        await store.mark_notice_sent(conn, notice.id, alert_id)
        return count


@dataclass(frozen=True)
class Job:
    """A job the composition root adds beside the alerts' own (retention purge, the audit
    head, held-report summaries, backups): an APScheduler trigger and what to run."""

    id: str
    trigger: Any
    run: Callable[[], Awaitable[object]]
    at_start: bool = False      # also run once when the scheduler starts


def _awaited(run: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    """A coroutine function around `run`: APScheduler awaits only coroutine *functions*; a
    lambda returning a coroutine would be run in a thread and its coroutine never awaited."""
    async def job() -> None:
        await run()

    return job


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
            add(_awaited(job.run), job.trigger, id=job.id, replace_existing=True)

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
