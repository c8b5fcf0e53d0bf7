"""Start-up against a Bot API that cannot be reached: retried with growing pauses and called
the network (not "invalid configuration"), with no aiohttp "Unclosed client session" noise
after a clean error; and webhook_url must be https."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.channels.telegram import TelegramChannel
from bot.config import ConfigError
from compa_testkit.fakes.telegram_api import TOKEN, FakeTelegram
from compa_testkit.harness import REAL_RESOURCES_TOML, make_config
from compa_testkit.patience import PATIENCE
from compa_testkit.process import free_port
from compa_testkit.telegram_kit import running


async def test_an_api_that_comes_back_is_waited_for(
        tmp_path: Path, tg_api: FakeTelegram, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    pauses: list[float] = []

    async def no_wait(self: TelegramChannel, seconds: float) -> None:
        pauses.append(seconds)

    # A proxy restarting: Bad Gateway four times, then the Bot API answers.
    tg_api.fail("getMe", 502, "Bad Gateway", times=4)
    original = TelegramChannel.__init__

    def patched(self: TelegramChannel, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        self.sleep = no_wait.__get__(self)

    monkeypatch.setattr(TelegramChannel, "__init__", patched)
    async with running(tmp_path, tg_api) as runner:
        assert "telegram" in runner.app.channels
    assert pauses == [1.0, 2.0, 4.0, 8.0]
    warnings = [r.getMessage() for r in caplog.records if "cannot reach" in r.getMessage()]
    assert len(warnings) == 4 and all("the network?" in w for w in warnings)
    assert not any("invalid configuration" in r.getMessage() for r in caplog.records)


async def run_compa(tmp_path: Path, api: str, token: str, patience: int) -> tuple[int, str]:
    config = tmp_path / "config.toml"
    config.write_text(f"""
[bot]
data_dir = "{tmp_path / 'data'}"

{REAL_RESOURCES_TOML}

[channels.console]
enabled = false

[channels.telegram]
enabled = true
api_base_url = "{api}"
startup_patience_seconds = {patience}
""")
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": token, "PTB_TIMEDELTA": "1", "PYTHONUTF8": "1",
           "PYTHONDEVMODE": "1"}   # dev mode: ResourceWarnings (unclosed sessions) are shown
    for name in ("COMPA_CONFIG", "COMPA_DATA_DIR", "COMPA_PEPPER", "COMPA_SEAL_KEY"):
        env.pop(name, None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), "run",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT, env=env)
    out, _ = await asyncio.wait_for(proc.communicate(), PATIENCE)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


@pytest.mark.heavy
async def test_an_unreachable_api_is_called_the_network_and_leaves_no_noise(
        tmp_path: Path) -> None:
    code, out = await run_compa(tmp_path, f"http://127.0.0.1:{free_port()}", TOKEN, 0)
    assert code == 1, out
    assert "cannot reach the Bot API at 127.0.0.1" in out
    assert "the configuration is not at fault" in out
    assert "invalid configuration" not in out
    assert "Unclosed" not in out and "Traceback" not in out, out


@pytest.mark.heavy
async def test_a_refused_token_is_a_clean_config_error(tmp_path: Path,
                                                        tg_api: FakeTelegram) -> None:
    code, out = await run_compa(tmp_path, tg_api.url, "999:not-the-token", 300)
    assert code == 2, out
    assert "the Bot API refused the token" in out
    assert "Unclosed" not in out and "Traceback" not in out, out


@pytest.mark.parametrize("url, ok", [
    ("https://bot.example.org/telegram/webhook", True),
    ("http://bot.example.org/telegram/webhook", False),
    ("http://127.0.0.1:8080/telegram/webhook", True),     # a local test server only
    ("http://localhost.example.org/h", False),
])
def test_webhook_url_must_be_https(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   url: str, ok: bool) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "a-Good_secret1")
    settings = {"channels": {"telegram": {"enabled": True, "mode": "webhook",
                                          "webhook_url": url}}}
    if ok:
        assert make_config(tmp_path, **settings).channels.telegram.webhook_url == url
    else:
        with pytest.raises(ConfigError, match="must start with https://"):
            make_config(tmp_path, **settings)
