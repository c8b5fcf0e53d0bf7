"""Stopping cleanly: a stop (SIGTERM, a deploy) mid fan-out must not repeat messages, and a
database write interrupted by a cancellation must not leave its transaction open."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from bot.messages import Address, Reply, SendResult
from bot.store import Database
from compa_testkit.harness import Harness, RecordingChannel, make_config
from compa_testkit.patience import PATIENCE
from tests.fanout_support import REGION, chat_ids, seed_subscribers

IN_FLIGHT = 4


class GatedChannel(RecordingChannel):
    """Like a platform: a message counts as received when its request arrives; the answer
    waits until the gate opens."""

    def __init__(self) -> None:
        super().__init__("telegram")
        self.arrived: list[str] = []
        self.gate = asyncio.Event()
        self.all_in_flight = asyncio.Event()

    async def send(self, address: Address, reply: Reply) -> SendResult:
        self.arrived.append(address.chat_id)
        if len(self.arrived) == IN_FLIGHT:
            self.all_in_flight.set()
        await self.gate.wait()
        return await super().send(address, reply)


async def test_a_stop_lets_sends_in_flight_finish_so_a_restart_repeats_nothing(
        tmp_path: Path) -> None:
    config = make_config(tmp_path / "data", alerts={"pace": {"telegram": {
        "rate_per_second": 1000.0, "per_chat_seconds": 0.0, "concurrency": IN_FLIGHT}}})
    async with Harness.open(tmp_path / "data", config, channels=()) as h:
        channel = GatedChannel()
        h.app.channels["telegram"] = channel
        await seed_subscribers(h.app, chat_ids(10))
        dispatcher = h.app.delivery_dispatcher()
        await dispatcher.start()
        h.app.alerts.on_new_deliveries(dispatcher.wake)
        await h.app.alerts.create(region=REGION, kind="checkpoint", note="", actor="mod",
                                  preverified=True)
        await asyncio.wait_for(channel.all_in_flight.wait(), PATIENCE)
        # SIGTERM now: four requests have reached the platform, none has been answered.
        stopping = asyncio.create_task(dispatcher.stop())
        await asyncio.sleep(0)
        assert not stopping.done()          # it waits for them …
        channel.gate.set()
        await asyncio.wait_for(stopping, PATIENCE)  # … and they are recorded before it returns
        rows = dict(await h.app.db.fetchall(
            "SELECT status, COUNT(*) FROM deliveries GROUP BY status"))
        assert rows == {"sent": IN_FLIGHT, "pending": 10 - IN_FLIGHT}
        await h.app.delivery_dispatcher().drain()  # the next process
        assert Counter(channel.arrived) == {str(chat): 1 for chat in chat_ids(10)}


async def test_a_write_cancelled_while_it_begins_leaves_no_transaction_open(
        tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "x.sqlite3")
    try:
        async def write() -> None:
            async with db.write() as conn:
                await conn.execute("CREATE TABLE never (x)")

        task = asyncio.create_task(write())
        await asyncio.sleep(0)               # it is now waiting for BEGIN IMMEDIATE
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled()
        # Before the fix: "cannot start a transaction within a transaction", forever.
        await db.execute("CREATE TABLE later (x)")
        names = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master")}
        assert "later" in names and "never" not in names
    finally:
        await db.close()
