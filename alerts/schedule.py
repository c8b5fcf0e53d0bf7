"""Schedules: the daily digest, community notices, expiry, purge and the dispatcher's safety
net, on APScheduler's AsyncIOScheduler.

Jobs only call service functions (tested directly with a fake clock). What a job has done is
recorded in `schedule_runs` and `notices`, so a job missed while the process was down runs
once when it comes back (`catch_up`), and a job that runs twice does nothing the second time.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from alerts import outbox
from alerts.status import AlertStatus, MessageType

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

DIGEST = "digest"


def _tz(app: App) -> ZoneInfo:
    return ZoneInfo(app.config.bot.timezone)


def digest_slot(app: App, day: date) -> float:
    """The digest time on a local calendar day (DST-aware)."""
    hour, minute = (int(x) for x in app.config.alerts.digest_time.split(":"))
    return datetime.combine(day, time(hour, minute), _tz(app)).timestamp()


def latest_digest_slot(app: App, now: float) -> float:
    today = datetime.fromtimestamp(now, _tz(app)).date()
    slot = digest_slot(app, today)
    return slot if slot <= now else digest_slot(app, today - timedelta(days=1))


async def _last_run(app: App, name: str) -> float | None:
    row = await app.db.fetchone("SELECT last_run FROM schedule_runs WHERE name = ?", (name,))
    return float(row[0]) if row else None


async def run_digest(app: App, slot: float | None = None) -> int:
    """Queues the digest for digest-mode subscribers who had alerts in their regions since the
    previous digest. Nothing is sent to someone with nothing to read. Returns deliveries."""
    now = app.clock.now()
    slot = latest_digest_slot(app, now) if slot is None else slot
    last = await _last_run(app, DIGEST)
    if last is not None and last >= slot:
        return 0
    since = int(last if last is not None else slot - 24 * 3600)
    until = int(slot)
    async with app.db.write() as conn:
        digest_id = await outbox.insert_alert(
            conn, type_=MessageType.DIGEST, status=AlertStatus.PUBLISHED, now=now,
            expires=now + 12 * 3600, window=(since, until), drill=app.config.alerts.drill)
        cur = await conn.execute(
            "INSERT OR IGNORE INTO deliveries (alert_id, pid, channel, status, next_attempt)"
            " SELECT ?, p.pid, u.channel, 'pending', ? FROM subscribers p"
            " JOIN users u ON u.pid = p.pid WHERE p.mode = 'digest' AND EXISTS ("
            "  SELECT 1 FROM subscription_regions s JOIN alerts a ON a.region = s.region"
            "  WHERE s.pid = p.pid AND a.type = 'alert' AND a.published >= ?"
            "  AND a.published < ? AND a.status IN ('published', 'cleared', 'expired'))",
            (digest_id, now, since, until))
        count = cur.rowcount
        await conn.execute(
            "INSERT INTO schedule_runs (name, last_run) VALUES (?, ?)"
            " ON CONFLICT(name) DO UPDATE SET last_run = excluded.last_run", (DIGEST, slot))
    _wake(app)
    return count


async def schedule_notice(app: App, run_at: float, regions: list[str] | None, text_es: str,
                          text_en: str, actor: str) -> int:
    """A community notice for later; `regions=None` means every subscriber."""
    async with app.db.write() as conn:
        cur = await conn.execute(
            "INSERT INTO notices (run_at, regions, text_es_sealed, text_en_sealed, created_by)"
            " VALUES (?, ?, x'', x'', ?)",
            (int(run_at), "*" if regions is None else ",".join(sorted(regions)), actor))
        notice_id = cur.lastrowid
        assert notice_id is not None
        await conn.execute(
            "UPDATE notices SET text_es_sealed = ?, text_en_sealed = ? WHERE id = ?",
            (app.privacy.seal_text(text_es, f"notice:{notice_id}"),
             app.privacy.seal_text(text_en, f"notice:{notice_id}"), notice_id))
    return notice_id


async def list_notices(app: App) -> list[Any]:
    return await app.db.fetchall(
        "SELECT id, run_at, regions, status FROM notices WHERE status = 'scheduled'"
        " ORDER BY run_at, id")


async def cancel_notice(app: App, notice_id: int) -> bool:
    changed = await app.db.execute(
        "UPDATE notices SET status = 'cancelled' WHERE id = ? AND status = 'scheduled'",
        (notice_id,))
    return changed > 0


async def send_due_notices(app: App) -> int:
    """Fans out every scheduled notice whose time has come (once each)."""
    now = app.clock.now()
    due = await app.db.fetchall(
        "SELECT id, regions FROM notices WHERE status = 'scheduled' AND run_at <= ?"
        " ORDER BY run_at, id", (int(now),))
    total = 0
    for notice in due:
        async with app.db.write() as conn:
            async with conn.execute("SELECT status FROM notices WHERE id = ?",
                                    (notice["id"],)) as cur:
                row = await cur.fetchone()
            if row is None or row[0] != "scheduled":
                continue
            alert_id = await outbox.insert_alert(
                conn, type_=MessageType.NOTICE, status=AlertStatus.PUBLISHED, now=now,
                expires=now + 24 * 3600, drill=app.config.alerts.drill)
            if notice["regions"] == "*":
                where, params = "1 = 1", ()
            else:
                regions = tuple(notice["regions"].split(","))
                marks = ",".join("?" for _ in regions)
                where = ("p.pid IN (SELECT pid FROM subscription_regions"
                         f" WHERE region IN ({marks}))")
                params = regions
            cur2 = await conn.execute(
                "INSERT OR IGNORE INTO deliveries (alert_id, pid, channel, status, next_attempt)"
                f" SELECT ?, p.pid, u.channel, 'pending', ? FROM subscribers p"
                f" JOIN users u ON u.pid = p.pid WHERE {where}", (alert_id, now, *params))
            total += cur2.rowcount
            await conn.execute("UPDATE notices SET status = 'sent', alert_id = ? WHERE id = ?",
                               (alert_id, notice["id"]))
    if due:
        _wake(app)
    return total


async def catch_up(app: App) -> None:
    """At start-up: run once what was missed while the process was down (within grace)."""
    now = app.clock.now()
    grace = app.config.alerts.catch_up_hours * 3600
    slot = latest_digest_slot(app, now)
    last = await _last_run(app, DIGEST)
    if (last is None or last < slot) and now - slot <= grace:
        await run_digest(app, slot)
    await send_due_notices(app)
    from alerts.publish import expire

    await expire(app)


def _wake(app: App) -> None:
    dispatcher = getattr(app, "alert_dispatcher", None)
    if dispatcher is not None:
        dispatcher.wake()


class Scheduler:
    """APScheduler jobs with fixed ids, registered at start-up (replace_existing)."""

    def __init__(self, app: App) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self.app = app
        self.scheduler = AsyncIOScheduler(
            timezone=_tz(app),
            job_defaults={"misfire_grace_time": 3600, "coalesce": True, "max_instances": 1})

    def register(self) -> None:
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        hour, minute = (int(x) for x in self.app.config.alerts.digest_time.split(":"))
        add = self.scheduler.add_job
        add(self._digest, CronTrigger(hour=hour, minute=minute, timezone=_tz(self.app)),
            id="digest", replace_existing=True)
        add(self._minutely, IntervalTrigger(minutes=1), id="notices-expiry",
            replace_existing=True)
        add(self._drain, IntervalTrigger(seconds=30), id="drain-safety-net",
            replace_existing=True)
        # Issue 17: field verifiers' escalation and check-ins (alerts/rrn/timers.py).
        add(self._rrn, IntervalTrigger(minutes=1), id="rrn-timers", replace_existing=True)
        purge = getattr(self.app, "purge", None)
        if callable(purge):
            add(purge, IntervalTrigger(hours=1), id="retention-purge", replace_existing=True)
        if self.app.config.backup.enabled:
            from bot.backup import scheduled_backup

            b_hour, b_minute = (int(x) for x in self.app.config.backup.time.split(":"))
            add(scheduled_backup, CronTrigger(hour=b_hour, minute=b_minute, timezone=_tz(
                self.app)), args=(self.app,), id="backup", replace_existing=True)

    async def start(self) -> None:
        self.register()
        self.scheduler.start()
        await catch_up(self.app)

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def _digest(self) -> None:
        await run_digest(self.app)

    async def _minutely(self) -> None:
        from alerts.publish import expire

        await send_due_notices(self.app)
        await expire(self.app)

    async def _rrn(self) -> None:
        from alerts.rrn import timers

        await timers.run(self.app)

    async def _drain(self) -> None:
        _wake(self.app)
