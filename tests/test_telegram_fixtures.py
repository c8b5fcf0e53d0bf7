"""Real Bot API updates (compa_testkit/data/telegram/, as Telegram sent them), in one table
as RapidPro's courier keeps its test cases: what the codec makes of each, and what the real
runner does with it when the fake Bot API delivers it (the fake accepts the real shapes)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from bot.channels.telegram_codec import ALLOWED_UPDATES, BotIdentity, Leave, classify
from bot.messages import Incoming
from compa_testkit.fakes.telegram_api import BOT_ID, BOT_USERNAME, DATA, FakeTelegram
from compa_testkit.telegram_kit import running

ANA = "5550001"
GROUP = "-1001234567890"

# fixture → (what the codec makes of it, whether the bot answers Ana)
CASES: dict[str, tuple[str | None, bool]] = {
    "message_text": ("text", True),
    "message_start": ("command:start", True),
    "callback_query": ("button:lang:set:es", True),
    "edited_message": (None, False),     # edits are not asked for (ALLOWED_UPDATES)
    "photo": ("photo", True),
    "location": ("location", True),
    "my_chat_member": (None, False),     # Ana blocked the bot: nothing to say
    "sticker": ("text", True),           # nothing to read: the kind fallback answers
    "group_added": ("leave", False),     # a group that is not the room: one line, then leave
}


def test_the_table_covers_every_fixture() -> None:
    assert {p.stem for p in DATA.glob("*.json")} == set(CASES)


def meaning(event: Incoming | Leave | None) -> str | None:
    if event is None or isinstance(event, Leave):
        return None if event is None else "leave"
    if event.button_id is not None:
        return f"button:{event.button_id}"
    if event.command is not None:
        return f"command:{event.command}"
    if event.location is not None:
        return "location"
    if event.media is not None:
        return "photo"
    return "text"


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_codec_reads_the_real_update(name: str) -> None:
    data: dict[str, Any] = FakeTelegram.recorded(name)
    update = Update.de_json(data, None)  # type: ignore[arg-type]
    event = classify(update, BotIdentity(BOT_ID, BOT_USERNAME), "")
    assert meaning(event) == CASES[name][0]
    if isinstance(event, Incoming):
        assert event.address.chat_id == ANA and event.locale_hint == "es"
    if name == "photo":
        assert isinstance(event, Incoming) and event.media is not None
        assert event.media.ref == "AgACAgEAAxkBAAIBX2dPhotoLargeAAQ"   # the largest size
        assert event.text == "dos camionetas en la esquina"
    if name == "location":
        assert isinstance(event, Incoming) and event.location is not None
        assert (event.location.latitude, event.location.longitude) == (35.595058, -82.551487)


async def test_the_running_bot_takes_each_real_update(tmp_path: Path,
                                                      tg_api: FakeTelegram) -> None:
    async with running(tmp_path, tg_api):
        answers = 0
        # Renumbered in arrival order: Telegram's update ids only grow, and polling confirms
        # everything below the last one handled.
        ids = itertools.count(815790101)
        for name in sorted(CASES):
            update = {**FakeTelegram.recorded(name), "update_id": next(ids)}
            await tg_api.push(update)
            if CASES[name][1]:
                answers = len(await tg_api.wait_sent(ANA, answers + 1))
            elif name == "group_added":
                await tg_api.wait_until(lambda: GROUP in tg_api.left_chats)
                assert len(tg_api.sent[GROUP]) == 1       # the one line before leaving
            # An update that needs no answer gets none: the next real message is answered
            # and nothing else arrives with it.
            await tg_api.push({**FakeTelegram.recorded("message_text"),
                               "update_id": next(ids)})
            answers = len(await tg_api.wait_sent(ANA, answers + 1))
            assert len(tg_api.sent[ANA]) == answers, name
        assert [a["callback_query_id"] for a in tg_api.callback_answers] == \
            ["4382bfdwdsb323b2d9"]
        # Edits were never delivered: the bot does not ask for them.
        assert "edited_message" not in ALLOWED_UPDATES
