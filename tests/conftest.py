"""Shared fixtures. No test sleeps for real time or touches the internet."""

from __future__ import annotations

import os

# Before telegram is imported anywhere: timedelta retry_after, no deprecation warning.
os.environ.setdefault("PTB_TIMEDELTA", "1")
for _var in ("COMPA_CONFIG", "COMPA_DATA_DIR", "COMPA_PEPPER", "COMPA_SEAL_KEY"):
    os.environ.pop(_var, None)

from collections.abc import AsyncIterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
import pytest  # noqa: E402

from bot.channels.telegram import TelegramChannel  # noqa: E402
from bot.channels.whatsapp import WhatsAppChannel  # noqa: E402
from compa_testkit.fakes.telegram_api import TOKEN, FakeTelegram  # noqa: E402
from compa_testkit.harness import Harness  # noqa: E402
from compa_testkit.patience import PATIENCE  # noqa: E402


@pytest.fixture(autouse=True)
def patient_platform_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bot's clients wait PATIENCE for the fake platforms. Their real timeouts (15 s, 20 s)
    are for real platforms; here the fake shares the bot's busy process and machine, so its
    answer can take longer without anything being wrong. A test about a timeout sets a short
    one on the request it holds (test_telegram_send)."""
    monkeypatch.setitem(TelegramChannel.__init__.__kwdefaults__, "timeout", PATIENCE)
    init = WhatsAppChannel.__init__

    def patient(self: WhatsAppChannel, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self._session.timeout = httpx.Timeout(PATIENCE)

    monkeypatch.setattr(WhatsAppChannel, "__init__", patient)


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with Harness.open(tmp_path / "data") as h:
        yield h


@pytest.fixture
async def tg_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeTelegram]:
    """A local Bot API server, with its token in the env var the config names by default."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    async with FakeTelegram() as server:
        yield server
