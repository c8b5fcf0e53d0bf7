"""Backups: an online copy during a fan-out restores elsewhere into a working bot; a damaged,
tampered, newer or foreign backup is refused; the daily job rotates."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
from collections import Counter
from pathlib import Path

import pytest

from alerts.schedule import Scheduler
from bot import backup
from bot.__main__ import main
from bot.app import DB_FILE
from bot.privacy import generate_keys, load_keys
from bot.store import deliveries
from bot.store.migrations import LATEST
from compa_testkit.harness import Harness, RecordingChannel, make_config
from tests.fanout_support import REGION, chat_ids, seed_subscribers
from tests.test_shutdown import IN_FLIGHT, GatedChannel

TABLES = ("users", "subscribers", "subscription_regions", "alerts", "deliveries", "reports",
          "audit", "notices")
PEOPLE = 12


async def _rows(conn: object, table: str) -> list[tuple[object, ...]]:
    async with conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2") as cur:  # type: ignore[attr-defined]
        return [tuple(r) for r in await cur.fetchall()]


def _keys(data_dir: Path) -> object:
    return load_keys(data_dir / "keys.toml", "COMPA_PEPPER", "COMPA_SEAL_KEY", create=False)


async def test_a_backup_during_a_fan_out_restores_into_a_working_bot(tmp_path: Path) -> None:
    config = make_config(tmp_path / "data", alerts={"pace": {"telegram": {
        "rate_per_second": 1000.0, "per_chat_seconds": 0.0, "concurrency": IN_FLIGHT}}})
    out = tmp_path / "elsewhere" / "b.compa-backup"
    async with Harness.open(tmp_path / "data", config, channels=()) as h:
        channel = GatedChannel()
        h.app.channels["telegram"] = channel
        await seed_subscribers(h.app, chat_ids(PEOPLE))
        dispatcher = h.app.delivery_dispatcher()
        await dispatcher.start()
        h.app.alerts.on_new_deliveries(dispatcher.wake)
        first = await h.app.alerts.create(region=REGION, kind="checkpoint", note="Hwy 19",
                                          actor="mod", preverified=True)
        await asyncio.wait_for(channel.all_in_flight.wait(), 30)
        keys = _keys(tmp_path / "data")
        # The fan-out is mid-way (sends in flight, the rest pending), and the writer is busy
        # in an open transaction: the backup still completes, without what is not committed.
        async with h.app.db.write() as conn:
            before = {t: await _rows(conn, t) for t in TABLES}
            await conn.execute("INSERT INTO schedule_runs (name, last_run) VALUES ('x', 1)")
            info = await asyncio.to_thread(backup.make_backup, h.app.config.data_dir / DB_FILE,
                                           out, keys, h.clock.now())
        channel.gate.set()
        await dispatcher.stop()
        h.app.alerts.on_new_deliveries(None)
        await h.app.delivery_dispatcher().drain()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and info.schema == LATEST
    statuses = Counter(row[4] for row in before["deliveries"])
    assert statuses == {"claimed": PEOPLE}   # claimed in one batch, 4 of them in flight

    other = tmp_path / "restored"
    other.mkdir()
    other.chmod(0o700)      # a data folder only its owner can read (issue 11)
    shutil.copy2(tmp_path / "data" / "keys.toml", other / "keys.toml")
    assert backup.restore_backup(out.read_bytes(), other / DB_FILE, keys) == LATEST
    assert stat.S_IMODE((other / DB_FILE).stat().st_mode) == 0o600
    async with Harness.open(other, make_config(other), channels=()) as restored:
        async with restored.app.db.write() as conn:
            after = {t: await _rows(conn, t) for t in TABLES}
            async with conn.execute("SELECT COUNT(*) FROM schedule_runs WHERE name='x'") as c:
                assert (await c.fetchone())[0] == 0     # not committed when copied
        assert after == before
        # The restored bot finishes the fan-out: every subscriber gets the alert, once.
        tg = RecordingChannel("telegram")
        restored.app.channels["telegram"] = tg
        # As `compa run` does at start: claims of the process the copy was taken from are
        # released (the four in flight go out again: at-least-once, docs/RELIABILITY.md).
        await deliveries.release_claims(restored.app.db)
        await restored.deliver()
        assert {chat: len(replies) for chat, replies in tg.inbox.items()} == {
            str(c): 1 for c in chat_ids(PEOPLE)}
        assert all("Hwy 19" in replies[0].text for replies in tg.inbox.values())
        again = await restored.app.alerts.create(region=REGION, kind="raid", note="",
                                                 actor="mod", preverified=True)
        assert again.recipients == PEOPLE and again.alert_id > first.alert_id


@pytest.fixture
async def sealed(tmp_path: Path) -> tuple[bytes, object]:
    async with Harness.open(tmp_path / "data") as h:
        await seed_subscribers(h.app, chat_ids(3))
        await h.person("ana").start_in("es")
    keys = _keys(tmp_path / "data")
    info = backup.make_backup(tmp_path / "data" / DB_FILE, tmp_path / "b", keys, 1.0)
    return info.path.read_bytes(), keys


@pytest.mark.parametrize("where", ["magic", "header", "nonce", "body", "tag", "truncated"])
def test_a_corrupted_backup_is_refused(tmp_path: Path, sealed: tuple[bytes, object],
                                       where: str) -> None:
    blob, keys = sealed
    data = bytearray(blob)
    header_at = len(backup.MAGIC) + 6
    nonce_at = blob.index(b"}", header_at) + 3
    spots = {"magic": 2, "header": header_at + 5, "nonce": nonce_at, "body": len(blob) // 2,
             "tag": len(blob) - 3}
    if where == "truncated":
        data = data[: len(data) - 40]
    else:
        data[spots[where]] ^= 0x01
    with pytest.raises(backup.BackupError):
        backup.restore_backup(bytes(data), tmp_path / "new" / DB_FILE, keys)  # type: ignore[arg-type]
    assert not (tmp_path / "new" / DB_FILE).exists()


def test_a_backup_needs_the_same_keys(tmp_path: Path, sealed: tuple[bytes, object]) -> None:
    blob, _keys_used = sealed
    with pytest.raises(backup.BackupError, match="other keys"):
        backup.restore_backup(blob, tmp_path / "new" / DB_FILE, generate_keys())


def test_a_passphrase_backup_needs_the_passphrase_and_the_keys(tmp_path: Path,
                                                               sealed: tuple[bytes, object]
                                                               ) -> None:
    _blob, keys = sealed
    info = backup.make_backup(tmp_path / "data" / DB_FILE, tmp_path / "p", keys, 1.0,  # type: ignore[arg-type]
                              passphrase="correct horse")
    blob = info.path.read_bytes()
    with pytest.raises(backup.BackupError, match="passphrase"):
        backup.restore_backup(blob, tmp_path / "a" / DB_FILE, keys)  # type: ignore[arg-type]
    with pytest.raises(backup.BackupError, match="passphrase"):
        backup.restore_backup(blob, tmp_path / "a" / DB_FILE, keys, "wrong")  # type: ignore[arg-type]
    with pytest.raises(backup.BackupError, match="other keys"):
        backup.restore_backup(blob, tmp_path / "a" / DB_FILE, generate_keys(), "correct horse")
    assert backup.restore_backup(blob, tmp_path / "a" / DB_FILE, keys, "correct horse") == LATEST  # type: ignore[arg-type]


def test_a_backup_from_a_newer_schema_is_refused(tmp_path: Path,
                                                 sealed: tuple[bytes, object]) -> None:
    blob, keys = sealed
    data, schema = backup.open_backup(blob, keys)  # type: ignore[arg-type]
    newer = backup.seal_backup(data, schema + 1, keys, 1.0)  # type: ignore[arg-type]
    with pytest.raises(backup.BackupError, match="upgrade Compa"):
        backup.restore_backup(newer, tmp_path / "new" / DB_FILE, keys)  # type: ignore[arg-type]


def test_restore_refuses_a_folder_that_has_a_database(tmp_path: Path,
                                                      sealed: tuple[bytes, object]) -> None:
    blob, keys = sealed
    with pytest.raises(backup.BackupError, match="already has a database"):
        backup.restore_backup(blob, tmp_path / "data" / DB_FILE, keys)  # type: ignore[arg-type]


def test_backup_and_restore_from_the_command_line(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  sealed: tuple[bytes, object],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COMPA_DATA_DIR", str(tmp_path / "data"))
    assert main(["backup", str(tmp_path / "cli.bak")]) == 0
    assert stat.S_IMODE((tmp_path / "cli.bak").stat().st_mode) == 0o600
    assert main(["restore", str(tmp_path / "cli.bak")]) == 2        # not an empty folder
    assert "already has a database" in capsys.readouterr().err
    (tmp_path / "fresh").mkdir(mode=0o700)
    (tmp_path / "fresh").chmod(0o700)
    shutil.copy2(tmp_path / "data" / "keys.toml", tmp_path / "fresh" / "keys.toml")
    monkeypatch.setenv("COMPA_DATA_DIR", str(tmp_path / "fresh"))
    assert main(["restore", str(tmp_path / "cli.bak")]) == 0
    (tmp_path / "broken.bak").write_bytes(b"COMPA-BACKUP-1\n" + b"\0" * 50)
    (tmp_path / "fresh2").mkdir(mode=0o700)
    (tmp_path / "fresh2").chmod(0o700)
    shutil.copy2(tmp_path / "data" / "keys.toml", tmp_path / "fresh2" / "keys.toml")
    monkeypatch.setenv("COMPA_DATA_DIR", str(tmp_path / "fresh2"))
    assert main(["restore", str(tmp_path / "broken.bak")]) == 2
    assert not (tmp_path / "fresh2" / DB_FILE).exists()


async def test_the_daily_backup_rotates_and_is_remembered(tmp_path: Path) -> None:
    config = make_config(tmp_path / "data", backup={"enabled": True, "keep": 2,
                                                    "folder": str(tmp_path / "bk")})
    async with Harness.open(tmp_path / "data", config) as h:
        scheduler = Scheduler(h.app.alerts, h.app.jobs())
        scheduler.register()
        assert scheduler.scheduler.get_job("backup") is not None
        assert await backup.last_run(h.app.db) is None
        written = []
        for _day in range(3):
            path = await backup.scheduled_backup(h.app)
            assert path is not None
            written.append(path)
            h.clock.advance(86400)
        kept = sorted((tmp_path / "bk").iterdir())
        assert kept == written[1:]
        assert await backup.last_run(h.app.db) == h.clock.now() - 86400
    off = make_config(tmp_path / "data2")
    async with Harness.open(tmp_path / "data2", off) as h2:
        scheduler = Scheduler(h2.app.alerts, h2.app.jobs())
        scheduler.register()
        assert scheduler.scheduler.get_job("backup") is None


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_root_is_refused_on_the_bot_s_data_folder(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  sealed: tuple[bytes, object],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Root opening the bot's database would leave root-owned -wal/-shm files behind."""
    os.chown(tmp_path / "data", 54321, 54321)
    before = sorted((tmp_path / "data").iterdir())
    monkeypatch.setenv("COMPA_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(SystemExit) as stopped:
        main(["backup", str(tmp_path / "x.bak")])
    assert stopped.value.code == 2
    assert "run this as the bot's user" in capsys.readouterr().err
    assert not (tmp_path / "x.bak").exists()
    assert sorted((tmp_path / "data").iterdir()) == before
