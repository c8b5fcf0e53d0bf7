"""The audit log: append-only, hash-chained, tamper-evident, purged without breaking."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from alerts.audit import SYSTEM
from bot.__main__ import main
from compa_testkit.harness import Harness, make_config
from tests.report_helpers import file_report, ready


async def _fill(harness: Harness, n: int = 5) -> None:
    for i in range(n):
        await harness.app.audit.append("a" * 64, f"action-{i}", f"report:{i}",
                                       harness.clock.now())
        harness.clock.advance(60)


def _tamper(db_path: Path, *statements: str) -> None:
    """What someone with the file (and no keys) could do: drop the guard and edit rows."""
    conn = sqlite3.connect(db_path)
    try:
        conn.execute("DROP TRIGGER IF EXISTS audit_append_only")
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


async def test_moderator_actions_are_chained_and_verify(harness: Harness) -> None:
    ana, mod1, mod2 = await ready(harness, "ana", "mod1", "mod2")
    number = await file_report(ana)
    await mod1.press(f"mod:ok:{number}")
    await mod2.say("/pending")
    await mod2.press(f"mod:ok:{number}")
    rows = await harness.app.db.fetchall("SELECT id, actor, action, subject, prev, hash "
                                         "FROM audit ORDER BY id")
    assert [(r[2], r[3]) for r in rows] == [("confirm:recorded", "report:1"),
                                            ("list", "reports:open"),
                                            ("confirm:verified", "report:1"),
                                            ("draft", "alert:1")]
    assert rows[0][1] == harness.app.pid_for(mod1.address)
    # The chain starts from a random nonce (a rebuilt log cannot reproduce the old hashes).
    assert len(rows[0][4]) == 64 and rows[0][4] != "0" * 64
    assert all(rows[i][4] == rows[i - 1][5] for i in range(1, len(rows)))
    check = await harness.app.audit.verify()
    assert check.ok and check.entries == 4


async def test_updates_are_refused_by_the_database(harness: Harness) -> None:
    await _fill(harness, 2)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        await harness.app.db.execute("UPDATE audit SET subject = 'x' WHERE id = 1")


@pytest.mark.parametrize("statement, broken_at, intact", [
    ("UPDATE audit SET subject = 'report:99' WHERE id = 3", 3, 2),
    ("UPDATE audit SET actor = 'someone-else' WHERE id = 1", 1, 0),
    ("UPDATE audit SET at = at + 60 WHERE id = 5", 5, 4),
    ("DELETE FROM audit WHERE id = 3", 4, 2),
    ("DELETE FROM audit WHERE id = 1", 2, 0),
    ("UPDATE audit SET id = 9 WHERE id = 5", 9, 4),
])
async def test_tampering_is_found_at_the_first_broken_link(
        harness: Harness, statement: str, broken_at: int, intact: int) -> None:
    await _fill(harness, 5)
    assert (await harness.app.audit.verify()).ok
    _tamper(harness.app.db.path, statement)
    check = await harness.app.audit.verify()
    assert not check.ok
    assert check.broken_at == broken_at
    assert check.entries == intact


async def test_recomputing_a_plain_hash_does_not_hide_an_edit(harness: Harness) -> None:
    import hashlib

    await _fill(harness, 3)
    row = await harness.app.db.fetchone("SELECT prev, id, at, actor, action FROM audit "
                                        "WHERE id = 2")
    assert row is not None
    forged = hashlib.sha256(repr((row[0], row[1], row[2], row[3], row[4], "x")).encode())
    _tamper(harness.app.db.path,
            f"UPDATE audit SET subject = 'x', hash = '{forged.hexdigest()}' WHERE id = 2")
    check = await harness.app.audit.verify()
    assert not check.ok and check.broken_at == 2


async def test_purge_cuts_old_entries_and_the_chain_still_verifies(harness: Harness) -> None:
    await _fill(harness, 3)
    harness.clock.advance(200 * 86_400)
    await _fill(harness, 2)
    removed = await harness.app.audit.purge(harness.clock.now() - 180 * 86_400)
    assert removed == 3
    ids = [r[0] for r in await harness.app.db.fetchall("SELECT id FROM audit")]
    assert ids == [4, 5]
    check = await harness.app.audit.verify()
    assert check.ok and check.entries == 2
    new_id = await harness.app.audit.append(SYSTEM, "later", "x", harness.clock.now())
    assert new_id == 6 and (await harness.app.audit.verify()).ok
    # Cutting more rows and moving the anchor without the key is noticed.
    _tamper(harness.app.db.path, "DELETE FROM audit WHERE id = 4",
            "UPDATE audit_anchor SET last_id = 4, last_hash = (SELECT prev FROM audit "
            "WHERE id = 5)")
    check = await harness.app.audit.verify()
    assert not check.ok and "starting point" in check.reason


def test_compa_audit_verify_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'[bot]\ndata_dir = "{data}"\n')
    monkeypatch.setenv("COMPA_CONFIG", str(config_file))

    async def fill() -> Path:
        async with Harness.open(data, make_config(data)) as harness:
            await _fill(harness, 4)
            return harness.app.db.path

    db_path = asyncio.run(fill())
    assert main(["audit", "verify"]) == 0
    assert "audit chain: ok (4 entries)" in capsys.readouterr().out
    _tamper(db_path, "UPDATE audit SET action = 'nothing' WHERE id = 2")
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "audit chain: BROKEN at entry 2" in out and "1 entries before it" in out


def test_compa_audit_verify_without_a_database(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COMPA_DATA_DIR", str(tmp_path / "nothing"))
    assert main(["audit", "verify"]) == 2
    assert "no database" in capsys.readouterr().err
