"""What the publishing moderator sees: one progress message, edited in place where the channel
can ("sent 600 / 1,234"), then the final count."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from babel.numbers import format_decimal

from alerts.deps import AlertDeps, Outlet
from alerts.status import OPEN_DELIVERY
from bot.i18n import N_
from bot.messages import Address, Reply
from bot.store import alerts as store
from bot.store import deliveries
from bot.store import users as user_store

log = logging.getLogger(__name__)


def summary(counts: dict[str, int]) -> dict[str, int]:
    return {
        "total": sum(counts.values()),
        "sent": counts.get("sent", 0),
        "failed": counts.get("failed", 0),
        "window": counts.get("skipped_window", 0),
        "expired": counts.get("skipped_expired", 0),
        "unsubscribed": counts.get("unsubscribed", 0),
        "cancelled": counts.get("cancelled", 0),
        "open": sum(counts.get(str(s), 0) for s in OPEN_DELIVERY),
    }


class ProgressMessages:
    """Keeps each publisher's progress message current (at most every
    `alerts.progress_every_seconds`, and always once an alert is done)."""

    def __init__(self, deps: AlertDeps, outlet: Outlet) -> None:
        self.deps = deps
        self.outlet = outlet

    async def update(self, alert_ids: Iterable[int], force: bool = False) -> None:
        """Each alert's message; one that cannot be shown (a sealed destination that does
        not open) is given up, never the round."""
        for alert_id in sorted(alert_ids):
            try:
                await self._update(alert_id, force)
            except Exception as exc:
                log.exception("progress for alert %d failed (%s); not shown any more",
                              alert_id, type(exc).__name__)
                await store.set_progress(self.deps.db, alert_id, None, self.deps.clock.now(),
                                         done=True)

    async def resume(self) -> None:
        """Every alert with nothing left to send whose publisher has not been shown the final
        count (the process stopped or died between the last send and it): shown now."""
        for alert_id in await store.progress_unfinished(self.deps.db):
            if summary(await deliveries.counts(self.deps.db, alert_id))["open"] == 0:
                await self.update([alert_id])

    async def _update(self, alert_id: int, force: bool) -> None:
        deps = self.deps
        now = deps.clock.now()
        alert = await store.get(deps.db, alert_id)
        if alert is None or alert.progress_to_sealed is None:
            return
        numbers = summary(await deliveries.counts(deps.db, alert_id))
        done = numbers["open"] == 0
        last = alert.progress_updated
        every = deps.config.alerts.progress_every_seconds
        if not done and not force and last is not None and now - last < every:
            return
        text = await self._text(alert_id, alert.created_by, numbers, done)
        address = deps.progress_address(alert.progress_to_sealed)
        # The message id is sealed like the address: a WhatsApp id carries the number.
        context = f"progress-message:{alert_id}"
        previous = None if alert.progress_message is None \
            else deps.privacy.unseal_text(alert.progress_message, context)
        provider_id = await self._show(address, text, previous, done)
        await store.set_progress(
            deps.db, alert_id,
            deps.privacy.seal_text(provider_id, context) if provider_id else None, now, done)

    async def _text(self, alert_id: int, pid: str | None, numbers: dict[str, int],
                    done: bool) -> str:
        locale = await self._locale(pid)
        t = self.deps.i18n.translator(locale)
        fmt = {k: format_decimal(v, locale=locale) for k, v in numbers.items()}
        if not done:
            return t("Alert #{n}: sent {sent} / {total}", n=alert_id, sent=fmt["sent"],
                     total=fmt["total"])
        lines = [t("Alert #{n} finished: {sent} sent, {failed} failed.", n=alert_id,
                   sent=fmt["sent"], failed=fmt["failed"])]
        # Only the counters that happened: a Telegram-only network never has a window.
        extra = {"window": N_("Not sent, outside WhatsApp's 24-hour window: {count}"),
                 "expired": N_("Not sent, the alert had expired: {count}"),
                 "unsubscribed": N_("Had unsubscribed or blocked the bot: {count}")}
        lines += [t(line, count=fmt[key]) for key, line in extra.items() if numbers[key]]
        return "\n".join(lines)

    async def _show(self, address: Address, text: str, previous: str | None,
                    done: bool) -> str | None:
        if previous:
            edited = await self.outlet.edit(address, previous, Reply(text, staff=True))
            if edited is not None and edited.ok:
                return previous
            if edited is None and not done:
                return previous   # a channel that cannot edit gets the first and the final
        result = await self.outlet.send(address, Reply(text, staff=True))
        return result.provider_id if result.ok else previous

    async def _locale(self, pid: str | None) -> str:
        locale = await user_store.locale_of(self.deps.db, pid) if pid else None
        return locale or self.deps.config.bot.default_locale
