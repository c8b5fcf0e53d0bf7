"""The retention purge: every table keeps data only as long as the config says.

A service function: it runs at start-up (App.create) and a later scheduler calls it on a
timer; tests call it with a fake clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerts.audit import SYSTEM, AuditLog
from bot.config import Config
from bot.store import alerts as alert_store
from bot.store import followups as followup_store
from bot.store import reports as report_store
from bot.store import sessions as session_store
from bot.store.db import Database

HOUR = 3600
DAY = 24 * HOUR


@dataclass(frozen=True)
class Purged:
    reports: int = 0
    followups: int = 0
    sessions: int = 0
    audit: int = 0
    alerts: int = 0

    @property
    def total(self) -> int:
        return self.reports + self.followups + self.sessions + self.audit + self.alerts


async def purge(db: Database, audit: AuditLog, config: Config, now: float) -> Purged:
    """Deletes what is past its limit: undecided reports (by the incident's newest report),
    decided reports, expired follow-up handles, idle sessions and old audit entries."""
    keep = config.retention
    async with db.write() as conn:
        followups = await followup_store.purge(conn, int(now))
        reports = await report_store.purge(conn, int(now - keep.undecided_report_hours * HOUR),
                                           int(now - keep.decided_report_days * DAY))
        alerts = await alert_store.purge_in(conn, int(now - keep.alert_days * DAY))
    sessions = await session_store.purge_expired(db, now, config.bot.session_ttl_minutes * 60)
    audited = await audit.purge(now - keep.audit_days * DAY)
    result = Purged(reports, followups, sessions, audited, alerts)
    if reports or followups or audited or alerts:
        await audit.append(SYSTEM, "retention:purge",
                           f"reports={reports} followups={followups} audit={audited} "
                           f"alerts={alerts}", now)
    return result

