"""The SQLite connection pair: WAL, one writer under a lock, `BEGIN IMMEDIATE` for writes.

A transaction that may write starts with BEGIN IMMEDIATE: a plain BEGIN that reads first fails
with "database is locked" when another writer commits in between. Never do network I/O inside
`write()`: the lock is held for the whole block.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.migrations import DatabaseTooNew, Migration, migrate

__all__ = ["PRIVATE_FILE_MODE", "Database", "DatabaseTooNew", "private_file"]

log = logging.getLogger(__name__)

PRIVATE_FILE_MODE = 0o600
# SQLite names its companion files after the database; it creates them with the database
# file's own permissions, so a 0600 database gives 0600 -wal/-shm/-journal whatever the umask.
_COMPANIONS = ("-wal", "-shm", "-journal")


def private_file(path: Path) -> None:
    """Creates `path` empty with mode 0600 if missing, and makes an existing one 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE)
    os.close(fd)
    os.chmod(path, PRIVATE_FILE_MODE)

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA secure_delete=ON",
)


class Database:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self.applied: list[Migration] = []     # the migrations this open applied

    @classmethod
    async def open(cls, path: Path, *, run_migrations: bool = True) -> Database:
        db = cls(path)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Before SQLite sees it: the -wal and -shm files copy the database file's mode.
        private_file(path)
        for suffix in _COMPANIONS:
            companion = path.with_name(path.name + suffix)
            if companion.exists():
                os.chmod(companion, PRIVATE_FILE_MODE)
        db._writer = await aiosqlite.connect(path, isolation_level=None, iter_chunk_size=2000)
        db._writer.row_factory = sqlite3.Row
        try:
            for pragma in _PRAGMAS:
                await db._writer.execute(pragma)
            if run_migrations:
                db.applied = await migrate(db._writer)
            db._reader = await aiosqlite.connect(path, isolation_level=None, iter_chunk_size=2000)
            db._reader.row_factory = sqlite3.Row
            for pragma in _PRAGMAS[2:]:
                await db._reader.execute(pragma)
        except BaseException:
            await db.close()
            raise
        return db

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    @property
    def writer(self) -> aiosqlite.Connection:
        assert self._writer is not None, "database is closed"
        return self._writer

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction: BEGIN IMMEDIATE … COMMIT, ROLLBACK on any error."""
        async with self._lock:
            conn = self.writer
            try:
                await conn.execute("BEGIN IMMEDIATE")
            except BaseException:
                # Cancelled while waiting: aiosqlite's thread still runs the BEGIN, and a
                # transaction left open would make every later write fail.
                with contextlib.suppress(sqlite3.OperationalError):
                    await conn.execute("ROLLBACK")
                raise
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    @asynccontextmanager
    async def isolated_write(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction alone in the write-ahead log: the log is emptied (checkpoint,
        TRUNCATE) before it and after it, under the writer lock. Nothing written before or
        after can share the log with it, so neither frame order nor adjacency can pair it
        with another write (a report with the person who wrote just before). Costs two
        checkpoints: for rare writes only."""
        async with self._lock:
            await self._truncate_wal()
            conn = self.writer
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")
            await self._truncate_wal()

    async def _truncate_wal(self) -> None:
        # A reader's open snapshot makes the checkpoint busy; ours are one step long, so a
        # few tries are enough. Never give up the write for it: the report matters more.
        for _ in range(20):
            async with self.writer.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
                row = await cur.fetchone()
            if row is not None and row[0] == 0:
                return
            await asyncio.sleep(0.01)
        log.warning("the write-ahead log could not be emptied around an isolated write")

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """A single write statement in its own transaction; returns the rows changed."""
        async with self.write() as conn:
            cur = await conn.execute(sql, tuple(params))
            return cur.rowcount

    async def execute_one(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One write statement as its own implicit transaction: one trip to the connection's
        thread instead of three. Only for a single statement that reads nothing it depends on
        before writing (an UPDATE … WHERE, an INSERT): SQLite makes it atomic by itself."""
        async with self._lock:
            cur = await self.writer.execute(sql, tuple(params))
            return cur.rowcount

    async def checkpoint(self) -> bool:
        """Copies the WAL into the database and empties it. The WAL keeps old versions of
        pages (a forgotten person's rows) until then; `secure_delete` has already zeroed them
        in the database itself. False when a reader kept part of it."""
        async with self._lock, self.writer.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
            row = await cur.fetchone()
        return row is not None and row[0] == 0

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        assert self._reader is not None, "database is closed"
        # One step in the reader's thread: a statement left open between `execute` and
        # `fetchall` keeps its read snapshot, and another coroutine's query on this connection
        # would run inside it and miss what was committed since (a report just stored).
        return list(await self._reader.execute_fetchall(sql, tuple(params)))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def user_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0
