"""The inbound queue and the handled-update ids (tables from migration 5).

`inbound` holds webhook updates that were acknowledged before being handled: sealed, deleted
in the transaction that records them as handled. `handled_updates` keeps a keyed hash of
each handled update id until `expires` (an hour), so a platform's re-delivery after a restart
is recognised. Neither table has a person column; the callers hash and seal.
"""

from __future__ import annotations

import aiosqlite

from bot.store.db import Database


async def is_handled(db: Database, key: str, now: int) -> bool:
    row = await db.fetchone("SELECT 1 FROM handled_updates WHERE key = ? AND expires > ?",
                            (key, now))
    return row is not None


# Both run inside the caller's `db.write()` transaction: the durable inbox commits many
# webhooks' rows together (a group commit), the single writer being what a burst waits on.

async def enqueue_in(conn: aiosqlite.Connection, channel: str, payload_sealed: bytes,
                     key: str, now: int) -> int | None:
    """Queues an update unless its key was handled already (then None): the check and the
    insert in one step, so a fresh webhook costs one write and no separate read."""
    async with conn.execute("SELECT 1 FROM handled_updates WHERE key = ? AND expires > ?",
                            (key, now)) as cur:
        if await cur.fetchone() is not None:
            return None
    cur = await conn.execute("INSERT INTO inbound (channel, payload_sealed) VALUES (?, ?)",
                             (channel, payload_sealed))
    assert cur.lastrowid is not None
    return cur.lastrowid


async def handled_in(conn: aiosqlite.Connection, key: str, expires: int,
                     row_id: int | None) -> None:
    """Records the update as handled and drops its queue row (the same transaction)."""
    await conn.execute("INSERT INTO handled_updates (key, expires) VALUES (?, ?)"
                       " ON CONFLICT(key) DO UPDATE SET expires = excluded.expires",
                       (key, expires))
    if row_id is not None:
        await conn.execute("DELETE FROM inbound WHERE id = ?", (row_id,))


async def pending(db: Database, channel: str) -> list[tuple[int, bytes]]:
    """Acknowledged updates not handled yet (a crash or a stop cut them short), oldest first."""
    rows = await db.fetchall("SELECT id, payload_sealed FROM inbound WHERE channel = ?"
                             " ORDER BY id", (channel,))
    return [(int(r[0]), bytes(r[1])) for r in rows]


async def drop(db: Database, row_id: int) -> None:
    await db.execute("DELETE FROM inbound WHERE id = ?", (row_id,))


async def purge_handled(db: Database, now: int) -> int:
    return await db.execute("DELETE FROM handled_updates WHERE expires <= ?", (now,))


async def counts(db: Database) -> tuple[int, int]:
    """(updates waiting, update ids remembered): for operators and tests."""
    row = await db.fetchone("SELECT (SELECT count(*) FROM inbound),"
                            " (SELECT count(*) FROM handled_updates)")
    return (int(row[0]), int(row[1])) if row else (0, 0)
