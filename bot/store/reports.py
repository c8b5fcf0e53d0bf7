"""Reports, their photos and the moderators' decisions (tables from migration 2).

There is no reporter column: nothing here can say who sent a report. Functions taking `conn`
run inside the caller's `db.write()` transaction; those taking `db` read on their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import aiosqlite

from bot.store.db import Database

# Every column a Report needs, plus whether a photo is attached.
_COLUMNS = (
    "id, incident, region, kind, seen, agents, vehicles, details_sealed, status, received,"
    " decided, EXISTS (SELECT 1 FROM report_photos p WHERE p.report_id = reports.id)"
)


async def _all(conn: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()
               ) -> list[aiosqlite.Row]:
    async with conn.execute(sql, tuple(params)) as cur:
        return list(await cur.fetchall())


async def open_incident_in(conn: aiosqlite.Connection, region: str, kind: str, since: int
                           ) -> int | None:
    """The newest open incident of `kind` in `region` with a report received at or after
    `since` (an incident's reports share its first report's kind and region)."""
    rows = await _all(
        conn,
        "SELECT incident FROM reports WHERE region = ? AND kind = ?"
        " AND status IN ('pending', 'held')"
        " GROUP BY incident HAVING MAX(received) >= ? ORDER BY incident DESC LIMIT 1",
        (region, kind, since),
    )
    return int(rows[0][0]) if rows else None


async def insert(conn: aiosqlite.Connection, *, region: str, kind: str, seen: str, agents: str,
                 vehicles: str, status: str, received: int, incident: int | None) -> int:
    """Adds a report (details and photo follow, sealed with its id); returns the id."""
    cur = await conn.execute(
        "INSERT INTO reports (incident, region, kind, seen, agents, vehicles, status, received)"
        " VALUES (0, ?, ?, ?, ?, ?, ?, ?)",
        (region, kind, seen, agents, vehicles, status, received),
    )
    report_id = int(cur.lastrowid or 0)
    await conn.execute("UPDATE reports SET incident = ? WHERE id = ?",
                       (incident if incident is not None else report_id, report_id))
    return report_id


async def set_details(conn: aiosqlite.Connection, report_id: int, sealed: bytes) -> None:
    await conn.execute("UPDATE reports SET details_sealed = ? WHERE id = ?", (sealed, report_id))


async def add_photo(conn: aiosqlite.Connection, report_id: int, sealed: bytes) -> None:
    await conn.execute("INSERT INTO report_photos (report_id, photo_sealed) VALUES (?, ?)",
                       (report_id, sealed))


async def photo(db: Database, report_id: int) -> bytes | None:
    row = await db.fetchone("SELECT photo_sealed FROM report_photos WHERE report_id = ?",
                            (report_id,))
    return bytes(row[0]) if row else None


async def get(db: Database, report_id: int) -> aiosqlite.Row | None:
    return await db.fetchone(f"SELECT {_COLUMNS} FROM reports WHERE id = ?", (report_id,))


async def in_incident(conn_or_db: aiosqlite.Connection | Database, incident: int
                      ) -> list[aiosqlite.Row]:
    sql = f"SELECT {_COLUMNS} FROM reports WHERE incident = ? ORDER BY id"
    if isinstance(conn_or_db, Database):
        return await conn_or_db.fetchall(sql, (incident,))
    return await _all(conn_or_db, sql, (incident,))


async def open_incidents(db: Database) -> list[int]:
    """Ids of incidents waiting for a decision, oldest first."""
    rows = await db.fetchall(
        "SELECT DISTINCT incident FROM reports WHERE status IN ('pending', 'held')"
        " ORDER BY incident"
    )
    return [int(r[0]) for r in rows]


async def add_decision(conn: aiosqlite.Connection, incident: int, moderator: str, decision: str,
                       note_sealed: bytes | None, at: int) -> bool:
    """Records one moderator's decision; False when they already decided on this incident."""
    cur = await conn.execute(
        "INSERT INTO verifications (incident, moderator, decision, note_sealed, at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (incident, moderator) DO NOTHING",
        (incident, moderator, decision, note_sealed, at),
    )
    return cur.rowcount == 1


async def decisions(conn_or_db: aiosqlite.Connection | Database, incident: int
                    ) -> list[aiosqlite.Row]:
    """(moderator, decision, note_sealed) of every decision on an incident, in order."""
    sql = ("SELECT moderator, decision, note_sealed FROM verifications WHERE incident = ?"
           " ORDER BY at, moderator")
    if isinstance(conn_or_db, Database):
        return await conn_or_db.fetchall(sql, (incident,))
    return await _all(conn_or_db, sql, (incident,))


async def close_incident(conn: aiosqlite.Connection, incident: int, status: str, decided: int
                         ) -> int:
    """Gives every open report of the incident its final status; returns the rows changed."""
    cur = await conn.execute(
        "UPDATE reports SET status = ?, decided = ?"
        " WHERE incident = ? AND status IN ('pending', 'held')",
        (status, decided, incident),
    )
    return cur.rowcount


async def purge(conn: aiosqlite.Connection, undecided_before: int, decided_before: int) -> int:
    """Deletes open incidents quiet since `undecided_before` and reports decided before
    `decided_before` (photos, decisions and follow-ups go with them)."""
    cur = await conn.execute(
        "DELETE FROM reports WHERE (status IN ('pending', 'held') AND incident IN ("
        "   SELECT incident FROM reports GROUP BY incident HAVING MAX(received) < ?))"
        " OR (status NOT IN ('pending', 'held') AND decided < ?)",
        (undecided_before, decided_before),
    )
    return cur.rowcount


async def held_counts(db: Database) -> list[tuple[str, int]]:
    """(region, how many reports are held there), for the moderators' summary."""
    rows = await db.fetchall(
        "SELECT region, COUNT(*) FROM reports WHERE status = 'held' GROUP BY region"
        " ORDER BY COUNT(*) DESC, region")
    return [(str(r[0]), int(r[1])) for r in rows]


async def release_held(conn: aiosqlite.Connection, regions: Iterable[str] | None
                       ) -> list[tuple[int, str]]:
    """Held reports (in `regions`, or everywhere) become pending; returns (incident, region)
    of each one released."""
    params: tuple[str, ...] = ()
    if regions is None:
        where = ""
    else:
        chosen = tuple(regions)
        where, params = f" AND region IN ({', '.join('?' * len(chosen))})", chosen
    return [(int(r[0]), str(r[1])) for r in await _all(
        conn, f"UPDATE reports SET status = 'pending' WHERE status = 'held'{where}"
        " RETURNING incident, region", params)]
