"""Telegram delivery over real HTTP: send() results for the dispatcher, retries and edits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.channels.base import MediaError
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_http import AiohttpRequest
from bot.clock import FakeClock
from bot.config import ConfigError
from bot.messages import Address, Button, Media, Menu, Reply, SendResult
from compa_testkit.fakes.telegram_api import TOKEN, FakeTelegram, RateLimits
from compa_testkit.harness import make_config
from compa_testkit.telegram_kit import TgPerson, channel_of, running

CHAT = 5550201
TO = Address("telegram", str(CHAT))



@pytest.fixture
async def channel(tmp_path: Path, tg_api: FakeTelegram) -> AsyncIterator[TelegramChannel]:
    async with running(tmp_path, tg_api) as runner:
        yield channel_of(runner)


async def test_send_delivers_text_and_keyboard(channel: TelegramChannel,
                                               tg_api: FakeTelegram) -> None:
    menu = Menu((Button("alert:ack:42", "Got it"), Button("menu:main", "Menu")))
    result = await channel.send(TO, Reply("⚠️ Checkpoint reported on Patton Ave.", menu))
    [sent] = tg_api.sent[str(CHAT)]
    assert result == SendResult.sent(str(sent.message_id))
    assert sent.text == "⚠️ Checkpoint reported on Patton Ave."
    assert sent.reply_markup == {"inline_keyboard": [
        [{"text": "Got it", "callback_data": "alert:ack:42"}],
        [{"text": "Menu", "callback_data": "menu:main"}]]}
    assert sent.params["link_preview_options"] == {"is_disabled": True}


async def test_edit_rewrites_a_sent_message_in_place(channel: TelegramChannel,
                                                     tg_api: FakeTelegram) -> None:
    first = await channel.send(TO, Reply("Alert #1: sent 0 / 1,234"))
    assert first.ok and first.provider_id
    edited = await channel.edit(TO, first.provider_id, Reply("Alert #1: sent 600 / 1,234"))
    assert edited == SendResult.sent(first.provider_id)
    sent = tg_api.sent[str(CHAT)]
    assert [(s.method, s.message_id, s.text) for s in sent] == [
        ("sendMessage", int(first.provider_id), "Alert #1: sent 0 / 1,234"),
        ("editMessageText", int(first.provider_id), "Alert #1: sent 600 / 1,234")]
    gone = await channel.edit(TO, "999999", Reply("x"))
    assert not gone.ok and gone.permanent
    assert not (await channel.edit(TO, "abc", Reply("x"))).ok


async def test_flood_control_gives_retry_after_in_seconds(channel: TelegramChannel,
                                                          tg_api: FakeTelegram) -> None:
    tg_api.flood("sendMessage", 7)
    result = await channel.send(TO, Reply("hola"))
    assert (result.ok, result.permanent, result.retry_after) == (False, False, 7.0)
    assert tg_api.sent[str(CHAT)] == []


async def test_blocked_and_deactivated_are_permanent(channel: TelegramChannel,
                                                     tg_api: FakeTelegram) -> None:
    tg_api.block(CHAT)
    result = await channel.send(TO, Reply("hola"))
    assert (result.ok, result.permanent) == (False, True)
    assert result.error == "Forbidden: bot was blocked by the user"
    tg_api.fail("sendMessage", 403, "Forbidden: user is deactivated")
    result = await channel.send(Address("telegram", "5550299"), Reply("hola"))
    assert result.permanent and result.error == "Forbidden: user is deactivated"


async def test_bad_request_is_permanent_with_its_reason(channel: TelegramChannel,
                                                        tg_api: FakeTelegram) -> None:
    tg_api.fail("sendMessage", 400, "Bad Request: chat not found")
    result = await channel.send(TO, Reply("hola"))
    assert (result.ok, result.permanent, result.retry_after) == (False, True, None)
    assert result.error == "Chat not found"


async def test_server_errors_are_transient(channel: TelegramChannel, tg_api: FakeTelegram) -> None:
    for status in (500, 502):
        tg_api.fail("sendMessage", status, "Internal Server Error")
        result = await channel.send(TO, Reply("hola"))
        assert (result.ok, result.permanent, result.retry_after) == (False, False, None)
        assert result.error is not None and "NetworkError" in result.error
    assert (await channel.send(TO, Reply("hola"))).ok


async def test_timeouts_are_transient(tmp_path: Path, tg_api: FakeTelegram) -> None:
    app = await App.create(make_config(tmp_path / "data", channels={"telegram": {
        "enabled": True, "api_base_url": tg_api.url}}), clock=FakeClock())
    # Started with the default timeout, so that starting cannot time out on a busy machine;
    # then only the send, held until release(), meets a short one: it must time out.
    channel = TelegramChannel(app, app.config.channels.telegram, TOKEN, polling=True)
    try:
        await channel.start()
        request = channel.bot.request
        assert isinstance(request, AiohttpRequest)
        request._timeout = 0.2
        tg_api.slow("sendMessage")
        result = await channel.send(TO, Reply("hola"))
        assert (result.ok, result.permanent) == (False, False)
        assert result.error is not None and result.error.startswith("TimedOut")
    finally:
        tg_api.release()
        await channel.stop()
        await app.close()


async def test_addresses_that_are_not_chat_ids_are_refused(channel: TelegramChannel,
                                                           tg_api: FakeTelegram) -> None:
    result = await channel.send(Address("telegram", "ana"), Reply("hola"))
    assert (result.ok, result.permanent) == (False, True)
    assert tg_api.methods().count("sendMessage") == 0


async def test_a_reply_waits_out_short_flood_control(channel: TelegramChannel,
                                                     tg_api: FakeTelegram) -> None:
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    channel.sleep = no_wait
    tg_api.flood("sendMessage", 3, chat_id=CHAT)
    [welcome] = await TgPerson(tg_api, CHAT).say("/start")
    assert waits == [3.0]
    assert "¿Qué idioma prefiere?" in welcome.text


async def test_an_uneditable_menu_is_sent_anew(channel: TelegramChannel,
                                               tg_api: FakeTelegram) -> None:
    ana = TgPerson(tg_api, CHAT, "es")
    [welcome] = await ana.say("/start")
    tg_api.fail("editMessageText", 400, "Bad Request: message can't be edited")
    [menu] = await ana.choose("Español")
    assert menu.method == "sendMessage" and menu.message_id != welcome.message_id
    assert "Conozca sus derechos" in menu.labels


async def test_pressing_the_menu_already_shown_sends_nothing_new(channel: TelegramChannel,
                                                                 tg_api: FakeTelegram) -> None:
    ana = TgPerson(tg_api, CHAT, "en")
    await ana.say("/start")
    await ana.choose("English")
    [shown] = await ana.choose("Help")
    edits = tg_api.methods().count("editMessageText")
    query = tg_api.callback(CHAT, shown.message_id, "help:show", sender=ana.user)
    await tg_api.push(tg_api.update(callback_query=query))
    await tg_api.wait_until(lambda: tg_api.methods().count("editMessageText") == edits + 1
                          and len(tg_api.callback_answers) == 3)
    # Telegram said "message is not modified": nothing else goes out.
    assert ana.sent[-1] is shown
    assert tg_api.methods().count("sendMessage") == 1


async def test_wrong_token_stops_the_start_with_a_clear_error(
        tmp_path: Path, tg_api: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "999:not-the-token")
    with pytest.raises(ConfigError, match="refused the token in \\$TELEGRAM_BOT_TOKEN"):
        async with running(tmp_path, tg_api):
            pass
    assert "sendMessage" not in tg_api.methods()


async def test_rate_limited_fake_counts_violations(channel: TelegramChannel,
                                                   tg_api: FakeTelegram) -> None:
    tg_api.rate_limits = RateLimits(overall_per_second=30, per_chat_per_second=1, reject=True)
    first = await channel.send(TO, Reply("one"))
    second = await channel.send(TO, Reply("two"))
    other = await channel.send(Address("telegram", "5550298"), Reply("one"))
    assert first.ok and other.ok
    assert not second.ok and second.retry_after == 1.0
    assert tg_api.rate_violations == 1


async def test_a_photo_that_cannot_be_fetched_is_a_media_error(channel: TelegramChannel,
                                                               tg_api: FakeTelegram) -> None:
    with pytest.raises(MediaError, match="BadRequest"):
        await channel.download(Media("photo", ref="AgACAgexpired", mime="image/jpeg"))
    assert ("getFile", {"file_id": "AgACAgexpired"}) in tg_api.calls
