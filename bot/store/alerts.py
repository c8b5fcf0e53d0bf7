"""Alerts, scheduled notices and schedule runs (tables from migration 3).

Every alert, follow-up, digest and notice is one `alerts` row; its words are rendered per
recipient at send time. Functions taking `conn` run inside the caller's `db.write()`
transaction; those taking `db` read or write on their own. Statuses are plain strings here
(the enums live in `alerts.status`, which compare equal to them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.store.db import Database

_ALERT_COLUMNS = (
    "id, type, parent_id, report_id, region, kind, critical, note_sealed, status, drill,"
    " observed, created, published, expires, created_by, confirmed_by, progress_to_sealed,"
    " progress_message, progress_updated, window_start, window_end")
# An alert may still be published or confirmed in these states.
UNPUBLISHED = ("draft", "awaiting_confirmation")


@dataclass(frozen=True, slots=True)
class Alert:
    """One `alerts` row: an alert, a follow-up (`parent_id`), a digest or a notice."""

    id: int
    type: str
    parent_id: int | None
    report_id: int | None
    region: str | None
    kind: str | None
    critical: bool
    note_sealed: bytes | None
    status: str
    drill: bool
    observed: int | None
    created: int
    published: int | None
    expires: int
    created_by: str | None
    confirmed_by: str | None
    progress_to_sealed: bytes | None
    progress_message: bytes | None
    progress_updated: float | None
    window_start: int | None
    window_end: int | None

    def __repr__(self) -> str:
        return f"Alert(#{self.id}, {self.type}, {self.status})"


@dataclass(frozen=True, slots=True)
class Notice:
    """A scheduled community notice; `regions` is None for every subscriber."""

    id: int
    run_at: int
    regions: tuple[str, ...] | None
    status: str
    text_es_sealed: bytes = b""
    text_en_sealed: bytes = b""
    alert_id: int | None = None


def _blob(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _alert(r: aiosqlite.Row) -> Alert:
    return Alert(
        id=int(r[0]), type=str(r[1]), parent_id=_int(r[2]), report_id=_int(r[3]),
        region=_str(r[4]), kind=_str(r[5]), critical=bool(r[6]), note_sealed=_blob(r[7]),
        status=str(r[8]), drill=bool(r[9]), observed=_int(r[10]), created=int(r[11]),
        published=_int(r[12]), expires=int(r[13]), created_by=_str(r[14]),
        confirmed_by=_str(r[15]), progress_to_sealed=_blob(r[16]),
        progress_message=_blob(r[17]),
        progress_updated=None if r[18] is None else float(r[18]),
        window_start=_int(r[19]), window_end=_int(r[20]))


def _regions(value: str) -> tuple[str, ...] | None:
    return None if value == "*" else tuple(value.split(","))


# Public numbers: an alert's id is the number moderators and people read ("alert #3",
# "/despejado 3"), taken from its own sequence, so the first alert of an install is #1 and the
# next is #2. Follow-ups, digests and notices are rows of the same table (the outbox points at
# them) but take ids from an internal range, so they never use up a number. Both sequences
# live in `sequences` (migration 4): a number is never handed out twice, even after the
# retention purge deletes the newest alert.
INTERNAL_IDS = 1_000_000_000


async def _next_id(conn: aiosqlite.Connection, type_: str) -> int:
    name = "alert" if type_ == "alert" else "internal"
    async with conn.execute("UPDATE sequences SET value = value + 1 WHERE name = ?"
                            " RETURNING value", (name,)) as cur:
        row = await cur.fetchone()
    assert row is not None, "migration 4 creates both sequences"
    return int(row[0])


async def insert(conn: aiosqlite.Connection, *, type_: str, status: str, now: float,
                 expires: float, region: str | None = None, kind: str | None = None,
                 critical: bool = False, parent_id: int | None = None,
                 report_id: int | None = None, drill: bool = False,
                 created_by: str | None = None, observed: int | None = None,
                 progress_to_sealed: bytes | None = None,
                 window: tuple[int, int] | None = None) -> int:
    """Adds an alert row (its note follows, sealed with its id); returns the id: for an
    alert (`type_` 'alert') its public number, for anything else an internal id."""
    alert_id = await _next_id(conn, type_)
    await conn.execute(
        "INSERT INTO alerts (id, type, parent_id, report_id, region, kind, critical,"
        " status, drill, observed, created, published, expires, created_by,"
        " progress_to_sealed, window_start, window_end)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (alert_id, type_, parent_id, report_id, region, kind, int(critical), status,
         int(drill), observed, int(now),
         int(now) if status == "published" else None, int(expires), created_by,
         progress_to_sealed, window[0] if window else None, window[1] if window else None))
    return alert_id


async def set_note_in(conn: aiosqlite.Connection, alert_id: int, sealed: bytes | None) -> None:
    await conn.execute("UPDATE alerts SET note_sealed = ? WHERE id = ?", (sealed, alert_id))


async def set_unpublished_note(db: Database, alert_id: int, sealed: bytes | None) -> bool:
    """The note of an alert that has not gone out yet; False when it has (or is gone)."""
    return await db.execute(
        "UPDATE alerts SET note_sealed = ? WHERE id = ? AND type = 'alert' AND status IN (?, ?)",
        (sealed, alert_id, *UNPUBLISHED)) > 0


async def get(db: Database, alert_id: int) -> Alert | None:
    row = await db.fetchone(f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE id = ?", (alert_id,))
    return None if row is None else _alert(row)


async def get_in(conn: aiosqlite.Connection, alert_id: int) -> Alert | None:
    """An original alert (type 'alert'), read inside a write transaction."""
    async with conn.execute(f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE id = ?"
                            " AND type = 'alert'", (alert_id,)) as cur:
        row = await cur.fetchone()
    return None if row is None else _alert(row)


async def get_many(db: Database, ids: list[int]) -> dict[int, Alert]:
    marks = ",".join("?" for _ in ids)
    rows = await db.fetchall(f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE id IN ({marks})", ids)
    return {a.id: a for a in map(_alert, rows)}


async def draft_for_report(conn: aiosqlite.Connection, report_id: int) -> int | None:
    async with conn.execute("SELECT id FROM alerts WHERE report_id = ? AND type = 'alert'",
                            (report_id,)) as cur:
        row = await cur.fetchone()
    return None if row is None else int(row[0])


async def mark_published(conn: aiosqlite.Connection, alert_id: int, now: float, actor: str,
                         progress_to_sealed: bytes | None) -> None:
    await conn.execute(
        "UPDATE alerts SET status = 'published', published = ?, confirmed_by = ?,"
        " progress_to_sealed = ? WHERE id = ?", (int(now), actor, progress_to_sealed, alert_id))


async def set_status_in(conn: aiosqlite.Connection, alert_id: int, status: str) -> None:
    await conn.execute("UPDATE alerts SET status = ? WHERE id = ?", (status, alert_id))


async def cancel_unpublished(db: Database, alert_id: int) -> bool:
    return await db.execute(
        "UPDATE alerts SET status = 'cancelled' WHERE id = ? AND type = 'alert'"
        " AND status IN (?, ?)", (alert_id, *UNPUBLISHED)) > 0


async def expire_in(conn: aiosqlite.Connection, now: int) -> int:
    """Alerts past their expiry (what they had not sent is skipped, see deliveries)."""
    cur = await conn.execute(
        "UPDATE alerts SET status = 'expired' WHERE type = 'alert' AND expires <= ?"
        " AND status IN ('published', 'awaiting_confirmation', 'draft')", (now,))
    return cur.rowcount


async def published_for(db: Database, pid: str, since: int, until: int) -> list[Alert]:
    """The alerts in `pid`'s regions published in [since, until) (a digest's lines)."""
    cols = ", ".join(f"a.{c.strip()}" for c in _ALERT_COLUMNS.split(","))
    rows = await db.fetchall(
        f"SELECT {cols} FROM alerts a JOIN subscription_regions s ON s.region = a.region"
        " WHERE s.pid = ? AND a.type = 'alert' AND a.published >= ? AND a.published < ?"
        " AND a.status IN ('published', 'cleared', 'expired') ORDER BY a.published",
        (pid, since, until))
    return [_alert(r) for r in rows]


async def set_progress(db: Database, alert_id: int, message_sealed: bytes | None, now: float,
                       done: bool) -> None:
    """The publisher's progress message; once done, where it goes is forgotten."""
    await db.execute(
        "UPDATE alerts SET progress_message = ?, progress_updated = ?,"
        " progress_to_sealed = CASE WHEN ? THEN NULL ELSE progress_to_sealed END"
        " WHERE id = ?", (message_sealed, now, int(done), alert_id))


