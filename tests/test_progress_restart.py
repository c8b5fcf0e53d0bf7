"""The publisher hears the end after a restart: the real `compa run` (a subprocess, Telegram in
polling mode against the fake Bot API) sends an alert to two people and is stopped before it
could show the publisher the final count; the next run shows it, once.

1. SIGTERM while both sends are in flight: both are delivered and recorded, and the progress
   message (held by the fake) never gets out before the process exits.
2. SIGKILL at the moment the progress message is sent: the process dies, the platform never
   accepted that message.
Each time the next `compa run` has nothing left to send, and still shows the final count.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import DB_FILE, App
from bot.messages import Address
from compa_testkit.fakes.telegram_api import TOKEN, ApiError, FakeTelegram
from compa_testkit.harness import REAL_RESOURCES_TOML, make_config
from compa_testkit.patience import PATIENCE
from compa_testkit.process import poll_until
from tests.fanout_support import REGION, chat_ids, seed_subscribers
from tests.test_crash_restart import Compa

pytestmark = pytest.mark.heavy  # `compa run` subprocesses stopped and killed

PUBLISHER = 9_100_001
FINAL = "Alerta #1 terminada: 2 enviadas, 0 fallidas."


async def _seed(data_dir: Path) -> None:
    app = await App.create(make_config(data_dir))
    try:
        await seed_subscribers(app, chat_ids(2))
        out = await app.alerts.create(region=REGION, kind="checkpoint", note="", actor="mod",
                                      preverified=True,
                                      progress_to=Address("telegram", str(PUBLISHER)))
        assert out.recipients == 2
    finally:
        await app.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def compa(tmp_path: Path, fake: FakeTelegram) -> AsyncIterator[Compa]:
    data_dir = tmp_path / "data"
    await _seed(data_dir)
    config = tmp_path / "config.toml"
    config.write_text(f"""
[bot]
data_dir = "{data_dir}"
log_level = "INFO"

{REAL_RESOURCES_TOML}

[channels.console]
enabled = false

[channels.telegram]
enabled = true
api_base_url = "{fake.url}"

[alerts.pace.telegram]
rate_per_second = 2000
concurrency = 4
""")
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "PTB_TIMEDELTA": "1",
           "PYTHONUTF8": "1"}
    for name in ("COMPA_CONFIG", "COMPA_DATA_DIR", "COMPA_PEPPER", "COMPA_SEAL_KEY"):
        env.pop(name, None)
    runner = Compa(config, tmp_path / "compa.log", env)
    try:
        yield runner
    finally:
        await runner.stop_all()


def _db(compa: Compa) -> Path:
    return compa.config.parent / "data" / DB_FILE


def _statuses(compa: Compa) -> dict[str, int]:
    with sqlite3.connect(_db(compa)) as conn:
        rows = conn.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status").fetchall()
    return {str(s): int(n) for s, n in rows}


def _progress_pending(compa: Compa) -> bool:
    with sqlite3.connect(_db(compa)) as conn:
        row = conn.execute("SELECT progress_to_sealed FROM alerts WHERE id = 1").fetchone()
    return row is not None and row[0] is not None


class Interrupt:
    """The fake's `on_call`: signals the process on the `at`-th sendMessage to a subscriber
    (SIGTERM) or on the first one to the publisher (SIGKILL); messages to the publisher are
    held and never carried out, so the run cannot show the final count."""

    def __init__(self, signum: int, log: Path, at: int = 2) -> None:
        self.signum = signum
        self.log = log
        self.at = at
        self.sends = 0
        self.proc: asyncio.subprocess.Process | None = None
        self.fired = asyncio.Event()
        self.thawed = asyncio.Event()

    def fire(self) -> None:
        if not self.fired.is_set():
            assert self.proc is not None
            self.proc.send_signal(self.signum)
            self.fired.set()

    async def __call__(self, method: str, params: dict[str, Any]) -> None:
        if method != "sendMessage":
            return
        if str(params.get("chat_id")) == str(PUBLISHER):
            if self.signum == signal.SIGKILL:
                self.fire()
            await self.thawed.wait()
            raise ApiError(503, "Service Unavailable: the client is gone")
        self.sends += 1
        if self.signum == signal.SIGTERM and self.sends == self.at:
            # Both sends are in flight (this one and the one before). The runner handles
            # SIGTERM once it serves (before that a signal ends it like a kill): wait for it.
            await poll_until(lambda: "running: telegram" in self.log.read_text(errors="replace"))
            self.fire()


async def _interrupted_then_resumed(compa: Compa, fake: FakeTelegram, signum: int) -> None:
    trigger = Interrupt(signum, compa.log)
    fake.on_call = trigger
    proc = trigger.proc = await compa.start()
    try:
        await asyncio.wait_for(trigger.fired.wait(), PATIENCE)
        code = await asyncio.wait_for(proc.wait(), PATIENCE)
    finally:
        fake.on_call = None
        trigger.thawed.set()
    assert code == (0 if signum == signal.SIGTERM else -signal.SIGKILL)
    assert _statuses(compa) == {"sent": 2}        # both delivered and recorded
    assert fake.sent[str(PUBLISHER)] == []        # … but the publisher heard nothing
    assert _progress_pending(compa)

    proc = await compa.start()
    await fake.wait_until(lambda: bool(fake.sent[str(PUBLISHER)]))
    await poll_until(lambda: not _progress_pending(compa))
    proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(proc.wait(), PATIENCE) == 0
    assert [s.text for s in fake.sent[str(PUBLISHER)]] == [FINAL]
    received = [int(c.chat_id or 0) for c in fake.accepted() if c.chat_id != str(PUBLISHER)]
    assert sorted(received) == chat_ids(2)         # nobody got the alert twice
    log = compa.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-2000:]


async def test_sigterm_with_two_sends_in_flight(compa: Compa, fake: FakeTelegram) -> None:
    await _interrupted_then_resumed(compa, fake, signal.SIGTERM)


async def test_sigkill_while_showing_the_progress(compa: Compa, fake: FakeTelegram) -> None:
    await _interrupted_then_resumed(compa, fake, signal.SIGKILL)
