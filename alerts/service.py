"""The alerts service: publishing, notices, digests and rendering over the alerts, deliveries
and notices tables (`bot/store/alerts.py`, `bot/store/deliveries.py`).

Built once in the composition root with only what it uses (`AlertDeps`); handlers reach it as
`ctx.alerts`, the dispatcher and the scheduler are handed it. It never sees a channel: sending
goes through the `Outlet` the core gives the dispatcher.
"""

from __future__ import annotations

from alerts import integrity
from alerts import subscriptions as subs
from alerts.publish import Publishing
from alerts.render import Rendering
from alerts.schedule import DIGEST, Scheduling
from alerts.status import MessageType
from bot.store import alerts as store
from bot.store.alerts import Alert, Notice

__all__ = ["Alert", "AlertService", "Notice"]   # the typed rows handlers read


class AlertService(Publishing, Scheduling, Rendering):
    """Everything a handler, the dispatcher or the scheduler asks about alerts."""

    async def get(self, alert_id: int) -> Alert | None:
        return await store.get(self.db, alert_id)

    def send_problem(self, alert: Alert) -> str | None:
        """Why this alerts row must not be sent (its MACs fail, or one person put it out);
        None when it may go out. The dispatcher asks before every send."""
        return integrity.send_problem(self.privacy, alert)

    async def followup_reach(self, alert: Alert) -> dict[str, int]:
        """How many people a proposed follow-up would reach, per channel."""
        return await store.followup_reach(self.db, alert.parent_id or 0,
                                          alert.type == MessageType.UPDATE)

    async def notice_reach(self, regions: tuple[str, ...] | None) -> dict[str, int]:
        return await store.notice_reach(self.db, regions)

    async def reach(self, region: str) -> dict[str, int]:
        """How many people an alert for `region` would reach now, per channel."""
        return await subs.count_by_channel(self.db, region)

    async def catch_up(self) -> None:
        """At start-up: run once what was missed while the process was down (within grace)."""
        now = self.clock.now()
        grace = self.config.alerts.catch_up_hours * 3600
        slot = self.latest_digest_slot(now)
        last = await store.last_run(self.db, DIGEST)
        if (last is None or last < slot) and now - slot <= grace:
            await self.run_digest(slot)
        await self.send_due_notices()
        await self.expire()