async def purge_in(conn: aiosqlite.Connection, before: int) -> int:
    """Alerts (with their follow-ups, digests, notices and delivery rows: who got what)
    that expired before the cut-off."""
    old = "SELECT id FROM alerts WHERE expires < ?"
    await conn.execute(f"DELETE FROM notices WHERE alert_id IN ({old})", (before,))
    await conn.execute("DELETE FROM notices WHERE status != 'scheduled' AND run_at < ?",
                       (before,))
    # Follow-ups first: they point at their original.
    cur = await conn.execute(
        f"DELETE FROM alerts WHERE parent_id IS NOT NULL AND (id IN ({old})"
        f" OR parent_id IN ({old}))", (before, before))
    children = cur.rowcount
    cur = await conn.execute(
        "DELETE FROM alerts WHERE expires < ? AND id NOT IN"
        " (SELECT parent_id FROM alerts WHERE parent_id IS NOT NULL)", (before,))
    return children + cur.rowcount


# -- notices -------------------------------------------------------------------------------

async def insert_notice(conn: aiosqlite.Connection, run_at: float,
                        regions: list[str] | None, actor: str) -> int:
    """A scheduled notice with empty texts (sealed with its id next); returns the id."""
    cur = await conn.execute(
        "INSERT INTO notices (run_at, regions, text_es_sealed, text_en_sealed, created_by)"
        " VALUES (?, ?, x'', x'', ?)",
        (int(run_at), "*" if regions is None else ",".join(sorted(regions)), actor))
    assert cur.lastrowid is not None
    return cur.lastrowid


