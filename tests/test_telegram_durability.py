"""Telegram's updates survive a SIGKILL: the real `compa run` (a subprocess) against the fake
Bot API, killed while it handles an update.

1. Webhook: Telegram re-delivers an update that was answered before the kill; the restarted
   bot drops it (the handled update ids are in the database, as keyed hashes) and the person
   has one answer.
2. Polling: an update being handled at the kill had not been confirmed to Telegram (the
   offset moves past a batch only once it is handled), so it comes again after the restart
   and is answered then, once.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import DB_FILE
from compa_testkit.fakes.telegram_api import TOKEN, ApiError, FakeTelegram
from compa_testkit.harness import REAL_RESOURCES_TOML
from compa_testkit.patience import PATIENCE
from compa_testkit.process import free_port, poll_until
from compa_testkit.telegram_kit import WEBHOOK_SECRET, WEBHOOK_URL, TgPerson

pytestmark = pytest.mark.heavy  # `compa run` subprocesses, killed

HOOK = "/telegram/hook"
CHAT = 5550177


@dataclass
class Compa:
    data_dir: Path
    config: Path
    log: Path
    env: dict[str, str]
    port: int
    polling: bool
    runs: list[asyncio.subprocess.Process] = field(default_factory=list)

    async def start(self, fake: FakeTelegram) -> asyncio.subprocess.Process:
        args = ["run", "--polling"] if self.polling else ["run"]
        calls = len(fake.methods())
        with self.log.open("ab") as log:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "compa_testkit.patient_compa", "--config",
                str(self.config), *args, stdin=asyncio.subprocess.DEVNULL, stdout=log,
                stderr=log, env=self.env)
        self.runs.append(proc)
        ready = (lambda: "getUpdates" in fake.methods()[calls:]) if self.polling \
            else (lambda: "setWebhook" in fake.methods()[calls:])
        await poll_until(lambda: ready() or proc.returncode is not None, "compa started")
        assert proc.returncode is None, self.log.read_text()
        return proc

    @staticmethod
    async def kill(proc: asyncio.subprocess.Process) -> None:
        proc.kill()
        await proc.wait()

    def handled_keys(self) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.data_dir / DB_FILE, timeout=PATIENCE)
        try:
            return conn.execute("SELECT * FROM handled_updates").fetchall()
        finally:
            conn.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


def make_compa(tmp_path: Path, fake: FakeTelegram, *, polling: bool) -> Compa:
    port = free_port()
    data_dir = tmp_path / "data"
    config = tmp_path / "config.toml"
    mode = "polling" if polling else "webhook"
    config.write_text(f"""
[bot]
data_dir = "{data_dir}"
log_level = "WARNING"

{REAL_RESOURCES_TOML}

[web]
host = "127.0.0.1"
port = {port}

[channels.console]
enabled = false

[channels.telegram]
enabled = true
mode = "{mode}"
webhook_url = "{WEBHOOK_URL}"
api_base_url = "{fake.url}"
""")
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
           "PTB_TIMEDELTA": "1", "PYTHONUTF8": "1"}
    for name in ("COMPA_CONFIG", "COMPA_DATA_DIR", "COMPA_PEPPER", "COMPA_SEAL_KEY"):
        env.pop(name, None)
    return Compa(data_dir, config, tmp_path / "compa.log", env, port, polling)


@pytest.fixture
async def runs() -> AsyncIterator[list[Compa]]:
    made: list[Compa] = []
    try:
        yield made
    finally:
        for compa in made:
            for proc in compa.runs:
                if proc.returncode is None:
                    await Compa.kill(proc)


async def post(compa: Compa, update: dict[str, Any]) -> int:
    async with httpx.AsyncClient(timeout=PATIENCE) as client:
        answer = await client.post(
            f"http://127.0.0.1:{compa.port}{HOOK}", content=json.dumps(update).encode(),
            headers={"Content-Type": "application/json",
                     "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
    return answer.status_code


def only_hashes(compa: Compa, update_ids: list[int]) -> None:
    """handled_updates holds a keyed hash and an hour, never the update id or a chat id."""
    rows = compa.handled_keys()
    assert rows
    for key, expires in rows:
        assert isinstance(key, str) and len(key) == 32 and isinstance(expires, int)
        assert key not in {str(i) for i in update_ids} and str(CHAT) not in key


async def test_a_webhook_redelivery_after_a_kill_is_answered_once(
        tmp_path: Path, fake: FakeTelegram, runs: list[Compa]) -> None:
    compa = make_compa(tmp_path, fake, polling=False)
    runs.append(compa)
    ana = TgPerson(fake, CHAT, "es")
    first = await compa.start(fake)
    update = fake.update(message=ana.message("/start"))
    assert await post(compa, update) == 200        # answered once handled
    await fake.wait_sent(CHAT, 1)
    await Compa.kill(first)

    await compa.start(fake)
    assert await post(compa, update) == 200        # Telegram delivers it again
    assert len(ana.sent) == 1                       # … and it is not answered again
    later = fake.update(message=ana.message("/start"))
    assert await post(compa, later) == 200         # the bot is alive and answering
    await fake.wait_sent(CHAT, 2)
    assert len(ana.sent) == 2
    only_hashes(compa, [update["update_id"], later["update_id"]])


class Hold:
    """The fake's `on_call`: sendMessage calls wait on `gate`; once `refuse` is set, a held
    call fails instead of being carried out (its client is dead: nothing was delivered)."""

    def __init__(self) -> None:
        self.held = 0
        self.gate = asyncio.Event()
        self.refuse = False

    async def __call__(self, method: str, params: dict[str, Any]) -> None:
        if method != "sendMessage" or self.gate.is_set():
            return
        self.held += 1
        await self.gate.wait()
        if self.refuse:
            raise ApiError(500, "Internal Server Error")


async def test_polling_answers_after_a_kill_the_update_it_was_handling(
        tmp_path: Path, fake: FakeTelegram, runs: list[Compa]) -> None:
    compa = make_compa(tmp_path, fake, polling=True)
    runs.append(compa)
    ana = TgPerson(fake, CHAT, "es")
    hold = Hold()
    fake.on_call = hold
    first = await compa.start(fake)
    await fake.push(fake.update(message=ana.message("/start")))
    await poll_until(lambda: hold.held == 1, "the bot answering (held by the fake)")
    await Compa.kill(first)                         # mid-handling: no answer went out
    hold.refuse = True
    hold.gate.set()
    assert ana.sent == []

    fake.on_call = None
    await compa.start(fake)
    await fake.wait_sent(CHAT, 1)                   # Telegram gave it again: answered now
    later = fake.update(message=ana.message("/start"))
    await fake.push(later)
    await fake.wait_sent(CHAT, 2)
    assert len(ana.sent) == 2                       # the first one was not answered twice
    await poll_until(lambda: len(compa.handled_keys()) == 2, "both updates recorded")
    only_hashes(compa, [later["update_id"] - 1, later["update_id"]])
