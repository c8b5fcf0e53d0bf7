"""Durable acknowledgement, proven with SIGKILL: the real `compa run` (a subprocess, WhatsApp
enabled) against the fake Graph API, killed while an answer is on its way.

1. A message acknowledged (200) before the kill is answered after the restart: it waited,
   sealed, in the inbound queue.
2. Meta re-delivers a message that was answered before the kill: the restarted bot drops it
   (the handled update ids are in the database, as keyed hashes) and answers it once.
3. A message that may be a report step is never queued: Meta gets no 200 until it is handled,
   so a kill leaves Meta to deliver it again, and the queue never held it.
"""

from __future__ import annotations

import asyncio
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
from bot.clock import FakeClock
from compa_testkit.fakes.graph_api import FakeGraphAPI, FakePerson
from compa_testkit.harness import REAL_RESOURCES_TOML
from compa_testkit.patience import PATIENCE
from compa_testkit.process import free_port, poll_until
from tests.whatsapp_support import APP_SECRET, TOKEN, VERIFY_TOKEN

pytestmark = pytest.mark.heavy  # `compa run` subprocesses, killed

WA_ID = "16505551234"
CANARY = "canary-durable-5e1f"


@dataclass
class Compa:
    data_dir: Path
    config: Path
    log: Path
    env: dict[str, str]
    port: int
    runs: list[asyncio.subprocess.Process] = field(default_factory=list)

    async def start(self) -> asyncio.subprocess.Process:
        with self.log.open("ab") as log:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "compa_testkit.patient_compa", "--config",
                str(self.config), "run", stdin=asyncio.subprocess.DEVNULL, stdout=log,
                stderr=log, env=self.env)
        self.runs.append(proc)
        async with httpx.AsyncClient(timeout=PATIENCE) as client:
            async def up() -> None:
                while True:
                    try:
                        await client.get(f"http://127.0.0.1:{self.port}/healthz")
                        return
                    except httpx.TransportError:
                        assert proc.returncode is None, self.log.read_text()
                        await asyncio.sleep(0.05)

            await asyncio.wait_for(up(), PATIENCE)
        return proc

    @staticmethod
    async def kill(proc: asyncio.subprocess.Process) -> None:
        proc.kill()
        await proc.wait()

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.data_dir / DB_FILE, timeout=PATIENCE)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    def queued(self) -> int:
        return int(self.rows("SELECT count(*) FROM inbound")[0][0])

    def remembered(self) -> int:
        return int(self.rows("SELECT count(*) FROM handled_updates")[0][0])


@pytest.fixture
async def fake() -> AsyncIterator[FakeGraphAPI]:
    api = FakeGraphAPI(FakeClock(), token=TOKEN, app_secret=APP_SECRET)
    await api.start()
    try:
        yield api
    finally:
        api.release()
        await api.stop()


@pytest.fixture
async def compa(tmp_path: Path, fake: FakeGraphAPI) -> AsyncIterator[Compa]:
    port = free_port()
    data_dir = tmp_path / "data"
    config = tmp_path / "config.toml"
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

