"""The audit log's end is anchored (issue 12, finding 5): the head beside the keys file shows a
cut tail, a wiped log and rows forged with sqlite3 (no keys); refusals are rate-limited."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest

from alerts.audit_head import HEAD_FILE
from bot.__main__ import main
from compa_testkit.harness import Harness, make_config
from tests.report_helpers import ready
from tests.test_audit import _fill, _tamper


def _head(harness: Harness) -> dict[str, object]:
    path = harness.app.config.keys_path.parent / HEAD_FILE
    data: dict[str, object] = json.loads(path.read_text())
    return data


async def test_the_head_follows_every_append_beside_the_keys(harness: Harness) -> None:
    await _fill(harness, 3)
    row = await harness.app.db.fetchone("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1")
    assert row is not None
    head = _head(harness)
    assert (head["id"], head["hash"]) == (row[0], row[1]) == (3, row[1])
    path = harness.app.config.keys_path.parent / HEAD_FILE
    assert path.parent == harness.app.config.keys_path.parent and path.stat().st_mode & 0o077 == 0
    assert (await harness.app.audit.verify()).ok


@pytest.mark.parametrize("statements, broken_at, reason", [
    (["DELETE FROM audit WHERE id > 3"], 4, "the log ends at entry 3, but its head"),
    (["DELETE FROM audit WHERE id = 5"], 5, "entries were removed from the end"),
    (["DELETE FROM audit", "DELETE FROM audit_anchor"], 1, "the log is empty (it was wiped)"),
])
async def test_a_cut_tail_or_a_wipe_is_found(harness: Harness, statements: list[str],
                                             broken_at: int, reason: str) -> None:
    await _fill(harness, 5)
    _tamper(harness.app.db.path, *statements)
    check = await harness.app.audit.verify()
    assert not check.ok and check.broken_at == broken_at and reason in check.reason


async def test_forged_appends_are_found(harness: Harness) -> None:
    await _fill(harness, 5)
    last = await harness.app.db.fetchone("SELECT hash, at FROM audit WHERE id = 5")
    assert last is not None
    for forged_hash in ("f" * 64, hashlib.sha256(b"publish").hexdigest()):
        _tamper(harness.app.db.path, "DELETE FROM audit WHERE id = 6",
                "INSERT INTO audit (id, at, actor, action, subject, prev, hash) VALUES "
                f"(6, {last[1]}, '{'b' * 64}', 'publish', 'alert:1', '{last[0]}', "
                f"'{forged_hash}')")
        check = await harness.app.audit.verify()
        assert not check.ok and check.broken_at == 6 and "does not match its hash" in check.reason


async def test_a_wipe_stays_visible_while_the_bot_keeps_logging(tmp_path: Path) -> None:
    async with Harness.open(tmp_path, make_config(tmp_path)) as harness:
        await _fill(harness, 4)
        _tamper(harness.app.db.path, "DELETE FROM audit", "DELETE FROM audit_anchor")
        # The bot goes on and writes new entries 1..6: they must not become the new head.
        await _fill(harness, 6)
        assert _head(harness)["id"] == 4
        check = await harness.app.audit.verify()
        assert not check.ok and "entry 4 is not the one the head" in check.reason
    async with Harness.open(tmp_path, make_config(tmp_path)) as harness:   # a restart
        await _fill(harness, 1)
        assert not (await harness.app.audit.verify()).ok


async def test_an_edited_head_file_is_refused(harness: Harness) -> None:
    await _fill(harness, 5)
    path = harness.app.config.keys_path.parent / HEAD_FILE
    data = json.loads(path.read_text())
    data["id"] = 3
    path.write_text(json.dumps(data))
    check = await harness.app.audit.verify()
    assert not check.ok and "was altered" in check.reason


async def test_a_crash_between_commit_and_head_write_is_not_tampering(harness: Harness) -> None:
    """The head is written after the commit: entries past it are fine when they verify."""
    from alerts.audit_head import Head

    await _fill(harness, 5)
    row = await harness.app.db.fetchone("SELECT hash FROM audit WHERE id = 4")
    assert row is not None and harness.app.audit.head is not None
    harness.app.audit.head.write(Head(4, str(row[0])))
    assert (await harness.app.audit.verify()).ok
    await _fill(harness, 1)
    assert _head(harness)["id"] == 6


async def test_a_log_purged_to_nothing_still_verifies(harness: Harness) -> None:
    await _fill(harness, 3)
    harness.clock.advance(200 * 86_400)
    assert await harness.app.audit.purge(harness.clock.now()) == 3
    assert (await harness.app.audit.verify()).ok
    await _fill(harness, 1)
    assert (await harness.app.audit.verify()).ok


def test_compa_audit_verify_finds_a_cut_tail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
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
    capsys.readouterr()
    _tamper(db_path, "DELETE FROM audit WHERE id = 4")
    assert main(["audit", "verify"]) == 1
    assert "entries were removed from the end" in capsys.readouterr().out
    (data / HEAD_FILE).unlink()
    assert main(["audit", "verify"]) == 1
    assert "no audit-head.json beside the keys" in capsys.readouterr().out


async def test_two_thousand_refusals_make_a_few_rows(harness: Harness) -> None:
    (ana,) = await ready(harness, "ana")
    for _ in range(2000):
        await ana.say("/verificar 1")
    rows = await harness.app.db.fetchall("SELECT action, subject FROM audit")
    assert 1 <= len(rows) <= 3 and all(r[0] == "refused" for r in rows)
    assert "Sorry, that is only for the volunteers" in ana.last.text   # still answered kindly
    # An hour later the count of what was left out is recorded with the next one.
    harness.clock.advance(3600)
    await ana.say("/verificar 1")
    last = await harness.app.db.fetchone("SELECT subject FROM audit ORDER BY id DESC LIMIT 1")
    assert last is not None and "(+1997 refusals not recorded)" in last[0]
    assert (await harness.app.audit.verify()).ok


def test_many_people_refused_are_capped_together() -> None:
    from alerts.limits import RefusalLimiter

    limiter = RefusalLimiter(per_actor=3, per_hour=30)
    recorded = sum(limiter.check(f"person:{i}", 100.0)[0] for i in range(2000))
    assert recorded == 30
    assert limiter.check("person:new", 3700.0) == (True, 1970)



async def test_the_head_is_posted_to_the_moderators_at_least_daily(harness: Harness) -> None:
    from alerts.audit_head import post_head

    mod1, mod2 = await ready(harness, "mod1", "mod2")
    await _fill(harness, 3)
    assert await post_head(harness.app)
    head = _head(harness)
    for chat in (mod1, mod2):
        assert f"entry #3, hash {head['hash']}" in chat.inbox[-1].text
    # The hourly job does not repeat it within the day, and does after it.
    harness.clock.advance(3600)
    assert not await post_head(harness.app)
    harness.clock.advance(22 * 3600)
    await _fill(harness, 1)
    assert await post_head(harness.app)
    assert "entry #4" in mod1.inbox[-1].text
