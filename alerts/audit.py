"""The audit log: append-only entries (actor pseudonym, action, subject, time), hash-chained.

Each entry's hash is a keyed MAC (bot/privacy.Privacy.mac) over the previous entry's hash and
its own fields, so editing, removing or reordering an entry breaks the chain at that point, and
someone with the database but without the keys cannot rebuild the chain after a change.
The retention purge cuts the oldest entries and records the last cut hash (with its own MAC) as
the anchor the chain now starts from. The other end is anchored outside the database: the head
(last id and hash, MAC'd) is kept beside the keys file and posted to the moderators daily
(alerts/audit_head.py), so entries cut from the end, a wiped log and forged appends all show.

Refusals (someone without the role trying a moderator command) are rate-limited here, in one
place: a flood of refused commands makes a few entries and a count, not one row each.

Moderators appear by their pseudonym (pid). Anyone else appears as "person:" plus a tag keyed by
a daily in-memory key: refused attempts by one person can be grouped within a day, and nothing
in the log ties them to that person afterwards (so forgetting someone never breaks the chain).
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from alerts.audit_head import Head, HeadError, HeadFile
from alerts.limits import DailyKey, RefusalLimiter
from bot.clock import coarse_hour
from bot.privacy import Privacy
from bot.store import audit as store
from bot.store.db import Database

log = logging.getLogger(__name__)

GENESIS = "0" * 64
SYSTEM = "system"


@dataclass(frozen=True)
class AuditCheck:
    ok: bool
    entries: int
    broken_at: int | None = None
    reason: str = ""


class AuditLog:
    def __init__(self, db: Database, privacy: Privacy, head_path: Path | None = None) -> None:
        self.db = db
        self._privacy = privacy
        self._people = DailyKey()
        self.refusals = RefusalLimiter()
        self.head = HeadFile(head_path, privacy) if head_path is not None else None
        self._head: Head | None = None
        self._head_read = False
        self._head_stuck = False   # the database no longer reaches the head: keep it as is

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
        """Adds one entry (time to the hour, like a report's) and moves the head; returns its
        id (0 for a refusal left out by the rate limit)."""
        if action.startswith("refused"):
            allowed, skipped = self.refusals.check(actor, now)
            if not allowed:
                return 0
            if skipped:
                subject += f" (+{skipped} refusals not recorded)"
        at = coarse_hour(now)
        async with self.db.write() as conn:
            head = self._current_head()
            last = await store.last(conn)
            if last is None:
                anchor = await store.anchor(conn)
                # A fresh chain starts from a random nonce, not a constant: a wiped log that
                # is written again (same actions in the same hour) cannot rebuild the old
                # hashes, so the head beside the keys still tells the wipe.
                last = (anchor[0], anchor[1]) if anchor else (0, secrets.token_hex(32))
            entry_id, prev = last[0] + 1, last[1]
            entry_hash = self._hash(prev, entry_id, at, actor, action, subject)
            await store.insert(conn, entry_id, at, actor, action, subject, prev, entry_hash)
            follows = self.head is None or await _reaches(conn, head, Head(*last))
        if self.head is not None and follows and not self._head_stuck:
            # Two appends may finish out of order: the head only moves forward.
            if self._head is None or entry_id > self._head.id:
                self._head = Head(entry_id, entry_hash)
                self.head.write(self._head)
        elif self.head is not None and not self._head_stuck:
            self._head_stuck = True
            log.error("audit: the log no longer reaches its head (entries were removed from "
                      "the end or the log was wiped); the head is kept: run compa audit verify")
        return entry_id

    def _current_head(self) -> Head | None:
        if self.head is None or self._head_read:
            return self._head
        try:
            self._head = self.head.read()
        except HeadError:
            log.error("audit: the head file cannot be trusted; it is kept as it is")
            self._head_stuck = True
        self._head_read = True
        return self._head

    async def ensure_head(self) -> None:
        """At start-up: anchors the head when there is no head file yet (a new install, or
        the first start of a version that keeps one)."""
        if self.head is None or self._current_head() is not None or self._head_stuck:
            return
        async with self.db.write() as conn:
            last = await store.last(conn)
            if last is None:
                anchor = await store.anchor(conn)
                last = (anchor[0], anchor[1]) if anchor else None
        if last is not None:
            log.warning("audit: no head file beside the keys; anchoring the log at its current "
                        "end (entry %d)", last[0])
            self._head = Head(*last)
            self.head.write(self._head)

    def current_head(self) -> tuple[Head, str] | None:
        """The head and its MAC, for the daily message to the moderators."""
        head = self._current_head()
        if head is None or self.head is None:
            return None
        return head, self.head.mac(head)

    async def verify(self) -> AuditCheck:
        """Walks the chain from its start; reports the first broken link, then checks that
        the chain still reaches the head kept beside the keys."""
        try:
            head = self.head.read() if self.head is not None else None
        except HeadError as exc:
            return AuditCheck(False, 0, None, str(exc))
        anchor = await store.anchor(self.db)
        prev_id, prev = 0, GENESIS
        at_head: str | None = None
        if anchor is not None:
            prev_id, prev, mac = anchor
            if not hmac.compare_digest(mac, self._anchor_mac(prev_id, prev)):
                return AuditCheck(False, 0, prev_id, "the chain's starting point was altered")
            if head is not None and head.id == prev_id:
                at_head = prev
        count = 0
        async for row in store.entries(self.db):
            entry_id, at, actor, action, subject, entry_prev, entry_hash = row
            if entry_id == 1 and anchor is None:
                prev = entry_prev       # the chain's random start (or GENESIS, before it was)
            if entry_id != prev_id + 1 or not hmac.compare_digest(entry_prev, prev):
                return AuditCheck(False, count, entry_id,
                                  f"entry {entry_id} does not follow entry {prev_id} "
                                  "(an entry was removed, added or reordered)")
            expected = self._hash(entry_prev, entry_id, at, actor, action, subject)
            if not hmac.compare_digest(entry_hash, expected):
                return AuditCheck(False, count, entry_id,
                                  f"entry {entry_id} does not match its hash (it was altered)")
            if head is not None and entry_id == head.id:
                at_head = entry_hash
            prev_id, prev, count = entry_id, entry_hash, count + 1
        return self._check_head(head, prev_id, count, at_head)

    def _check_head(self, head: Head | None, last_id: int, count: int,
                    at_head: str | None) -> AuditCheck:
        if self.head is None:
            return AuditCheck(True, count)
        if head is None:
            if last_id == 0:
                return AuditCheck(True, count)
            return AuditCheck(False, count, None, f"there is no {self.head.path.name} beside "
                              "the keys, so the end of the log cannot be checked (start Compa "
                              "once to anchor it)")
        if head.id > last_id:
            what = "the log is empty (it was wiped)" if count == 0 and last_id == 0 else \
                f"the log ends at entry {last_id}"
            return AuditCheck(False, count, last_id + 1,
                              f"{what}, but its head beside the keys is entry {head.id}: "
                              "entries were removed from the end")
        if at_head is None or not hmac.compare_digest(at_head, head.hash):
            return AuditCheck(False, count, head.id,
                              f"entry {head.id} is not the one the head beside the keys "
                              "recorded (the end of the log was replaced)")
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


async def _reaches(conn: aiosqlite.Connection, head: Head | None, last: Head) -> bool:
    """Whether the log, which ended at `last` before this append, still contains `head`."""
    if head is None or last == head:
        return True
    if last.id < head.id:
        return False
    found = await store.hash_of(conn, head.id)
    if found is None:
        anchor = await store.anchor(conn)
        found = anchor[1] if anchor is not None and anchor[0] == head.id else None
    return found is not None and hmac.compare_digest(found, head.hash)
