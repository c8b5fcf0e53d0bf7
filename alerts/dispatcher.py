"""Delivery: claim due outbox rows, pace each channel at its limit, send, record the outcome.

Retry decisions, like Alertmanager's and mailroom's, are explicit:
- sent → `sent` (with the provider's message id, for status webhooks);
- the platform said "retry after N" → `retry` at now + N, and the whole channel pauses N;
- transient (5xx, timeout, network) → `retry` with exponential backoff, `failed` after
  `max_attempts`;
- permanent: blocked or deactivated → `failed` and the person is unsubscribed; WhatsApp window
  closed with no template → `skipped_window`; anything else → `failed` with the reason;
- the alert expired before its turn → `skipped_expired` (an expired alert is never sent).
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
from typing import TYPE_CHECKING, Any

from alerts import outbox, progress
from alerts import subscriptions as subs
from alerts.outbox import Claim
from alerts.ratelimit import Pacer
from alerts.render import render
from alerts.status import DeliveryStatus, MessageType
from bot.config import PaceConfig
from bot.messages import Address, Reply, SendResult

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

BLOCKED_WORDS = ("blocked", "deactivated", "forbidden", "131050", "user is deactivated",
                 "stopped marketing")
WINDOW_ERROR = "skipped_window"
# How long a stop waits for sends in flight: longer than one Bot API / Graph API call may take.
STOP_GRACE_SECONDS = 30.0


def is_blocked(result: SendResult) -> bool:
    error = (result.error or "").lower()
    return result.permanent and any(word in error for word in BLOCKED_WORDS)


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


class AlertDispatcher:
    """One per process; `run()` until `stop()`. Tests drive `drain()` with a fake clock."""

    def __init__(self, app: App, rng: random.Random | None = None) -> None:
        self.app = app
        self.config = app.config.alerts
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
                                              Pacer(self.app.clock, pace.rate_per_second))
        return self.lanes[channel]

    def wake(self) -> None:
        for wake in (self._wake, *self._wakes):
            wake.set()

    async def start(self) -> None:
        await outbox.release_claims(self.app.db)
        self._task = asyncio.create_task(self.run(), name="alert-dispatcher")

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
        await outbox.release_claims(self.app.db)
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
            wake.clear()
            due = await outbox.next_due(self.app.db, channels)
            timeout = 30.0 if due is None else max(0.05, due - self.app.clock.now())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=min(timeout, 30.0))

    def _channels(self) -> tuple[str, ...]:
        return tuple(self.app.channels) or ("none",)

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
        limit = self._batch(channels)
        claims = await outbox.claim(self.app.db, self.app.clock.now(),
                                    self.config.lease_seconds, limit, channels)
        if not claims:
            return 0
        by_channel: dict[str, list[Claim]] = {}
        for c in claims:
            by_channel.setdefault(c.channel, []).append(c)
        ids = sorted({c.alert_id for c in claims})
        marks = ",".join("?" for _ in ids)
        alerts = {int(row["id"]): row for row in await self.app.db.fetchall(
            f"SELECT * FROM alerts WHERE id IN ({marks})", ids)}
        texts: dict[tuple[int, str], str | None] = {}
        await asyncio.gather(*(self._send_lane(self.lane(ch), items, alerts, texts)
                               for ch, items in by_channel.items()))
        await progress.report(self.app, {c.alert_id for c in claims})
        return len(claims)

    def _batch(self, channels: tuple[str, ...]) -> int:
        """batch_size, but for one slow channel no more than a third of the lease's sending
        (a round of 2,000 at WhatsApp's 80/s would take 25 s of a 30 s lease)."""
        if len(channels) != 1:
            return self.config.batch_size
        rate = self.lane(channels[0]).pace.rate_per_second
        return max(1, min(self.config.batch_size, int(rate * self.config.lease_seconds / 3)))

    async def _send_lane(self, lane: ChannelLane, claims: list[Claim], alerts: dict[int, Any],
                         texts: dict[tuple[int, str], str | None]) -> None:
        queue: asyncio.Queue[Claim] = asyncio.Queue()
        for c in claims:
            queue.put_nowait(c)

        async def worker() -> None:
            while not queue.empty() and not self._stopping:
                await self._deliver(lane, queue.get_nowait(), alerts, texts)

        await asyncio.gather(*(worker() for _ in range(min(lane.pace.concurrency,
                                                            len(claims)))))

    async def _deliver(self, lane: ChannelLane, claim: Claim, alerts: dict[int, Any],
                       texts: dict[tuple[int, str], str | None]) -> None:
        app, now = self.app, self.app.clock.now()
        alert = alerts.get(claim.alert_id)
        if alert is None or claim.address_sealed is None:
            await outbox.record(app.db, claim.id, DeliveryStatus.UNSUBSCRIBED)
            return
        if alert["expires"] <= now:
            await outbox.record(app.db, claim.id, DeliveryStatus.SKIPPED_EXPIRED)
            return
        if alert["parent_id"] is not None:
            # A follow-up goes only to people whose original went out, and after it.
            original = await outbox.original_outcome(app.db, int(alert["parent_id"]), claim.pid)
            if original in ("pending", "claimed", "retry"):
                await outbox.record(app.db, claim.id, DeliveryStatus.PENDING,
                                    next_attempt=now + 1.0)
                return
            if original != DeliveryStatus.SENT:
                await outbox.record(app.db, claim.id, DeliveryStatus.CANCELLED,
                                    error=f"original {original}")
                return
        spacing = lane.pace.per_chat_seconds
        last = lane.last_sent.get(claim.pid)
        if spacing and last is not None and now - last < spacing:
            # Too soon after this person's previous message: wait for their turn, not ours.
            await outbox.record(app.db, claim.id, DeliveryStatus.PENDING,
                                next_attempt=last + spacing)
            return
        locale = claim.locale or app.config.bot.default_locale
        key = (claim.alert_id, locale)
        if alert["type"] == MessageType.DIGEST:
            text = await render(app, alert, claim.pid, locale, now)  # each person's own
        elif key in texts:
            text = texts[key]  # the same words for everyone in this language, this round
        else:
            text = texts[key] = await render(app, alert, claim.pid, locale, now)
        if text is None:
            await outbox.record(app.db, claim.id, DeliveryStatus.CANCELLED, error="empty")
            return
        chat_id = app.privacy.unseal_text(claim.address_sealed, f"address:{claim.channel}")
        await lane.pacer.acquire()
        if self._stopping:
            return  # not sent: the stop puts the claim back
        self._in_flight += 1
        self._idle.clear()
        try:
            result = await app.send(Address(claim.channel, chat_id), Reply(text))
            lane.last_sent[claim.pid] = app.clock.now()
            await self._record(lane, claim, result)
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    async def _record(self, lane: ChannelLane, claim: Claim, result: SendResult) -> None:
        db, now = self.app.db, self.app.clock.now()
        if result.ok:
            await outbox.record(db, claim.id, DeliveryStatus.SENT,
                                provider_id=outbox.provider_key(self.app.privacy,
                                                                result.provider_id))
        elif result.retry_after is not None:
            lane.pacer.pause(result.retry_after)
            await outbox.record(db, claim.id, DeliveryStatus.RETRY,
                                next_attempt=now + result.retry_after, error="rate limited")
        elif result.permanent and result.error == WINDOW_ERROR:
            await outbox.record(db, claim.id, DeliveryStatus.SKIPPED_WINDOW, error=WINDOW_ERROR)
        elif is_blocked(result):
            # They blocked the bot (or stopped messages): stop everything for them.
            await outbox.record(db, claim.id, DeliveryStatus.UNSUBSCRIBED, error="blocked")
            await subs.unsubscribe(db, claim.pid)
        elif result.permanent or claim.attempts >= self.config.max_attempts:
            await outbox.record(db, claim.id, DeliveryStatus.FAILED,
                                error=(result.error or "failed")[:200])
        else:
            await outbox.record(db, claim.id, DeliveryStatus.RETRY,
                                next_attempt=now + backoff(claim.attempts, self.rng),
                                error=(result.error or "transient")[:200])
