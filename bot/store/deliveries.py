"""The outbox: one delivery row per recipient of an alert, claimed with a lease.

Publishing writes the alert row and its deliveries in one transaction (INSERT … SELECT:
100,000 rows stay in SQLite, never in Python memory). The dispatcher claims due rows with a
lease; a claim that outlives its lease (a crash) is due again, and a row once `sent` is never
claimed again. Functions taking `conn` run inside the caller's `db.write()` transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import aiosqlite

from bot.store.cases import HELD, OPEN_CASE_PIDS
from bot.store.db import Database

OPEN = ("pending", "claimed", "retry")


@dataclass(frozen=True, slots=True)
class Delivery:
    """A claimed delivery, with its recipient read in the same statement (`address_sealed`
    None when they are gone: forget-me)."""

    id: int
    alert_id: int
    pid: str
    channel: str
    attempts: int
    address_sealed: bytes | None = None
    locale: str | None = None

    def __repr__(self) -> str:
        return f"Delivery(#{self.id}, alert {self.alert_id}, {self.channel})"


def quiet_end_times(now: float, tz: ZoneInfo) -> list[tuple[int, int, float]]:
    """(local hour now, end hour, the next time that end hour starts) for every end hour."""
    local = datetime.fromtimestamp(now, tz)
    out = []
    for end in range(24):
        candidate = local.replace(hour=end, minute=0, second=0, microsecond=0)
        if candidate <= local:
            candidate = (candidate + timedelta(days=1)).replace(hour=end)
        out.append((local.hour, end, candidate.timestamp()))
    return out


# Quiet hours: start <= h < end, or across midnight h >= start or h < end.
_IN_QUIET = """(p.quiet_start IS NOT NULL AND p.quiet_end IS NOT NULL
    AND p.quiet_start != p.quiet_end
    AND ((p.quiet_start < p.quiet_end AND k.hour >= p.quiet_start AND k.hour < p.quiet_end)
      OR (p.quiet_start > p.quiet_end AND (k.hour >= p.quiet_start OR k.hour < p.quiet_end))))"""


async def enqueue_region(conn: aiosqlite.Connection, alert_id: int, region: str, now: float,
                         critical: bool, tz: ZoneInfo) -> int:
    """One delivery per immediate subscriber of the region; quiet hours defer non-critical
    alerts to the end of the person's quiet time."""
    ends = quiet_end_times(now, tz)
    values = ",".join("(?, ?)" for _ in ends)
    cur = await conn.execute(
        f"WITH ends(hour_end, at) AS (VALUES {values}),"
        " k(hour, now, critical, alert, region) AS (SELECT ?, ?, ?, ?, ?)"
        " INSERT OR IGNORE INTO deliveries (alert_id, pid, channel, status, next_attempt)"
        " SELECT k.alert, s.pid, u.channel, 'pending',"
        f" CASE WHEN k.critical = 0 AND {_IN_QUIET}"
        "  THEN (SELECT at FROM ends WHERE hour_end = p.quiet_end) ELSE k.now END"
        " FROM k JOIN subscription_regions s ON s.region = k.region"
        " JOIN subscribers p ON p.pid = s.pid JOIN users u ON u.pid = s.pid"
        " WHERE p.mode = 'immediate'",
        [*(v for _, end, ts in ends for v in (end, ts)),
         ends[0][0], now, int(critical), alert_id, region])
    await cur.close()
    # sqlite3 reports rowcount -1 for statements that start with WITH: ask SQLite itself.
    async with conn.execute("SELECT changes()") as changes:
        row = await changes.fetchone()
    return int(row[0]) if row else 0


