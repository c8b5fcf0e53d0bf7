"""The durable inbox on its own: handled ids as keyed hashes with an expiry, the sealed queue,
group commits, the start-up backlog."""

from __future__ import annotations

import asyncio

from bot.channels.durable import DEDUP_HOURS, DurableInbox
from bot.store import inbound
from compa_testkit.harness import Harness


def inbox(harness: Harness) -> DurableInbox:
    app = harness.app
    return DurableInbox(app.db, app.privacy, app.clock, "whatsapp")


async def test_queue_done_and_redelivery(harness: Harness) -> None:
    box = inbox(harness)
    body = b'{"entry": [], "text": "hola 16505551234"}'
    row = await box.queue("m:wamid.ABC", "16505551234", body)
    assert row is not None
    [queued] = await box.backlog()
    assert (queued.key, queued.sender, queued.body) == ("m:wamid.ABC", "16505551234", body)
    raw = await harness.app.db.fetchall("SELECT payload_sealed FROM inbound")
    assert b"16505551234" not in bytes(raw[0][0]) and b"hola" not in bytes(raw[0][0])
    assert not await box.seen("m:wamid.ABC")
    await box.done("m:wamid.ABC", row)
    assert await box.backlog() == []
    assert await box.seen("m:wamid.ABC")
    assert await box.queue("m:wamid.ABC", "16505551234", body) is None   # a re-delivery
    [(key, expires)] = await harness.app.db.fetchall("SELECT key, expires FROM handled_updates")
    assert "wamid" not in key and len(key) == 32 and expires % 3600 == 0
    # Another channel's key space, and the expiry: forgotten after DEDUP_HOURS.
    assert not await DurableInbox(harness.app.db, harness.app.privacy, harness.clock,
                                  "telegram").seen("m:wamid.ABC")
    harness.clock.advance(DEDUP_HOURS * 3600 + 7200)
    assert not await box.seen("m:wamid.ABC")
    await box.done("m:other", None)            # an hourly purge runs with it
    assert await inbound.counts(harness.app.db) == (0, 1)


async def test_a_burst_is_committed_in_a_few_transactions(harness: Harness) -> None:
    box = inbox(harness)
    begins = 0
    write = harness.app.db.write

    def counting():  # type: ignore[no-untyped-def]
        nonlocal begins
        begins += 1
        return write()

    harness.app.db.write = counting  # type: ignore[method-assign]
    rows = await asyncio.gather(*(box.queue(f"m:{i}", str(i), b"{}") for i in range(100)))
    assert len(set(rows)) == 100 and None not in rows
    assert begins <= 5
    assert len(await box.backlog()) == 100


async def test_an_unreadable_row_is_dropped_not_replayed_forever(harness: Harness) -> None:
    box = inbox(harness)
    async with harness.app.db.write() as conn:
        await inbound.enqueue_in(conn, "whatsapp", b"\x00" * 40, "k", 0)
    assert await box.backlog() == []
    assert await inbound.counts(harness.app.db) == (0, 0)
