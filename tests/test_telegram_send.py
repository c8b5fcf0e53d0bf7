"""Telegram delivery over real HTTP: send() results for the dispatcher, retries and edits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.channels.base import MediaError
from bot.channels.telegram import TelegramChannel
from bot.clock import FakeClock
from bot.config import ConfigError
from bot.messages import Address, Button, Media, Menu, Reply, SendResult
from tests.fakes.telegram_api import TOKEN, FakeTelegram, RateLimits
from tests.harness import make_config
from tests.telegram_kit import TgPerson, channel_of, running

CHAT = 5550201
TO = Address("telegram", str(CHAT))


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def channel(tmp_path: Path, fake: FakeTelegram) -> AsyncIterator[TelegramChannel]:
    async with running(tmp_path, fake) as runner:
        yield channel_of(runner)


async def test_send_delivers_text_and_keyboard(channel: TelegramChannel,
                                               fake: FakeTelegram) -> None:
    menu = Menu((Button("alert:ack:42", "Got it"), Button("menu:main", "Menu")))
    result = await channel.send(TO, Reply("⚠️ Checkpoint reported on Patton Ave.", menu))
    [sent] = fake.sent[str(CHAT)]
    assert result == SendResult(ok=True, provider_id=str(sent.message_id))
    assert sent.text == "⚠️ Checkpoint reported on Patton Ave."
    assert sent.reply_markup == {"inline_keyboard": [
        [{"text": "Got it", "callback_data": "alert:ack:42"}],
        [{"text": "Menu", "callback_data": "menu:main"}]]}
    assert sent.params["link_preview_options"] == {"is_disabled": True}


async def test_flood_control_gives_retry_after_in_seconds(channel: TelegramChannel,
                                                          fake: FakeTelegram) -> None:
    fake.flood("sendMessage", 7)
    result = await channel.send(TO, Reply("hola"))
    assert (result.ok, result.permanent, result.retry_after) == (False, False, 7.0)
    assert fake.sent[str(CHAT)] == []


async def test_blocked_and_deactivated_are_permanent(channel: TelegramChannel,
                                                     fake: FakeTelegram) -> None:
    fake.block(CHAT)
    result = await channel.send(TO, Reply("hola"))
    assert (result.ok, result.permanent) == (False, True)
    assert result.error == "Forbidden: bot was blocked by the user"
    fake.fail("sendMessage", 403, "Forbidden: user is deactivated")
    result = await channel.send(Address("telegram", "5550299"), Reply("hola"))
    assert result.permanent and result.error == "Forbidden: user is deactivated"


async def test_bad_request_is_permanent_with_its_reason(channel: TelegramChannel,
                                                        fake: FakeTelegram) -> None:
    fake.fail("sendMessage", 400, "Bad Request: chat not found")
    result = await channel.send(TO, Reply("hola"))
    assert (result.ok, result.permanent, result.retry_after) == (False, True, None)
    assert result.error == "Chat not found"


async def test_server_errors_are_transient(channel: TelegramChannel, fake: FakeTelegram) -> None:
    for status in (500, 502):
        fake.fail("sendMessage", status, "Internal Server Error")
        result = await channel.send(TO, Reply("hola"))
        assert (result.ok, result.permanent, result.retry_after) == (False, False, None)
        assert result.error is not None and "NetworkError" in result.error
    assert (await channel.send(TO, Reply("hola"))).ok


async def test_timeouts_are_transient(tmp_path: Path, fake: FakeTelegram) -> None:
    app = await App.create(make_config(tmp_path / "data", channels={"telegram": {
        "enabled": True, "api_base_url": fake.url}}), clock=FakeClock())
    channel = TelegramChannel(app, app.config.channels.telegram, TOKEN, polling=True,
                              timeout=0.2)
    try:
        await channel.start()
        fake.slow("sendMessage")
        result = await channel.send(TO, Reply("hola"))
        assert (result.ok, result.permanent) == (False, False)
        assert result.error is not None and result.error.startswith("TimedOut")
    finally:
        fake.release()
        await channel.stop()
        await app.close()


async def test_addresses_that_are_not_chat_ids_are_refused(channel: TelegramChannel,
                                                           fake: FakeTelegram) -> None:
    result = await channel.send(Address("telegram", "ana"), Reply("hola"))
    assert (result.ok, result.permanent) == (False, True)
    assert fake.methods().count("sendMessage") == 0


async def test_a_reply_waits_out_short_flood_control(channel: TelegramChannel,
                                                     fake: FakeTelegram) -> None:
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    channel.sleep = no_wait
    fake.flood("sendMessage", 3, chat_id=CHAT)
    [welcome] = await TgPerson(fake, CHAT).say("/start")
    assert waits == [3.0]
    assert "¿Qué idioma prefiere?" in welcome.text


async def test_an_uneditable_menu_is_sent_anew(channel: TelegramChannel,
                                               fake: FakeTelegram) -> None:
    ana = TgPerson(fake, CHAT, "es")
    [welcome] = await ana.say("/start")
    fake.fail("editMessageText", 400, "Bad Request: message can't be edited")
    [menu] = await ana.choose("Español")
    assert menu.method == "sendMessage" and menu.message_id != welcome.message_id
    assert "Conozca sus derechos" in menu.labels


async def test_pressing_the_menu_already_shown_sends_nothing_new(channel: TelegramChannel,
                                                                 fake: FakeTelegram) -> None:
    ana = TgPerson(fake, CHAT, "en")
    await ana.say("/start")
    await ana.choose("English")
    [shown] = await ana.choose("Help")
    edits = fake.methods().count("editMessageText")
    query = fake.callback(CHAT, shown.message_id, "help:show", sender=ana.user)
    await fake.push(fake.update(callback_query=query))
    await fake.wait_until(lambda: fake.methods().count("editMessageText") == edits + 1
                          and len(fake.callback_answers) == 3)
    # Telegram said "message is not modified": nothing else goes out.
    assert ana.sent[-1] is shown
    assert fake.methods().count("sendMessage") == 1


async def test_wrong_token_stops_the_start_with_a_clear_error(
        tmp_path: Path, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "999:not-the-token")
    with pytest.raises(ConfigError, match="refused the token in \\$TELEGRAM_BOT_TOKEN"):
        async with running(tmp_path, fake):
            pass
    assert "sendMessage" not in fake.methods()


async def test_rate_limited_fake_counts_violations(tmp_path: Path) -> None:
    async with FakeTelegram(rate_limits=RateLimits(reject=True)) as fake, \
            running(tmp_path, fake) as runner:
        channel = channel_of(runner)
        first = await channel.send(TO, Reply("one"))
        second = await channel.send(TO, Reply("two"))
    assert first.ok and not second.ok and second.retry_after == 1.0
    assert fake.rate_violations == 1


async def test_a_photo_that_cannot_be_fetched_is_a_media_error(channel: TelegramChannel,
                                                               fake: FakeTelegram) -> None:
    with pytest.raises(MediaError, match="BadRequest"):
        await channel.download(Media("photo", ref="AgACAgexpired", mime="image/jpeg"))
    assert ("getFile", {"file_id": "AgACAgexpired"}) in fake.calls
