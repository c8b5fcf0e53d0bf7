"""Telegram ↔ Compa values without a server: which updates count, how replies are cut."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Bot, Update

from bot.channels.telegram_codec import BotIdentity, Leave, classify, fit, render, utf16_len
from bot.config import ConfigError
from bot.messages import Button, Incoming, Menu, Reply
from compa_testkit.fakes.telegram_api import BOT_ID, BOT_USERNAME, FakeTelegram
from compa_testkit.harness import make_config

ME = BotIdentity(BOT_ID, BOT_USERNAME)
ROOM = "-1009990001"
tg = FakeTelegram()


def parse(payload: dict[str, Any]) -> Update:
    update = Update.de_json({"update_id": 1, **payload}, Bot("123456:x"))
    assert update is not None
    return update


def incoming(payload: dict[str, Any]) -> Incoming:
    event = classify(parse(payload), ME, ROOM)
    assert isinstance(event, Incoming)
    return event


def in_room(text: str | None, **extra: Any) -> dict[str, Any]:
    return {"message": tg.message(int(ROOM), text, sender=tg.user(42, language_code="en"),
                                  chat_type="supergroup", **extra)}


def test_private_text_keeps_chat_as_address_and_language_hint() -> None:
    msg = incoming({"message": tg.message(77, "hola", sender=tg.user(77, language_code="es-MX"))})
    assert (msg.address.channel, msg.address.chat_id) == ("telegram", "77")
    assert (msg.text, msg.locale_hint, msg.user_id, msg.is_group) == ("hola", "es-MX", None,
                                                                      False)
    assert msg.message_id is not None and msg.message_id.isdigit()


def test_a_press_carries_the_button_id_and_the_pressed_message() -> None:
    query = {"id": "q1", "from": tg.user(77), "chat_instance": "c", "data": "kyr:list",
             "message": {"message_id": 9, "date": 1, "chat": tg.chat(77), "text": "Menu"}}
    msg = incoming({"callback_query": query})
    assert (msg.button_id, msg.message_id, msg.address.chat_id) == ("kyr:list", "9", "77")
    assert msg.command is None


def test_in_the_room_only_what_is_meant_for_the_bot_counts() -> None:
    for chatter in ("lunch anyone?", "/start@OtherBot", "ping @someone"):
        assert classify(parse(in_room(chatter)), ME, ROOM) is None, chatter
    for meant, text in (("/menu", "/menu"), (f"/menu@{BOT_USERNAME}", "/menu"),
                        (f"@{BOT_USERNAME} ayuda", "ayuda")):
        msg = incoming(in_room(meant))
        assert (msg.text, msg.user_id, msg.address.chat_id, msg.is_group) == (text, "42", ROOM,
                                                                             True)
    reply_to_bot = {"message_id": 3, "date": 1, "chat": tg.chat(int(ROOM), "supergroup"),
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "Compa"}, "text": "?"}
    assert incoming(in_room("details here", reply_to_message=reply_to_bot)).text \
        == "details here"


def test_other_groups_and_channels_are_left() -> None:
    stranger = {"message": tg.message(-100555, "hola", chat_type="group",
                                      sender=tg.user(5, language_code="en"))}
    assert classify(parse(stranger), ME, ROOM) == Leave("-100555", "en", "5", notify=True)
    assert classify(parse(stranger), ME, "") == Leave("-100555", "en", "5", notify=True)
    added = {"my_chat_member": tg.member_update(-100777, "channel", tg.user(5))}
    event = classify(parse(added), ME, ROOM)
    assert isinstance(event, Leave) and not event.notify
    removed = {"my_chat_member": tg.member_update(-100555, "group", tg.user(5), "left")}
    assert classify(parse(removed), ME, ROOM) is None
    in_our_room = {"my_chat_member": tg.member_update(int(ROOM), "supergroup", tg.user(5))}
    assert classify(parse(in_our_room), ME, ROOM) is None


def test_messages_from_other_bots_are_ignored() -> None:
    other_bot = {"id": 999, "is_bot": True, "first_name": "Spam"}
    assert classify(parse(in_room("/menu")), ME, ROOM) is not None
    assert classify(parse({"message": tg.message(int(ROOM), "/menu", sender=other_bot,
                                                 chat_type="supergroup")}), ME, ROOM) is None


def test_photos_documents_locations_and_stickers() -> None:
    photo = incoming({"message": tg.photo_message(77, b"jpeg", caption="look")})
    assert photo.media is not None
    assert (photo.media.kind, photo.media.mime, photo.text) == ("photo", "image/jpeg", "look")
    assert photo.media.ref.startswith("AgACAgphoto")  # the largest size, not the thumbnail
    document = incoming({"message": tg.message(77, None, document={
        "file_id": "doc1", "file_unique_id": "d", "mime_type": "image/png"})})
    assert document.media is not None and (document.media.ref, document.media.mime) == (
        "doc1", "image/png")
    pdf = incoming({"message": tg.message(77, None, document={
        "file_id": "doc2", "file_unique_id": "e", "mime_type": "application/pdf"})})
    assert pdf.media is None and pdf.text == ""
    located = incoming({"message": tg.message(77, None, location={"latitude": 35.6,
                                                                   "longitude": -82.5})})
    assert located.location is not None and located.location.latitude == 35.6
    sticker = incoming({"message": tg.message(77, None, sticker={
        "file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1, "height": 1,
        "is_animated": False, "is_video": False})})
    assert (sticker.text, sticker.media, sticker.location) == ("", None, None)


def test_fit_splits_on_paragraphs_within_4096_utf16_units() -> None:
    paragraphs = ["🙂" * 1500, "a" * 3000, "b " * 2500]
    parts = fit("\n\n".join(paragraphs))
    assert all(0 < utf16_len(p) <= 4096 for p in parts)
    assert parts[0] == "🙂" * 1500 and parts[1] == "a" * 3000
    assert "".join(parts).replace(" ", "").replace("\n", "") == \
        "".join(paragraphs).replace(" ", "").replace("\n", "")
    assert fit("short") == ["short"]
    # One paragraph that fits in characters but not in UTF-16 units is cut further.
    emoji = fit("🙂" * 3000)
    assert len(emoji) == 2 and all(utf16_len(p) <= 4096 for p in emoji)
    assert "".join(emoji) == "🙂" * 3000


def test_render_puts_the_keyboard_on_the_last_part_and_the_title_first() -> None:
    menu = Menu((Button("kyr:topic:silence", "x" * 80), Button("menu:main", "Menu")),
                title="Know your rights (1/2)")
    parts = render(Reply("Choose a topic:\n\n" + "y" * 5000, menu))
    assert len(parts) == 3 and parts[0][1] is None and parts[1][1] is None
    assert parts[0][0].startswith("Know your rights (1/2)\n\nChoose a topic:")
    markup = parts[-1][1]
    assert markup is not None
    rows = markup.inline_keyboard
    assert [len(r) for r in rows] == [1, 1]
    assert rows[0][0].callback_data == "kyr:topic:silence"
    assert len(rows[0][0].text) == 64 and rows[0][0].text.endswith("…")
    assert render(Reply("   ")) == []
    assert render(Reply("", Menu((Button("menu:main", "Menu"),))))[0][0] == "…"


def _telegram(**settings: Any) -> dict[str, Any]:
    return {"channels": {"telegram": settings}}


def test_config_lists_every_telegram_problem(tmp_path: Any,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    with pytest.raises(ConfigError) as caught:
        make_config(tmp_path, **_telegram(enabled=True, mode="webhook",
                                          moderators=["@ana", 42], moderators_chat_id="room"))
    problems = "\n".join(caught.value.problems)
    assert "TELEGRAM_BOT_TOKEN" in problems
    assert "channels.telegram.webhook_url" in problems
    assert "TELEGRAM_WEBHOOK_SECRET" in problems
    assert "channels.telegram.moderators[0]" in problems
    assert "moderators[1]" not in problems  # a bare number is an id
    assert "channels.telegram.moderators_chat_id" in problems
    with pytest.raises(ConfigError, match="must be 'polling' or 'webhook'"):
        make_config(tmp_path, **_telegram(mode="hook"))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "has spaces")
    with pytest.raises(ConfigError, match="1-256 characters"):
        make_config(tmp_path, **_telegram(enabled=True, mode="webhook",
                                          webhook_url="https://bot.example.org/tg"))


def test_config_is_quiet_when_telegram_is_off_or_complete(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert not make_config(tmp_path, **_telegram(enabled=False)).channels.telegram.enabled
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "a-Good_secret1")
    cfg = make_config(tmp_path, **_telegram(enabled=True, mode="webhook",
                                            webhook_url="https://bot.example.org/tg",
                                            moderators=[42], moderators_chat_id=-100123))
    assert cfg.channels.telegram.moderators == ("42",)
    assert cfg.channels.telegram.moderators_chat_id == "-100123"
