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

# Version 2 is the reports and moderation schema (reports branch); this follows it.
MIGRATIONS.append(
    Migration(
        3,
        "subscriptions, alerts and the delivery outbox",
        (
            # One row per subscriber: how and when they want alerts. Quiet hours are local
            # hours [start, end); NULL means none.
            """CREATE TABLE subscribers (
                pid TEXT PRIMARY KEY REFERENCES users(pid) ON DELETE CASCADE,
                mode TEXT NOT NULL DEFAULT 'immediate' CHECK (mode IN ('immediate', 'digest')),
                quiet_start INTEGER CHECK (quiet_start BETWEEN 0 AND 23),
                quiet_end INTEGER CHECK (quiet_end BETWEEN 0 AND 23)
            ) WITHOUT ROWID""",
            """CREATE TABLE subscription_regions (
                pid TEXT NOT NULL REFERENCES subscribers(pid) ON DELETE CASCADE,
                region TEXT NOT NULL,
                PRIMARY KEY (pid, region)
            ) WITHOUT ROWID""",
            "CREATE INDEX subscription_regions_region ON subscription_regions(region, pid)",
            # Alerts and every message fanned out from them (follow-ups, digests, notices).
            # Moderator-typed text is sealed like everything else people type.
            """CREATE TABLE alerts (
                id INTEGER PRIMARY KEY,
                type TEXT NOT NULL,
                parent_id INTEGER REFERENCES alerts(id),
                report_id INTEGER,
                region TEXT,
                kind TEXT,
                critical INTEGER NOT NULL DEFAULT 0,
                note_sealed BLOB,
                status TEXT NOT NULL,
                drill INTEGER NOT NULL DEFAULT 0,
                observed INTEGER,
                created INTEGER NOT NULL,
                published INTEGER,
                expires INTEGER NOT NULL,
                created_by TEXT,
                confirmed_by TEXT,
                progress_to_sealed BLOB,
                progress_message TEXT,
                progress_updated REAL,
                window_start INTEGER,
                window_end INTEGER
            )""",
            "CREATE INDEX alerts_published ON alerts(type, published)",
            # The outbox: written in the same transaction as the alert. UNIQUE makes a
            # repeated publish or a crashed digest job harmless.
            """CREATE TABLE deliveries (
                id INTEGER PRIMARY KEY,
                alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
                pid TEXT NOT NULL REFERENCES users(pid) ON DELETE CASCADE,
                channel TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt REAL NOT NULL,
                lease_until REAL,
                provider_id TEXT,
                error TEXT,
                UNIQUE (alert_id, pid)
            )""",
            "CREATE INDEX deliveries_due ON deliveries(status, next_attempt)",
            "CREATE INDEX deliveries_pid ON deliveries(pid)",
            "CREATE INDEX deliveries_provider ON deliveries(provider_id)"
            " WHERE provider_id IS NOT NULL",
            # Scheduled community notices (/aviso) and the last run of each schedule, so a
            # job missed while the process was down runs once when it comes back.
            """CREATE TABLE notices (
                id INTEGER PRIMARY KEY,
                run_at INTEGER NOT NULL,
                regions TEXT NOT NULL,
                text_es_sealed BLOB NOT NULL,
                text_en_sealed BLOB NOT NULL,
                status TEXT NOT NULL DEFAULT 'scheduled',
                created_by TEXT,
                alert_id INTEGER REFERENCES alerts(id)
            )""",
            """CREATE TABLE schedule_runs (
                name TEXT PRIMARY KEY,
                last_run REAL NOT NULL
            ) WITHOUT ROWID""",
        ),
    )
)

MIGRATIONS.append(
    Migration(
        MIGRATIONS[-1].version + 1,
        "the key check: which keys this database belongs to",
        (
            # One row: a MAC of a fixed label under each key (bot/privacy.key_check). Compa
            # refuses to start with keys that do not match it, or without keys at all.
            """CREATE TABLE key_check (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                mac TEXT NOT NULL
            )""",
        ),
    )
)