async def enqueue_followup(conn: aiosqlite.Connection, followup_id: int, original_id: int,
                           now: float, include_pending: bool) -> int:
    """The follow-up goes to exactly the people who received the original (and, for an
    update, those about to receive it); retractions cancel what has not gone out yet.

    A row still in flight (claimed) is included: whether it went out is settled when the
    follow-up's turn comes (`original_outcome`)."""
    statuses = ("sent", "pending", "claimed", "retry") if include_pending \
        else ("sent", "claimed")
    marks = ",".join("?" for _ in statuses)
    cur = await conn.execute(
        "INSERT OR IGNORE INTO deliveries (alert_id, pid, channel, status, next_attempt)"
        f" SELECT ?, pid, channel, 'pending', ? FROM deliveries"
        f" WHERE alert_id = ? AND status IN ({marks})",
        (followup_id, now, original_id, *statuses))
    if not include_pending:
        await conn.execute(
            "UPDATE deliveries SET status = 'cancelled', lease_until = NULL"
            " WHERE alert_id = ? AND status IN ('pending', 'retry')", (original_id,))
    return cur.rowcount


# Digests and notices for someone with an open case wait until it closes (issue 16): their rows
# are written held (next_attempt far ahead) and released when the case closes.
_NEXT = f"CASE WHEN p.pid IN ({OPEN_CASE_PIDS}) THEN {HELD} ELSE ? END"


