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
    Migration(
        2,
        "reports, verifications, follow-up handles and the hash-chained audit log",
        (
            # No reporter column of any kind. `received`/`decided` are rounded to the hour, like
            # users.last_inbound, so they cannot be lined up with a person's activity.
            # `incident` is the id of the incident's first report (its own id for the first);
            # similar reports in one region link to it instead of making a new card each.
            # AUTOINCREMENT: a moderator's "/reporte 12" never lands on a reused id.
            """CREATE TABLE reports (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                incident INTEGER NOT NULL,
                region TEXT NOT NULL,
                kind TEXT NOT NULL,
                seen TEXT NOT NULL,
                agents TEXT NOT NULL,
                vehicles TEXT NOT NULL,
                details_sealed BLOB,
                status TEXT NOT NULL CHECK (status IN
                    ('pending', 'held', 'verified', 'false_alarm', 'unverified')),
                received INTEGER NOT NULL,
                decided INTEGER
            )""",
            "CREATE INDEX reports_open ON reports(status, region, received)",
            "CREATE INDEX reports_incident ON reports(incident)",
            # The photo with its metadata stripped, sealed; gone with its report.
            """CREATE TABLE report_photos (
                report_id INTEGER PRIMARY KEY REFERENCES reports(id) ON DELETE CASCADE,
                photo_sealed BLOB NOT NULL
            )""",
            # One decision per moderator per incident: the primary key is the two-person rule.
            """CREATE TABLE verifications (
                incident INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
                moderator TEXT NOT NULL,
                decision TEXT NOT NULL CHECK (decision IN
                    ('confirm', 'false_alarm', 'unverifiable')),
                note_sealed BLOB,
                at INTEGER NOT NULL,
                PRIMARY KEY (incident, moderator)
            ) WITHOUT ROWID""",
            # Opt-in "tell me the outcome": the only link from a report to a person, sealed, and
            # deleted when the report is decided or when it expires.
            """CREATE TABLE followups (
                id INTEGER PRIMARY KEY,
                report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
                address_sealed BLOB NOT NULL,
                locale TEXT NOT NULL,
                expires INTEGER NOT NULL
            )""",
            "CREATE INDEX followups_report ON followups(report_id)",
            # Append-only: each entry's hash is a keyed MAC over the previous hash and its own
            # fields, so an edit or a removal breaks the chain at that point.
            """CREATE TABLE audit (
                id INTEGER PRIMARY KEY,
                at INTEGER NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                subject TEXT NOT NULL,
                prev TEXT NOT NULL,
                hash TEXT NOT NULL
            )""",
            """CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit
               BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
            # Where the chain starts after the retention purge removed its oldest entries.
            """CREATE TABLE audit_anchor (
                one INTEGER PRIMARY KEY CHECK (one = 1),
                last_id INTEGER NOT NULL,
                last_hash TEXT NOT NULL,
                mac TEXT NOT NULL
            )""",
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
