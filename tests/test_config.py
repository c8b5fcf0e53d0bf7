"""Config: defaults, every problem in one error, secrets only by env var name."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.config import ConfigError, load, parse

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = load()
    assert cfg.source is None
    assert cfg.bot.default_locale == "es"
    assert cfg.channels.console.enabled


def test_example_config_is_valid_and_every_key_is_commented() -> None:
    path = ROOT / "config.example.toml"
    cfg = load(path)
    assert [p.console for p in cfg.moderators] == ["mod1", "mod2", "campo1"]
    assert "555" in cfg.resources.hotline  # clearly fake sample numbers
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "[")) and "=" in stripped:
            above = lines[i - 1].strip() if i else ""
            assert above.startswith("#"), f"line {i + 1} {stripped!r} has no comment"


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as err:
        parse({
            "bot": {"default_locale": "fr", "session_ttl_minutes": "ten", "colour": "red"},
            "resources": {"hotline": 5},
            "nonsense": {},
            "channels": {"console": {"moderators": "mod1"}},
        })
    text = str(err.value)
    for expected in ("bot.colour: unknown key", "nonsense: unknown key",
                     "bot.session_ttl_minutes: expected int",
                     "channels.console.moderators: expected a list"):
        assert expected in text, text
    assert len(err.value.problems) >= 4


def test_semantic_checks_run_when_types_are_right() -> None:
    with pytest.raises(ConfigError) as err:
        parse({"bot": {"default_locale": "fr", "timezone": "Mars/Olympus", "log_level": "loud"}})
    assert len(err.value.problems) == 3


def test_bad_toml_and_missing_file_are_config_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[bot\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(bad)
    with pytest.raises(ConfigError, match="file not found"):
        load(tmp_path / "missing.toml")


def test_data_dir_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPA_DATA_DIR", str(tmp_path / "elsewhere"))
    cfg = parse({"bot": {"data_dir": "./data"}})
    assert cfg.data_dir == tmp_path / "elsewhere"
    assert cfg.keys_path == tmp_path / "elsewhere" / "keys.toml"


def test_no_secret_values_in_example_config() -> None:
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    flat = str(data).lower()
    for word in ("token =", "secret =", "password"):
        assert word not in flat
