"""Moderators' cards on Telegram, end to end: the real runner and PTB client against the fake
Bot API. A report with a photo reaches each moderator as the photo and the card; a decision
edits every card in place (no second card); an old card's button answers with the state now;
/reporte N shows the photo while the report is kept, and nothing once it is purged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from compa_testkit.fakes.telegram_api import FakeTelegram, Sent
from compa_testkit.telegram_kit import TgPerson, running
from tests.report_helpers import photo_with_metadata

MOD1, MOD2, ANA = 9_000_001, 9_000_002, 5_550_001
SECTIONS: dict[str, Any] = {
    "moderators": [{"name": "Uno", "role": "admin", "telegram": str(MOD1)},
                   {"name": "Dos", "role": "publisher", "telegram": str(MOD2)}],
    "reports": {"allow_photos": True},
}


async def file_report_with_photo(fake: FakeTelegram, ana: TgPerson, photo: bytes) -> None:
    """Ana walks the report flow by buttons and attaches a photo; the cards go out."""
    await ana.say("/start")
    await ana.choose("Español")
    for data in ("report:start", "report:kind:checkpoint", "report:region:buncombe",
                 "report:seen:now", "report:agents:3-5", "report:vehicles:1-2",
                 "report:details:skip"):
        await ana.press(data)
    await ana.send(fake.photo_message(ana.chat_id, photo, sender=ana.user))
    assert "report:send" in ana.last.data, ana.last.text
    await ana.press("report:send")


def cards(sent: list[Sent]) -> list[Sent]:
    return [s for s in sent if s.method == "sendMessage" and "Reporte n.º 1" in s.text]


async def test_photo_with_the_card_then_edits_in_place(tmp_path: Path,
                                                       tg_api: FakeTelegram) -> None:
    async with running(tmp_path, tg_api, sections=SECTIONS):
        ana = TgPerson(tg_api, ANA, "es")
        mod1, mod2 = TgPerson(tg_api, MOD1, "es"), TgPerson(tg_api, MOD2, "es")
        original = photo_with_metadata()
        await file_report_with_photo(tg_api, ana, original)
        for mod in (mod1, mod2):
            await tg_api.wait_sent(mod.chat_id, 2)
            photo, card = mod.sent[:2]
            assert photo.method == "sendPhoto" and "Foto del reporte n.º 1" in photo.text
            [file_id] = [p["file_id"] for p in
                         tg_api.bot_message(mod.chat_id, photo.message_id)["photo"]]
            shown = tg_api.photos[file_id]
            assert shown[:2] == b"\xff\xd8" and b"canary-7f3a" not in shown  # stripped
            assert card.method == "sendMessage" and "mod:ok:1" in card.data
        card2 = mod2.sent[1]

        # Moderator 2 also opens it with /reporte 1 (a second card with live buttons).
        opened = await mod2.say("/reporte 1", expect=2)
        assert [s.method for s in opened] == ["sendMessage", "sendPhoto"]
        old_view = opened[0]

        # Moderator 1 confirms: their card and moderator 2's card are edited in place.
        await mod1.press("mod:ok:1")
        await tg_api.wait_sent(MOD2, len(mod2.sent) + 1)
        edit = mod2.last
        assert (edit.method, edit.message_id) == ("editMessageText", card2.message_id)
        assert "Confirmado 1/2" in edit.text and "mod:ok:1" in edit.data
        assert (mod1.last.method, mod1.last.message_id) == ("editMessageText",
                                                            mod1.sent[1].message_id)

        # Moderator 2 confirms on the card: verified, both cards lose their buttons.
        before = len(mod1.sent)
        await mod2.press("mod:ok:1", expect=2)        # the card (edited) and the preview
        await tg_api.wait_sent(MOD1, before + 2)     # the card (edited) and the preview
        for mod in (mod1, mod2):
            card = tg_api.bot_message(mod.chat_id, mod.sent[1].message_id)
            assert "Verificado por 2 voluntarios" in card["text"]
            assert "reply_markup" not in card
            assert len(cards(mod.sent)) == 1 + (mod is mod2)   # never a second card
        # The preview counts people per enabled channel, named as people say it.
        preview = next(s for s in mod1.sent if s.text.startswith("Vista previa de la alerta"))
        assert "(Telegram: 0)." in preview.text
        assert "telegram:" not in preview.text and "WhatsApp" not in preview.text
        # The /reporte view's old button answers with the state now, and acts no more.
        answer = await mod2.press("mod:false:1")
        assert (answer[0].method, answer[0].message_id) == ("editMessageText",
                                                             old_view.message_id)
        assert "ya se decidió: verificado" in answer[0].text and not answer[0].data
