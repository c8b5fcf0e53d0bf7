"""Opt-in "tell me the outcome" handles: a sealed address per report, short-lived.

The only link from a report to a person, made only when they ask for it; deleted when the
report is decided, when it expires, or when the person asks to be forgotten.
"""

from __future__ import annotations

import aiosqlite

from bot.store.db import Database


async def add(db: Database, report_id: int, address_sealed: bytes, locale: str, expires: int
              ) -> None:
    await db.execute(
        "INSERT INTO followups (report_id, address_sealed, locale, expires) VALUES (?, ?, ?, ?)",
        (report_id, address_sealed, locale, expires),
    )


async def for_report(db: Database, report_id: int) -> list[aiosqlite.Row]:
    """(id, address_sealed) of the handles already kept for one report."""
    return await db.fetchall(
        "SELECT id, address_sealed FROM followups WHERE report_id = ?", (report_id,)
    )


async def take_for_incident(conn: aiosqlite.Connection, incident: int, now: int
                            ) -> list[aiosqlite.Row]:
    """Removes every handle of an incident's reports and returns (report_id, address_sealed,
    locale, expires) of those still valid at `now` (inside the transaction that decides the
    incident, so each person is told once)."""
    async with conn.execute(
        "DELETE FROM followups WHERE report_id IN (SELECT id FROM reports WHERE incident = ?)"
        " RETURNING report_id, address_sealed, locale, expires",
        (incident,),
    ) as cur:
        return [row for row in await cur.fetchall() if row[3] > now]


async def everything(db: Database) -> list[aiosqlite.Row]:
    """(id, report_id, address_sealed) of every handle: few rows, at most a day old."""
    return await db.fetchall("SELECT id, report_id, address_sealed FROM followups")


async def delete(db: Database, ids: list[int]) -> int:
    if not ids:
        return 0
    marks = ", ".join("?" for _ in ids)
    return await db.execute(f"DELETE FROM followups WHERE id IN ({marks})", ids)


async def purge(conn: aiosqlite.Connection, now: int) -> int:
    cur = await conn.execute("DELETE FROM followups WHERE expires <= ?", (now,))
    return cur.rowcount
