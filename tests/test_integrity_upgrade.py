"""Rows written before rows carried MACs (the previous release's database): the start-up (or
`compa db migrate`) that applies the migration signs them with the keys, so what was in
flight still goes out; a database migrated without the keys leaves them unsigned, and then
they are treated like forged rows: not sent, quarantined, reported."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from alerts import integrity
from bot.app import DB_FILE
from bot.clock import FakeClock
from bot.privacy import Privacy, load_keys
from bot.store import Database
from bot.store.migrations import ROW_MACS
from compa_testkit.harness import Harness, make_config
from tests.data.upgrade import make_release_db as release

FIXTURE = Path(__file__).parent / "data" / "upgrade" / "release-cfffb2c.sqlite3"


@pytest.fixture
def old_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o700)   # this release refuses a data folder others can read
    shutil.copy(FIXTURE, data / DB_FILE)
    monkeypatch.setenv("COMPA_PEPPER", release.PEPPER)
    monkeypatch.setenv("COMPA_SEAL_KEY", release.SEAL_KEY)
    return data


def privacy(data: Path) -> Privacy:
    return Privacy(load_keys(data / "keys.toml", "COMPA_PEPPER", "COMPA_SEAL_KEY", False))


async def live_rows(db: Database, now: float) -> int:
    from bot.store import integrity as store

    return len(await store.live_alerts(db, now)) + len(await store.live_notices(db)) \
        + len(await store.open_decisions(db))


async def test_the_migration_signs_the_rows_written_before(old_copy: Path) -> None:
    db = await Database.open(old_copy / DB_FILE)
    try:
        assert ROW_MACS in db.applied
        signed = await integrity.adopt_legacy(db, privacy(old_copy))
        now = FakeClock().now()                           # the release's data was made then
        assert signed > 0 and await live_rows(db, now) > 0
        assert await integrity.sweep(db, privacy(old_copy), now) == []
    finally:
        await db.close()
    again = await Database.open(old_copy / DB_FILE)       # a later start: nothing to apply
    try:
        assert ROW_MACS not in again.applied
    finally:
        await again.close()


async def test_rows_left_unsigned_are_not_sent_and_are_reported(old_copy: Path) -> None:
    db = await Database.open(old_copy / DB_FILE)          # migrated without adopting
    await db.close()
    async with Harness.open(old_copy, make_config(old_copy), channels=("console",
                                                                       "telegram")) as h:
        findings = await integrity.check_and_report(h.app)
        assert findings and {f.reason for f in findings} >= {"no mac"}
        assert await h.deliver() == 0                      # nothing unsigned goes out
        rows = await h.app.db.fetchall("SELECT COUNT(*) FROM audit"
                                       " WHERE action = 'integrity:forged'")
        assert rows[0][0] == len(findings)
