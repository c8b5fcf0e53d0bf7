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

from bot.clock import coarse_hour
from bot.store import public as public_store
from bot.store.db import Database

_ALERT_COLUMNS = (
    "id, type, parent_id, report_id, region, kind, critical, note_sealed, status, drill,"
    " observed, created, published, expires, created_by, confirmed_by, progress_to_sealed,"
    " progress_message, progress_updated, window_start, window_end, mac, confirm_mac,"
    " public_code, unconfirmed")
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
    mac: str | None = None              # over what it says and who proposed it
    confirm_mac: str | None = None      # over `mac` and who confirmed it
    public_code: str | None = None      # "Código: 7Q3KM" (alerts only; bot/public/codes.py)
    unconfirmed: bool = False           # published before anyone verified it (issue 17)

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
    created_by: str | None = None
    confirmed_by: str | None = None
    mac: str | None = None
    confirm_mac: str | None = None


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
        window_start=_int(r[19]), window_end=_int(r[20]), mac=_str(r[21]),
        confirm_mac=_str(r[22]), public_code=_str(r[23]), unconfirmed=bool(r[24]))


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
                 window: tuple[int, int] | None = None, unconfirmed: bool = False) -> int:
    """Adds an alert row (its note follows, sealed with its id); returns the id: for an
    alert (`type_` 'alert') its public number, for anything else an internal id."""
    alert_id = await _next_id(conn, type_)
    await conn.execute(
        "INSERT INTO alerts (id, type, parent_id, report_id, region, kind, critical,"
        " status, drill, observed, created, published, expires, created_by,"
        " progress_to_sealed, window_start, window_end, unconfirmed)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (alert_id, type_, parent_id, report_id, region, kind, int(critical), status,
         # Next to a report id, no finer than the report's own time (the hour).
         int(drill), observed, int(now) if report_id is None else coarse_hour(now),
         int(now) if status == "published" else None, int(expires), created_by,
         progress_to_sealed, window[0] if window else None, window[1] if window else None,
         int(unconfirmed)))
    if type_ == "alert":
        await public_store.assign_code(conn, alert_id)   # "Código: 7Q3KM"
    return alert_id


async def set_note_in(conn: aiosqlite.Connection, alert_id: int, sealed: bytes | None) -> None:
    await conn.execute("UPDATE alerts SET note_sealed = ? WHERE id = ?", (sealed, alert_id))


async def set_unpublished_note_in(conn: aiosqlite.Connection, alert_id: int,
                                  sealed: bytes | None) -> bool:
    """The note of an alert or follow-up that has not gone out yet; False when it has (or is
    gone). Its MAC is written next, in the same transaction."""
    cur = await conn.execute(
        "UPDATE alerts SET note_sealed = ? WHERE id = ? AND status IN (?, ?)",
        (sealed, alert_id, *UNPUBLISHED))
    return cur.rowcount > 0


