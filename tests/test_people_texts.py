"""Issue 13 "People": what a person reads after unsubscribing, forgetting, or asking for the
outcome of a report."""

from __future__ import annotations

from pathlib import Path

from alerts import subscriptions as subs
from compa_testkit.fakes.telegram_api import FakeTelegram
from compa_testkit.harness import Harness
from compa_testkit.telegram_kit import TgPerson, running
from tests.report_helpers import file_report, followup_button, ready


async def test_english_unsubscribe_names_the_english_command(harness: Harness) -> None:
    (carl,) = await ready(harness, "carl", locale="en")
    await carl.say("/alerts")
    await carl.press("alerts:regions:0")
    await carl.press("alerts:toggle:buncombe:0")
    await carl.say("STOP")
    assert "Done: you will not get any more alerts." in carl.last.text
    assert "send /alerts or" in carl.last.text
    assert "/alertas" not in carl.last.text
    (bea,) = await ready(harness, "bea", locale="es")
    await bea.say("BAJA")
    assert "envíe /alertas" in bea.last.text


async def test_forget_me_says_and_does_delete_subscriptions(harness: Harness) -> None:
    for locale, asked, done in (("en", "your alert subscriptions", "subscriptions too"),
                                ("es", "sus suscripciones a las alertas", "suscripciones")):
        (ana,) = await ready(harness, f"ana-{locale}", locale=locale)
        await ana.press("alerts:regions:0")
        await ana.press("alerts:toggle:buncombe:0")
        pid = harness.app.pid_for(ana.address)
        assert (await subs.get(harness.app.db, pid)).active
        await ana.say("/olvidarme")
        assert asked in ana.last.text
        await ana.press("account:forget:yes")
        assert done in ana.last.text
        assert not (await subs.get(harness.app.db, pid)).active
        rows = await harness.app.db.fetchall(
            "SELECT count(*) FROM subscription_regions WHERE pid = ?", (pid,))
        assert rows[0][0] == 0


async def test_asking_for_the_outcome_keeps_the_safety_advice(harness: Harness) -> None:
    for locale, advice, hotline in (("es", "mantenga la distancia", "línea de emergencia"),
                                    ("en", "keep your distance", "hotline")):
        (ana,) = await ready(harness, f"ana-{locale}", locale=locale)
        await file_report(ana)
        thanks = ana.last
        assert advice in thanks.text and hotline in thanks.text
        before = len(ana.inbox)
        await ana.press(followup_button(ana))
        # A new message: the thank-you (with the advice and the hotline) is not replaced.
        assert len(ana.inbox) == before + 1
        assert not ana.last.replace
        assert ana.inbox[before - 1] is thanks
        assert advice in ana.inbox[before - 1].text


async def test_on_telegram_the_thank_you_message_is_not_edited_away(
        tmp_path: Path, tg_api: FakeTelegram) -> None:
    async with running(tmp_path, tg_api):
        ana = TgPerson(tg_api, 5550001, "es")
        await ana.say("/start")
        await ana.choose("Español")
        await ana.say("/reportar")
        for step in ("report:kind:checkpoint", "report:region:buncombe", "report:seen:now",
                     "report:agents:1-2", "report:vehicles:1-2", "report:details:skip"):
            await ana.press(step)
        [thanks] = await ana.press("report:send")
        assert "mantenga la distancia" in thanks.text and "emergencia" in thanks.text
        followup = next(d for d in thanks.data if d.startswith("report:followup:"))
        [told] = await ana.press(followup)
        assert told.method == "sendMessage"          # a new message, not an edit
        assert told.message_id != thanks.message_id
        shown = tg_api.bot_message(5550001, thanks.message_id)
        assert "mantenga la distancia" in shown["text"] and "emergencia" in shown["text"]
        assert not [s for s in tg_api.sent["5550001"]
                    if s.method == "editMessageText" and s.message_id == thanks.message_id]
