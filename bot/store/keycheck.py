"""The key check row (migration: "the key check") and whether a database holds anything yet."""

from __future__ import annotations

from bot.store.db import Database

# Tables whose rows only make sense with the keys they were written with.
_KEYED_TABLES = ("users", "reports", "alerts", "audit")


async def stored(db: Database) -> str | None:
    row = await db.fetchone("SELECT mac FROM key_check WHERE id = 1")
    return str(row[0]) if row else None


async def record(db: Database, mac: str) -> None:
    await db.execute("INSERT INTO key_check (id, mac) VALUES (1, ?)", (mac,))


async def is_empty(db: Database) -> bool:
    """True when nothing written with keys is stored (a new database)."""
    for table in _KEYED_TABLES:
        if await db.fetchone(f"SELECT 1 FROM {table} LIMIT 1") is not None:
            return False
    return True
