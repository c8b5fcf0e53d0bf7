"""What the public page, the feeds and the rumour check read: verified alerts as broadcast.

Only published alerts of type `alert` (never drafts, never drills) and their follow-ups;
only the columns that were broadcast (county, kind, times, the published note, the public
code). Never the report, nor who created, confirmed or received an alert. Read-only, except
`assign_code`, which gives a new alert its public code inside the alert's own transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

import aiosqlite

from bot.public.codes import new_code
from bot.store.db import Database

# Statuses an alert has once it went out (drafts, cancelled and awaiting ones never did).
SHOWN = ("published", "cleared", "retracted", "expired")
FOLLOW_UPS = ("update", "all_clear", "retraction")
_COLUMNS = ("id, public_code, region, kind, observed, published, status, expires,"
            " note_sealed")
# Verified alerts only: an alert published as unconfirmed (issue 17) is not listed.
_VISIBLE = (f"type = 'alert' AND drill = 0 AND unconfirmed = 0 AND published IS NOT NULL"
            f" AND public_code IS NOT NULL AND status IN ({', '.join(repr(s) for s in SHOWN)})")


@dataclass(frozen=True)
class AlertRow:
    id: int
    code: str
    region: str
    kind: str
    observed: int
    published: int
    status: str
    expires: int
    note_sealed: bytes | None


@dataclass(frozen=True)
class FollowUpRow:
    id: int
    parent_id: int
    type: str
    published: int
    note_sealed: bytes | None


def _alert(row: aiosqlite.Row) -> AlertRow:
    sealed = row["note_sealed"]
    return AlertRow(int(row["id"]), str(row["public_code"]), str(row["region"]),
                    str(row["kind"]), int(row["observed"] or row["published"]),
                    int(row["published"]), str(row["status"]), int(row["expires"]),
                    bytes(sealed) if sealed is not None else None)


async def assign_code(conn: aiosqlite.Connection, alert_id: int) -> str:
    """A fresh random code for a new alert; draws again on the rare collision."""
    for _ in range(20):
        code = new_code()
        try:
            await conn.execute("UPDATE alerts SET public_code = ? WHERE id = ?",
                               (code, alert_id))
        except sqlite3.IntegrityError:
            continue
        return code
    raise RuntimeError("no free public code after 20 draws")


async def by_code(db: Database, code: str) -> AlertRow | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM alerts WHERE public_code = ? AND {_VISIBLE}",
                            (code,))
    return _alert(row) if row is not None else None


async def since(db: Database, published_since: int, region: str | None = None,
                kinds: Iterable[str] = (), limit: int = 500) -> list[AlertRow]:
    """Alerts published since then, newest first; optionally one county and some kinds."""
    sql = f"SELECT {_COLUMNS} FROM alerts WHERE {_VISIBLE} AND published >= ?"
    params: list[object] = [published_since]
    if region is not None:
        sql += " AND region = ?"
        params.append(region)
    kinds = list(kinds)
    if kinds:
        sql += f" AND kind IN ({', '.join('?' for _ in kinds)})"
        params.extend(kinds)
    sql += " ORDER BY published DESC, id DESC LIMIT ?"
    params.append(limit)
    return [_alert(r) for r in await db.fetchall(sql, params)]


async def follow_ups(db: Database, alert_ids: list[int]) -> list[FollowUpRow]:
    """The updates, all clears and retractions of these alerts, oldest first."""
    if not alert_ids:
        return []
    rows = await db.fetchall(
        "SELECT id, parent_id, type, published, note_sealed FROM alerts"
        f" WHERE parent_id IN ({', '.join('?' for _ in alert_ids)})"
        f" AND type IN ({', '.join(repr(t) for t in FOLLOW_UPS)}) AND published IS NOT NULL"
        " ORDER BY published, id", alert_ids)
    return [FollowUpRow(int(r["id"]), int(r["parent_id"]), str(r["type"]), int(r["published"]),
                        bytes(r["note_sealed"]) if r["note_sealed"] is not None else None)
            for r in rows]
