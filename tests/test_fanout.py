"""The outbox and the dispatcher: region filtering, lifecycle follow-ups to exactly the
original recipients, expiry, quiet hours, crash and restart, fault injection, pacing."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from alerts import publish, schedule
from alerts import subscriptions as subs
from alerts.status import AlertStatus, DeliveryStatus, MessageType
from bot.messages import Address, Reply, SendResult
from compa_testkit.harness import Harness, RecordingChannel, make_config

NY = ZoneInfo("America/New_York")


class TimedChannel(RecordingChannel):
    """Records when each message was sent (by the fake clock) and can fail on cue."""

    def __init__(self, name: str, harness: Harness) -> None:
        super().__init__(name)
        self.harness = harness
        self.log: list[tuple[float, str, str]] = []
        self.script: dict[str, list[SendResult]] = {}

    async def send(self, address: Address, reply: Reply) -> SendResult:
        scripted = self.script.get(address.chat_id)
        if scripted:
            result = scripted.pop(0)
            if not result.ok:
                self.log.append((self.harness.clock.now(), address.chat_id, "FAILED"))
                return result
        self.log.append((self.harness.clock.now(), address.chat_id, reply.text))
        return await super().send(address, reply)

    def received(self, chat_id: str) -> list[str]:
        return [text for _, who, text in self.log if who == chat_id and text != "FAILED"]


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    config = make_config(tmp_path / "data", alerts={"pace": {
        "console": {"rate_per_second": 1000.0, "per_chat_seconds": 0.0, "concurrency": 1},
        "telegram": {"rate_per_second": 30.0, "per_chat_seconds": 1.0, "concurrency": 8},
    }})
    async with Harness.open(tmp_path / "data", config, channels=()) as harness:
        for name in ("console", "telegram"):
            channel = TimedChannel(name, harness)
            harness.channels[name] = channel
            harness.app.channels[name] = channel
        yield harness


async def subscriber(h: Harness, name: str, regions: list[str], locale: str = "es",
                     channel: str = "console", **prefs: object) -> str:
    person = h.person(name, channel)
    await person.start_in(locale)
    pid = h.app.pid_for(person.address)
    await subs.save(h.app.db, pid, subs.Subscription(regions, **prefs))  # type: ignore[arg-type]
    return pid


def channel(h: Harness, name: str = "console") -> TimedChannel:
    ch = h.channels[name]
    assert isinstance(ch, TimedChannel)
    return ch


MOD = "mod-pid"


async def test_region_filtering_and_language(h: Harness) -> None:
    await subscriber(h, "bea", ["buncombe"], "es")
    await subscriber(h, "carl", ["madison"], "en")
    await subscriber(h, "dan", ["buncombe", "madison"], "en")
    out = await h.app.alerts.create(region="buncombe", kind="checkpoint", note="Hwy 19",
                                    actor=MOD, preverified=True)
    assert out.status == AlertStatus.PUBLISHED and out.recipients == 2
    await h.app.delivery_dispatcher().drain()
    bea, carl, dan = (channel(h).received(n) for n in ("bea", "carl", "dan"))
    assert len(bea) == 1 and "Hwy 19" in bea[0]
    assert "🚨 Retén o punto de control en Condado de Buncombe" in bea[0]
    assert carl == []
    assert len(dan) == 1 and "🚨 Checkpoint in Buncombe County" in dan[0]


async def test_direct_alert_needs_a_second_publisher(h: Harness) -> None:
    await subscriber(h, "bea", ["buncombe"])
    out = await h.app.alerts.create(region="buncombe", kind="raid", note="", actor="p1")
    assert out.status == AlertStatus.AWAITING_CONFIRMATION and out.recipients == 0
    with pytest.raises(publish.PublishError, match="different publisher"):
        await h.app.alerts.confirm(out.alert_id, "p1", out.version)
    confirmed = await h.app.alerts.confirm(out.alert_id, "p2", out.version)
    assert confirmed.recipients == 1
    with pytest.raises(publish.PublishError, match="not waiting"):
        await h.app.alerts.confirm(out.alert_id, "p3", out.version)


@pytest.mark.parametrize("note", ["call 828-555-0142", "white van ABC-1234", "plate 1234 XYZ",
                                  "mail me a@b.org", "x" * 400])
async def test_notes_with_contact_details_or_plates_are_refused(h: Harness, note: str) -> None:
    with pytest.raises(publish.PublishError):
        await h.app.alerts.create(region="buncombe", kind="checkpoint", note=note, actor=MOD,
                                  preverified=True)


async def test_ordinary_notes_pass() -> None:
    assert publish.check_note("US-19 near  exit 13,  two vans") == "US-19 near exit 13, two vans"
    assert publish.check_note("I-40 westbound")


@pytest.mark.parametrize(("type_", "word"), [(MessageType.UPDATE, "Actualización"),
                                            (MessageType.ALL_CLEAR, "Todo despejado"),
                                            (MessageType.RETRACTION, "Falsa alarma")])
async def test_follow_ups_reach_exactly_the_original_recipients(
        h: Harness, type_: MessageType, word: str) -> None:
    await subscriber(h, "bea", ["buncombe"])
    out = await h.app.alerts.create(region="buncombe", kind="checkpoint", note="",
                                    actor=MOD, preverified=True)
    await h.app.delivery_dispatcher().drain()
    # Someone who subscribes afterwards did not get the alert, so gets no follow-up either.
    await subscriber(h, "late", ["buncombe"])
    follow = await h.app.alerts.follow_up(out.alert_id, type_, "ya se fueron", actor=MOD,
                                          preverified=True)
    assert follow.recipients == 1
    h.clock.advance(2)
    await h.app.delivery_dispatcher().drain()
    assert [word in text for text in channel(h).received("bea")] == [False, True]
    assert channel(h).received("late") == []


async def test_retraction_cancels_what_has_not_gone_out(h: Harness) -> None:
    for i in range(5):
        await subscriber(h, f"p{i}", ["buncombe"])
    out = await h.app.alerts.create(region="buncombe", kind="raid", note="", actor=MOD,
                                    preverified=True)
    follow = await h.app.alerts.follow_up(out.alert_id, MessageType.RETRACTION, "", MOD,
                                          preverified=True)
    assert follow.recipients == 0  # nobody had received it yet
    await h.app.delivery_dispatcher().drain()
    assert channel(h).log == []
    rows = await h.app.db.fetchall("SELECT DISTINCT status FROM deliveries")
    assert [r[0] for r in rows] == ["cancelled"]


async def test_expired_alert_is_never_sent(h: Harness) -> None:
    await subscriber(h, "bea", ["buncombe"])
    await h.app.alerts.create(region="buncombe", kind="checkpoint", note="", actor=MOD,
                              preverified=True)
    h.clock.advance(6 * 3600 + 1)
    await h.app.delivery_dispatcher().drain()  # the dispatcher checks expiry itself …
    assert channel(h).log == []
    assert await h.app.alerts.expire() == 1  # … and the expiry job marks it
    row = await h.app.db.fetchone("SELECT status FROM deliveries")
    assert row is not None and row[0] == "skipped_expired"


async def test_quiet_hours_defer_normal_alerts_but_not_critical_ones(h: Harness) -> None:
    h.clock.set(datetime(2026, 11, 25, 4, 0, tzinfo=NY))
    await subscriber(h, "bea", ["buncombe"], quiet_start=22, quiet_end=7)
    await h.app.alerts.create(region="buncombe", kind="agents", note="", actor=MOD,
                              preverified=True)
    await h.app.delivery_dispatcher().drain()
    assert channel(h).received("bea") == []
    await h.app.alerts.create(region="buncombe", kind="raid", note="", actor=MOD,
                              preverified=True)
    await h.app.delivery_dispatcher().drain()
    assert len(channel(h).received("bea")) == 1  # the raid, through quiet hours
    h.clock.set(datetime(2026, 11, 25, 7, 0, 1, tzinfo=NY))
    await h.app.delivery_dispatcher().drain()
    assert len(channel(h).received("bea")) == 2


async def test_crash_mid_fanout_then_restart_delivers_exactly_once(h: Harness) -> None:
    names = [f"s{i:03d}" for i in range(120)]
    for name in names:
        await subscriber(h, name, ["buncombe"])
    await h.app.alerts.create(region="buncombe", kind="checkpoint", note="", actor=MOD,
                              preverified=True)
    ch = channel(h)
    original_send = ch.send
    sent = 0

    async def crashing_send(address: Address, reply: Reply) -> SendResult:
        nonlocal sent
        sent += 1
        if sent == 50:
            raise asyncio.CancelledError  # the process dies here, mid-batch
        return await original_send(address, reply)

    ch.send = crashing_send  # type: ignore[method-assign]
    first = h.app.delivery_dispatcher()
    with pytest.raises(asyncio.CancelledError):
        await first.drain()
    assert 0 < len(ch.log) < 120
    ch.send = original_send  # type: ignore[method-assign]
    second = h.app.delivery_dispatcher()  # the restarted process
    await second.start()
    await second.stop()
    await second.drain()
    counts = Counter(who for _, who, _ in ch.log)
    assert set(counts) == set(names)
    assert set(counts.values()) == {1}


async def test_faults_retry_after_blocked_and_transient(h: Harness) -> None:
    await subscriber(h, "slow", ["buncombe"])
    await subscriber(h, "blocker", ["buncombe"])
    await subscriber(h, "flaky", ["buncombe"])
    await subscriber(h, "fine", ["buncombe"])
    ch = channel(h)
    ch.script = {
        "slow": [SendResult.wait(7.0, "429")],
        "blocker": [SendResult.blocked("Forbidden: bot was blocked by the user")],
        "flaky": [SendResult.failed("500"), SendResult.failed("timeout")],
    }
    start = h.clock.now()
    await h.app.alerts.create(region="buncombe", kind="checkpoint", note="", actor=MOD,
                              preverified=True)
    dispatcher = h.app.delivery_dispatcher(rng=random.Random(1))
    for _ in range(20):
        await dispatcher.drain()
        h.clock.advance(5)
    assert [len(ch.received(n)) for n in ("slow", "blocker", "flaky", "fine")] == [1, 0, 1, 1]
    slow_times = [t for t, who, _ in ch.log if who == "slow"]
    assert slow_times[1] - slow_times[0] >= 7.0  # retry_after respected
    assert slow_times[0] >= start
    blocker_pid = h.app.pid_for(Address("console", "blocker"))
    assert not (await subs.get(h.app.db, blocker_pid)).active
    statuses = dict(await h.app.db.fetchall(
        "SELECT u.pid, d.status FROM deliveries d JOIN users u ON u.pid = d.pid"))
    assert statuses[blocker_pid] == "unsubscribed"
    assert Counter(statuses.values()) == {"sent": 3, "unsubscribed": 1}


async def test_gives_up_after_max_attempts(h: Harness) -> None:
    await subscriber(h, "down", ["buncombe"])
    channel(h).script = {"down": [SendResult.failed("500")] * 20}
    await h.app.alerts.create(region="buncombe", kind="checkpoint", note="", actor=MOD,
                              preverified=True)
    dispatcher = h.app.delivery_dispatcher(rng=random.Random(2))
    for _ in range(30):
        await dispatcher.drain()
        h.clock.advance(301)
    row = await h.app.db.fetchone("SELECT status, attempts FROM deliveries")
    assert row is not None and row[0] == "failed" and row[1] == 8


async def test_pacing_never_exceeds_the_configured_rate(h: Harness) -> None:
    for i in range(240):
        await subscriber(h, f"t{i:03d}", ["buncombe"], channel="telegram")
    await h.app.alerts.create(region="buncombe", kind="checkpoint", note="", actor=MOD,
                              preverified=True)
    await h.app.delivery_dispatcher().drain()
    times = sorted(t for t, _, _ in channel(h, "telegram").log)
    assert len(times) == 240
    worst = max(sum(1 for u in times[i:] if u < t + 1.0 - 1e-9) for i, t in enumerate(times))
    assert worst <= 30
    # And it is not slower than it has to be: 240 messages at 30/s take about 8 s.
    assert times[-1] - times[0] <= 240 / 30 + 0.5


async def test_per_chat_spacing(h: Harness) -> None:
    await subscriber(h, "solo", ["buncombe"], channel="telegram")
    out = await h.app.alerts.create(region="buncombe", kind="checkpoint", note="",
                                    actor=MOD, preverified=True)
    dispatcher = h.app.delivery_dispatcher()
    await dispatcher.drain()
    await h.app.alerts.follow_up(out.alert_id, MessageType.UPDATE, "still there", MOD,
                                 preverified=True)
    await dispatcher.drain()
    h.clock.advance(1.0)
    await dispatcher.drain()
    times = [t for t, _, _ in channel(h, "telegram").log]
    assert len(times) == 2 and times[1] - times[0] >= 1.0


async def test_progress_and_final_count_for_the_publisher(h: Harness) -> None:
    for i in range(3):
        await subscriber(h, f"p{i}", ["buncombe"])
    await subscriber(h, "gone", ["buncombe"])
    channel(h).script = {"gone": [SendResult.blocked()]}
    mod = h.person("mod1")
    await mod.start_in("en")
    await h.app.alerts.create(region="buncombe", kind="checkpoint", note="",
                              actor=h.app.pid_for(mod.address), preverified=True,
                              progress_to=mod.address)
    await h.app.delivery_dispatcher().drain()
    final = channel(h).received("mod1")[-1]
    # Only the counters that happened, in words people use (no "skipped" nobody had).
    assert final == "Alert #1 finished: 3 sent, 0 failed.\nHad unsubscribed or blocked the bot: 1"


async def test_a_channel_that_cannot_edit_gets_the_first_count_and_the_final(
        tmp_path: Path) -> None:
    """On WhatsApp (or the console) a progress message cannot be edited: sending a new one
    every few seconds would bury the publisher, so only the first and the final go out."""
    config = make_config(tmp_path / "d", alerts={"batch_size": 2, "progress_every_seconds": 0,
                                                 "pace": {"console": {"rate_per_second": 1000.0,
                                                                      "concurrency": 1}}})
    async with Harness.open(tmp_path / "d", config) as h:
        for i in range(6):
            await subscriber(h, f"p{i}", ["buncombe"])
        mod = h.person("mod1")
        await mod.start_in("en")
        before = len(mod.inbox)
        await h.app.alerts.create(region="buncombe", kind="checkpoint", note="",
                                  actor=h.app.pid_for(mod.address), preverified=True,
                                  progress_to=mod.address)
        await h.app.delivery_dispatcher().drain()
        assert [r.text for r in mod.inbox[before:]] == ["Alert #1: sent 2 / 6",
                                                        "Alert #1 finished: 6 sent, 0 failed."]


async def test_drill_marks_every_message(tmp_path: Path) -> None:
    config = make_config(tmp_path / "d", alerts={"drill": True})
    async with Harness.open(tmp_path / "d", config) as h:
        await subscriber(h, "bea", ["buncombe"])
        await h.app.alerts.create(region="buncombe", kind="checkpoint", note="", actor=MOD,
                                  preverified=True)
        await h.app.delivery_dispatcher().drain()
        assert h.person("bea").inbox[-1].text.startswith("SIMULACRO / DRILL")


async def test_digest_across_a_dst_change(h: Harness) -> None:
    # DST ends on 1 Nov 2026: the 07:30 digest is 25 hours after the previous one.
    await subscriber(h, "dora", ["buncombe"], "en", mode="digest")
    await subscriber(h, "ivan", ["buncombe"], "en")
    h.clock.set(datetime(2026, 10, 31, 7, 30, tzinfo=NY))
    assert await h.app.alerts.run_digest() == 0  # nothing happened: nothing is sent
    h.clock.set(datetime(2026, 10, 31, 20, 0, tzinfo=NY))
    await h.app.alerts.create(region="buncombe", kind="raid", note="", actor=MOD,
                              preverified=True)
    await h.app.delivery_dispatcher().drain()
    assert channel(h).received("dora") == []  # digest people get no immediate alert
    assert len(channel(h).received("ivan")) == 1
    h.clock.set(datetime(2026, 11, 1, 7, 30, tzinfo=NY))
    slot = h.app.alerts.latest_digest_slot(h.clock.now())
    assert datetime.fromtimestamp(slot, NY).hour == 7
    assert await h.app.alerts.run_digest() == 1
    assert await h.app.alerts.run_digest() == 0  # the same slot never runs twice
    await h.app.delivery_dispatcher().drain()
    digest = channel(h).received("dora")
    assert len(digest) == 1 and "20:00: Raid (work or home) in Buncombe County" in digest[0]
    assert len(channel(h).received("ivan")) == 1


async def test_missed_digest_runs_once_on_catch_up(h: Harness) -> None:
    await subscriber(h, "dora", ["buncombe"], "en", mode="digest")
    h.clock.set(datetime(2026, 11, 24, 6, 0, tzinfo=NY))
    await h.app.alerts.create(region="buncombe", kind="raid", note="", actor=MOD,
                              preverified=True)
    # The process was down at 07:30 and comes back at 09:00.
    h.clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=NY))
    await h.app.alerts.catch_up()
    await h.app.alerts.catch_up()
    await h.app.delivery_dispatcher().drain()
    assert len(channel(h).received("dora")) == 1


async def test_notices_schedule_list_cancel_and_send(h: Harness) -> None:
    await subscriber(h, "bea", ["buncombe"], "es")
    await subscriber(h, "carl", ["madison"], "en")
    now = h.clock.now()
    first = await h.app.alerts.schedule_notice(now + 3600, ["buncombe"],
                                               "Despensa el sábado", "Pantry on Saturday", MOD,
                                               preverified=True)
    second = await h.app.alerts.schedule_notice(now + 7200, None, "Taller", "Workshop", MOD,
                                                preverified=True)
    third = await h.app.alerts.schedule_notice(now + 7200, None, "No", "No", MOD,
                                               preverified=True)
    assert [n.id for n in await h.app.alerts.list_notices()] == [first, second, third]
    assert await h.app.alerts.cancel_notice(third)
    assert not await h.app.alerts.cancel_notice(third)
    h.clock.advance(7200)
    assert await h.app.alerts.send_due_notices() == 3  # bea (first), bea and carl (second)
    assert await h.app.alerts.send_due_notices() == 0
    await h.app.delivery_dispatcher().drain()
    assert channel(h).received("bea") == ["📢 Despensa el sábado", "📢 Taller"]
    assert channel(h).received("carl") == ["📢 Workshop"]


async def test_unsubscribe_stops_pending_deliveries(h: Harness) -> None:
    pid = await subscriber(h, "bea", ["buncombe"])
    await h.app.alerts.create(region="buncombe", kind="checkpoint", note="", actor=MOD,
                              preverified=True)
    assert await subs.unsubscribe(h.app.db, pid)
    await h.app.delivery_dispatcher().drain()
    assert channel(h).received("bea") == []


async def test_publish_is_one_transaction_with_its_outbox(h: Harness) -> None:
    await subscriber(h, "bea", ["buncombe"])
    ch = channel(h)
    del ch  # no sending in this test: only what is written
    original = h.app.db.write

    calls = 0

    def counting_write():  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return original()

    h.app.db.write = counting_write  # type: ignore[method-assign]
    await h.app.alerts.create(region="buncombe", kind="checkpoint", note="a note",
                              actor=MOD, preverified=True)
    assert calls == 1
    rows = await h.app.db.fetchall("SELECT COUNT(*) FROM deliveries")
    assert rows[0][0] == 1




async def test_all_clear_while_the_original_is_in_flight(h: Harness) -> None:
    from bot.store import deliveries

    await subscriber(h, "bea", ["buncombe"], "en")
    await subscriber(h, "gone", ["buncombe"], "en")
    out = await h.app.alerts.create(region="buncombe", kind="checkpoint", note="", actor=MOD,
                                    preverified=True)
    # A dispatcher has both deliveries in flight when the moderator sends the all clear.
    claimed = await deliveries.claim(h.app.db, h.clock.now(), 30, 10, ("console",), 8)
    assert len(claimed) == 2
    follow = await h.app.alerts.follow_up(out.alert_id, MessageType.ALL_CLEAR, "", MOD,
                                          preverified=True)
    assert follow.recipients == 2
    gone = next(c for c in claimed if c.pid == h.app.pid_for(Address("console", "gone")))
    await deliveries.record(h.app.db, gone.id, DeliveryStatus.FAILED, error="bad request")
    dispatcher = h.app.delivery_dispatcher()
    await dispatcher.drain()
    assert channel(h).log == []  # the all clear waits for its original
    h.clock.advance(31)  # the lease runs out: the original goes out again, then the all clear
    await dispatcher.drain()
    h.clock.advance(1)
    await dispatcher.drain()
    texts = channel(h).received("bea")
    assert len(texts) == 2 and texts[0].startswith("🚨") and texts[1].startswith("✅ All clear")
    assert channel(h).received("gone") == []  # never got the alert: no all clear either


async def test_scheduler_registers_its_jobs_and_catches_up(h: Harness) -> None:
    await subscriber(h, "dora", ["buncombe"], "en", mode="digest")
    h.clock.set(datetime(2026, 11, 24, 6, 0, tzinfo=NY))
    await h.app.alerts.create(region="buncombe", kind="raid", note="", actor=MOD,
                              preverified=True)
    h.clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=NY))  # down at 07:30, back at 09:00
    scheduler = schedule.Scheduler(h.app.alerts, h.app.jobs())
    await scheduler.start()  # the real AsyncIOScheduler, started in this loop
    try:
        jobs = {job.id: job for job in scheduler.scheduler.get_jobs()}
        assert set(jobs) == {"digest", "notices-expiry", "drain-safety-net", "retention-purge",
                             "audit-head", "held-summary", "integrity",
                             "case-desk", "rrn-timers"}
        digest = jobs["digest"]
        assert digest.misfire_grace_time == 3600 and digest.coalesce
        assert str(digest.trigger.timezone) == "America/New_York"
        assert "hour='7'" in str(digest.trigger) and "minute='30'" in str(digest.trigger)
    finally:
        await scheduler.stop()
    await h.app.delivery_dispatcher().drain()
    assert len(channel(h).received("dora")) == 1  # the missed digest ran once at start-up
