"""Conversation state per person, expiring after inactivity.

A person who comes back after the TTL starts at the menu: a stale step ("which region?") asked
an hour ago would only confuse.
"""

from __future__ import annotations

from bot.store.db import Database


async def load(db: Database, pid: str, now: float, ttl_seconds: float
               ) -> tuple[str | None, bytes | None]:
    row = await db.fetchone(
        "SELECT state, data_sealed, updated FROM sessions WHERE pid = ?", (pid,)
    )
    if row is None:
        return None, None
    if row[2] < now - ttl_seconds:
        await db.execute("DELETE FROM sessions WHERE pid = ? AND updated = ?", (pid, row[2]))
        return None, None
    return row[0], (bytes(row[1]) if row[1] is not None else None)


# Minute precision: enough for the TTL, too coarse to line a session up with anything else.
async def save(db: Database, pid: str, state: str, data_sealed: bytes | None, now: float) -> None:
    await db.execute(
        "INSERT INTO sessions (pid, state, data_sealed, updated) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(pid) DO UPDATE SET state = excluded.state,"
        " data_sealed = excluded.data_sealed, updated = excluded.updated",
        (pid, state, data_sealed, int(now // 60 * 60)),
    )


async def clear(db: Database, pid: str) -> None:
    await db.execute("DELETE FROM sessions WHERE pid = ?", (pid,))


async def purge_expired(db: Database, now: float, ttl_seconds: float) -> int:
    return await db.execute("DELETE FROM sessions WHERE updated < ?", (int(now - ttl_seconds),))
