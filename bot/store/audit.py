"""The audit log's rows: append, read in order, cut the oldest (the chain logic is in
alerts/audit.py). Updates are refused by a trigger (migration 2)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiosqlite

from bot.store.db import Database


async def last(conn: aiosqlite.Connection) -> tuple[int, str] | None:
    async with conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1") as cur:
        row = await cur.fetchone()
    return (int(row[0]), str(row[1])) if row else None


async def anchor(conn_or_db: aiosqlite.Connection | Database) -> tuple[int, str, str] | None:
    """(last_id, last_hash, mac) of the newest entry the retention purge removed."""
    sql = "SELECT last_id, last_hash, mac FROM audit_anchor WHERE one = 1"
    if isinstance(conn_or_db, Database):
        row = await conn_or_db.fetchone(sql)
    else:
        async with conn_or_db.execute(sql) as cur:
            row = await cur.fetchone()
    return (int(row[0]), str(row[1]), str(row[2])) if row else None


async def hash_of(conn: aiosqlite.Connection, entry_id: int) -> str | None:
    async with conn.execute("SELECT hash FROM audit WHERE id = ?", (entry_id,)) as cur:
        row = await cur.fetchone()
    return str(row[0]) if row else None


async def insert(conn: aiosqlite.Connection, entry_id: int, at: int, actor: str, action: str,
                 subject: str, prev: str, entry_hash: str) -> None:
    await conn.execute(
        "INSERT INTO audit (id, at, actor, action, subject, prev, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (entry_id, at, actor, action, subject, prev, entry_hash),
    )


async def entries(db: Database) -> AsyncIterator[aiosqlite.Row]:
    """Every entry in chain order: (id, at, actor, action, subject, prev, hash)."""
    for row in await db.fetchall(
        "SELECT id, at, actor, action, subject, prev, hash FROM audit ORDER BY id"
    ):
        yield row


async def newest_before(conn: aiosqlite.Connection, at: int) -> tuple[int, str] | None:
    async with conn.execute(
        "SELECT id, hash FROM audit WHERE at < ? ORDER BY id DESC LIMIT 1", (at,)
    ) as cur:
        row = await cur.fetchone()
    return (int(row[0]), str(row[1])) if row else None


async def cut(conn: aiosqlite.Connection, through_id: int, last_hash: str, mac: str) -> int:
    """Deletes entries up to `through_id` and records where the chain now starts."""
    cur = await conn.execute("DELETE FROM audit WHERE id <= ?", (through_id,))
    await conn.execute(
        "INSERT INTO audit_anchor (one, last_id, last_hash, mac) VALUES (1, ?, ?, ?)"
        " ON CONFLICT (one) DO UPDATE SET last_id = excluded.last_id,"
        " last_hash = excluded.last_hash, mac = excluded.mac",
        (through_id, last_hash, mac),
    )
    return cur.rowcount


HEAD_POSTED = "audit-head"


async def head_posted(db: Database) -> float | None:
    """When the audit head was last sent to the moderators (schedule_runs)."""
    row = await db.fetchone("SELECT last_run FROM schedule_runs WHERE name = ?", (HEAD_POSTED,))
    return float(row[0]) if row else None


async def set_head_posted(db: Database, at: float) -> None:
    async with db.write() as conn:
        await conn.execute(
            "INSERT INTO schedule_runs (name, last_run) VALUES (?, ?)"
            " ON CONFLICT(name) DO UPDATE SET last_run = excluded.last_run", (HEAD_POSTED, at))