async def get(db: Database, alert_id: int) -> Alert | None:
    row = await db.fetchone(f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE id = ?", (alert_id,))
    return None if row is None else _alert(row)


async def get_in(conn: aiosqlite.Connection, alert_id: int) -> Alert | None:
    """An original alert (type 'alert'), read inside a write transaction."""
    async with conn.execute(f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE id = ?"
                            " AND type = 'alert'", (alert_id,)) as cur:
        row = await cur.fetchone()
    return None if row is None else _alert(row)


async def get_any_in(conn: aiosqlite.Connection, alert_id: int) -> Alert | None:
    """Any alerts row (an alert, a follow-up, a digest, a notice's), inside a transaction."""
    async with conn.execute(f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE id = ?",
                            (alert_id,)) as cur:
        row = await cur.fetchone()
    return None if row is None else _alert(row)


async def set_mac_in(conn: aiosqlite.Connection, alert_id: int, mac: str) -> None:
    """The MAC over what an alert says and who proposed it (alerts/integrity.py)."""
    await conn.execute("UPDATE alerts SET mac = ? WHERE id = ?", (mac, alert_id))


async def propose_in(conn: aiosqlite.Connection, alert_id: int, proposer: str,
                     mac: str) -> None:
    """A draft proposed by a publisher: a second person must now confirm it."""
    await conn.execute(
        "UPDATE alerts SET status = 'awaiting_confirmation', created_by = ?, mac = ?"
        " WHERE id = ?", (proposer, mac, alert_id))


async def set_progress_to_in(conn: aiosqlite.Connection, alert_id: int,
                             sealed: bytes | None) -> None:
    """Where the publisher's progress message goes (the proposer's chat, sealed)."""
    await conn.execute("UPDATE alerts SET progress_to_sealed = ? WHERE id = ?",
                       (sealed, alert_id))


async def followup_reach(db: Database, alert_id: int, include_pending: bool
                         ) -> dict[str, int]:
    """Per channel, how many people a follow-up of alert N would reach: those it went out
    to (and, for an update, those still waiting for it)."""
    statuses = ("sent", "pending", "claimed", "retry") if include_pending else ("sent",)
    marks = ",".join("?" for _ in statuses)
    rows = await db.fetchall(
        f"SELECT channel, COUNT(*) FROM deliveries WHERE alert_id = ? AND status IN ({marks})"
        " GROUP BY channel ORDER BY channel", (alert_id, *statuses))
    return {str(r[0]): int(r[1]) for r in rows}


async def notice_reach(db: Database, regions: tuple[str, ...] | None) -> dict[str, int]:
    """Per channel, how many subscribers a notice for `regions` (None: all) would reach."""
    where, params = "1 = 1", tuple[str, ...]()
    if regions is not None:
        marks = ",".join("?" for _ in regions)
        where = f"p.pid IN (SELECT pid FROM subscription_regions WHERE region IN ({marks}))"
        params = regions
    rows = await db.fetchall(
        "SELECT u.channel, COUNT(*) FROM subscribers p JOIN users u ON u.pid = p.pid"
        f" WHERE {where} GROUP BY u.channel ORDER BY u.channel", params)
    return {str(r[0]): int(r[1]) for r in rows}


async def set_confirm_mac_in(conn: aiosqlite.Connection, alert_id: int, mac: str) -> None:
    await conn.execute("UPDATE alerts SET confirm_mac = ? WHERE id = ?", (mac, alert_id))


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
        "UPDATE alerts SET status = 'cancelled' WHERE id = ? AND status IN (?, ?)",
        (alert_id, *UNPUBLISHED)) > 0


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


async def progress_unfinished(db: Database) -> list[int]:
    """Alerts whose publisher has not been shown the final count yet."""
    rows = await db.fetchall("SELECT id FROM alerts WHERE progress_to_sealed IS NOT NULL"
                             " ORDER BY id")
    return [int(r[0]) for r in rows]


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

_NOTICE_COLUMNS = ("id, run_at, regions, status, text_es_sealed, text_en_sealed, alert_id,"
                   " created_by, confirmed_by, mac, confirm_mac")


def _notice(r: aiosqlite.Row) -> Notice:
    return Notice(int(r[0]), int(r[1]), _regions(str(r[2])), str(r[3]), bytes(r[4]),
                  bytes(r[5]), _int(r[6]), _str(r[7]), _str(r[8]), _str(r[9]), _str(r[10]))


def regions_field(regions: tuple[str, ...] | list[str] | None) -> str:
    """How a notice's regions are stored (and MAC'd): sorted, comma-separated, or "*"."""
    return "*" if regions is None else ",".join(sorted(regions))


async def insert_notice(conn: aiosqlite.Connection, run_at: float,
                        regions: list[str] | None, actor: str) -> int:
    """A proposed notice with empty texts (sealed with its id next, then its MAC); a second
    person confirms it before it is scheduled. Returns the id."""
    cur = await conn.execute(
        "INSERT INTO notices (run_at, regions, text_es_sealed, text_en_sealed, created_by,"
        " status) VALUES (?, ?, x'', x'', ?, 'proposed')",
        (int(run_at), regions_field(regions), actor))
    assert cur.lastrowid is not None
    return cur.lastrowid


