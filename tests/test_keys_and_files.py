"""Keys that belong to their database, and files nobody else can read (issue 11).

Attacks: start Compa on an existing database with the keys file missing, with someone else's
keys, with all-zero or repeated-byte keys; read the data folder from another account.
"""

from __future__ import annotations

import base64
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import DB_FILE, App
from bot.privacy import Keys, KeysError, generate_keys, is_weak, key_check, write_keys_file
from compa_testkit.harness import Harness, make_config


def _compa(args: list[str], data_dir: Path, **env_extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COMPA_DATA_DIR": str(data_dir), "PYTHONUTF8": "1", **env_extra}
    for name in ("COMPA_CONFIG", "COMPA_PEPPER", "COMPA_SEAL_KEY"):
        if name not in env_extra:
            env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "bot", *args], input="", text=True,
                          capture_output=True, env=env, cwd=data_dir.parent, check=False)


async def _a_database_with_people(data_dir: Path) -> Keys:
    """A database where one person has written (so its keys matter); returns its keys."""
    async with Harness.open(data_dir) as harness:
        await harness.person("ana").start_in("es")
    text = (data_dir / "keys.toml").read_text()
    values = dict(line.split(" = ") for line in text.splitlines() if " = " in line)
    return Keys(base64.urlsafe_b64decode(values["pepper"].strip('"')),
                base64.urlsafe_b64decode(values["seal_key"].strip('"')))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def test_keys_init_on_an_empty_folder_makes_private_keys_and_the_check(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = _compa(["keys", "init"], data_dir)
    assert result.returncode == 0, result.stderr
    assert "new keys written" in result.stdout
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / "keys.toml").stat().st_mode) == 0o600
    with sqlite3.connect(data_dir / DB_FILE) as conn:
        [(mac,)] = conn.execute("SELECT mac FROM key_check").fetchall()
    again = _compa(["keys", "init"], data_dir)
    assert again.returncode == 0 and "keys match the database" in again.stdout
    with sqlite3.connect(data_dir / DB_FILE) as conn:
        assert conn.execute("SELECT mac FROM key_check").fetchall() == [(mac,)]


async def test_a_missing_keys_file_is_refused_not_replaced(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    await _a_database_with_people(data_dir)
    (data_dir / "keys.toml").unlink()
    for args in (["run", "--quiet"], ["console", "--quiet"], ["keys", "init"]):
        result = _compa(args, data_dir)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "keys file not found" in result.stderr
        assert "Restore the keys file" in result.stderr
        assert not (data_dir / "keys.toml").exists()


async def test_someone_elses_keys_are_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    await _a_database_with_people(data_dir)
    (data_dir / "keys.toml").unlink()
    write_keys_file(data_dir / "keys.toml", generate_keys())
    result = _compa(["run", "--quiet"], data_dir)
    assert result.returncode == 2
    assert "are not the keys the database" in result.stderr
    other = generate_keys()
    result = _compa(["run", "--quiet"], data_dir, COMPA_PEPPER=_b64(other.pepper),
                    COMPA_SEAL_KEY=_b64(other.seal_key))
    assert result.returncode == 2
    assert "are not the keys the database" in result.stderr
    with pytest.raises(KeysError, match="not the keys"):
        await App.create(make_config(data_dir))


async def test_the_right_keys_from_env_vars_are_accepted(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    keys = await _a_database_with_people(data_dir)
    monkeypatch.setenv("COMPA_PEPPER", _b64(keys.pepper))
    monkeypatch.setenv("COMPA_SEAL_KEY", _b64(keys.seal_key))
    (data_dir / "keys.toml").unlink()
    app = await App.create(make_config(data_dir))
    await app.close()
    monkeypatch.setenv("COMPA_SEAL_KEY", _b64(generate_keys().seal_key))
    with pytest.raises(KeysError, match="not the keys"):
        await App.create(make_config(data_dir))


@pytest.mark.parametrize("raw", [bytes(32), b"\x01" * 32, b"\xab\xcd" * 16,
                                 bytes(range(8)) * 4, bytes(range(16)) * 2])
def test_weak_keys_are_refused(tmp_path: Path, raw: bytes) -> None:
    assert is_weak(raw)
    data_dir = tmp_path / "data"
    good = generate_keys()
    for pepper, seal in ((raw, good.seal_key), (good.pepper, raw)):
        result = _compa(["run", "--quiet"], data_dir, COMPA_PEPPER=_b64(pepper),
                        COMPA_SEAL_KEY=_b64(seal))
        assert result.returncode == 2
        assert "weak key" in result.stderr
    folder = tmp_path / "file"
    folder.mkdir(mode=0o700)
    body = f'pepper = "{_b64(raw)}"\nseal_key = "{_b64(good.seal_key)}"\n'
    fd = os.open(folder / "keys.toml", os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(body)
    result = _compa(["keys", "init"], folder)
    assert result.returncode == 2 and "weak key" in result.stderr


def test_random_keys_are_not_weak_and_the_check_hides_them() -> None:
    keys = [generate_keys() for _ in range(200)]
    assert not any(is_weak(k.pepper) or is_weak(k.seal_key) for k in keys)
    checks = {key_check(k) for k in keys}
    assert len(checks) == 200
    k = keys[0]
    assert k.pepper.hex() not in key_check(k) and k.seal_key.hex() not in key_check(k)


# -- file modes ---------------------------------------------------------------------------------

@pytest.fixture
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _modes(data_dir: Path) -> dict[str, int]:
    found = {str(p.relative_to(data_dir)): stat.S_IMODE(p.stat().st_mode)
             for p in data_dir.rglob("*")}
    found["."] = stat.S_IMODE(data_dir.stat().st_mode)
    return found


@pytest.mark.parametrize("umask", [0o022, 0o000], indirect=True)
async def test_every_file_is_private_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    from tests.report_helpers import file_report

    data_dir = tmp_path / "data"
    async with Harness.open(data_dir) as harness:
        ana = harness.person("ana")
        await ana.start_in("es")
        await file_report(ana)
        await harness.person("bob").start_in("en")
        modes = _modes(data_dir)   # while running: the -wal and -shm exist
    assert {DB_FILE, DB_FILE + "-wal", DB_FILE + "-shm", "keys.toml"} <= set(modes)
    assert modes.pop(".") == 0o700
    assert modes and all(mode == 0o600 for mode in modes.values()), modes


async def test_an_open_data_folder_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    async with Harness.open(data_dir):
        pass
    os.chmod(data_dir, 0o755)
    with pytest.raises(KeysError, match="chmod 700"):
        await App.create(make_config(data_dir))
    result = _compa(["run", "--quiet"], data_dir)
    assert result.returncode == 2 and "chmod 700" in result.stderr
    # A database file left readable by an old version is closed again at start-up.
    os.chmod(data_dir, 0o700)
    os.chmod(data_dir / DB_FILE, 0o644)
    async with Harness.open(data_dir):
        assert stat.S_IMODE((data_dir / DB_FILE).stat().st_mode) == 0o600
