"""The rows whose MACs the integrity check reads (alerts/integrity.py): alerts and notices
that may still go out, decisions on open incidents, and what quarantines a forged one."""

from __future__ import annotations

import aiosqlite

from bot.store.alerts import _ALERT_COLUMNS, _NOTICE_COLUMNS, Alert, Notice, _alert, _notice
from bot.store.db import Database

_OPEN = ("pending", "claimed", "retry")


async def live_alerts(db: Database, now: float) -> list[Alert]:
    """Alerts rows that may still reach someone: awaiting a confirmation, or published and
    not expired (any type: alerts, follow-ups, digests, notices' carriers)."""
    rows = await db.fetchall(
        f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE status IN ('draft',"
        " 'awaiting_confirmation') OR (status = 'published' AND expires > ?) ORDER BY id",
        (int(now),))
    return [_alert(r) for r in rows]


async def live_notices(db: Database) -> list[Notice]:
    rows = await db.fetchall(f"SELECT {_NOTICE_COLUMNS} FROM notices"
                             " WHERE status IN ('proposed', 'scheduled') ORDER BY id")
    return [_notice(r) for r in rows]


async def open_decisions(db: Database) -> list[tuple[int, str, str, int, str | None]]:
    """(incident, moderator, decision, at, mac) of every decision on an open incident."""
    rows = await db.fetchall(
        "SELECT v.incident, v.moderator, v.decision, v.at, v.mac FROM verifications v"
        " WHERE EXISTS (SELECT 1 FROM reports r WHERE r.incident = v.incident"
        " AND r.status IN ('pending', 'held')) ORDER BY v.incident")
    return [(int(r[0]), str(r[1]), str(r[2]), int(r[3]), None if r[4] is None else str(r[4]))
            for r in rows]


async def decision_in(conn: aiosqlite.Connection, incident: int, moderator: str
                      ) -> tuple[str, int, str | None] | None:
    """(decision, at, mac) of one moderator's decision on an incident."""
    async with conn.execute("SELECT decision, at, mac FROM verifications WHERE incident = ?"
                            " AND moderator = ?", (incident, moderator)) as cur:
        row = await cur.fetchone()
    return None if row is None else (str(row[0]), int(row[1]),
                                     None if row[2] is None else str(row[2]))


async def decisions_in(conn: aiosqlite.Connection, incident: int
                       ) -> list[tuple[str, str, int, str | None]]:
    """(moderator, decision, at, mac) of every decision on an incident."""
    async with conn.execute("SELECT moderator, decision, at, mac FROM verifications"
                            " WHERE incident = ? ORDER BY at", (incident,)) as cur:
        rows = await cur.fetchall()
    return [(str(r[0]), str(r[1]), int(r[2]), None if r[3] is None else str(r[3]))
            for r in rows]


async def set_decision_mac_in(conn: aiosqlite.Connection, incident: int, moderator: str,
                              mac: str) -> None:
    await conn.execute("UPDATE verifications SET mac = ? WHERE incident = ? AND moderator = ?",
                       (mac, incident, moderator))


async def drop_decision_in(conn: aiosqlite.Connection, incident: int, moderator: str) -> None:
    """A decision that failed its MAC: removed (after it was reported), so it neither counts
    nor blocks the real moderator's own decision."""
    await conn.execute("DELETE FROM verifications WHERE incident = ? AND moderator = ?",
                       (incident, moderator))


async def reject_alert_in(conn: aiosqlite.Connection, alert_id: int) -> int:
    """An alerts row that failed its MAC: never sent; what it had queued is cancelled."""
    await conn.execute("UPDATE alerts SET status = 'rejected' WHERE id = ?", (alert_id,))
    cur = await conn.execute(
        "UPDATE deliveries SET status = 'cancelled', error = 'integrity', lease_until = NULL"
        f" WHERE alert_id = ? AND status IN ({','.join('?' for _ in _OPEN)})",
        (alert_id, *_OPEN))
    return cur.rowcount


async def unmacced(db: Database) -> tuple[list[int], list[int], list[tuple[int, str]]]:
    """Rows written before MACs existed: (alert ids, notice ids, (incident, moderator))."""
    alerts = [int(r[0]) for r in await db.fetchall("SELECT id FROM alerts WHERE mac IS NULL")]
    notices = [int(r[0]) for r in await db.fetchall("SELECT id FROM notices WHERE mac IS NULL")]
    decisions = [(int(r[0]), str(r[1])) for r in await db.fetchall(
        "SELECT incident, moderator FROM verifications WHERE mac IS NULL")]
    return alerts, notices, decisions


async def set_confirmation_in(conn: aiosqlite.Connection, table: str, row_id: int,
                              confirmer: str, confirm_mac: str) -> None:
    """Who confirmed a legacy alert or notice, and its confirmation MAC."""
    assert table in ("alerts", "notices")
    await conn.execute(f"UPDATE {table} SET confirmed_by = ?, confirm_mac = ? WHERE id = ?",
                       (confirmer, confirm_mac, row_id))


async def set_notice_mac_in(conn: aiosqlite.Connection, notice_id: int, mac: str) -> None:
    await conn.execute("UPDATE notices SET mac = ? WHERE id = ?", (mac, notice_id))


async def replace_decision_in(conn: aiosqlite.Connection, incident: int, moderator: str,
                              decision: str, note_sealed: bytes | None, at: int,
                              mac: str) -> None:
    """The real moderator's decision over a forged row written in their name."""
    await conn.execute(
        "UPDATE verifications SET decision = ?, note_sealed = ?, at = ?, mac = ?"
        " WHERE incident = ? AND moderator = ?",
        (decision, note_sealed, at, mac, incident, moderator))


async def votes(db: Database, incident: int
                ) -> list[tuple[str, str, bytes | None, int, str | None]]:
    """(moderator, decision, note_sealed, at, mac) of every decision on an incident."""
    rows = await db.fetchall("SELECT moderator, decision, note_sealed, at, mac FROM"
                             " verifications WHERE incident = ? ORDER BY at", (incident,))
    return [(str(r[0]), str(r[1]), None if r[2] is None else bytes(r[2]), int(r[3]),
             None if r[4] is None else str(r[4])) for r in rows]
