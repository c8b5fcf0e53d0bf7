"""Driving Compa over Telegram in tests: the real runner and PTB client against FakeTelegram.

    async with running(tmp_path, fake) as runner:
        ana = TgPerson(fake, 5550001)
        [welcome] = await ana.say("/start")
        [menu] = await ana.choose("Español")     # presses the button, waits for the answer
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.channels.telegram import TelegramChannel
from bot.clock import FakeClock
from bot.messages import Incoming, Reply
from bot.runner import Runner, RunOptions
from tests.fakes.telegram_api import FakeTelegram, Sent
from tests.harness import make_config

WEBHOOK_SECRET = "s3cret-for_tests"
WEBHOOK_URL = "https://compa.example.org/telegram/hook"


@contextlib.asynccontextmanager
async def running(tmp_path: Path, fake: FakeTelegram, *, polling: bool | None = None,
                  **telegram: Any) -> AsyncIterator[Runner]:
    """`compa run` with only Telegram enabled, pointed at the fake; stopped on exit."""
    settings = {"enabled": True, "api_base_url": fake.url, **telegram}
    config = make_config(tmp_path / "data", channels={"console": {"enabled": False},
                                                      "telegram": settings},
                         web={"port": 0})
    app = await App.create(config, clock=FakeClock())
    runner = Runner(app, RunOptions(console=False, polling=polling))
    try:
        await runner.start()
        yield runner
    finally:
        await runner.stop()
        await app.close()


def record_handled(monkeypatch: pytest.MonkeyPatch) -> list[Incoming]:
    """Every Incoming that reaches App.handle from now on, in the order handling began."""
    seen: list[Incoming] = []
    handle = App.handle

    async def spy(self: App, msg: Incoming) -> list[Reply]:
        seen.append(msg)
        return await handle(self, msg)

    monkeypatch.setattr(App, "handle", spy)
    return seen


def channel_of(runner: Runner) -> TelegramChannel:
    channel = runner.app.channels["telegram"]
    assert isinstance(channel, TelegramChannel)
    return channel


class TgPerson:
    """One person (or one person in a group) talking to the bot through the fake server."""

    def __init__(self, fake: FakeTelegram, user_id: int, language_code: str | None = "es", *,
                 chat_id: int | None = None, chat_type: str = "private", name: str = "Ana",
                 username: str | None = None) -> None:
        self.fake = fake
        self.user = fake.user(user_id, name, language_code, username)
        self.chat_id = chat_id if chat_id is not None else user_id
        self.chat_type = chat_type

    @property
    def sent(self) -> list[Sent]:
        """Everything the bot sent or edited in this chat, in order."""
        return self.fake.sent[str(self.chat_id)]

    @property
    def last(self) -> Sent:
        return self.sent[-1]

    async def send(self, message: dict[str, Any], expect: int = 1) -> list[Sent]:
        return await self._turn(self.fake.update(message=message), expect)

    async def say(self, text: str, expect: int = 1) -> list[Sent]:
        return await self.send(self.message(text), expect)

    def message(self, text: str | None = None, **extra: Any) -> dict[str, Any]:
        return self.fake.message(self.chat_id, text, sender=self.user,
                                 chat_type=self.chat_type, **extra)

    async def press(self, data: str, expect: int = 1) -> list[Sent]:
        """Presses the newest button with this callback data still on screen."""
        query = self.fake.callback(self.chat_id, self._showing(data), data, sender=self.user)
        answered = len(self.fake.callback_answers)
        replies = await self._turn(self.fake.update(callback_query=query), expect)
        await self.fake.wait_until(lambda: len(self.fake.callback_answers) > answered)
        return replies

    def _showing(self, data: str) -> int:
        """The newest message whose current keyboard has this button."""
        for sent in reversed(self.sent):
            message = self.fake.bot_message(self.chat_id, sent.message_id)
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            if data in [b.get("callback_data") for row in rows for b in row]:
                return sent.message_id
        raise AssertionError(f"no button {data!r} on screen")

    async def choose(self, label_part: str, expect: int = 1) -> list[Sent]:
        """Presses the button of the last keyboard whose label contains `label_part`."""
        keyboards = [s for s in self.sent if s.reply_markup]
        assert keyboards, "no keyboard to choose from"
        return await self.press(keyboards[-1].data_for(label_part), expect)

    async def _turn(self, update: dict[str, Any], expect: int) -> list[Sent]:
        before = len(self.sent)
        await self.fake.push(update)
        await self.fake.wait_sent(self.chat_id, before + expect)
        return self.sent[before:]