async def enqueue_digest(conn: aiosqlite.Connection, digest_id: int, now: float, since: int,
                         until: int) -> int:
    """Digest-mode subscribers who had alerts in their regions in [since, until)."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO deliveries (alert_id, pid, channel, status, next_attempt)"
        f" SELECT ?, p.pid, u.channel, 'pending', {_NEXT} FROM subscribers p"
        " JOIN users u ON u.pid = p.pid WHERE p.mode = 'digest' AND EXISTS ("
        "  SELECT 1 FROM subscription_regions s JOIN alerts a ON a.region = s.region"
        "  WHERE s.pid = p.pid AND a.type = 'alert' AND a.published >= ?"
        "  AND a.published < ? AND a.status IN ('published', 'cleared', 'expired'))",
        (digest_id, now, since, until))
    return cur.rowcount


async def enqueue_notice(conn: aiosqlite.Connection, alert_id: int, now: float,
                         regions: tuple[str, ...] | None) -> int:
    """Every subscriber (`regions` None) or those of the regions."""
    where, params = "1 = 1", tuple[str, ...]()
    if regions is not None:
        marks = ",".join("?" for _ in regions)
        where = f"p.pid IN (SELECT pid FROM subscription_regions WHERE region IN ({marks}))"
        params = regions
    cur = await conn.execute(
        "INSERT OR IGNORE INTO deliveries (alert_id, pid, channel, status, next_attempt)"
        f" SELECT ?, p.pid, u.channel, 'pending', {_NEXT} FROM subscribers p"
        f" JOIN users u ON u.pid = p.pid WHERE {where}", (alert_id, now, *params))
    return cur.rowcount


async def skip_expired_in(conn: aiosqlite.Connection, now: int) -> None:
    """What expired alerts had not sent yet is never sent."""
    await conn.execute(
        "UPDATE deliveries SET status = 'skipped_expired', lease_until = NULL"
        " WHERE status IN ('pending', 'retry') AND alert_id IN"
        " (SELECT id FROM alerts WHERE expires <= ?)", (now,))


async def unsubscribe_in(conn: aiosqlite.Connection, pid: str) -> None:
    """The person left: nothing more goes out to them."""
    await conn.execute(
        "UPDATE deliveries SET status = 'unsubscribed', lease_until = NULL"
        " WHERE pid = ? AND status IN ('pending', 'retry')", (pid,))


async def original_outcome(db: Database, alert_id: int, pid: str) -> str | None:
    """The status of this person's delivery of alert `alert_id` (a follow-up's original)."""
    row = await db.fetchone("SELECT status FROM deliveries WHERE alert_id = ? AND pid = ?",
                            (alert_id, pid))
    return str(row[0]) if row else None


async def release_claims(db: Database) -> int:
    """At start-up this process is the only dispatcher: unfinished claims go out again now."""
    return await db.execute(
        "UPDATE deliveries SET status = 'pending', lease_until = NULL WHERE status = 'claimed'")


async def claim(db: Database, now: float, lease_seconds: float, limit: int,
                channels: tuple[str, ...], max_attempts: int) -> list[Delivery]:
    """Due rows, leased to this dispatcher. A row that has used its `max_attempts` claims and
    is due again (a retry, or a lease that ran out: a crash mid-send) is failed here instead
    of claimed again; rows deferred without an attempt (pacing, a follow-up waiting for its
    original) are `pending` and not counted against it."""
    marks = ",".join("?" for _ in channels)
    async with db.write() as conn:
        await conn.execute(
            "UPDATE deliveries SET status = 'failed', lease_until = NULL,"
            " error = COALESCE(error, 'out of attempts')"
            f" WHERE channel IN ({marks}) AND attempts >= ? AND ("
            "  (status = 'retry' AND next_attempt <= ?)"
            "  OR (status = 'claimed' AND lease_until < ?))",
            (*channels, max_attempts, now, now))
        cur = await conn.execute(
            "UPDATE deliveries SET status = 'claimed', lease_until = ?, attempts = attempts + 1"
            " WHERE id IN (SELECT id FROM deliveries"
            "  WHERE channel IN (" + marks + ") AND ("
            "   (status IN ('pending', 'retry') AND next_attempt <= ?)"
            "   OR (status = 'claimed' AND lease_until < ?))"
            "  ORDER BY next_attempt, id LIMIT ?)"
            " RETURNING id, alert_id, pid, channel, attempts",
            (now + lease_seconds, *channels, now, now, limit))
        rows = await cur.fetchall()
        await cur.close()
        people: dict[str, tuple[bytes, str | None]] = {}
        pids = sorted({str(r[2]) for r in rows})
        for start in range(0, len(pids), 500):
            chunk = pids[start:start + 500]
            marks = ",".join("?" for _ in chunk)
            async with conn.execute(
                    f"SELECT pid, address_sealed, locale FROM users WHERE pid IN ({marks})",
                    chunk) as found:
                for p in await found.fetchall():
                    people[str(p[0])] = (bytes(p[1]), p[2])
    claims = [Delivery(int(r[0]), int(r[1]), str(r[2]), str(r[3]), int(r[4]),
                       *people.get(str(r[2]), (None, None))) for r in rows]
    claims.sort(key=lambda c: c.id)
    return claims


async def record(db: Database, delivery_id: int, status: str, *,
                 next_attempt: float | None = None, provider_id: str | None = None,
                 error: str | None = None) -> None:
    """Records one outcome, only if the row is still ours (claimed)."""
    await db.execute_one(
        "UPDATE deliveries SET status = ?, lease_until = NULL,"
        " next_attempt = COALESCE(?, next_attempt), provider_id = COALESCE(?, provider_id),"
        " error = ? WHERE id = ? AND status = 'claimed'",
        (status, next_attempt, provider_id, error, delivery_id))


async def counts(db: Database, alert_id: int) -> dict[str, int]:
    rows = await db.fetchall(
        "SELECT status, COUNT(*) FROM deliveries WHERE alert_id = ? GROUP BY status",
        (alert_id,))
    return {str(r[0]): int(r[1]) for r in rows}


async def next_due(db: Database, channels: tuple[str, ...]) -> float | None:
    marks = ",".join("?" for _ in channels)
    row = await db.fetchone(
        "SELECT MIN(CASE WHEN status = 'claimed' THEN lease_until ELSE next_attempt END)"
        " FROM deliveries WHERE status IN ('pending', 'retry', 'claimed')"
        f" AND channel IN ({marks})", channels)
    return float(row[0]) if row and row[0] is not None else None


# -- what a platform says later (status webhooks), by the provider id's keyed hash ----------

async def resent_as(db: Database, key: str, new_key: str) -> None:
    await db.execute("UPDATE deliveries SET provider_id = ? WHERE provider_id = ?",
                     (new_key, key))


async def retry_sent(db: Database, key: str, at: float, error: str) -> None:
    """Sent, then refused later (rate limit): it goes out again at `at`."""
    await db.execute(
        "UPDATE deliveries SET status = 'retry', next_attempt = ?, error = ?"
        " WHERE provider_id = ? AND status = 'sent'", (at, error, key))


async def settle_sent(db: Database, key: str, status: str, error: str) -> None:
    """Sent, then reported undeliverable."""
    await db.execute(
        "UPDATE deliveries SET status = ?, error = ? WHERE provider_id = ? AND status = 'sent'",
        (status, error, key))
