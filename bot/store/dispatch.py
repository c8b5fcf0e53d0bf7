"""Dispatches of field verifiers (issue 17): one per incident, the pings and the claim.

Functions taking `conn` run inside the caller's `db.write()` transaction. The claim is one
conditional UPDATE: of two presses at once, exactly one changes the row.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import aiosqlite

from bot.clock import coarse_hour
from bot.store.db import Database

_D = ("incident, region, kind, status, reports, started, step, claim_minutes, outcome_minutes,"
      " outcome")


async def _all(conn: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()
               ) -> list[aiosqlite.Row]:
    async with conn.execute(sql, tuple(params)) as cur:
        return list(await cur.fetchall())


async def get(db: Database, incident: int) -> aiosqlite.Row | None:
    return await db.fetchone(f"SELECT {_D} FROM dispatches WHERE incident = ?", (incident,))


async def get_in(conn: aiosqlite.Connection, incident: int) -> aiosqlite.Row | None:
    rows = await _all(conn, f"SELECT {_D} FROM dispatches WHERE incident = ?", (incident,))
    return rows[0] if rows else None


async def has_backup(conn: aiosqlite.Connection, incident: int) -> bool:
    return bool(await _all(conn, "SELECT 1 FROM dispatch_pings WHERE incident = ?"
                                 " AND answer = 'backup'", (incident,)))


async def start(conn: aiosqlite.Connection, incident: int, region: str, kind: str,
                now: float) -> bool:
    """A new dispatch; or, for one not yet claimed, a restart (one more report): True if so."""
    cur = await conn.execute(
        "INSERT INTO dispatches (incident, region, kind, status, started)"
        " VALUES (?, ?, ?, 'open', ?) ON CONFLICT(incident) DO UPDATE SET"
        " reports = reports + 1, step = 0 WHERE dispatches.status = 'open'",
        (incident, region, kind, coarse_hour(now)))
    return cur.rowcount == 1


async def add_pings(conn: aiosqlite.Connection, incident: int, pids: Iterable[str]) -> list[str]:
    """Records pings; returns the pids pinged now that had not answered "no" before."""
    fresh = []
    for pid in pids:
        cur = await conn.execute(
            "INSERT INTO dispatch_pings (incident, pid) VALUES (?, ?)"
            " ON CONFLICT(incident, pid) DO UPDATE SET answer = answer"
            " WHERE dispatch_pings.answer IS NULL OR dispatch_pings.answer = 'far'",
            (incident, pid))
        if cur.rowcount == 1:
            fresh.append(pid)
    return fresh


async def pings(db: Database, incident: int) -> list[aiosqlite.Row]:
    """(pid, answer, eta, checkin_due, checkin_state) of everyone pinged."""
    return await db.fetchall(
        "SELECT pid, answer, eta, checkin_due, checkin_state FROM dispatch_pings"
        " WHERE incident = ? ORDER BY pid", (incident,))


async def ping_of(db: Database, incident: int, pid: str) -> aiosqlite.Row | None:
    return await db.fetchone(
        "SELECT pid, answer, eta, checkin_due, checkin_state FROM dispatch_pings"
        " WHERE incident = ? AND pid = ?", (incident, pid))


async def claim(conn: aiosqlite.Connection, incident: int, minutes: int | None) -> bool:
    """The first "Voy": True for exactly one caller."""
    cur = await conn.execute(
        "UPDATE dispatches SET status = 'claimed', claim_minutes = ?"
        " WHERE incident = ? AND status = 'open'", (minutes, incident))
    return cur.rowcount == 1


async def answer(conn: aiosqlite.Connection, incident: int, pid: str, answer: str,
                 eta: int | None, checkin_due: float | None) -> None:
    await conn.execute(
        "UPDATE dispatch_pings SET answer = ?, eta = ?, checkin_due = ?, checkin_state = NULL"
        " WHERE incident = ? AND pid = ?", (answer, eta, checkin_due, incident, pid))


async def set_checkin(db: Database, incident: int, pid: str, due: float | None,
                      state: str | None) -> None:
    await db.execute(
        "UPDATE dispatch_pings SET checkin_due = ?, checkin_state = ?"
        " WHERE incident = ? AND pid = ?", (due, state, incident, pid))


async def due_checkins(db: Database, now: float) -> list[aiosqlite.Row]:
    """(incident, pid, checkin_state) of field verifiers whose check-in time has come."""
    return await db.fetchall(
        "SELECT incident, pid, checkin_state FROM dispatch_pings"
        " WHERE checkin_due IS NOT NULL AND checkin_due <= ? ORDER BY checkin_due", (now,))


async def alarmed(db: Database, incident: int) -> list[str]:
    """Field verifiers of a dispatch whose check-in went unanswered."""
    rows = await db.fetchall("SELECT pid FROM dispatch_pings WHERE incident = ?"
                             " AND checkin_state = 'alarmed' ORDER BY pid", (incident,))
    return [str(r[0]) for r in rows]


async def unclaimed(db: Database) -> list[aiosqlite.Row]:
    """Open dispatches still escalating (the timers compare their moments in memory)."""
    return await db.fetchall(
        f"SELECT {_D} FROM dispatches WHERE status = 'open' AND step < 2 ORDER BY incident")


async def escalate(db: Database, incident: int, step: int) -> bool:
    """Moves to `step` once: False when another run already did."""
    return await db.execute(
        "UPDATE dispatches SET step = ? WHERE incident = ? AND step = ? AND status = 'open'",
        (step, incident, step - 1)) > 0


async def wait_again(db: Database, incident: int) -> bool:
    """The moderators chose to keep waiting: the escalation starts over."""
    return await db.execute(
        "UPDATE dispatches SET step = 0 WHERE incident = ? AND status = 'open'",
        (incident,)) > 0


async def end(conn: aiosqlite.Connection, incident: int, outcome: str,
              outcome_sealed: bytes | None, minutes: int | None) -> bool:
    """Ends a dispatch: the outcome and its minutes kept; the pings (who) deleted."""
    cur = await conn.execute(
        "UPDATE dispatches SET status = 'ended', outcome = ?, outcome_sealed = ?,"
        " outcome_minutes = ? WHERE incident = ? AND status != 'ended'",
        (outcome, outcome_sealed, minutes, incident))
    await conn.execute("DELETE FROM dispatch_pings WHERE incident = ?", (incident,))
    return cur.rowcount == 1


async def running(db: Database) -> list[aiosqlite.Row]:
    return await db.fetchall(f"SELECT {_D} FROM dispatches WHERE status != 'ended'")


async def since(db: Database, started_after: float) -> list[aiosqlite.Row]:
    """Dispatches started after a time, for the weekly figures (no pids)."""
    return await db.fetchall(
        "SELECT region, status, claim_minutes, outcome_minutes, outcome FROM dispatches"
        " WHERE started >= ?", (started_after,))


async def purge(db: Database, before: float) -> int:
    return await db.execute(
        "DELETE FROM dispatches WHERE status = 'ended' AND started < ?", (before,))
