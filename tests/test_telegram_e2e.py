"""Telegram end to end, long polling: the real PTB client over HTTP against FakeTelegram."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from bot.logs import setup_logging
from bot.messages import Address, Reply
from compa_testkit.fakes.telegram_api import TOKEN, FakeTelegram
from compa_testkit.telegram_kit import TgPerson, channel_of, record_handled, running


async def test_start_spanish_topic_paging_back_and_menu(tmp_path: Path,
                                                         tg_api: FakeTelegram) -> None:
    async with running(tmp_path, tg_api):
        ana = TgPerson(tg_api, 5550001, "es")
        [welcome] = await ana.say("/start")
        assert welcome.method == "sendMessage"
        assert "¿Qué idioma prefiere?" in welcome.text
        assert "Which language do you prefer?" in welcome.text
        assert welcome.data == ["lang:set:es", "lang:set:en"]

        [menu] = await ana.choose("Español")
        # The language choice replaces the welcome in place.
        assert (menu.method, menu.message_id) == ("editMessageText", welcome.message_id)
        assert "Listo: le escribiré en español." in menu.text
        assert "Conozca sus derechos" in menu.labels

        [topics] = await ana.choose("Conozca sus derechos")
        assert (topics.method, topics.message_id) == ("editMessageText", welcome.message_id)
        assert topics.text.startswith("Conozca sus derechos (1/4)")
        assert "kyr:topic:door" in topics.data

        # Telegram shows a whole page in one message; its sources are behind a button.
        [page] = await ana.press("kyr:topic:door")
        assert page.method == "sendMessage"
        assert page.text.splitlines()[0] == "No abra la puerta: órdenes de un juez"
        assert "Esto no es asesoría legal." in page.text
        assert "Más" not in page.labels and "https://" not in page.text
        [sources] = await ana.choose("Fuentes")
        assert sources.method == "sendMessage" and "https://" in sources.text
        [page2] = await ana.choose("Volver a la página")
        assert page2.method == "sendMessage" and page2.text == page.text

        [back] = await ana.choose("Volver a los temas")
        assert (back.method, back.message_id) == ("editMessageText", page2.message_id)
        assert "kyr:topic:door" in back.data
        [home] = await ana.choose("Menú")
        assert home.method == "editMessageText" and "help:show" in home.data
    # Every press was answered, so no client shows a spinner.
    presses = [p for m, p in tg_api.calls if m == "answerCallbackQuery"]
    assert len(presses) == len(tg_api.callback_answers) == 7


async def test_english_speaker_gets_english_first_and_english_pages(tmp_path: Path,
                                                                    tg_api: FakeTelegram) -> None:
    async with running(tmp_path, tg_api):
        bob = TgPerson(tg_api, 5550002, "en-US")
        [welcome] = await bob.say("/start")
        assert welcome.data == ["lang:set:en", "lang:set:es"]
        [menu] = await bob.choose("English")
        assert "Done: I will write to you in English." in menu.text
        [topics] = await bob.choose("Know your rights")
        assert topics.text.startswith("Know your rights (1/4)\n\nChoose a topic:")
        [page] = await bob.press("kyr:topic:silence")
        assert page.method == "sendMessage" and "More" not in page.labels
        assert page.text.startswith("Right to remain silent\n\n")
        assert "This is not legal advice." in page.text and "Sources" in page.labels
        [back] = await bob.choose("Back to topics")
        assert (back.method, back.message_id) == ("editMessageText", page.message_id)
        assert "kyr:topic:silence" in back.data


async def test_location_and_photo_reach_the_handlers_as_incoming(
        tmp_path: Path, tg_api: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    async with running(tmp_path, tg_api) as runner:
        seen = record_handled(monkeypatch)
        ana = TgPerson(tg_api, 5550003, "en")
        await ana.say("/start")
        await ana.choose("English")
        [answer] = await ana.send(ana.message(location={"latitude": 35.5951,
                                                        "longitude": -82.5515}))
        assert "only use a location" in answer.text
        jpeg = b"\xff\xd8\xff\xe0 a photo of a checkpoint"
        [answer] = await ana.send(tg_api.photo_message(ana.chat_id, jpeg, sender=ana.user))
        assert "cannot read photos" in answer.text

        location, photo = seen[-2], seen[-1]
        assert location.location is not None
        assert (location.location.latitude, location.location.longitude) == (35.5951, -82.5515)
        assert location.address.chat_id == "5550003" and location.user_id is None
        assert location.locale_hint == "en"
        assert photo.media is not None and photo.media.kind == "photo"
        assert photo.media.mime == "image/jpeg" and photo.media.ref == "AgACAgphoto1"
        assert photo.text == ""
        # Reports fetch the bytes later, through the channel.
        assert await channel_of(runner).download(photo.media) == jpeg
    assert ("getFile", {"file_id": "AgACAgphoto1"}) in tg_api.calls


async def test_a_group_that_is_not_the_room_gets_one_line_and_is_left(
        tmp_path: Path, tg_api: FakeTelegram) -> None:
    async with running(tmp_path, tg_api, moderators_chat_id="-1009990001",
                       moderators=["5550009"]):
        stranger = TgPerson(tg_api, 5550004, "es", chat_id=-1001234567, chat_type="supergroup")
        [refusal] = await stranger.say("/start")
        assert refusal.text == "Solo hablo en chats privados. Escríbame directamente, por favor."
        assert refusal.reply_markup is None
        await tg_api.wait_until(lambda: "-1001234567" in tg_api.left_chats)

        # A moderator adding the bot to the wrong group learns the id to configure.
        moderator = tg_api.user(5550009, language_code="en")
        await tg_api.push(tg_api.update(my_chat_member=tg_api.member_update(
            -1002222, "group", moderator)))
        [note] = await tg_api.wait_sent(-1002222, 1)
        assert 'moderators_chat_id = "-1002222"' in note.text
        await tg_api.wait_until(lambda: "-1002222" in tg_api.left_chats)
    assert tg_api.left_chats == ["-1001234567", "-1002222"]
    assert len(tg_api.sent["-1001234567"]) == 1


async def test_moderators_room_is_served_and_chatter_is_ignored(
        tmp_path: Path, tg_api: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    room = -1009990001
    async with running(tmp_path, tg_api, moderators_chat_id=str(room), moderators=["5550009"]) \
            as runner:
        seen = record_handled(monkeypatch)
        mod = TgPerson(tg_api, 5550009, "en", chat_id=room, chat_type="supergroup")
        other = TgPerson(tg_api, 5550010, "en", chat_id=room, chat_type="supergroup")
        await tg_api.push(tg_api.update(message=other.message("lunch anyone?")))
        [welcome] = await mod.say("/start@CompaTestBot")
        assert welcome.data == ["lang:set:en", "lang:set:es"]
        [menu] = await mod.choose("English")
        assert menu.method == "editMessageText"
    assert tg_api.left_chats == []
    # The chatter never reached the router; the command and the press did, as the moderator.
    assert [m.text or m.button_id for m in seen] == ["/start", "lang:set:en"]
    assert all(m.address.chat_id == str(room) and m.user_id == "5550009" and m.is_group
               for m in seen)
    assert runner.app.role_for("telegram", seen[0].actor) == "verifier"


async def test_long_reply_is_split_on_paragraphs(tmp_path: Path, tg_api: FakeTelegram) -> None:
    paragraphs = [f"Paragraph {i}: " + "palabra " * 300 for i in range(6)]
    async with running(tmp_path, tg_api) as runner:
        result = await channel_of(runner).send(Address("telegram", "5550005"),
                                               Reply("\n\n".join(paragraphs)))
        assert result.ok
        sent = await tg_api.wait_sent(5550005, 2)
    assert len(sent) >= 2 and all(len(s.text) <= 4096 for s in sent)
    assert all(s.text.startswith("Paragraph ") for s in sent)
    assert "\n\n".join(s.text for s in sent).split() == "\n\n".join(paragraphs).split()
    assert result.provider_id == str(sent[-1].message_id)


async def test_polling_removes_a_webhook_and_logs_no_chat_id_or_text(
        tmp_path: Path, tg_api: FakeTelegram, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "old-secret")
    tg_api.webhook = {"url": "https://old.example.org/hook", "secret_token": "x"}
    stream = io.StringIO()
    handler = setup_logging("DEBUG", stream)
    caplog.set_level(logging.DEBUG)
    try:
        async with running(tmp_path, tg_api, mode="webhook", webhook_url="https://x.example/h",
                           polling=True):
            ana = TgPerson(tg_api, 7700123456, "es", name="Zelmira", username="zelmira_canary")
            await ana.say("/start")
            await ana.choose("Español")
            tg_api.fail("sendMessage", 500, chat_id=7700123456)
            await tg_api.push(tg_api.update(message=ana.message("canary-texto-Qx7")))
            await tg_api.wait_until(lambda: sum(m == "sendMessage" for m in tg_api.methods()) >= 2)
    finally:
        logging.getLogger().removeHandler(handler)
    assert tg_api.webhook is None and "deleteWebhook" in tg_api.methods()
    # Stopping waited for every update in flight, so the failed reply has been logged.
    logged = stream.getvalue() + caplog.text
    assert "reply not delivered" in logged
    for secret in ("7700123456", "canary-texto-Qx7", "Zelmira", "zelmira_canary", TOKEN):
        assert secret not in logged, secret


async def test_one_persons_press_and_text_keep_their_order(
        tmp_path: Path, tg_api: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    async with running(tmp_path, tg_api):
        ana = TgPerson(tg_api, 5550006, "es")
        [welcome] = await ana.say("/start")
        seen = record_handled(monkeypatch)
        # Both arrive in one getUpdates answer and are processed concurrently.
        await tg_api.push(
            tg_api.update(callback_query=tg_api.callback(ana.chat_id, welcome.message_id,
                                                     "lang:set:es", sender=ana.user)),
            tg_api.update(message=ana.message("/ayuda")))
        [menu, helped] = (await tg_api.wait_sent(ana.chat_id, 3))[1:]
    assert [m.button_id or m.text for m in seen] == ["lang:set:es", "/ayuda"]
    assert "Conozca sus derechos" in menu.labels
    assert "/cancelar" in helped.text
