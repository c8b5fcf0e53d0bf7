"""Two people through the real `compa run` (a subprocess, Telegram in polling mode against the
fake Bot API): the confirm button travels as Telegram callback data (under 64 bytes), the
proposer's own press is refused, a press on a preview that has since been edited is refused
with the new preview, and only the second person's press on the current preview reaches the
subscribers."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.app import App
from compa_testkit.fakes.telegram_api import TOKEN, FakeTelegram, Sent
from compa_testkit.harness import REAL_RESOURCES_TOML, make_config
from compa_testkit.patience import PATIENCE
from tests.fanout_support import REGION, seed_subscribers

pytestmark = pytest.mark.heavy  # a `compa run` subprocess

ANA, BETO = 7_200_000_101, 7_200_000_102
SUBSCRIBERS = [7_100_000_001, 7_100_000_002]


def config_text(data_dir: Path, url: str) -> str:
    return f"""
[bot]
data_dir = "{data_dir}"
log_level = "WARNING"

{REAL_RESOURCES_TOML}

[channels.console]
enabled = false

[channels.telegram]
enabled = true
api_base_url = "{url}"

[[moderators]]
name = "Ana"
role = "publisher"
telegram = "{ANA}"

[[moderators]]
name = "Beto"
role = "publisher"
telegram = "{BETO}"
"""


def with_button(sent: list[Sent], prefix: str) -> list[Sent]:
    return [s for s in sent if any(d.startswith(prefix) for d in s.data)]


def button(message: Sent, prefix: str) -> str:
    return next(d for d in message.data if d.startswith(prefix))


async def test_two_people_through_compa_run(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    app = await App.create(make_config(data_dir))
    try:
        await seed_subscribers(app, SUBSCRIBERS, REGION)
    finally:
        await app.close()
    async with FakeTelegram() as fake:
        config = tmp_path / "config.toml"
        config.write_text(config_text(data_dir, fake.url))
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "PTB_TIMEDELTA": "1",
               "PYTHONUTF8": "1"}
        for name in ("COMPA_CONFIG", "COMPA_DATA_DIR", "COMPA_PEPPER", "COMPA_SEAL_KEY"):
            env.pop(name, None)
        with (tmp_path / "compa.log").open("ab") as log:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "compa_testkit.patient_compa", "--config", str(config),
                "run", "--polling", stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
                env=env)
        try:
            await scenario(fake)
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), PATIENCE) == 0, \
                (tmp_path / "compa.log").read_text()[-3000:]


async def scenario(fake: FakeTelegram) -> None:
    def sent(chat: int) -> list[Sent]:
        return fake.sent[str(chat)]

    async def say(chat: int, text: str) -> None:
        await fake.push(fake.update(message=fake.message(chat, text)))

    async def press(chat: int, message: Sent, data: str) -> None:
        await fake.push(fake.update(callback_query=fake.callback(chat, message.message_id,
                                                                 data)))

    async def until(check: object) -> None:
        assert callable(check)
        await fake.wait_until(lambda: bool(check()))

    # Ana proposes: both publishers get the preview with its confirm button.
    await say(ANA, "/alerta buncombe reten cerca del puente")
    await until(lambda: with_button(sent(ANA), "pub:ok:") and with_button(sent(BETO), "pub:ok:"))
    first = with_button(sent(BETO), "pub:ok:")[-1]
    old = button(first, "pub:ok:")
    assert len(old.encode()) <= 64 and "cerca del puente" in first.text
    # Ana presses her own confirmation: refused.
    mine = with_button(sent(ANA), "pub:ok:")[-1]

    def told(chat: int, words: str) -> bool:
        return any(words in s.text for s in sent(chat))

    await press(ANA, mine, old)
    await until(lambda: told(ANA, "Usted propuso la alerta #"))   # Ana wrote in Spanish
    # Ana edits the note: a new preview with a new code reaches Beto.
    await press(ANA, mine, button(mine, "pub:note:"))
    await until(lambda: told(ANA, "Escriba la nota de la alerta"))
    await say(ANA, "ICE en todas las escuelas")
    await until(lambda: len(with_button(sent(BETO), "pub:ok:")) >= 2)
    new_preview = with_button(sent(BETO), "pub:ok:")[-1]
    new = button(new_preview, "pub:ok:")
    assert new != old and "ICE en todas las escuelas" in new_preview.text
    # Beto presses the old button: refused, and shown the new preview.
    count = len(sent(BETO))
    await press(BETO, first, old)
    await until(lambda: len(with_button(sent(BETO), "pub:ok:")) >= 3)
    assert any("cambió después de la vista previa" in s.text
               or "changed after the preview" in s.text for s in sent(BETO)[count:])
    assert all(not sent(chat) for chat in SUBSCRIBERS), "sent before a second person agreed"
    # Beto confirms the current preview: the subscribers get exactly those words.
    await press(BETO, new_preview, new)
    await until(lambda: all(sent(chat) for chat in SUBSCRIBERS))
    for chat in SUBSCRIBERS:
        (alert,) = sent(chat)
        assert alert.text.startswith("🚨") and "ICE en todas las escuelas" in alert.text
