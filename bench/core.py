"""Compa's own share of an update: the same 500 visits as `updates`, without Telegram.

The real App (router, handlers, SQLite store, catalogs, content) with a channel that only
records the replies, so what is left is the work Compa does per update whatever the platform.
Compared with `updates`, it tells how much of the Telegram figures is Compa and how much is
python-telegram-bot and its HTTP client. Figures:

- core_updates_per_s: updates handled per second, 500 people at once;
- core_cpu_ms_per_update: this process's CPU time per update (both threads: the event loop
  and SQLite's).
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from pathlib import Path

from bench._kit import Figure, cpu_seconds
from compa_testkit.harness import Chat, Harness

TIME_LIMIT = 60
PEOPLE = 500
SEED = 8
MENU_WORDS = ("menu", "menú", "Menu", "inicio")
GREETINGS = ("hola", "Hola", "buenas", "hello", "/start")


async def wander(chat: Chat, rng: random.Random, last: str) -> str:
    """Presses a button of the last menu, as a person on Telegram would."""
    assert chat.last.menu is not None
    choices = [b.id for b in chat.last.menu.buttons if not (b.id == "help:show" == last)]
    choice = rng.choice(choices)
    await chat.press(choice)
    return choice


async def visit(chat: Chat, rng: random.Random) -> int:
    await chat.say("/start")
    await chat.press(chat.button_ids()[0])
    last = ""
    for _ in range(3):
        last = await wander(chat, rng, last)
    await chat.say(rng.choice(MENU_WORDS))
    for _ in range(3):
        last = await wander(chat, rng, last)
    await chat.say(rng.choice(GREETINGS))
    return 10


async def run() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-core-") as tmp:
        async with Harness.open(Path(tmp) / "data") as harness:
            warm = [harness.person(f"warm{i}") for i in range(20)]
            for i, chat in enumerate(warm):
                await visit(chat, random.Random(i))
            chats = [harness.person(f"p{i}") for i in range(PEOPLE)]
            cpu, started = cpu_seconds(), time.perf_counter()
            counts = await asyncio.gather(*(visit(c, random.Random(SEED + i))
                                            for i, c in enumerate(chats)))
            seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    updates = sum(counts)
    return [
        Figure("core_updates_per_s", updates / seconds, "updates/s"),
        Figure("core_cpu_ms_per_update", cpu / updates * 1000, "ms"),
    ]