async def set_notice_texts(conn: aiosqlite.Connection, notice_id: int, es: bytes,
                           en: bytes, mac: str) -> None:
    await conn.execute("UPDATE notices SET text_es_sealed = ?, text_en_sealed = ?, mac = ?"
                       " WHERE id = ?", (es, en, mac, notice_id))


async def notice_in(conn: aiosqlite.Connection, notice_id: int) -> Notice | None:
    """One notice with its texts, inside a transaction."""
    async with conn.execute(f"SELECT {_NOTICE_COLUMNS} FROM notices WHERE id = ?",
                            (notice_id,)) as cur:
        row = await cur.fetchone()
    return None if row is None else _notice(row)


async def get_notice(db: Database, notice_id: int) -> Notice | None:
    row = await db.fetchone(f"SELECT {_NOTICE_COLUMNS} FROM notices WHERE id = ?",
                            (notice_id,))
    return None if row is None else _notice(row)


async def confirm_notice_in(conn: aiosqlite.Connection, notice_id: int, actor: str,
                            confirm_mac: str) -> bool:
    """A proposed notice confirmed by a second person: scheduled."""
    cur = await conn.execute(
        "UPDATE notices SET status = 'scheduled', confirmed_by = ?, confirm_mac = ?"
        " WHERE id = ? AND status = 'proposed'", (actor, confirm_mac, notice_id))
    return cur.rowcount > 0


async def reject_notice_in(conn: aiosqlite.Connection, notice_id: int) -> None:
    """A notice that failed its MAC: never sent."""
    await conn.execute("UPDATE notices SET status = 'rejected' WHERE id = ?", (notice_id,))


async def scheduled_notices(db: Database, until: float | None = None,
                            statuses: tuple[str, ...] = ("scheduled",)) -> list[Notice]:
    """Notices still to go out (those due by `until`, when given), soonest first."""
    marks = ",".join("?" for _ in statuses)
    rows = await db.fetchall(
        f"SELECT {_NOTICE_COLUMNS} FROM notices WHERE status IN ({marks})"
        " AND (? IS NULL OR run_at <= ?) ORDER BY run_at, id",
        (*statuses, None if until is None else int(until),
         None if until is None else int(until)))
    return [_notice(r) for r in rows]


async def notice_status_in(conn: aiosqlite.Connection, notice_id: int) -> str | None:
    async with conn.execute("SELECT status FROM notices WHERE id = ?", (notice_id,)) as cur:
        row = await cur.fetchone()
    return None if row is None else str(row[0])


async def mark_notice_sent(conn: aiosqlite.Connection, notice_id: int, alert_id: int) -> None:
    await conn.execute("UPDATE notices SET status = 'sent', alert_id = ? WHERE id = ?",
                       (alert_id, notice_id))


async def cancel_notice(db: Database, notice_id: int) -> bool:
    return await db.execute(
        "UPDATE notices SET status = 'cancelled', confirm_mac = NULL WHERE id = ?"
        " AND status IN ('scheduled', 'proposed')", (notice_id,)) > 0


async def notice_of(db: Database, alert_id: int) -> Notice | None:
    """The notice an alert row carries out (with its sealed texts)."""
    row = await db.fetchone(f"SELECT {_NOTICE_COLUMNS} FROM notices WHERE alert_id = ?",
                            (alert_id,))
    return None if row is None else _notice(row)


# -- schedule runs -------------------------------------------------------------------------

async def last_run(db: Database, name: str) -> float | None:
    row = await db.fetchone("SELECT last_run FROM schedule_runs WHERE name = ?", (name,))
    return float(row[0]) if row else None


async def set_last_run(conn: aiosqlite.Connection, name: str, at: float) -> None:
    await conn.execute(
        "INSERT INTO schedule_runs (name, last_run) VALUES (?, ?)"
        " ON CONFLICT(name) DO UPDATE SET last_run = excluded.last_run", (name, at))
