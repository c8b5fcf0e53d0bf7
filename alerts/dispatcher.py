"""Delivery: claim due outbox rows, pace each channel at its limit, send, record the outcome.

Retry decisions, like Alertmanager's and mailroom's, are explicit and follow the outcome the
channel set (`SendResult.outcome`), never words in an error:
- sent → `sent` (with a keyed hash of the provider's message id, for status webhooks);
- retry_after N → `retry` at now + N, and the whole channel pauses N;
- blocked (they blocked us, stopped marketing) → `unsubscribed`, and so are they;
- window_closed (WhatsApp, no template) → `skipped_window`;
- failed: permanent → `failed` with the reason; transient (5xx, timeout, network) → `retry`
  with exponential backoff, `failed` after `max_attempts`;
- the alert expired before its turn → `skipped_expired` (an expired alert is never sent).
One delivery that cannot be prepared (an address that does not unseal, an alert that does not
render) is `failed` with its reason and the round goes on: it never holds back the others.
A row is recorded right after its send, so a crash repeats at most the sends in flight, and
a stop (SIGTERM) lets the sends in flight finish and be recorded before it cancels anything:
a cancelled send may already have reached the platform (docs/RELIABILITY.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass, field

from alerts import subscriptions as subs
from alerts.deps import Outlet
from alerts.progress import ProgressMessages
from alerts.ratelimit import Pacer
from alerts.service import AlertService
from alerts.status import DeliveryStatus, MessageType
from bot.config import PaceConfig
from bot.messages import Address, Reply, SendOutcome, SendResult
from bot.store import alerts as alert_store
from bot.store import deliveries
from bot.store.alerts import Alert
from bot.store.deliveries import Delivery

log = logging.getLogger(__name__)

# How long a stop waits for sends in flight: longer than one Bot API / Graph API call may take.
STOP_GRACE_SECONDS = 30.0
# What a round keeps of a rendered text: the same words for everyone in a language.
Texts = dict[tuple[int, str], str | None]


def backoff(attempts: int, rng: random.Random) -> float:
    """2, 4, 8 … seconds up to five minutes, with jitter so retries do not stampede."""
    base = min(300.0, 2.0 ** max(attempts, 1))
    return base * (0.75 + rng.random() / 2)


@dataclass
class ChannelLane:
    name: str
    pace: PaceConfig
    pacer: Pacer
    last_sent: dict[str, float] = field(default_factory=dict)


class DeliveryDispatcher:
    """The alert fan-out, one per process; `run()` until `stop()`. Tests drive `drain()`
    with a fake clock."""

    def __init__(self, alerts: AlertService, outlet: Outlet,
                 rng: random.Random | None = None) -> None:
        self.alerts = alerts
        self.outlet = outlet
        self.db = alerts.db
        self.clock = alerts.clock
        self.config = alerts.config.alerts
        self.progress = ProgressMessages(alerts, outlet)
        self.rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._wakes: list[asyncio.Event] = []     # one per channel loop of run()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.lanes: dict[str, ChannelLane] = {}
        # Sends between their request and their recorded outcome; a stop waits for them.
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def lane(self, channel: str) -> ChannelLane:
        if channel not in self.lanes:
            pace = self.config.pace.get(channel) or PaceConfig()
            self.lanes[channel] = ChannelLane(channel, pace,
                                              Pacer(self.clock, pace.rate_per_second))
        return self.lanes[channel]

    def wake(self) -> None:
        for wake in (self._wake, *self._wakes):
            wake.set()

    async def start(self) -> None:
        await deliveries.release_claims(self.db)
        self._task = asyncio.create_task(self.run(), name="delivery-dispatcher")

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Claims nothing more, lets the sends in flight finish and be recorded (up to
        `grace` seconds), then cancels what only waits for its turn and puts it back."""
        if self._task is None:
            return
        self._stopping = True
        self.wake()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), grace)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        # Claimed but never sent: due again at once for the next process.
        await deliveries.release_claims(self.db)
        self._task, self._stopping = None, False  # drain() still works by hand afterwards
        self._wakes.clear()

    async def run(self) -> None:
        """One sending loop per channel: a round of one channel never waits for another's
        (WhatsApp at 80/s used to wait for Telegram's 30/s at the end of every round)."""
        await asyncio.gather(*(self._run_lane((channel,)) for channel in self._channels()))

    async def _run_lane(self, channels: tuple[str, ...]) -> None:
        wake = asyncio.Event()
        self._wakes.append(wake)
        while not self._stopping:
            try:
                sent = await self.drain_once(channels)
            except Exception:
                log.exception("dispatcher round failed; retrying shortly")
                sent = 0
            if sent:
                continue
            try:
                await self.progress.resume()
            except Exception:
                log.exception("progress resume failed; retrying on the next round")
            wake.clear()
            due = await deliveries.next_due(self.db, channels)
            timeout = 30.0 if due is None else max(0.05, due - self.clock.now())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=min(timeout, 30.0))

    def _channels(self) -> tuple[str, ...]:
        return self.outlet.channel_names() or ("none",)

    async def drain(self, max_rounds: int = 10_000) -> int:
        """Processes everything that is due now (advancing a fake clock as pacing waits)."""
        total = 0
        for _ in range(max_rounds):
            handled = await self.drain_once()
            if not handled:
                break
            total += handled
        return total

    async def drain_once(self, channels: tuple[str, ...] | None = None) -> int:
        channels = channels or self._channels()
        claims = await deliveries.claim(self.db, self.clock.now(), self.config.lease_seconds,
                                        self._batch(channels), channels,
                                        self.config.max_attempts)
        if not claims:
            return 0
        by_channel: dict[str, list[Delivery]] = {}
        for c in claims:
            by_channel.setdefault(c.channel, []).append(c)
        alerts = await alert_store.get_many(self.db, sorted({c.alert_id for c in claims}))
        texts: Texts = {}
        await asyncio.gather(*(self._send_lane(self.lane(ch), items, alerts, texts)
                               for ch, items in by_channel.items()))
        await self.progress.update({c.alert_id for c in claims})
        return len(claims)

    def _batch(self, channels: tuple[str, ...]) -> int:
        """batch_size, but for one slow channel no more than a third of the lease's sending
        (a round of 2,000 at WhatsApp's 80/s would take 25 s of a 30 s lease)."""
        if len(channels) != 1:
            return self.config.batch_size
        rate = self.lane(channels[0]).pace.rate_per_second
        return max(1, min(self.config.batch_size, int(rate * self.config.lease_seconds / 3)))

    async def _send_lane(self, lane: ChannelLane, claims: list[Delivery],
                         alerts: dict[int, Alert], texts: Texts) -> None:
        queue: asyncio.Queue[Delivery] = asyncio.Queue()
        for c in claims:
            queue.put_nowait(c)

        async def worker() -> None:
            while not queue.empty() and not self._stopping:
                await self._deliver_isolated(lane, queue.get_nowait(), alerts, texts)

        await asyncio.gather(*(worker() for _ in range(min(lane.pace.concurrency,
                                                            len(claims)))))

    async def _deliver_isolated(self, lane: ChannelLane, claim: Delivery,
                                alerts: dict[int, Alert], texts: Texts) -> None:
        """One delivery; whatever goes wrong with it is recorded on it, not on the round."""
        try:
            await self._deliver(lane, claim, alerts, texts)
        except Exception as exc:
            # Never the exception's text: it may quote what it failed on.
            reason = f"error: {type(exc).__name__}"
            log.exception("delivery %d failed (%s); the round goes on", claim.id, reason)
            await deliveries.record(self.db, claim.id, DeliveryStatus.FAILED, error=reason)

    async def _deliver(self, lane: ChannelLane, claim: Delivery, alerts: dict[int, Alert],
                       texts: Texts) -> None:
        now = self.clock.now()
        alert = alerts.get(claim.alert_id)
        if alert is None or claim.address_sealed is None:
            await deliveries.record(self.db, claim.id, DeliveryStatus.UNSUBSCRIBED)
            return
        if alert.expires <= now:
            await deliveries.record(self.db, claim.id, DeliveryStatus.SKIPPED_EXPIRED)
            return
        if self.alerts.send_problem(alert) is not None:
            # Not written by Compa, or by one person: never sent (alerts/integrity.py reports).
            await deliveries.record(self.db, claim.id, DeliveryStatus.FAILED, error="integrity")
            return
        if alert.parent_id is not None and not await self._original_went_out(claim, alert, now):
            return
        spacing = lane.pace.per_chat_seconds
        last = lane.last_sent.get(claim.pid)
        if spacing and last is not None and now - last < spacing:
            # Too soon after this person's previous message: wait for their turn, not ours.
            await deliveries.record(self.db, claim.id, DeliveryStatus.PENDING,
                                    next_attempt=last + spacing)
            return
        text = await self._text(claim, alert, texts, now)
        if text is None:
            await deliveries.record(self.db, claim.id, DeliveryStatus.CANCELLED, error="empty")
            return
        chat_id = self.alerts.privacy.unseal_text(claim.address_sealed,
                                                  f"address:{claim.channel}")
        await lane.pacer.acquire()
        if self._stopping:
            return  # not sent: the stop puts the claim back
        self._in_flight += 1
        self._idle.clear()
        try:
            result = await self.outlet.send(Address(claim.channel, chat_id), Reply(text))
            lane.last_sent[claim.pid] = self.clock.now()
            await self._record(lane, claim, result)
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    async def _original_went_out(self, claim: Delivery, alert: Alert, now: float) -> bool:
        """A follow-up goes only to people whose original went out, and after it."""
        original = await deliveries.original_outcome(self.db, alert.parent_id or 0, claim.pid)
        if original in ("pending", "claimed", "retry"):
            await deliveries.record(self.db, claim.id, DeliveryStatus.PENDING,
                                    next_attempt=now + 1.0)
            return False
        if original != DeliveryStatus.SENT:
            await deliveries.record(self.db, claim.id, DeliveryStatus.CANCELLED,
                                    error=f"original {original}")
            return False
        return True

    async def _text(self, claim: Delivery, alert: Alert, texts: Texts, now: float
                    ) -> str | None:
        locale = claim.locale or self.alerts.config.bot.default_locale
        if alert.type == MessageType.DIGEST:
            return await self.alerts.render(alert, claim.pid, locale, now)  # each their own
        key = (claim.alert_id, locale)
        if key not in texts:
            texts[key] = await self.alerts.render(alert, claim.pid, locale, now)
        return texts[key]

    async def _record(self, lane: ChannelLane, claim: Delivery, result: SendResult) -> None:
        db, now, outcome = self.db, self.clock.now(), result.outcome
        if outcome is SendOutcome.SENT:
            await deliveries.record(db, claim.id, DeliveryStatus.SENT,
                                    provider_id=self.alerts.provider_key(result.provider_id))
        elif outcome is SendOutcome.RETRY_AFTER:
            wait = result.retry_after if result.retry_after is not None else 1.0
            lane.pacer.pause(wait)
            await deliveries.record(db, claim.id, DeliveryStatus.RETRY,
                                    next_attempt=now + wait, error="rate limited")
        elif outcome is SendOutcome.WINDOW_CLOSED:
            await deliveries.record(db, claim.id, DeliveryStatus.SKIPPED_WINDOW,
                                    error="window closed")
        elif outcome is SendOutcome.BLOCKED:
            # They blocked the bot (or stopped messages): stop everything for them.
            await deliveries.record(db, claim.id, DeliveryStatus.UNSUBSCRIBED, error="blocked")
            await subs.unsubscribe(db, claim.pid)
        elif result.permanent or claim.attempts >= self.config.max_attempts:
            await deliveries.record(db, claim.id, DeliveryStatus.FAILED,
                                    error=(result.error or "failed")[:200])
        else:
            await deliveries.record(db, claim.id, DeliveryStatus.RETRY,
                                    next_attempt=now + backoff(claim.attempts, self.rng),
                                    error=(result.error or "transient")[:200])
