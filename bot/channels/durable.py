"""Durable acknowledgement of webhooks, for any channel: what was handled, and what waits.

A platform re-delivers an update it thinks we did not get (Meta for up to seven days), and a
process can die between answering 200 and handling the update. So:

- every handled update id is remembered as a keyed hash (a WhatsApp message id is base64 of
  the sender's phone number) until `DEDUP_HOURS` have passed: a re-delivery after a restart
  is dropped;
- an update acknowledged before it is handled sits sealed in the `inbound` queue and is
  deleted in the transaction that records it handled; at start-up what is left is handled.

Updates that could belong to a report are never queued: the caller handles them first and
acknowledges after (CONTRIBUTING, "Webhooks, durably").
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiosqlite

from bot.clock import Clock, coarse_hour
from bot.privacy import Privacy
from bot.store import inbound as store
from bot.store.db import Database

log = logging.getLogger(__name__)

DEDUP_HOURS = 7 * 24     # Meta retries a webhook for up to seven days
PURGE_EVERY = 3600.0     # seconds between purges of expired update ids

# One write of a group commit: run inside the transaction, its result handed to the caller.
Write = Callable[[aiosqlite.Connection], Awaitable[int | None]]


@dataclass(frozen=True)
class Queued:
    """An update acknowledged before a crash or a stop, waiting to be handled."""

    row_id: int
    key: str
    sender: str
    body: bytes


class DurableInbox:
    def __init__(self, db: Database, privacy: Privacy, clock: Clock, channel: str) -> None:
        self._db = db
        self._privacy = privacy
        self._clock = clock
        self.channel = channel
        self._purged = float("-inf")
        self._writes: list[tuple[Write, asyncio.Future[int | None]]] = []
        self._committer: asyncio.Task[None] | None = None

    def _hash(self, key: str) -> str:
        return self._privacy.mac("update-id", f"{self.channel}:{key}")[:32]

    def _context(self) -> str:
        return f"inbound:{self.channel}"

    async def seen(self, key: str) -> bool:
        """True when this update was handled before (within `DEDUP_HOURS`)."""
        return await store.is_handled(self._db, self._hash(key), int(self._clock.now()))

    async def queue(self, key: str, sender: str, body: bytes) -> int | None:
        """Keeps the update, sealed, until `done`; returns its row id, or None when it was
        handled before (a re-delivery: nothing is kept)."""
        payload = json.dumps({"k": key, "s": sender, "b": body.decode("utf-8")}).encode()
        sealed = self._privacy.seal(payload, self._context())
        hashed, now = self._hash(key), int(self._clock.now())
        return await self._write(
            lambda conn: store.enqueue_in(conn, self.channel, sealed, hashed, now))

    async def done(self, key: str, row_id: int | None) -> None:
        """Records the update handled (and deletes its queue row) in one transaction."""
        now = self._clock.now()
        expires = coarse_hour(now + DEDUP_HOURS * 3600) + 3600
        hashed = self._hash(key)

        async def record(conn: aiosqlite.Connection) -> None:
            await store.handled_in(conn, hashed, expires, row_id)

        await self._write(record)
        if now - self._purged >= PURGE_EVERY:
            self._purged = now
            await store.purge_handled(self._db, int(now))

    async def _write(self, write: Write) -> int | None:
        """Runs `write` in the next group commit: the writes of every webhook that arrives
        while one transaction waits for the writer or commits go together in the next, so a
        burst costs a few transactions instead of two per message."""
        done: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._writes.append((write, done))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit())
        return await asyncio.shield(done)

    async def _commit(self) -> None:
        while self._writes:
            batch, self._writes = self._writes, []
            try:
                async with self._db.write() as conn:
                    results = [await write(conn) for write, _ in batch]
            except Exception as exc:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for (_, done), result in zip(batch, results, strict=True):
                if not done.done():
                    done.set_result(result)

    async def backlog(self) -> list[Queued]:
        """What was acknowledged but not handled, oldest first (unreadable rows dropped)."""
        out = []
        for row_id, sealed in await store.pending(self._db, self.channel):
            try:
                data = json.loads(self._privacy.unseal(sealed, self._context()))
                out.append(Queued(row_id, str(data["k"]), str(data["s"]),
                                  str(data["b"]).encode("utf-8")))
            except Exception:  # another key, a damaged row: it can never be handled
                log.warning("%s: a queued update could not be read and was dropped",
                            self.channel)
                await store.drop(self._db, row_id)
        return out
