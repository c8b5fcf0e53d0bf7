"""The field verifiers' roster (issue 17): one pseudonymous row per volunteer.

Counties, the weekly on-call pattern, how they move and their skills: what they chose in
/turno, keyed by pid. No name, no position, nothing typed in free text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.clock import coarse_hour
from bot.store.db import Database


@dataclass(frozen=True)
class RosterRow:
    pid: str
    counties: tuple[str, ...]
    hours: str                 # the weekly pattern's mask (see alerts/rrn/roster.py)
    mobility: str
    skills: tuple[str, ...]
    override: str | None       # "on" | "off" | None
    override_until: int | None


def _split(text: str) -> tuple[str, ...]:
    return tuple(x for x in text.split(",") if x)


_COLUMNS = "r.pid, counties, hours, mobility, skills, override, override_until"


def _row(r: Iterable[Any]) -> RosterRow:
    v: tuple[Any, ...] = tuple(r)
    return RosterRow(str(v[0]), _split(v[1]), str(v[2]), str(v[3]), _split(v[4]),
                     v[5], None if v[6] is None else int(v[6]))


async def get(db: Database, pid: str) -> RosterRow | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM roster r WHERE pid = ?", (pid,))
    return _row(row) if row else None


async def save(db: Database, pid: str, *, counties: tuple[str, ...], hours: str,
               mobility: str, skills: tuple[str, ...], now: float) -> None:
    await db.execute(
        "INSERT INTO roster (pid, counties, hours, mobility, skills, updated)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(pid) DO UPDATE SET counties = excluded.counties,"
        " hours = excluded.hours, mobility = excluded.mobility, skills = excluded.skills,"
        " updated = excluded.updated",
        (pid, ",".join(counties), hours, mobility, ",".join(skills), coarse_hour(now)))


async def set_override(db: Database, pid: str, state: str | None, until: int | None,
                       now: float) -> bool:
    """/disponible or /nodisponible; False when the person has no roster row yet."""
    changed = await db.execute(
        "UPDATE roster SET override = ?, override_until = ?, updated = ? WHERE pid = ?",
        (state, until, coarse_hour(now), pid))
    return changed > 0


async def active(db: Database) -> list[RosterRow]:
    """Every roster row whose person still holds a staff role (a removed id drops out)."""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM roster r JOIN users u ON u.pid = r.pid"
        " WHERE u.role != 'person' ORDER BY r.pid")
    return [_row(r) for r in rows]


async def address_of(db: Database, pid: str) -> tuple[str, bytes, str | None] | None:
    """(channel, sealed address, locale) of a volunteer, to ping them."""
    row = await db.fetchone("SELECT channel, address_sealed, locale FROM users WHERE pid = ?",
                            (pid,))
    return (str(row[0]), bytes(row[1]), row[2]) if row else None
