"""Upgrades: a database written by the previous release (tests/data/upgrade, made by
make_release_db.py from that release's code) migrates to this code's latest schema, keeps
every row, and the bot runs on it with the same keys."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from bot.app import DB_FILE
from bot.messages import Address
from bot.store import Database, deliveries
from bot.store.migrations import MIGRATIONS
from compa_testkit.harness import Harness, RecordingChannel, make_config
from tests.data.upgrade import make_release_db as release

FIXTURE = Path(__file__).parent / "data" / "upgrade" / "release-cfffb2c.sqlite3"
RELEASE_SCHEMA = 3


def _dump(path: Path) -> dict[str, tuple[list[str], list[tuple[object, ...]]]]:
    """Every table's columns and rows (sorted), read without the bot's code."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        out = {}
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        for table in tables:
            cur = conn.execute(f"SELECT * FROM {table}")
            columns = [d[0] for d in cur.description]
            out[table] = (columns, sorted(cur.fetchall(), key=repr))
        return out
    finally:
        conn.close()


@pytest.fixture
def old_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    # This release refuses a data folder that other accounts can read: the upgrade notes tell
    # operators to run `chmod 700` on it, as here.
    data.chmod(0o700)
    shutil.copy(FIXTURE, data / DB_FILE)
    monkeypatch.setenv("COMPA_PEPPER", release.PEPPER)
    monkeypatch.setenv("COMPA_SEAL_KEY", release.SEAL_KEY)
    return data


def test_the_fixture_is_the_previous_release_with_data_in_every_table() -> None:
    before = _dump(FIXTURE)
    conn = sqlite3.connect(FIXTURE)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == RELEASE_SCHEMA
    conn.close()
    empty_allowed = {"audit_anchor", "report_photos", "schedule_runs", "sessions"}
    for table, (_columns, rows) in before.items():
        assert rows or table in empty_allowed, f"the fixture has no {table} rows"
    statuses = {row[4] for row in before["deliveries"][1]}
    assert {"sent", "pending", "failed", "unsubscribed"} <= statuses


async def test_migrating_the_previous_release_keeps_every_row(old_copy: Path) -> None:
    before = _dump(old_copy / DB_FILE)
    db = await Database.open(old_copy / DB_FILE)        # what `compa db migrate` runs
    try:
        assert await db.user_version() == max(m.version for m in MIGRATIONS)
    finally:
        await db.close()
    after = _dump(old_copy / DB_FILE)
    for table, (columns, rows) in before.items():
        assert table in after, f"{table} disappeared"
        new_columns, new_rows = after[table]
        assert len(new_rows) == len(rows), f"{table}: {len(rows)} rows became {len(new_rows)}"
        kept = [c for c in columns if c in new_columns]
        # A later migration may add columns (or, knowingly, drop one); what stays must match.
        def project(rs: list[tuple[object, ...]], cols: list[str],
                    keep: list[str] = kept) -> list[tuple[object, ...]]:
            return sorted((tuple(r[cols.index(c)] for c in keep) for r in rs), key=repr)
        assert project(new_rows, new_columns) == project(rows, columns), table


async def test_the_bot_runs_on_the_upgraded_database(old_copy: Path) -> None:
    async with Harness.open(old_copy, make_config(old_copy), channels=()) as h:
        telegram = RecordingChannel("telegram")
        h.app.channels["telegram"] = telegram
        h.channels["console"] = h.app.channels["console"] = RecordingChannel("console")
        # Sealed addresses written by the release open with the same keys: the pending
        # alert goes out to the subscribers it was queued for.
        await deliveries.release_claims(h.app.db)
        row = await h.app.db.fetchone("SELECT MAX(next_attempt) FROM deliveries"
                                      " WHERE status = 'pending'")
        assert row is not None
        h.clock.advance(max(0.0, float(row[0]) - h.clock.now()) + 1)  # when it was queued
        sent = await h.deliver()
        assert sent >= 1 and telegram.inbox
        # People are recognised: the release's pseudonym for "ana" is today's.
        assert await h.app.db.fetchone("SELECT 1 FROM users WHERE pid = ?",
                                       (h.app.pid_for(Address("console", "ana")),))
        ana = h.person("ana")
        await ana.say("/alertas")
        assert ana.button_ids()
