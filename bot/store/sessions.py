"""Conversation state per person, expiring after inactivity.

A person who comes back after the TTL starts at the menu: a stale step ("which region?") asked
an hour ago would only confuse.
"""

from __future__ import annotations

import json
from typing import Any

from bot.store.db import Database


async def load(db: Database, pid: str, now: float, ttl_seconds: float
               ) -> tuple[str | None, bytes | None]:
    row = await db.fetchone(
        "SELECT state, data_sealed, updated FROM sessions WHERE pid = ?", (pid,)
    )
    if row is None:
        return None, None
    if row[2] < now - ttl_seconds:
        await db.execute("DELETE FROM sessions WHERE pid = ? AND updated = ?", (pid, row[2]))
        return None, None
    return row[0], (bytes(row[1]) if row[1] is not None else None)


# Minute precision: enough for the TTL, too coarse to line a session up with anything else.
async def save(db: Database, pid: str, state: str, data_sealed: bytes | None, now: float) -> None:
    await db.execute(
        "INSERT INTO sessions (pid, state, data_sealed, updated) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(pid) DO UPDATE SET state = excluded.state,"
        " data_sealed = excluded.data_sealed, updated = excluded.updated",
        (pid, state, data_sealed, int(now // 60 * 60)),
    )


async def clear(db: Database, pid: str) -> None:
    await db.execute("DELETE FROM sessions WHERE pid = ?", (pid,))


async def purge_expired(db: Database, now: float, ttl_seconds: float) -> int:
    return await db.execute("DELETE FROM sessions WHERE updated < ?", (int(now - ttl_seconds),))


# States kept in memory only (see Ephemeral): nothing keyed to the person is written while
# they are in one of them.
EPHEMERAL_PREFIXES = ("report:",)


def is_ephemeral(state: str | None) -> bool:
    return state is not None and state.startswith(EPHEMERAL_PREFIXES)


class Ephemeral:
    """Conversation states that must never reach the disk (a report being written): kept in
    this process's memory, bounded and expiring. A restart loses them, on purpose.

    Holds plain data, not sealed bytes: what is in memory is as readable as the keys in it.
    """

    def __init__(self, max_entries: int = 10_000, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        # A draft can hold a photo (a few hundred kB): the total is bounded too.
        self.max_bytes = max_bytes
        # pid → (state, data, last use); insertion order is age order (moved on each save).
        self._entries: dict[str, tuple[str, dict[str, Any], float]] = {}
        self._sizes: dict[str, int] = {}
        self._total = 0

    def __len__(self) -> int:
        return len(self._entries)

    def load(self, pid: str, now: float, ttl_seconds: float
             ) -> tuple[str, dict[str, Any]] | None:
        entry = self._entries.get(pid)
        if entry is None:
            return None
        if entry[2] < now - ttl_seconds:
            self.clear(pid)
            return None
        return entry[0], entry[1]

    def save(self, pid: str, state: str, data: dict[str, Any], now: float) -> None:
        self.clear(pid)
        self._entries[pid] = (state, data, now)
        self._sizes[pid] = len(json.dumps(data, separators=(",", ":")))
        self._total += self._sizes[pid]
        # The oldest go first (never the one just saved).
        while len(self._entries) > 1 and (len(self._entries) > self.max_entries
                                          or self._total > self.max_bytes):
            self.clear(next(iter(self._entries)))

    def clear(self, pid: str) -> None:
        self._entries.pop(pid, None)
        self._total -= self._sizes.pop(pid, 0)

    def purge_expired(self, now: float, ttl_seconds: float) -> int:
        old = [pid for pid, entry in self._entries.items() if entry[2] < now - ttl_seconds]
        for pid in old:
            self.clear(pid)
        return len(old)
