"""The console channel end to end through the real `compa` entry point with piped input."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.channels.console import ConsoleChannel
from bot.runner import RunOptions, run
from compa_testkit.harness import make_config
from compa_testkit.patience import PATIENCE


def _compa(args: list[str], stdin: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COMPA_DATA_DIR": str(data_dir), "PYTHONUTF8": "1"}
    env.pop("COMPA_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, text=True,
                          capture_output=True, env=env, cwd=data_dir.parent, timeout=PATIENCE,
                          check=False)


@pytest.mark.heavy  # a `compa` subprocess
def test_piped_hola_then_1_prints_the_spanish_main_menu(tmp_path: Path) -> None:
    result = _compa(["console"], "hola\n1\n", tmp_path / "data")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "¿Qué idioma prefiere?" in out
    assert "  1) Español" in out
    assert "  4) Conozca sus derechos" in out
    assert "  6) ❓ ¿Es real esta alerta?" in out
    assert "  8) Ayuda" in out
    assert (tmp_path / "data" / "compa.sqlite3").exists()
    assert (tmp_path / "data" / "keys.toml").stat().st_mode & 0o077 == 0


@pytest.mark.heavy  # a `compa` subprocess
def test_run_uses_the_console_by_default_and_exits_at_eof(tmp_path: Path) -> None:
    result = _compa(["run", "--quiet"], "hola\n2\n4\n", tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert "Choose a topic:" in result.stdout


@pytest.mark.heavy  # a `compa` subprocess
def test_bad_config_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[bot]\ndefault_locale = "fr"\ncolour = 1\n')
    result = _compa(["--config", str(cfg), "run"], "", tmp_path / "data")
    assert result.returncode == 2
    assert "bot.colour: unknown key" in result.stderr
    assert "bot.default_locale" in result.stderr


async def test_several_people_in_one_console(tmp_path: Path) -> None:
    stdin = io.StringIO("@ana hola\n@ana 2\n@bob hi\n@bob 2\n@ana 4\n")
    stdout = io.StringIO()
    await run(make_config(tmp_path / "data"), RunOptions(stdin=stdin, stdout=stdout))
    out = stdout.getvalue()
    # ana chose English (2), bob chose English too; ana's "4" opened her own menu's 4th item.
    assert out.count("Done: I will write to you in English.") == 2
    assert "Choose a topic:" in out


async def test_replies_to_someone_else_are_prefixed(tmp_path: Path) -> None:
    from bot.app import App
    from bot.messages import Address, Reply

    app = await App.create(make_config(tmp_path / "data"))
    stdout = io.StringIO()
    console = ConsoleChannel(app, io.StringIO(""), stdout, prompt=False)
    console.speaker = "ana"
    try:
        await console.send(Address("console", "mod1"), Reply("new report"))
        await console.send(Address("console", "ana"), Reply("for ana"))
    finally:
        await app.close()
    lines = stdout.getvalue().splitlines()
    assert "[→ mod1] new report" in lines
    assert "for ana" in lines


async def test_run_lets_the_database_thread_have_the_gil_sooner(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.runner import SWITCH_INTERVAL

    monkeypatch.setattr(sys, "setswitchinterval", lambda value: set_to.append(value))
    set_to: list[float] = []
    await run(make_config(tmp_path / "data"), RunOptions(stdin=io.StringIO(""),
                                                         stdout=io.StringIO()))
    # Python's default (5 ms) let SQLite results wait behind a busy event loop.
    assert set_to == [SWITCH_INTERVAL]
    assert SWITCH_INTERVAL < 0.005
