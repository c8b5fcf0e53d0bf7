"""Load: a thousand people send their report at the same moment, through the Telegram webhook
(our uvicorn server, python-telegram-bot, the router, SQLite), the answers going back through the
fake Bot API. Every report is stored, or refused by the per-person limit with a message; the
flood breaker holds what comes past its threshold; nothing is lost, nothing is crossed between
people, and SQLite never says "database is locked".

Each person has already answered every question (their draft, with details typed and scrubbed,
is in their sealed session, written with the real store code, and the bot's summary with its
"Send report" button is on their screen); the test is the press, by everyone at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from alerts.models import Draft
from bot.context import Session
from bot.messages import Address
from bot.runner import Runner
from bot.store import sessions as session_store
from bot.store import users as user_store
from compa_testkit.fakes.telegram_api import FakeTelegram
from compa_testkit.patience import PATIENCE
from compa_testkit.telegram_kit import WEBHOOK_SECRET, WEBHOOK_URL, running

pytestmark = pytest.mark.heavy  # a thousand people reporting at once

PEOPLE = 1000
LIMITED = 50                 # people who already sent their three reports this hour
AT_ONCE = 32 # people typing and pressing at the same moment
FLOOD = 20                   # reports.flood_reports_per_hour (the default)
ROOM = "-1001234567890"      # the moderators' group: cards and the flood notice go there
FIRST = 7_200_000_000
HOOK = "/telegram/hook"
THANKS = "Gracias. Su reporte se envió"
REFUSED = "Ya envió varios reportes en la última hora"


def details_of(person: int) -> str:
    return f"camioneta blanca frente a la tienda {person} llamen al 828-555-{person % 10000:04d}"


@pytest.fixture
async def runner(tmp_path: Path, tg_api: FakeTelegram,
                 monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Runner]:
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", WEBHOOK_SECRET)
    async with running(tmp_path, tg_api, mode="webhook", webhook_url=WEBHOOK_URL,
                       moderators_chat_id=ROOM) as started:
        yield started


async def seed_drafts(runner: Runner, fake: FakeTelegram, people: list[int]) -> dict[int, int]:
    """Each person at the last step of a complete draft, as the buttons leave it; returns the
    id of the summary message (with its Send button) the bot showed each one."""
    app = runner.app
    now = app.clock.now()
    summaries = {}
    markup = {"inline_keyboard": [[{"text": "📤 Enviar reporte", "callback_data": "report:send"}],
                                  [{"text": "✖️ Cancelar", "callback_data": "report:cancel"}]]}
    for person in people:
        address = Address("telegram", str(person))
        pid = app.pid_for(address)
        await user_store.touch(app.db, pid, "telegram",
                               app.privacy.seal_text(str(person), "address:telegram"), now,
                               "person")
        await user_store.set_locale(app.db, pid, "es")
        draft = Draft(kind="checkpoint", region="buncombe", seen="now", agents="3-5",
                      vehicles="1-2", details=app.reports.clean_details(details_of(person)))
        session = Session("report:confirm", {"draft": draft.to_session()})
        await session_store.save(app.db, pid, "report:confirm",
                                 app.privacy.seal(session.encode(), f"session:{pid}"), now)
        summaries[person] = fake.remember(person, "Por favor revise su reporte", markup)
    return summaries


async def test_a_thousand_people_report_at_once(runner: Runner, tg_api: FakeTelegram,
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    app = runner.app
    people = [FIRST + i for i in range(PEOPLE)]
    summaries = await seed_drafts(runner, tg_api, people)
    limited = set(people[::PEOPLE // LIMITED])
    for person in limited:
        for _ in range(app.config.reports.max_per_person_per_hour):
            app.reports.limiter.record(app.pid_for(Address("telegram", str(person))),
                                       app.clock.now())
    assert runner.web is not None
    gate = asyncio.Semaphore(AT_ONCE)
    answers: dict[int, str] = {}

    async def press(web: httpx.AsyncClient, person: int) -> None:
        async with gate:
            query = tg_api.callback(person, summaries[person], "report:send",
                                    sender=tg_api.user(person, "Ana", "es"))
            response = await web.post(
                HOOK, json=tg_api.update(callback_query=query),
                headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
            assert response.status_code == 200
            [answer] = await tg_api.wait_sent(person, 1)
            answers[person] = answer.text

    async with httpx.AsyncClient(base_url=runner.web.url, timeout=PATIENCE) as web:
        await asyncio.gather(*(press(web, person) for person in people))

    # Every person was answered: thanks, or the limit's refusal (with the hotline).
    thanked = {p for p, text in answers.items() if text.startswith(THANKS)}
    refused = {p for p, text in answers.items() if REFUSED in text}
    assert refused == limited
    assert thanked == set(people) - limited
    assert all(app.config.resources.hotline in answers[p] for p in refused)

    # Every thanked report is stored once, with its own person's (scrubbed) details.
    rows = await app.db.fetchall("SELECT id, status, details_sealed FROM reports")
    assert len(rows) == len(thanked)
    details = sorted(app.privacy.unseal_text(bytes(r[2]), f"report:{r[0]}") for r in rows)
    expected = sorted(app.reports.clean_details(details_of(p)) for p in thanked)
    assert details == expected
    assert all("828-555" not in d for d in details)
    # The flood breaker let the first FLOOD through with a card each and held the rest.
    statuses = [r[1] for r in rows]
    assert statuses.count("pending") == FLOOD
    assert statuses.count("held") == len(thanked) - FLOOD
    room = [s.text for s in tg_api.sent[ROOM]]
    assert sum("Están llegando muchos reportes" in text for text in room) == 1
    # Nobody is left mid-report, and nobody's state was lost or crossed.
    assert await app.db.fetchall("SELECT pid FROM sessions") == []
    users = await app.db.fetchone("SELECT COUNT(*) FROM users")
    assert users is not None and users[0] == PEOPLE
    assert all(c.status == 200 for c in tg_api.log), \
        {(c.method, c.status) for c in tg_api.log if c.status != 200}
    assert "database is locked" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
