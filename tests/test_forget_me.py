"""/olvidarme: everything stored about the person goes, after a confirmation."""

from __future__ import annotations

from compa_testkit.harness import Harness
from tests.report_helpers import file_report, followup_button, ready


async def test_forget_me_deletes_the_person_and_their_followups(harness: Harness) -> None:
    ana, bob = await ready(harness, "ana", "bob", locale="es")
    await file_report(ana)
    await ana.press(followup_button(ana))
    await file_report(bob, region="swain")
    await bob.press(followup_button(bob))
    ana_pid = harness.app.pid_for(ana.address)
    await ana.say("/olvidarme")
    assert "Esto borra todo lo que guardamos sobre usted" in ana.last.text
    assert ana.button_ids() == ["account:forget:yes", "account:forget:no"]
    await ana.press("account:forget:yes")
    assert "se borró todo lo que guardábamos sobre usted" in ana.last.text
    db = harness.app.db
    assert await db.fetchall("SELECT * FROM users WHERE pid = ?", (ana_pid,)) == []
    assert await db.fetchall("SELECT * FROM sessions WHERE pid = ?", (ana_pid,)) == []
    left = await db.fetchall("SELECT report_id FROM followups")
    assert [r[0] for r in left] == [2]                 # bob's stays
    assert len(await db.fetchall("SELECT * FROM reports")) == 2
    # Writing again starts from the beginning.
    await ana.say("hola")
    assert "¿Qué idioma prefiere?" in ana.last.text


async def test_forget_me_can_be_declined(harness: Harness) -> None:
    (ana,) = await ready(harness, "ana")
    await ana.say("/forget-me")
    await ana.press("account:forget:no")
    assert "Nothing was deleted." in ana.last.text
    pid = harness.app.pid_for(ana.address)
    assert await harness.app.db.fetchall("SELECT * FROM users WHERE pid = ?", (pid,)) != []


async def test_a_stale_or_forged_confirmation_deletes_nothing(harness: Harness) -> None:
    (ana,) = await ready(harness, "ana")
    await ana.press("account:forget:yes")
    assert "no longer available" in ana.last.text
    await ana.say("/forget_me")
    await ana.say("/menu")
    await ana.press("account:forget:yes")
    assert "no longer available" in ana.last.text
    await ana.say("/forget_me")
    await ana.press("account:forget:maybe")
    assert "no longer available" in ana.last.text
    pid = harness.app.pid_for(ana.address)
    assert await harness.app.db.fetchall("SELECT * FROM users WHERE pid = ?", (pid,)) != []


async def test_moderators_are_told_their_decisions_stay(harness: Harness) -> None:
    (mod1,) = await ready(harness, "mod1")
    await mod1.say("/forget-me")
    await mod1.press("account:forget:yes")
    assert "your past decisions stay in the audit log" in mod1.last.text