MIGRATIONS.append(
    Migration(
        MIGRATIONS[-1].version + 1,
        "two people for every broadcast, rows that cannot be forged without the keys: MACs on"
        " alerts, notices and verifications; notices are proposed, then confirmed",
        (
            # `mac` covers what a row says (and who proposed it), `confirm_mac` the second
            # person's confirmation of exactly that; both keyed from the keys file
            # (alerts/integrity.py). Rows from before this migration have neither: they are
            # legacy, MAC'd by the service at the start-up that applies this migration.
            "ALTER TABLE alerts ADD COLUMN mac TEXT",
            "ALTER TABLE alerts ADD COLUMN confirm_mac TEXT",
            "ALTER TABLE notices ADD COLUMN confirmed_by TEXT",
            "ALTER TABLE notices ADD COLUMN mac TEXT",
            "ALTER TABLE notices ADD COLUMN confirm_mac TEXT",
            "ALTER TABLE verifications ADD COLUMN mac TEXT",
        ),
    )
)
# The start-up that applies it MACs the rows written before (alerts/integrity.adopt_legacy).
ROW_MACS = MIGRATIONS[-1]

MIGRATIONS.append(
    Migration(
        MIGRATIONS[-1].version + 1,
        "where each moderator's card of a report was sent (keyed chat, sealed message id), "
        "so a decision edits it in place; gone with the report",
        (
            """CREATE TABLE card_messages (
                report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
                chat_key TEXT NOT NULL,
                message_sealed BLOB NOT NULL,
                PRIMARY KEY (report_id, chat_key)
            ) WITHOUT ROWID""",
        ),
    )
)

# The public code every alert carries ("Código: 7Q3KM"): the public page, the feeds and the
# rumour check find an alert by it. Random (bot/public/codes.py), unique, set when the alert
# row is written; alerts from before this version get one derived from their number.
MIGRATIONS.append(
    Migration(
        MIGRATIONS[-1].version + 1,
        "a unique public code for every alert (public page, feeds, rumour check)",
        (
            "ALTER TABLE alerts ADD COLUMN public_code TEXT",
            # Five signs like the random ones (Z + four digits): the older alerts stay findable.
            "UPDATE alerts SET public_code = 'Z' || printf('%04d', id)"
            " WHERE type = 'alert' AND id < 10000",
            "CREATE UNIQUE INDEX alerts_public_code ON alerts(public_code)"
            " WHERE public_code IS NOT NULL",
            # An alert's history (updates, all clear, retraction) on its page.
            "CREATE INDEX alerts_parent ON alerts(parent_id) WHERE parent_id IS NOT NULL",
        ),
    )
)

MIGRATIONS.append(
    Migration(
        MIGRATIONS[-1].version + 1,
        "the case desk: anonymous cases (person link only while open + grace) and sealed"
        " messages",
        (
            # `pid` links the person only while the case is open and for desk.grace_days after;
            # then it, the code, the helper and the exact times go, and the messages are
            # deleted: topic, county, outcome and durations (minutes) remain for statistics.
            # `started`, `waiting` and `assigned` are exact (the queue timers need them) and
            # exist only until the purge; `opened` and `closed` are rounded to the hour.
            """CREATE TABLE cases (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                code TEXT UNIQUE,
                topic TEXT NOT NULL,
                locale TEXT NOT NULL,
                county TEXT,
                status TEXT NOT NULL,
                pid TEXT REFERENCES users(pid) ON DELETE SET NULL,
                helper TEXT,
                opened INTEGER NOT NULL,
                started REAL,
                waiting REAL,
                assigned REAL,
                reminded INTEGER NOT NULL DEFAULT 0,
                first_reply_min INTEGER,
                close_min INTEGER,
                closed INTEGER,
                outcome TEXT,
                helped TEXT,
                remind_at INTEGER,
                thread TEXT,
                purge_after INTEGER
            )""",
            "CREATE INDEX cases_pid ON cases(pid) WHERE pid IS NOT NULL",
            "CREATE INDEX cases_status ON cases(status)",
            # author: person | helper | note (helpers only). The body is sealed per case;
            # a person's text is scrubbed before it is stored or shown to a helper.
            """CREATE TABLE case_messages (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
                author TEXT NOT NULL,
                body_sealed BLOB NOT NULL,
                at INTEGER NOT NULL
            )""",
            "CREATE INDEX case_messages_case ON case_messages(case_id)",
        ),
    )
)

