"""Chat harness: conversation tests that read like transcripts (errbot's testbot style).

    async with Harness.open(tmp_path) as h:
        ana = h.person("ana")
        await ana.say("hola")
        await ana.press("lang:set:es")
        assert "Menú" in ana.last.menu_title

Runs the real App (router, SQLite store, Babel catalogs, content) with a fake clock; the only
fake is the channel, which records every message per person.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.app import App
from bot.channels.base import CONSOLE_LIMITS, Limits
from bot.clock import FakeClock
from bot.config import Config, parse
from bot.messages import Address, Incoming, Location, Media, Reply, SendResult


class RecordingChannel:
    """A channel that keeps what it would have sent, per chat id."""

    limits: Limits = CONSOLE_LIMITS

    def __init__(self, name: str = "console") -> None:
        self.name = name
        self.inbox: dict[str, list[Reply]] = defaultdict(list)
        self.fail: dict[str, SendResult] = {}

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, address: Address, reply: Reply) -> SendResult:
        if address.chat_id in self.fail:
            return self.fail[address.chat_id]
        self.inbox[address.chat_id].append(reply)
        return SendResult.sent(f"{self.name}-{len(self.inbox[address.chat_id])}")

    async def respond(self, msg: Incoming, replies: list[Reply]) -> None:
        self.inbox[msg.address.chat_id].extend(replies)


@dataclass
class Chat:
    harness: Harness
    name: str
    channel: str = "console"
    replies: list[Reply] = field(default_factory=list)
    _count: int = 0

    @property
    def address(self) -> Address:
        return Address(self.channel, self.name)

    @property
    def inbox(self) -> list[Reply]:
        """Everything this person has received, including messages pushed by others."""
        return self.harness.channels[self.channel].inbox[self.name]

    @property
    def last(self) -> Reply:
        assert self.replies, f"{self.name} got no reply"
        return self.replies[-1]

    @property
    def text(self) -> str:
        """All reply texts of the last turn, joined."""
        return "\n".join(r.text for r in self.replies)

    def button_ids(self) -> list[str]:
        return [b.id for b in self.last.menu.buttons] if self.last.menu else []

    def labels(self) -> list[str]:
        return [b.label for b in self.last.menu.buttons] if self.last.menu else []

    async def send(self, msg: Incoming) -> list[Reply]:
        before = len(self.inbox)
        await self.harness.app.process(msg)
        self.replies = list(self.inbox[before:])
        return self.replies

    def _incoming(self, **kwargs: Any) -> Incoming:
        self._count += 1
        return Incoming(self.address, message_id=str(self._count), **kwargs)

    async def say(self, text: str, locale_hint: str | None = None) -> list[Reply]:
        return await self.send(self._incoming(text=text, locale_hint=locale_hint))

    async def press(self, button_id: str) -> list[Reply]:
        return await self.send(self._incoming(button_id=button_id))

    async def choose(self, label_part: str) -> list[Reply]:
        """Presses the button of the last menu whose label contains `label_part`."""
        assert self.last.menu is not None, "no menu to choose from"
        for button in self.last.menu.buttons:
            if label_part.casefold() in button.label.casefold():
                return await self.press(button.id)
        raise AssertionError(f"no button like {label_part!r} in {self.labels()}")

    async def share_location(self, lat: float, lon: float) -> list[Reply]:
        return await self.send(self._incoming(location=Location(lat, lon)))

    async def send_photo(self, data: bytes) -> list[Reply]:
        return await self.send(self._incoming(media=Media("photo", ref="p", mime="image/jpeg",
                                                          data=data)))

    async def start_in(self, locale: str = "es") -> None:
        """Gets past the welcome: says hello and picks the language."""
        await self.say("hola")
        await self.press(f"lang:set:{locale}")


def make_config(data_dir: Path, **sections: Any) -> Config:
    """A config for tests; `moderators=[{…}, …]` (people) replaces the console's mod1-mod3."""
    base: dict[str, Any] = {
        "bot": {"data_dir": str(data_dir)},
        "channels": {"console": {"moderators": ["mod1", "mod2", "mod3"]}},
    }
    merged = copy.deepcopy(base)
    if "moderators" in sections:
        del merged["channels"]["console"]
    for key, value in sections.items():
        if isinstance(value, dict):
            _merge(merged.setdefault(key, {}), value)
        else:
            merged[key] = value
    public = [name for name in ("telegram", "whatsapp")
              if merged["channels"].get(name, {}).get("enabled")]
    if public and "resources" not in sections:
        # Public channels refuse example resources (bot/placeholders.py).
        merged["resources"] = copy.deepcopy(REAL_RESOURCES)
    return parse(merged)


# Resources that are not examples, for configs with a public channel. 012 is not a valid NANP
# exchange, so these numbers can never ring anyone.
REAL_RESOURCES: dict[str, Any] = {
    "hotline": "(828) 012-3400", "crisis_line": "(828) 012-3401", "legal_aid": "(828) 012-3402",
    "hotline_hours": {"es": "todos los días, 24 horas", "en": "every day, 24 hours"},
}
# The same, as the [resources] table of a config file (for `compa run` in a subprocess).
REAL_RESOURCES_TOML = "\n".join([
    "[resources]",
    *(f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in REAL_RESOURCES.items()
      if isinstance(value, str)),
    "hotline_hours = { " + ", ".join(
        f"{locale} = {json.dumps(hours, ensure_ascii=False)}"
        for locale, hours in REAL_RESOURCES["hotline_hours"].items()) + " }",
])


def _merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


class Harness:
    def __init__(self, app: App, clock: FakeClock) -> None:
        self.app = app
        self.clock = clock
        self.channels: dict[str, RecordingChannel] = {}
        self._people: dict[tuple[str, str], Chat] = {}

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, data_dir: Path, config: Config | None = None,
                   channels: tuple[str, ...] = ("console",)) -> AsyncIterator[Harness]:
        clock = FakeClock()
        app = await App.create(config or make_config(data_dir), clock=clock)
        harness = cls(app, clock)
        for name in channels:
            channel = RecordingChannel(name)
            harness.channels[name] = channel
            app.channels[name] = channel
        try:
            yield harness
        finally:
            await app.close()

    async def deliver(self) -> int:
        """Runs the alert dispatcher until nothing is due (pacing moves the fake clock)."""
        return await self.app.delivery_dispatcher().drain()

    def person(self, name: str, channel: str = "console") -> Chat:
        key = (channel, name)
        if key not in self._people:
            self._people[key] = Chat(self, name, channel)
        return self._people[key]
