"""Faults during a fan-out, through the real Telegram adapter and the real DeliveryDispatcher: the
fake Bot API answers 429 with retry_after, 500s, lost answers (504) and "blocked" at random
(seeded) and records every call with its (fake-clock) time, so the counts below are the
platform's own.

Nothing is lost, nothing is duplicated, retry_after is respected, blocked people are
unsubscribed. The one allowed duplicate is the ambiguous failure: the platform carried the
message out but the answer never reached us (a timeout, a gateway's 504), so we cannot know
and send it again (see docs/RELIABILITY.md); the test makes exactly two such people and checks
it is exactly them. The answer is lost at once rather than after a real client timeout, so
the outcome cannot depend on how busy the machine is (a normal send outliving a short client
timeout would be an unplanned duplicate); test_telegram_send covers the real timeout.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from alerts import subscriptions as subs
from alerts.dispatcher import DeliveryDispatcher
from bot.app import App
from bot.channels.telegram import TelegramChannel
from bot.clock import FakeClock
from bot.store import deliveries
from compa_testkit.fakes.telegram_api import TOKEN, Call, FakeTelegram
from compa_testkit.harness import make_config
from tests.fanout_support import REGION, chat_ids, seed_subscribers

pytestmark = pytest.mark.heavy  # a 300-person fan-out through faults

SEED = 20261124
PEOPLE = 300
CONCURRENCY = 8


@dataclass
class Plan:
    """Which person meets which fault (chat ids), drawn from a seeded generator."""

    blocked: set[int] = field(default_factory=set)
    flooded: dict[int, int] = field(default_factory=dict)       # chat → retry_after
    errors: dict[int, int] = field(default_factory=dict)        # chat → how many 500s
    timeouts: set[int] = field(default_factory=set)             # answer lost, nothing done
    ambiguous: set[int] = field(default_factory=set)            # answer lost, carried out


def plan_faults(fake: FakeTelegram, chats: list[int], rng: random.Random) -> Plan:
    plan = Plan()
    for chat in chats:
        roll = rng.random()
        if roll < 0.03:
            plan.blocked.add(chat)
            fake.block(chat)
            continue
        # The others may meet several faults in a row: a 500, then a 429, then a timeout…
        if rng.random() < 0.06:
            plan.errors[chat] = rng.randint(1, 2)
            fake.fail("sendMessage", 500, chat_id=chat, times=plan.errors[chat])
        if rng.random() < 0.05:
            plan.flooded[chat] = rng.randint(1, 6)
            fake.flood("sendMessage", plan.flooded[chat], chat_id=chat)
        if rng.random() < 0.015:
            plan.timeouts.add(chat)
            fake.lose_answer("sendMessage", chat_id=chat)
    free = [c for c in chats if c not in plan.blocked and c not in plan.timeouts]
    for chat in rng.sample(free, 2):
        plan.ambiguous.add(chat)
        fake.lose_answer("sendMessage", chat_id=chat, deliver=True)
    # And two floods that hit whoever comes next.
    fake.flood("sendMessage", 3)
    fake.flood("sendMessage", 2)
    return plan


@pytest.fixture
async def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def fake(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeTelegram]:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    async with FakeTelegram(clock=clock.now) as server:
        yield server


@pytest.fixture
async def app(tmp_path: Path, fake: FakeTelegram, clock: FakeClock) -> AsyncIterator[App]:
    config = make_config(
        tmp_path / "data",
        channels={"console": {"enabled": False},
                  "telegram": {"enabled": True, "api_base_url": fake.url}},
        alerts={"pace": {"telegram": {"rate_per_second": 30.0, "per_chat_seconds": 1.0,
                                      "concurrency": CONCURRENCY}}})
    app = await App.create(config, clock=clock)
    channel = TelegramChannel(app, config.channels.telegram, TOKEN, polling=True)
    try:
        await channel.start()
        app.channels["telegram"] = channel
        yield app
    finally:
        await channel.stop()
        await app.close()


async def run_until_done(app: App, clock: FakeClock, dispatcher: DeliveryDispatcher) -> None:
    """What `DeliveryDispatcher.run` does, with the fake clock jumping to the next due row."""
    for _ in range(200):
        await dispatcher.drain()
        due = await deliveries.next_due(app.db, ("telegram",))
        if due is None:
            return
        clock.advance(max(due - clock.now(), 0.0))
    raise AssertionError("the fan-out did not finish")


def sends_to(calls: list[Call], chat: int) -> list[Call]:
    return [c for c in calls if c.chat_id == str(chat)]


async def test_random_faults_lose_nothing_and_duplicate_nothing(
        app: App, fake: FakeTelegram, clock: FakeClock) -> None:
    chats = chat_ids(PEOPLE)
    pids = await seed_subscribers(app, chats)
    plan = plan_faults(fake, chats, random.Random(SEED))
    # The draw must really contain every kind of fault, or the test proves less than it says.
    assert plan.blocked and plan.flooded and plan.errors and plan.timeouts and plan.ambiguous
    out = await app.alerts.create(region=REGION, kind="checkpoint", note="", actor="mod",
                                  preverified=True)
    assert out.recipients == PEOPLE
    await run_until_done(app, clock, app.delivery_dispatcher(rng=random.Random(SEED)))
    # Every call has its answer (none is held).
    assert all(c.status for c in fake.log if c.method == "sendMessage")
    calls = [c for c in fake.log if c.method == "sendMessage"]
    delivered = Counter(int(c.chat_id or 0) for c in fake.accepted())

    # Nothing lost, nothing duplicated (but the ambiguous timeouts, exactly twice each).
    assert {chat for chat in chats if delivered[chat] == 0} == plan.blocked
    assert {chat for chat, n in delivered.items() if n > 1} == plan.ambiguous
    assert all(delivered[chat] == 2 for chat in plan.ambiguous)
    assert sum(delivered.values()) == PEOPLE - len(plan.blocked) + len(plan.ambiguous)
    statuses = Counter(dict(await app.db.fetchall(
        "SELECT status, COUNT(*) FROM deliveries WHERE alert_id = ? GROUP BY status",
        (out.alert_id,))))
    assert statuses == {"sent": PEOPLE - len(plan.blocked), "unsubscribed": len(plan.blocked)}

    # Every fault really happened, and was followed by exactly one good send.
    for chat in plan.timeouts:
        assert [c.status for c in sends_to(calls, chat)][-2:] == [504, 200]
    for chat, times in plan.errors.items():
        assert [c.status for c in sends_to(calls, chat)].count(500) == times

    # retry_after is respected: that person waits at least that long, and the channel pauses
    # (only sends already in flight, at most concurrency - 1, arrive inside the pause).
    floods = [c for c in calls if c.status == 429]
    assert len(floods) == len(plan.flooded) + 2
    for flood in floods:
        assert flood.retry_after is not None
        later = [c for c in sends_to(calls, int(flood.chat_id or 0)) if c.at > flood.at]
        assert later and later[0].at >= flood.at + flood.retry_after
        inside = [c for c in calls if flood.at < c.at < flood.at + flood.retry_after]
        assert len(inside) <= CONCURRENCY - 1
    # Transient errors back off (2 s × jitter 0.75–1.25 for the first retry).
    for chat in plan.errors:
        mine = sends_to(calls, chat)
        first_error = next(i for i, c in enumerate(mine) if c.status == 500)
        assert mine[first_error + 1].at - mine[first_error].at >= 1.5

    # Blocked people were tried once, then unsubscribed; nobody else was.
    for chat in plan.blocked:
        assert [c.status for c in sends_to(calls, chat)] == [403]
        assert not (await subs.get(app.db, pids[chat])).active
    subscribed = {row[0] for row in await app.db.fetchall("SELECT pid FROM subscribers")}
    assert subscribed == {pids[chat] for chat in chats if chat not in plan.blocked}
