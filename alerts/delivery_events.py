"""What a platform reports later about a message (WhatsApp status webhooks), applied to the
outbox by the keyed hash of the provider's message id. Delivered and read are counted, never
stored per person. The core plugs this into every channel that `ReportsDeliveries`."""

from __future__ import annotations

from collections import Counter

from alerts import subscriptions as subs
from alerts.deps import AlertDeps
from alerts.status import DeliveryStatus
from bot.channels.base import StatusOutcome
from bot.store import deliveries

_FINAL = {
    StatusOutcome.SKIPPED_WINDOW: DeliveryStatus.SKIPPED_WINDOW,
    StatusOutcome.UNSUBSCRIBED: DeliveryStatus.UNSUBSCRIBED,
    StatusOutcome.FAILED: DeliveryStatus.FAILED,
}
DEFAULT_RETRY_SECONDS = 30.0


class OutboxDeliveryEvents:
    def __init__(self, alerts: AlertDeps) -> None:
        self.alerts = alerts
        self.counts: Counter[str] = Counter()

    async def on_status(self, provider_id: str, outcome: StatusOutcome,
                        error_code: int | None, *, retry_after: float | None = None,
                        resent_as: str | None = None) -> None:
        self.counts[str(outcome)] += 1
        db, key = self.alerts.db, self.alerts.provider_key(provider_id)
        if key is None:
            return
        if outcome is StatusOutcome.RESENT_TEMPLATE and resent_as:
            await deliveries.resent_as(db, key, self.alerts.provider_key(resent_as) or "")
        elif outcome is StatusOutcome.RETRY:
            # Sent, then refused later (rate limit): it goes out again after the wait.
            await deliveries.retry_sent(
                db, key, self.alerts.clock.now() + (retry_after or DEFAULT_RETRY_SECONDS),
                f"whatsapp:{error_code}")
            self.alerts.wake()
        elif outcome in _FINAL:
            await deliveries.settle_sent(db, key, _FINAL[outcome], f"whatsapp:{error_code}")

    async def on_unsubscribe(self, pid: str) -> None:
        self.counts["unsubscribe"] += 1
        await subs.unsubscribe(self.alerts.db, pid)