# Issue 17: the Rapid Response Network's roster and dispatches (alerts/rrn/). Pseudonymous:
# a pid and what the volunteer chose, nothing else; no position, plate or name anywhere.
MIGRATIONS.append(
    Migration(
        MIGRATIONS[-1].version + 1,
        "field verifiers' roster, dispatches and their pings",
        (
            # hours: the weekly on-call pattern, 168 bits (Monday 00h first, org timezone) in
            # hex; override 'on'/'off' until override_until (/disponible, /nodisponible).
            """CREATE TABLE roster (
                pid TEXT PRIMARY KEY REFERENCES users(pid) ON DELETE CASCADE,
                counties TEXT NOT NULL DEFAULT '',
                hours TEXT NOT NULL DEFAULT '',
                mobility TEXT NOT NULL DEFAULT '',
                skills TEXT NOT NULL DEFAULT '',
                override TEXT CHECK (override IN ('on', 'off')),
                override_until INTEGER,
                updated INTEGER NOT NULL
            ) WITHOUT ROWID""",
            # One dispatch per incident. `started` is the hour: the exact moments a running
            # dispatch's timers need (its start is the report's arrival) live in memory only.
            # The weekly figures keep durations in minutes, never who.
            """CREATE TABLE dispatches (
                incident INTEGER PRIMARY KEY,
                region TEXT NOT NULL,
                kind TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('open', 'claimed', 'ended')),
                reports INTEGER NOT NULL DEFAULT 1,
                started INTEGER NOT NULL,
                step INTEGER NOT NULL DEFAULT 0,
                claim_minutes INTEGER,
                outcome_minutes INTEGER,
                outcome TEXT,
                outcome_sealed BLOB
            )""",
            # Who was pinged and what they answered; deleted when the dispatch ends.
            """CREATE TABLE dispatch_pings (
                incident INTEGER NOT NULL REFERENCES dispatches(incident) ON DELETE CASCADE,
                pid TEXT NOT NULL REFERENCES users(pid) ON DELETE CASCADE,
                answer TEXT,
                eta INTEGER,
                checkin_due REAL,
                checkin_state TEXT,
                PRIMARY KEY (incident, pid)
            ) WITHOUT ROWID""",
            "CREATE INDEX dispatch_pings_due ON dispatch_pings(checkin_due)"
            " WHERE checkin_due IS NOT NULL",
        ),
    )
)

MIGRATIONS.append(
    Migration(
        MIGRATIONS[-1].version + 1,
        "alert numbers: alerts get their own public sequence; follow-ups, digests and notices "
        "take internal ids",
        (
            """CREATE TABLE sequences (
                name TEXT PRIMARY KEY,
                value INTEGER NOT NULL
            ) WITHOUT ROWID""",
            # Existing alerts keep the numbers they went out under (people and moderators
            # have them in their chats); the next alert comes after every existing row, so
            # no number already shown in a chat is reused.
            "INSERT INTO sequences (name, value) SELECT 'alert', COALESCE(MAX(id), 0)"
            " FROM alerts",
            # Kept equal to bot.store.alerts.INTERNAL_IDS.
            "INSERT INTO sequences (name, value) SELECT 'internal',"
            " MAX(COALESCE(MAX(id), 0), 1000000000) FROM alerts",
        ),
    )
)

MIGRATIONS.append(
    Migration(
        MIGRATIONS[-1].version + 1,
        "durable webhooks: the sealed inbound queue and the keyed hashes of handled update ids",
        (
            # Updates acknowledged before they were handled (never a report step: those are
            # acknowledged after handling, see CONTRIBUTING). Sealed; deleted once handled.
            # No person column and no time: nothing here outlives its handling.
            """CREATE TABLE inbound (
                id INTEGER PRIMARY KEY,
                channel TEXT NOT NULL,
                payload_sealed BLOB NOT NULL
            )""",
            # HMAC of channel and update id (a WhatsApp message id carries the phone number),
            # kept until `expires` (rounded to the hour) to drop a platform's re-delivery.
            """CREATE TABLE handled_updates (
                key TEXT PRIMARY KEY,
                expires INTEGER NOT NULL
            ) WITHOUT ROWID""",
            "CREATE INDEX handled_updates_expires ON handled_updates(expires)",
        ),
    )
)

MIGRATIONS.append(
    Migration(
        MIGRATIONS[-1].version + 1,
        "alerts published before a field verifier saw the report: the unconfirmed flag",
        (
            # Issue 17: when nobody could go and look, publishers may still warn people, under
            # the two-person rule, with the alert clearly labelled as not confirmed. The flag
            # is part of the row's MAC (alerts/integrity.py): it cannot be flipped without keys.
            "ALTER TABLE alerts ADD COLUMN unconfirmed INTEGER NOT NULL DEFAULT 0",
        ),
    )
)

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
