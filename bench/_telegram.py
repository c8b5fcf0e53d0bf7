"""Simulated people talking to a bot through the fake Bot API
(compa_testkit/fakes/telegram_api.py).

The fake runs in the benchmark's process; the bot under test runs in its own (a subprocess),
so the bot's CPU time is its own. Each person has one message in flight: they send, wait for
the answer to arrive at the fake, then act on it. Latency is measured at the fake, from the
moment an update is queued for getUpdates to the moment the bot's answer (sendMessage or
editMessageText) reaches the fake.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bench._kit import BenchError
from compa_testkit.fakes.telegram_api import FakeTelegram, Sent
from compa_testkit.telegram_kit import Answers

REPLY_TIMEOUT = 30.0


class Crowd:
    """The people of one run: their updates go to the fake, their latencies are kept."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.answers = Answers(fake)
        self.latencies: list[float] = []

    @property
    def unexpected(self) -> int:
        return self.answers.unexpected

    def close(self) -> None:
        self.answers.close()

    async def turn(self, chat_id: int, update: dict[str, Any]) -> Sent:
        """Queues one update for getUpdates and waits for the one answer to it."""
        try:
            sent, seconds = await self.answers.turn(chat_id, lambda: self.fake.push(update),
                                                    REPLY_TIMEOUT)
        except TimeoutError:
            raise BenchError(f"no answer within {REPLY_TIMEOUT:.0f} s") from None
        self.latencies.append(seconds)
        return sent


# What people type between presses, and what they type at the end of a visit.
MENU_WORDS = ("menu", "menú", "Menu", "inicio")
GREETINGS = ("hola", "Hola", "buenas", "hello", "/start")


@dataclass
class Person:
    """One person's visit: /start, pick a language, walk the menus, type a word, walk again.

    Ten interactions: 3 typed (the first is /start) and 7 presses. A press picks a button of the
    last keyboard shown at random (seeded), never one that would leave the screen unchanged.
    """

    crowd: Crowd
    user_id: int
    rng: random.Random
    screen: Sent | None = None
    last_press: str = ""

    @property
    def fake(self) -> FakeTelegram:
        return self.crowd.fake

    @property
    def user(self) -> dict[str, Any]:
        language = "en" if self.user_id % 3 == 0 else "es"
        return self.fake.user(self.user_id, "Ana", language)

    async def say(self, text: str) -> Sent:
        message = self.fake.message(self.user_id, text, sender=self.user)
        return self._saw(await self.crowd.turn(self.user_id, self.fake.update(message=message)))

    async def press(self, data: str, *, forged: bool = False) -> Sent:
        if self.screen is None:
            raise BenchError("nothing to press")
        query = self.fake.callback(self.user_id, self.screen.message_id, data,
                                   sender=self.user, forged=forged)
        self.last_press = data
        update = self.fake.update(callback_query=query)
        return self._saw(await self.crowd.turn(self.user_id, update))

    def _saw(self, sent: Sent) -> Sent:
        if sent.reply_markup or self.screen is None:
            self.screen = sent
        return sent

    async def wander(self) -> Sent:
        """Presses one button of the screen (help twice in a row would change nothing)."""
        assert self.screen is not None
        choices = [d for d in self.screen.data if not (d == "help:show" == self.last_press)]
        return await self.press(self.rng.choice(choices))

    async def visit(self) -> None:
        welcome = await self.say("/start")
        await self.press(welcome.data[0])          # the language the app hints first
        for _ in range(3):
            await self.wander()
        await self.say(self.rng.choice(MENU_WORDS))
        for _ in range(3):
            await self.wander()
        await self.say(self.rng.choice(GREETINGS))


@dataclass
class EchoPerson(Person):
    """The same visit's shape for the echo bot: the same texts, presses on its last message."""

    async def visit(self) -> None:
        await self.say("/start")
        await self.press("lang:set:es", forged=True)
        for data in ("kyr:list", "kyr:list:1", "kyr:topic:door"):
            await self.press(data, forged=True)
        await self.say(self.rng.choice(MENU_WORDS))
        for data in ("kyr:topic:door:1", "kyr:list:0", "menu:main"):
            await self.press(data, forged=True)
        await self.say(self.rng.choice(GREETINGS))


INTERACTIONS_PER_VISIT = 10
Visitor = Callable[[Crowd, int, random.Random], Person]


async def crowd_visits(crowd: Crowd, make: Visitor, first_id: int, people: int,
                       seed: int) -> float:
    """`people` visits at once; returns the wall time until the last answer arrived."""
    visitors = [make(crowd, first_id + i, random.Random(seed + i)) for i in range(people)]
    started = time.perf_counter()
    await asyncio.gather(*(v.visit() for v in visitors))
    return time.perf_counter() - started


async def one_by_one(crowd: Crowd, make: Visitor, first_id: int, people: int,
                     seed: int) -> None:
    for i in range(people):
        await make(crowd, first_id + i, random.Random(seed + i)).visit()


async def wait_polling(fake: FakeTelegram, alive: Callable[[], Awaitable[bool]],
                       within: float = 30.0) -> None:
    """Until the bot's first getUpdates reaches the fake (it is then ready for updates)."""
    deadline = time.monotonic() + within
    while "getUpdates" not in fake.methods():
        if not await alive():
            raise BenchError("the bot exited before polling")
        if time.monotonic() > deadline:
            raise BenchError(f"the bot did not poll within {within:.0f} s")
        try:
            await fake.wait_until(lambda: "getUpdates" in fake.methods(), 0.5)
        except TimeoutError:
            continue
