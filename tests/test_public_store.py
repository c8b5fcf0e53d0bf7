"""The public code column: added by a migration (older alerts keep a findable code), unique,
and only broadcast, non-drill alerts are found by it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from bot.store import Database
from bot.store import migrations as mig
from bot.store import public as store

CODE_VERSION = next(m.version for m in mig.MIGRATIONS if "public code" in m.description)


async def test_older_alerts_get_a_code_when_the_column_arrives(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await mig.migrate(conn, target=CODE_VERSION - 1)
        for status in ("published", "draft"):
            await conn.execute(
                "INSERT INTO alerts (type, region, kind, status, created, published, expires)"
                " VALUES ('alert', 'buncombe', 'raid', ?, 10, 10, 99999999999)", (status,))
        await conn.execute(
            "INSERT INTO alerts (type, parent_id, status, created, published, expires)"
            " VALUES ('update', 1, 'published', 20, 20, 99999999999)")
    db = await Database.open(path)
    try:
        assert await db.user_version() == max(m.version for m in mig.MIGRATIONS)
        rows = await db.fetchall("SELECT id, public_code FROM alerts ORDER BY id")
        assert [tuple(r) for r in rows] == [(1, "Z0001"), (2, "Z0002"), (3, None)]
        found = await store.by_code(db, "Z0001")
        assert found is not None and found.region == "buncombe"
        assert await store.by_code(db, "Z0002") is None          # a draft never went out
        assert [f.type for f in await store.follow_ups(db, [1])] == ["update"]
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute("UPDATE alerts SET public_code = 'Z0001' WHERE id = 2")
    finally:
        await db.close()


async def test_a_collision_draws_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    try:
        draws = iter(["AAAA1", "AAAA1", "BBBB2"])
        monkeypatch.setattr(store, "new_code", lambda: next(draws))
        async with db.write() as conn:
            for _ in range(2):
                await conn.execute(
                    "INSERT INTO alerts (type, status, created, expires)"
                    " VALUES ('alert', 'draft', 0, 0)")
            assert await store.assign_code(conn, 1) == "AAAA1"
            assert await store.assign_code(conn, 2) == "BBBB2"
    finally:
        await db.close()
