"""Each channel sends in its own rounds: WhatsApp at 80/s must not wait at the end of every
round for Telegram's 30/s (found by `make bench BENCH=raidnight`: WhatsApp reached 16 msg/s
of its 80 while both channels shared rounds)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from alerts import subscriptions as subs
from bot.config import PaceConfig
from compa_testkit.harness import Harness, make_config
from tests.test_fanout import TimedChannel


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    config = make_config(tmp_path / "data", alerts={"batch_size": 200, "pace": {
        "console": {"rate_per_second": 80.0, "per_chat_seconds": 0.0, "concurrency": 4},
        "telegram": {"rate_per_second": 30.0, "per_chat_seconds": 1.0, "concurrency": 8},
    }})
    async with Harness.open(tmp_path / "data", config, channels=()) as harness:
        for name in ("console", "telegram"):
            channel = TimedChannel(name, harness)
            harness.channels[name] = channel
            harness.app.channels[name] = channel
        yield harness


async def _subscribers(h: Harness, channel: str, count: int) -> None:
    for i in range(count):
        person = h.person(f"{channel}{i:03d}", channel)
        await person.start_in("es")
        await subs.save(h.app.db, h.app.pid_for(person.address), subs.Subscription(["buncombe"]))


def _log(h: Harness, name: str) -> list[tuple[float, str, str]]:
    channel = h.channels[name]
    assert isinstance(channel, TimedChannel)
    return channel.log


async def test_a_round_of_one_channel_claims_only_that_channel(h: Harness) -> None:
    await _subscribers(h, "console", 60)
    await _subscribers(h, "telegram", 60)
    await h.app.alerts.create(region="buncombe", kind="checkpoint", note="", actor="mod",
                              preverified=True)
    started = h.clock.now()
    sent = await h.app.delivery_dispatcher().drain_once(("console",))
    assert sent == 60
    assert len(_log(h, "console")) == 60 and _log(h, "telegram") == []
    # 60 at 80/s: under a second of (fake) pacing, not the 2 s Telegram's 60 would take.
    assert h.clock.now() - started < 1.0


async def test_a_slow_channels_round_is_capped_by_the_lease(h: Harness) -> None:
    dispatcher = h.app.delivery_dispatcher()
    # 30/s for a third of the 30 s lease: 300, so batch_size (200) decides.
    assert dispatcher._batch(("telegram",)) == 200
    dispatcher.lane("telegram").pace = PaceConfig(rate_per_second=1.0, per_chat_seconds=1.0,
                                                  concurrency=1)
    assert dispatcher._batch(("telegram",)) == 10


async def test_run_sends_every_channel_in_its_own_loop(h: Harness) -> None:
    await _subscribers(h, "console", 30)
    await _subscribers(h, "telegram", 30)
    dispatcher = h.app.delivery_dispatcher()
    await dispatcher.start()
    try:
        await h.app.alerts.create(region="buncombe", kind="checkpoint", note="",
                                  actor="mod", preverified=True)
        dispatcher.wake()
        for _ in range(20_000):
            if len(_log(h, "console")) == 30 and len(_log(h, "telegram")) == 30:
                break
            await asyncio.sleep(0)
        assert len(_log(h, "console")) == 30 and len(_log(h, "telegram")) == 30
        assert len(dispatcher._wakes) == 2
    finally:
        await dispatcher.stop()
