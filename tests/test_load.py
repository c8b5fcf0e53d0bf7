"""Load: a thousand people at once through the Telegram webhook, each answered exactly once.

The real web server (uvicorn on 127.0.0.1) receives the updates over HTTP, 16 at a time
(Telegram itself opens up to 40 connections to a webhook); PTB and the App answer them at the
fake Bot API. A third of the people are new and say hello (new rows), a third come back (their
last visit an hour ago: a write each) and type a question, a third press a button of the menu
they were shown before: every update answered once, none lost, no database error.

Nothing here is timed: on a busy machine the thousand turns take longer, never fail. The
client waits for each answer up to PATIENCE (minutes), retries only connections that could
not be opened (the update never left, so a retry cannot duplicate it), and never has more
posts in flight than connections, so no post waits for a free connection.
"""

from __future__ import annotations

import asyncio
import logging
import random
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import App
from bot.messages import Address
from compa_testkit.fakes.telegram_api import FakeTelegram
from compa_testkit.patience import PATIENCE
from compa_testkit.telegram_kit import (
    WEBHOOK_SECRET,
    WEBHOOK_URL,
    Answers,
    TgPerson,
    record_handled,
    running,
)
from handlers.menu import MAIN_ITEMS

pytestmark = pytest.mark.heavy  # a thousand people through the real web server

PEOPLE = 1000
FIRST_ID = 7_000_000
HOOK = "/telegram/hook"
IN_FLIGHT = 16
GREETINGS = ("/start", "hola", "Hola!", "buenas", "hello")
QUESTIONS = ("orden judicial", "¿me puede parar la policía?", "what is a warrant",
             "tengo derecho a guardar silencio", "notario", "ayuda con la migra",
             "qué hago si tocan la puerta")


async def known_people(app: App, ids: list[int]) -> None:
    """People who chose a language on an earlier visit, an hour ago."""
    hour = int(app.clock.now() // 3600 * 3600) - 3600
    rows = []
    for user_id in ids:
        address = Address("telegram", str(user_id))
        rows.append((app.pid_for(address), "telegram",
                     app.privacy.seal_text(address.chat_id, "address:telegram"),
                     "en" if user_id % 2 else "es", hour, hour))
    async with app.db.write() as conn:
        await conn.executemany(
            "INSERT INTO users (pid, channel, address_sealed, locale, created, last_inbound)"
            " VALUES (?, ?, ?, ?, ?, ?)", rows)


async def test_a_thousand_people_at_once_are_each_answered_once(
        tmp_path: Path, tg_api: FakeTelegram, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", WEBHOOK_SECRET)
    caplog.set_level(logging.WARNING)
    answers = Answers(tg_api)
    menu = [button_id for button_id, _ in MAIN_ITEMS]
    transport = httpx.AsyncHTTPTransport(
        retries=3, limits=httpx.Limits(max_connections=IN_FLIGHT,
                                       max_keepalive_connections=IN_FLIGHT))
    async with running(tmp_path, tg_api, mode="webhook", webhook_url=WEBHOOK_URL) as bot, \
            httpx.AsyncClient(base_url=bot.web.url if bot.web else "", timeout=PATIENCE,
                              transport=transport) as client:
        await known_people(bot.app, [FIRST_ID + i for i in range(PEOPLE) if i % 3])
        handled = record_handled(monkeypatch)
        # No more posts in flight than connections: httpx scans its whole queue per request.
        connections = asyncio.Semaphore(IN_FLIGHT)

        async def post(update: dict[str, Any]) -> None:
            async with connections:
                response = await client.post(
                    HOOK, json=update, headers={"X-Telegram-Bot-Api-Secret-Token":
                                                WEBHOOK_SECRET})
            assert response.status_code == 200

        async def visit(i: int) -> None:
            rng = random.Random(i)
            person = TgPerson(tg_api, FIRST_ID + i, "en" if i % 2 else "es")
            if i % 3 == 0:
                update = tg_api.update(message=person.message(rng.choice(GREETINGS)))
            elif i % 3 == 1:
                update = tg_api.update(message=person.message(rng.choice(QUESTIONS)))
            else:
                shown = tg_api.shown(person.chat_id, "Menu", menu)
                update = tg_api.update(callback_query=tg_api.callback(
                    person.chat_id, shown, rng.choice(menu), sender=person.user))
            sent, _ = await answers.turn(person.chat_id, lambda: post(update))
            assert sent.text.strip() and sent.reply_markup, "an answer with choices"

        await asyncio.gather(*(visit(i) for i in range(PEOPLE)))
        rows = await bot.app.db.fetchall(
            "SELECT COUNT(*), COUNT(DISTINCT last_inbound) FROM users")
    answers.close()

    assert answers.unexpected == 0
    assert sorted(int(m.address.chat_id) for m in handled) == \
        [FIRST_ID + i for i in range(PEOPLE)]
    assert all(len(tg_api.sent[str(FIRST_ID + i)]) == 1 for i in range(PEOPLE))
    assert len(tg_api.callback_answers) == PEOPLE // 3
    problems = [r for r in caplog.records if r.levelno >= logging.ERROR
                or "database is locked" in r.getMessage()]
    assert problems == []
    assert tuple(rows[0]) == (PEOPLE, 1)  # every visit recorded, in the same (current) hour
