"""Store: WAL, migrations (fresh, upgrade, newer-than-code refused), sessions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from bot.store import Database, DatabaseTooNew, sessions
from bot.store import migrations as mig


async def test_fresh_database_is_wal_and_latest(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    try:
        assert await db.user_version() == mig.LATEST
        row = await db.fetchone("PRAGMA journal_mode")
        assert row is not None and row[0] == "wal"
    finally:
        await db.close()


async def test_upgrade_from_an_older_version_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        applied = await mig.migrate(conn, target=1)
        assert [m.version for m in applied] == [1]
        await conn.execute(
            "INSERT INTO users (pid, channel, address_sealed, created, last_inbound)"
            " VALUES ('p1', 'console', x'00', 0, 0)")
    db = await Database.open(path)
    try:
        assert await db.user_version() == mig.LATEST
        assert await db.fetchone("SELECT pid FROM users") is not None
    finally:
        await db.close()


async def test_migrations_are_numbered_and_described() -> None:
    versions = [m.version for m in mig.MIGRATIONS]
    assert versions == list(range(1, len(versions) + 1))
    assert all(m.description.strip() for m in mig.MIGRATIONS)


async def test_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {mig.LATEST + 1}")
    with pytest.raises(DatabaseTooNew, match="upgrade Compa"):
        await Database.open(path)


async def test_failed_write_rolls_back(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    try:
        with pytest.raises(RuntimeError):
            async with db.write() as conn:
                await conn.execute(
                    "INSERT INTO users (pid, channel, address_sealed, created, last_inbound)"
                    " VALUES ('p1', 'console', x'00', 0, 0)")
                raise RuntimeError("boom")
        assert await db.fetchall("SELECT * FROM users") == []
    finally:
        await db.close()


async def test_session_expires_after_ttl(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    try:
        await db.execute(
            "INSERT INTO users (pid, channel, address_sealed, created, last_inbound)"
            " VALUES ('p1', 'console', x'00', 0, 0)")
        await sessions.save(db, "p1", "lang:choose", None, now=1_000_000)
        assert (await sessions.load(db, "p1", 1_000_000 + 60, 1800))[0] == "lang:choose"
        assert (await sessions.load(db, "p1", 1_000_000 + 1900, 1800))[0] is None
        assert await db.fetchall("SELECT * FROM sessions") == []
    finally:
        await db.close()


def test_db_migrate_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    from bot.__main__ import main

    monkeypatch.setenv("COMPA_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert main(["db", "migrate"]) == 0
    out = capsys.readouterr().out
    assert f"schema version {mig.LATEST}" in out
    assert "applied" in out


async def test_touch_writes_once_a_block_and_on_a_role_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.store import users

    block = users.LAST_INBOUND_SECONDS
    db = await Database.open(tmp_path / "c.sqlite3")
    writes = count_writes(db, monkeypatch)
    start = 100_000 * 24 * 3600       # a UTC midnight: the start of a block
    try:
        first = await users.touch(db, "p1", "console", b"sealed", start + 10, "person")
        again = await users.touch(db, "p1", "console", b"sealed", start + block - 1, "person")
        assert (first.is_new, again.is_new, len(writes)) == (True, False, 1)
        await users.touch(db, "p1", "console", b"sealed", start + block, "person")
        await users.touch(db, "p1", "console", b"sealed", start + block + 100, "moderator")
        assert len(writes) == 3
        row = await db.fetchone("SELECT created, last_inbound, role FROM users WHERE pid = 'p1'")
        assert row is not None and tuple(row) == (start, start + block, "moderator")
    finally:
        await db.close()


def count_writes(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the write transactions `db` opens from now on."""
    writes: list[int] = []
    original = db.write

    def counted():  # type: ignore[no-untyped-def]
        writes.append(1)
        return original()

    monkeypatch.setattr(db, "write", counted)
    return writes


async def test_browsing_the_menus_writes_nothing_until_a_step_is_stored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from compa_testkit.harness import Harness

    async with Harness.open(tmp_path / "data") as harness:
        ana = harness.person("ana")
        await ana.start_in("es")
        writes = count_writes(harness.app.db, monkeypatch)
        for button in ("kyr:list", "kyr:topic:door", "menu:main", "help:show"):
            await ana.press(button)
        await ana.say("hola")
        assert writes == []
        await ana.say("/idioma")               # a step to remember: one write
        await ana.press("menu:main")           # and one to forget it
        assert len(writes) == 2
        assert await harness.app.db.fetchall("SELECT state FROM sessions") == []