async def set_notice_texts(conn: aiosqlite.Connection, notice_id: int, es: bytes,
                           en: bytes) -> None:
    await conn.execute("UPDATE notices SET text_es_sealed = ?, text_en_sealed = ? WHERE id = ?",
                       (es, en, notice_id))


async def scheduled_notices(db: Database, until: float | None = None) -> list[Notice]:
    """Notices still to go out (those due by `until`, when given), soonest first."""
    rows = await db.fetchall(
        "SELECT id, run_at, regions, status FROM notices WHERE status = 'scheduled'"
        " AND (? IS NULL OR run_at <= ?) ORDER BY run_at, id",
        (None if until is None else int(until), None if until is None else int(until)))
    return [Notice(int(r[0]), int(r[1]), _regions(str(r[2])), str(r[3])) for r in rows]


async def notice_status_in(conn: aiosqlite.Connection, notice_id: int) -> str | None:
    async with conn.execute("SELECT status FROM notices WHERE id = ?", (notice_id,)) as cur:
        row = await cur.fetchone()
    return None if row is None else str(row[0])


async def mark_notice_sent(conn: aiosqlite.Connection, notice_id: int, alert_id: int) -> None:
    await conn.execute("UPDATE notices SET status = 'sent', alert_id = ? WHERE id = ?",
                       (alert_id, notice_id))


async def cancel_notice(db: Database, notice_id: int) -> bool:
    return await db.execute(
        "UPDATE notices SET status = 'cancelled' WHERE id = ? AND status = 'scheduled'",
        (notice_id,)) > 0


async def notice_of(db: Database, alert_id: int) -> Notice | None:
    """The notice an alert row carries out (with its sealed texts)."""
    row = await db.fetchone(
        "SELECT id, run_at, regions, status, text_es_sealed, text_en_sealed, alert_id"
        " FROM notices WHERE alert_id = ?", (alert_id,))
    if row is None:
        return None
    return Notice(int(row[0]), int(row[1]), _regions(str(row[2])), str(row[3]),
                  bytes(row[4]), bytes(row[5]), int(row[6]))


# -- schedule runs -------------------------------------------------------------------------

async def last_run(db: Database, name: str) -> float | None:
    row = await db.fetchone("SELECT last_run FROM schedule_runs WHERE name = ?", (name,))
    return float(row[0]) if row else None


async def set_last_run(conn: aiosqlite.Connection, name: str, at: float) -> None:
    await conn.execute(
        "INSERT INTO schedule_runs (name, last_run) VALUES (?, ?)"
        " ON CONFLICT(name) DO UPDATE SET last_run = excluded.last_run", (name, at))
