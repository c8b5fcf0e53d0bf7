"""The helpers' Telegram forum, end to end against the fake Bot API (issue 16): a case gets
its own topic (createForumTopic), its news goes there, and what a helper writes in the topic
goes to the person, re-sent by the bot, without the helper learning who the person is."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.runner import Runner, RunOptions
from compa_testkit.fakes.telegram_api import TOKEN, FakeTelegram
from compa_testkit.harness import make_config
from compa_testkit.telegram_kit import TgPerson

FORUM = -1001234567890
HELPER = 5550100
ANA = 7412345678


@contextlib.asynccontextmanager
async def forum_bot(tmp_path: Path, fake: FakeTelegram) -> AsyncIterator[App]:
    config = make_config(
        tmp_path / "data", web={"port": 0},
        channels={"console": {"enabled": False},
                  "telegram": {"enabled": True, "api_base_url": fake.url}},
        desk={"helpers": {"telegram": [str(HELPER)]}, "telegram_forum_chat_id": str(FORUM)})
    app = await App.create(config, clock=FakeClock())
    runner = Runner(app, RunOptions(console=False, polling=True))
    try:
        await runner.start()
        yield app
    finally:
        await runner.stop()
        await app.close()


async def test_a_case_topic_relays_both_ways(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    async with FakeTelegram() as fake, forum_bot(tmp_path, fake):
        ana = TgPerson(fake, ANA, "es", name="Ana Secreta", username="ana_secreta")
        await ana.say("/start")
        await ana.choose("Español")
        await ana.press("desk:start")
        await ana.press("desk:topic:legal")
        await ana.press("desk:county:skip")
        [opened] = await ana.say("necesito un abogado para mi cita")
        code = opened.text.split("Su caso es ", 1)[1][:6]
        await fake.wait_until(lambda: len(fake.sent[str(FORUM)]) >= 1)
        assert list(fake.topics.values()) == [(str(FORUM), code)]     # the name is the code
        [(thread, _)] = fake.topics.items()
        [news] = fake.sent[str(FORUM)]
        assert news.params.get("message_thread_id") == thread
        assert code in news.text and "necesito un abogado" in news.text
        assert "Ana" not in news.text and str(ANA) not in news.text and "ana_" not in news.text

        helper = TgPerson(fake, HELPER, "es", chat_id=FORUM, chat_type="supergroup",
                          name="Voluntaria")
        told = len(ana.sent)
        [ack] = await helper.send(helper.message("Hola, ¿para cuándo es la cita?",
                                                 message_thread_id=thread,
                                                 is_topic_message=True))
        assert "Enviado a" in ack.text and ack.params.get("message_thread_id") == thread
        await fake.wait_sent(ANA, told + 1)
        assert "¿para cuándo es la cita?" in ana.last.text and code in ana.last.text

        # Her answer goes back to the topic.
        in_topic = len(fake.sent[str(FORUM)])
        await ana.say("el lunes a las 9")
        await fake.wait_until(lambda: len(fake.sent[str(FORUM)]) > in_topic)
        relay = fake.sent[str(FORUM)][-1]
        assert "el lunes a las 9" in relay.text and relay.params.get("message_thread_id") == thread

        # /cerrar in the topic needs no code; she is asked whether we helped.
        told = len(ana.sent)
        await helper.send(helper.message("/cerrar resuelto", message_thread_id=thread,
                                         is_topic_message=True))
        await fake.wait_sent(ANA, told + 1)
        assert "¿Le ayudamos?" in ana.last.text


async def test_someone_else_in_the_forum_is_refused(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    async with FakeTelegram() as fake, forum_bot(tmp_path, fake):
        ana = TgPerson(fake, ANA, "es")
        await ana.say("/start")
        await ana.choose("Español")
        await ana.press("desk:start")
        await ana.press("desk:topic:other")
        await ana.press("desk:county:skip")
        await ana.say("ayuda")
        await fake.wait_until(lambda: len(fake.topics) == 1)
        [thread] = fake.topics
        stranger = TgPerson(fake, 5550999, "es", chat_id=FORUM, chat_type="supergroup")
        told = len(ana.sent)
        [refusal] = await stranger.send(stranger.message("soy yo", message_thread_id=thread,
                                                         is_topic_message=True))
        assert "Solo las personas voluntarias" in refusal.text
        assert len(ana.sent) == told