[channels.whatsapp]
enabled = true
phone_number_id = "{fake.phone_id}"
api_base_url = "{fake.url}"
""")
    env = {**os.environ, "WHATSAPP_TOKEN": TOKEN, "WHATSAPP_APP_SECRET": APP_SECRET,
           "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN, "PYTHONUTF8": "1"}
    for name in ("COMPA_CONFIG", "COMPA_DATA_DIR", "COMPA_PEPPER", "COMPA_SEAL_KEY"):
        env.pop(name, None)
    fake.webhook_url = f"http://127.0.0.1:{port}/whatsapp/webhook"
    runner = Compa(data_dir, config, tmp_path / "compa.log", env, port)
    try:
        yield runner
    finally:
        for proc in runner.runs:
            if proc.returncode is None:
                await runner.kill(proc)


def text_message(person: FakePerson, text: str) -> dict[str, Any]:
    _, data = person.payload("text")
    data["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = text
    return data


def no_clear_traces(compa: Compa) -> None:
    """The database files hold neither the number, nor the message id, nor the text."""
    for path in compa.data_dir.glob(DB_FILE + "*"):
        raw = path.read_bytes()
        for needle in (WA_ID, CANARY, "wamid."):
            assert needle.encode() not in raw, (path.name, needle)


async def test_an_acknowledged_message_is_answered_after_a_kill(compa: Compa,
                                                                fake: FakeGraphAPI) -> None:
    person = fake.person(WA_ID)
    first = await compa.start()
    fake.hold()
    answer = await fake.post_json(text_message(person, f"hola {CANARY}"))
    assert answer.status_code == 200          # acknowledged: it is in the queue, sealed
    await poll_until(lambda: fake.held == 1, "the bot answering (held by the fake)")
    assert compa.queued() == 1
    no_clear_traces(compa)
    await compa.kill(first)                   # the answer was never accepted by Meta
    fake.release()
    assert person.inbox == []
    await compa.start()
    await poll_until(lambda: len(person.inbox) >= 1, "the answer after the restart")
    await poll_until(lambda: compa.queued() == 0, "the queue emptied")
    assert compa.remembered() == 1
    assert len(person.inbox) == 1             # answered once, after the restart
    no_clear_traces(compa)


async def test_a_redelivery_after_a_kill_is_answered_once(compa: Compa,
                                                          fake: FakeGraphAPI) -> None:
    person = fake.person(WA_ID)
    first = await compa.start()
    message = text_message(person, f"hola {CANARY}")
    assert (await fake.post_json(message)).status_code == 200
    await poll_until(lambda: len(person.inbox) == 1 and compa.remembered() == 1
                and compa.queued() == 0, "the first answer, recorded")
    await compa.kill(first)
    await compa.start()
    # Meta did not get our 200 in time (as far as it knows) and delivers it again.
    assert (await fake.post_json(message)).status_code == 200
    assert (await fake.post_json(text_message(person, "menu"))).status_code == 200
    # One person's updates are handled in order: once "menu" is answered, a repeated
    # "hola" would have been answered before it.
    await poll_until(lambda: len(person.inbox) >= 2, "the answer to the next message")
    await poll_until(lambda: compa.queued() == 0, "the queue emptied")
    assert len(person.inbox) == 2
    assert compa.remembered() == 2


async def test_a_possible_report_step_is_acknowledged_only_once_handled(
        compa: Compa, fake: FakeGraphAPI) -> None:
    person = fake.person(WA_ID)
    first = await compa.start()
    fake.hold()
    message = text_message(person, "/reportar")
    posting = asyncio.ensure_future(fake.post_json(message))
    await poll_until(lambda: fake.held == 1, "the bot answering (held by the fake)")
    assert not posting.done()                 # no 200 while it is not handled
    assert compa.queued() == 0                # and nothing about it waits in the database
    await compa.kill(first)
    fake.release()
    with pytest.raises(httpx.TransportError):
        await posting                         # Meta saw no 200: it will deliver again
    await compa.start()
    answer = await fake.post_json(message)
    assert answer.status_code == 200
    assert len(person.inbox) >= 1             # answered before the 200
    assert compa.queued() == 0
    no_clear_traces(compa)


# --- Telegram's webhook: answered once handled -----------------------------------------------

TG_SECRET = "s3cret-for_durability"


async def test_a_telegram_webhook_is_answered_only_once_handled(tmp_path: Path) -> None:
    from compa_testkit.fakes.telegram_api import TOKEN as TG_TOKEN
    from compa_testkit.fakes.telegram_api import ApiError, FakeTelegram

    port = free_port()
    data_dir = tmp_path / "data"
    config = tmp_path / "config.toml"
    gate = asyncio.Event()
    held: list[str] = []

    async def hold(method: str, params: dict[str, Any]) -> None:
        if method == "sendMessage" and not gate.is_set():
            held.append(method)
            await gate.wait()
            raise ApiError(500, "Internal Server Error")   # never carried out

    async with FakeTelegram() as fake:
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
api_base_url = "{fake.url}"
mode = "webhook"
webhook_url = "http://127.0.0.1:{port}/telegram/webhook"
""")
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TG_TOKEN, "PTB_TIMEDELTA": "1",
               "TELEGRAM_WEBHOOK_SECRET": TG_SECRET, "PYTHONUTF8": "1"}
        for name in ("COMPA_CONFIG", "COMPA_DATA_DIR", "COMPA_PEPPER", "COMPA_SEAL_KEY"):
            env.pop(name, None)
        compa = Compa(data_dir, config, tmp_path / "compa.log", env, port)
        try:
            first = await compa.start()
            await poll_until(lambda: fake.webhook is not None, "the webhook registered")
            fake.on_call = hold
            update = fake.update(message=fake.message(5550001, "/start"))
            url = f"http://127.0.0.1:{port}/telegram/webhook"
            headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
            async with httpx.AsyncClient(timeout=PATIENCE) as client:
                posting = asyncio.ensure_future(client.post(url, json=update, headers=headers))
                await poll_until(lambda: bool(held), "the bot answering (held by the fake)")
                assert not posting.done()          # no 200 while it is not handled
                await compa.kill(first)
                gate.set()
                with pytest.raises(httpx.TransportError):
                    await posting                  # Telegram saw no 200: it delivers again
                assert fake.sent["5550001"] == []
                fake.webhook = None
                await compa.start()
                await poll_until(lambda: fake.webhook is not None, "the webhook registered again")
                answer = await client.post(url, json=update, headers=headers)
                assert answer.status_code == 200
                assert len(fake.sent["5550001"]) >= 1   # answered before the 200
        finally:
            gate.set()      # a held call must not keep the fake from stopping
            for proc in compa.runs:
                if proc.returncode is None:
                    await compa.kill(proc)
