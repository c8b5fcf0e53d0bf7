"""Numbered, described schema migrations, tracked in `PRAGMA user_version`.

Append a new `Migration` to `MIGRATIONS`; never edit a released one. Each runs in its own
BEGIN IMMEDIATE … COMMIT (statements one by one: `executescript` would commit early).
A database newer than this code is refused rather than misread.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite


class DatabaseTooNew(Exception):
    """The file was written by a newer Compa; running older code on it could corrupt it."""


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: list[Migration] = [
    Migration(
        1,
        "people and conversation state: pseudonyms, sealed addresses, coarse times",
        (
            # pid = HMAC(pepper, "channel:chat_id"); the address is sealed (AES-GCM).
            # Times are rounded to the hour: the finest we keep about a person.
            """CREATE TABLE users (
                pid TEXT PRIMARY KEY,
                channel TEXT NOT NULL,
                address_sealed BLOB NOT NULL,
                locale TEXT,
                role TEXT NOT NULL DEFAULT 'person',
                created INTEGER NOT NULL,
                last_inbound INTEGER NOT NULL
            ) WITHOUT ROWID""",
            # One row per person in a conversation step; data is sealed (it can hold drafts).
            """CREATE TABLE sessions (
                pid TEXT PRIMARY KEY REFERENCES users(pid) ON DELETE CASCADE,
                state TEXT NOT NULL,
                data_sealed BLOB,
                updated INTEGER NOT NULL
            ) WITHOUT ROWID""",
            "CREATE INDEX sessions_updated ON sessions(updated)",
        ),
    ),
]

LATEST = MIGRATIONS[-1].version


async def current_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: aiosqlite.Connection, target: int | None = None) -> list[Migration]:
    """Brings the schema up to `target` (default: latest); returns the migrations applied."""
    target = LATEST if target is None else target
    version = await current_version(conn)
    if version > LATEST:
        raise DatabaseTooNew(
            f"database schema is version {version}, this Compa knows up to {LATEST}: "
            "upgrade Compa or restore a matching backup"
        )
    applied = []
    for migration in MIGRATIONS:
        if version < migration.version <= target:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in migration.statements:
                    await conn.execute(statement)
                # PRAGMA cannot take a bound parameter; the value is our own integer.
                await conn.execute(f"PRAGMA user_version = {int(migration.version)}")
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")
            applied.append(migration)
            version = migration.version
    return applied
