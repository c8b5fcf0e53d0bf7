"""Reads and writes from many coroutines at once, as a busy webhook makes them: a read that
follows a committed write must see it, whatever other reads are in progress."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.store import Database

WRITERS = 200
READERS = 20


async def test_a_read_after_a_write_sees_it_while_other_reads_run(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "x.sqlite3")
    try:
        await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT)")
        done = asyncio.Event()
        missed: list[int] = []

        async def write_then_read(n: int) -> None:
            async with db.write() as conn:
                cur = await conn.execute("INSERT INTO t (x) VALUES (?)", (f"row {n}",))
                new_id = cur.lastrowid
            # Like ReportService.submit: commit, then read the row back.
            if await db.fetchone("SELECT x FROM t WHERE id = ?", (new_id,)) is None:
                missed.append(n)

        async def keep_reading() -> None:
            while not done.is_set():
                await db.fetchall("SELECT id, x FROM t")

        readers = [asyncio.create_task(keep_reading()) for _ in range(READERS)]
        await asyncio.gather(*(write_then_read(n) for n in range(WRITERS)))
        done.set()
        await asyncio.gather(*readers)
        # Before the fix, a read could run inside another read's snapshot (one connection,
        # its statement still open between execute and fetch) and miss the commit.
        assert missed == []
    finally:
        await db.close()
