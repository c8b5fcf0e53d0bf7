"""What a platform reports later about a message (WhatsApp status webhooks), applied to the
outbox by the provider's message id. Delivered and read are counted, never stored per person."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from alerts import outbox
from alerts import subscriptions as subs
from alerts.status import DeliveryStatus

if TYPE_CHECKING:
    from bot.app import App

# Outcome names as the channel sends them (bot/channels/whatsapp_delivery.Outcome values).
_FINAL = {
    "skipped_window": DeliveryStatus.SKIPPED_WINDOW,
    "unsubscribed": DeliveryStatus.UNSUBSCRIBED,
    "failed": DeliveryStatus.FAILED,
}
DEFAULT_RETRY_SECONDS = 30.0


class OutboxDeliveryEvents:
    def __init__(self, app: App) -> None:
        self.app = app
        self.counts: Counter[str] = Counter()

    async def on_status(self, provider_id: str, outcome: str, error_code: int | None, *,
                        retry_after: float | None = None,
                        resent_as: str | None = None) -> None:
        outcome = str(outcome)
        self.counts[outcome] += 1
        db = self.app.db
        # The outbox keeps keyed hashes of provider ids (alerts.outbox.provider_key); rows
        # written before that hold the id itself until they are purged.
        key = outbox.provider_key(self.app.privacy, provider_id)
        if outcome == "resent_template" and resent_as:
            await db.execute("UPDATE deliveries SET provider_id = ? WHERE provider_id IN (?, ?)",
                             (outbox.provider_key(self.app.privacy, resent_as), key,
                              provider_id))
        elif outcome == "retry":
            # Sent, then refused later (rate limit): it goes out again after the wait.
            await db.execute(
                "UPDATE deliveries SET status = 'retry', next_attempt = ?, error = ?"
                " WHERE provider_id IN (?, ?) AND status = 'sent'",
                (self.app.clock.now() + (retry_after or DEFAULT_RETRY_SECONDS),
                 f"whatsapp:{error_code}", key, provider_id))
            dispatcher = self.app.alert_dispatcher
            if dispatcher is not None:
                dispatcher.wake()
        elif outcome in _FINAL:
            await db.execute(
                "UPDATE deliveries SET status = ?, error = ? WHERE provider_id IN (?, ?)"
                " AND status = 'sent'",
                (str(_FINAL[outcome]), f"whatsapp:{error_code}", key, provider_id))

    async def on_unsubscribe(self, pid: str) -> None:
        self.counts["unsubscribe"] += 1
        await subs.unsubscribe(self.app.db, pid)
