"""Issue 13 "People": what a person reads after unsubscribing, forgetting, or asking for the
outcome of a report."""

from __future__ import annotations

from alerts import subscriptions as subs
from compa_testkit.harness import Harness
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
