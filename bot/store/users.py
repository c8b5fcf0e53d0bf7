"""People: pseudonym, sealed address, locale, role and coarse times — nothing else."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.db import Database

# The finest times kept about a person. `last_inbound` only answers "did they write within
# 24 hours?" (WhatsApp's window): a six-hour block keeps at least 18 h of that window and
# makes a report's hour match everyone who wrote in the same block. `created` needs less.
LAST_INBOUND_SECONDS = 6 * 3600
CREATED_SECONDS = 24 * 3600


def coarse_person(ts: float, step: int = LAST_INBOUND_SECONDS) -> int:
    """A time about a person, rounded down to its block (UTC)."""
    return int(ts // step * step)


@dataclass
class User:
    pid: str
    channel: str
    locale: str | None
    role: str
    is_new: bool = False


async def touch(db: Database, pid: str, channel: str, address_sealed: bytes, now: float,
                role: str) -> User:
    """Creates the person on first contact, else records the (coarse) inbound time.

    Most messages come from someone already recorded this hour: a read answers them, and the
    single writer stays free for everyone else.
    """
    hour = coarse_person(now)
    known = await db.fetchone("SELECT locale, last_inbound, role FROM users WHERE pid = ?",
                              (pid,))
    if known is not None and known[1] >= hour and known[2] == role:
        return User(pid=pid, channel=channel, locale=known[0], role=role)
    async with db.write() as conn:
        cur = await conn.execute(
            "INSERT INTO users (pid, channel, address_sealed, role, created, last_inbound)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(pid) DO NOTHING",
            (pid, channel, address_sealed, role, coarse_person(now, CREATED_SECONDS), hour),
        )
        is_new = cur.rowcount == 1
        if not is_new:
            await conn.execute(
                "UPDATE users SET last_inbound = ?, role = ?"
                " WHERE pid = ? AND (last_inbound < ? OR role != ?)",
                (hour, role, pid, hour, role),
            )
        async with conn.execute("SELECT locale FROM users WHERE pid = ?", (pid,)) as cur2:
            row = await cur2.fetchone()
    return User(pid=pid, channel=channel, locale=row[0] if row else None, role=role,
                is_new=is_new)


async def peek(db: Database, pid: str, channel: str, role: str) -> User | None:
    """The person as stored, writing nothing (during a report: see App._handle_locked)."""
    row = await db.fetchone("SELECT locale FROM users WHERE pid = ?", (pid,))
    return User(pid=pid, channel=channel, locale=row[0], role=role) if row else None


async def set_locale(db: Database, pid: str, locale: str) -> None:
    await db.execute("UPDATE users SET locale = ? WHERE pid = ?", (locale, pid))


async def last_contact(db: Database, pid: str) -> tuple[float, str | None] | None:
    """When the person last wrote (rounded down to the hour) and their language."""
    row = await db.fetchone("SELECT last_inbound, locale FROM users WHERE pid = ?", (pid,))
    return (float(row[0]), row[1]) if row else None


async def locale_of(db: Database, pid: str) -> str | None:
    row = await db.fetchone("SELECT locale FROM users WHERE pid = ?", (pid,))
    return row[0] if row else None


async def delete(db: Database, pid: str) -> int:
    """Forgets a person: their row and (by cascade) their conversation state."""
    return await db.execute("DELETE FROM users WHERE pid = ?", (pid,))
