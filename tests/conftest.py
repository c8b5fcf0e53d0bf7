"""Shared fixtures. No test sleeps for real time or touches the internet."""

from __future__ import annotations

import os

# Before telegram is imported anywhere: timedelta retry_after, no deprecation warning.
os.environ.setdefault("PTB_TIMEDELTA", "1")
for _var in ("COMPA_CONFIG", "COMPA_DATA_DIR", "COMPA_PEPPER", "COMPA_SEAL_KEY"):
    os.environ.pop(_var, None)

from collections.abc import AsyncIterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from compa_testkit.fakes.telegram_api import TOKEN, FakeTelegram  # noqa: E402
from compa_testkit.harness import Harness  # noqa: E402


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
