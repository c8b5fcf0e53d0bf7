"""The audit log: append-only entries (actor pseudonym, action, subject, time), hash-chained.

Each entry's hash is a keyed MAC (bot/privacy.Privacy.mac) over the previous entry's hash and
its own fields, so editing, removing or reordering an entry breaks the chain at that point, and
someone with the database but without the keys cannot rebuild the chain after a change.
The retention purge cuts the oldest entries and records the last cut hash (with its own MAC) as
the anchor the chain now starts from. What this cannot show: entries removed from the very end.

Moderators appear by their pseudonym (pid). Anyone else appears as "person:" plus a tag keyed by
a daily in-memory key: refused attempts by one person can be grouped within a day, and nothing
in the log ties them to that person afterwards (so forgetting someone never breaks the chain).
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass

from alerts.limits import DailyKey
from bot.clock import coarse_hour
from bot.privacy import Privacy
from bot.store import audit as store
from bot.store.db import Database

GENESIS = "0" * 64
SYSTEM = "system"


@dataclass(frozen=True)
class AuditCheck:
    ok: bool
    entries: int
    broken_at: int | None = None
    reason: str = ""


class AuditLog:
    def __init__(self, db: Database, privacy: Privacy) -> None:
        self.db = db
        self._privacy = privacy
        self._people = DailyKey()

    def person(self, pid: str, now: float) -> str:
        """The actor name for someone who is not a moderator (see the module docstring)."""
        return "person:" + self._people.tag(pid, now)

    def _hash(self, prev: str, entry_id: int, at: int, actor: str, action: str,
              subject: str) -> str:
        return self._privacy.mac("audit", json.dumps([prev, entry_id, at, actor, action,
                                                       subject]))

    def _anchor_mac(self, last_id: int, last_hash: str) -> str:
        return self._privacy.mac("audit-anchor", f"{last_id}:{last_hash}")

    async def append(self, actor: str, action: str, subject: str, now: float) -> int:
        """Adds one entry (time to the hour, like a report's); returns its id."""
        at = coarse_hour(now)
        async with self.db.write() as conn:
            last = await store.last(conn)
            if last is None:
                anchor = await store.anchor(conn)
                last = (anchor[0], anchor[1]) if anchor else (0, GENESIS)
            entry_id, prev = last[0] + 1, last[1]
            await store.insert(conn, entry_id, at, actor, action, subject, prev,
                               self._hash(prev, entry_id, at, actor, action, subject))
        return entry_id

    async def verify(self) -> AuditCheck:
        """Walks the chain from its start; reports the first broken link."""
        anchor = await store.anchor(self.db)
        prev_id, prev = 0, GENESIS
        if anchor is not None:
            prev_id, prev, mac = anchor
            if not hmac.compare_digest(mac, self._anchor_mac(prev_id, prev)):
                return AuditCheck(False, 0, prev_id, "the chain's starting point was altered")
        count = 0
        async for row in store.entries(self.db):
            entry_id, at, actor, action, subject, entry_prev, entry_hash = row
            if entry_id != prev_id + 1 or not hmac.compare_digest(entry_prev, prev):
                return AuditCheck(False, count, entry_id,
                                  f"entry {entry_id} does not follow entry {prev_id} "
                                  "(an entry was removed, added or reordered)")
            expected = self._hash(entry_prev, entry_id, at, actor, action, subject)
            if not hmac.compare_digest(entry_hash, expected):
                return AuditCheck(False, count, entry_id,
                                  f"entry {entry_id} does not match its hash (it was altered)")
            prev_id, prev, count = entry_id, entry_hash, count + 1
        return AuditCheck(True, count)

    async def purge(self, before: float) -> int:
        """Removes entries older than `before`, keeping the rest verifiable."""
        async with self.db.write() as conn:
            newest = await store.newest_before(conn, int(before))
            if newest is None:
                return 0
            last_id, last_hash = newest
            return await store.cut(conn, last_id, last_hash,
                                   self._anchor_mac(last_id, last_hash))
