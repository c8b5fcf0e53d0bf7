"""Driving Compa over Telegram in tests: the real runner and PTB client against FakeTelegram.

    async with running(tmp_path, fake) as runner:
        ana = TgPerson(fake, 5550001)
        [welcome] = await ana.say("/start")
        [menu] = await ana.choose("Español")     # presses the button, waits for the answer
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.channels.telegram import TelegramChannel
from bot.clock import FakeClock
from bot.messages import Incoming, Reply
from bot.runner import Runner, RunOptions
from compa_testkit.fakes.telegram_api import FakeTelegram, Sent
from compa_testkit.harness import make_config
from compa_testkit.patience import PATIENCE

WEBHOOK_SECRET = "s3cret-for_tests"
WEBHOOK_URL = "https://compa.example.org/telegram/hook"


@contextlib.asynccontextmanager
async def running(tmp_path: Path, fake: FakeTelegram, *, polling: bool | None = None,
                  sections: dict[str, Any] | None = None,
                  **telegram: Any) -> AsyncIterator[Runner]:
    """`compa run` with only Telegram enabled, pointed at the fake; stopped on exit.
    `sections` adds config sections (`moderators=[…]`, `reports={…}`)."""
    settings = {"enabled": True, "api_base_url": fake.url, **telegram}
    config = make_config(tmp_path / "data", channels={"console": {"enabled": False},
                                                      "telegram": settings},
                         web={"port": 0}, **(sections or {}))
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


class Answers:
    """Hands each message the bot sends to the person waiting for it, for crowds (load tests,
    benchmarks): each person has one update in flight, so the next message to their chat is
    the answer to it. Waiting per chat keeps a thousand waiting people cheap; `wait_until`
    would wake all of them on every call the fake receives.
    """

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.unexpected = 0     # messages nobody was waiting for (a second answer, a stray)
        self._waiting: dict[str, asyncio.Future[tuple[Sent, float]]] = {}
        fake.on_sent.append(self._arrived)

    def close(self) -> None:
        self.fake.on_sent.remove(self._arrived)

    def _arrived(self, sent: Sent) -> None:
        future = self._waiting.pop(sent.chat_id, None)
        if future is None or future.done():
            self.unexpected += 1
            return
        future.set_result((sent, time.perf_counter()))

    async def turn(self, chat_id: int | str, deliver: Callable[[], Awaitable[object]],
                   within: float = PATIENCE) -> tuple[Sent, float]:
        """Delivers one update; returns its one answer and the seconds it took to arrive."""
        key = str(chat_id)
        assert key not in self._waiting, "one update in flight per person"
        future: asyncio.Future[tuple[Sent, float]] = asyncio.get_running_loop().create_future()
        self._waiting[key] = future
        started = time.perf_counter()
        try:
            await deliver()
            sent, arrived = await asyncio.wait_for(future, within)
        finally:
            self._waiting.pop(key, None)
        return sent, arrived - started
