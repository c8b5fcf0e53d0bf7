"""The moderators' side: cards, the two-person rule, decisions, refusals, roles."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts import moderators
from alerts.models import Role, Status
from bot.config import ConfigError, parse
from bot.messages import Address
from compa_testkit.harness import REAL_RESOURCES, Harness, make_config
from tests.report_helpers import file_report, followup_button, ready


async def test_two_different_moderators_must_confirm(harness: Harness) -> None:
    ana, mod1, mod2, mod3 = await ready(harness, "ana", "mod1", "mod2", "mod3")
    number = await file_report(ana)
    await mod1.press(f"mod:ok:{number}")
    # Everyone already has the card: on a channel that cannot edit it (the console, WhatsApp)
    # each gets one short status line, not a second card (Telegram: tests/test_cards_e2e.py).
    line = "🚨 Report #1: Status: waiting for verification. Confirmed 1/2 by a volunteer"
    own = [r for r in mod1.replies if r.to == mod1.address]
    assert [(r.text, r.menu) for r in own] == [(line, None)]
    for other in (mod2, mod3):
        assert (other.inbox[-1].text, other.inbox[-1].menu) == (line, None)
        assert sum("Report #1" in r.text for r in other.inbox) == 2   # the card, the line
    assert "mod1" not in own[0].text and harness.app.pid_for(mod1.address) not in own[0].text
    report = await harness.app.reports.report(number)
    assert report is not None and report.status is Status.PENDING
    # The same person again, by button or by command: refused, nothing changes.
    await mod1.press(f"mod:ok:{number}")
    assert "You have already given your decision on report #1." in mod1.last.text
    await mod1.say(f"/verify {number}")
    assert "A different volunteer must confirm it." in mod1.last.text
    await mod1.press(f"mod:false:{number}")
    assert "You have already given your decision" in mod1.last.text
    report = await harness.app.reports.report(number)
    assert report is not None and report.status is Status.PENDING
    await mod2.press(f"mod:ok:{number}")
    card = next(r for r in mod2.replies if "✅ Verified by 2 volunteers." in r.text)
    assert card.menu is None
    # The verified report becomes an alert preview for the publishers, in the same turn.
    assert mod2.last.text.startswith("Alert #1 preview.")
    assert any("✅ Verified by 2 volunteers." in r.text for r in mod1.inbox[-2:])
    report = await harness.app.reports.report(number)
    assert report is not None and report.status is Status.VERIFIED
    await mod3.press(f"mod:ok:{number}")
    assert "Report #1 was already decided: verified." in mod3.last.text


async def test_three_confirmations_when_configured(tmp_path: Path) -> None:
    config = make_config(tmp_path, moderation={"verifications_required": 3})
    async with Harness.open(tmp_path, config) as harness:
        ana, mod1, mod2, mod3 = await ready(harness, "ana", "mod1", "mod2", "mod3")
        number = await file_report(ana)
        assert "At least 3 of them" in ana.text
        await mod1.say(f"/verify {number}")
        await mod2.say(f"/verificar {number}")
        assert "Confirmed 2/3" in mod2.inbox[-1].text
        await mod3.press(f"mod:ok:{number}")
        assert "Verified by 3 volunteers" in mod3.text


async def test_one_false_alarm_closes_and_tells_who_asked(harness: Harness) -> None:
    ana, mod1, mod2 = await ready(harness, "ana", "mod1", "mod2")
    number = await file_report(ana)
    await ana.press(followup_button(ana))
    assert "I will tell you here how it ends, within 24 hours." in ana.last.text
    assert len(await harness.app.db.fetchall("SELECT * FROM followups")) == 1
    await mod1.press(f"mod:ok:{number}")
    await mod2.press(f"mod:false:{number}")
    assert "Closed: false alarm." in mod2.last.text
    assert "volunteers found it was a false alarm" in ana.inbox[-1].text
    assert ana.inbox[-1].to == ana.address
    assert await harness.app.db.fetchall("SELECT * FROM followups") == []
    report = await harness.app.reports.report(number)
    assert report is not None and report.status is Status.FALSE_ALARM


async def test_reject_command_keeps_a_scrubbed_reason(harness: Harness) -> None:
    ana, mod1, mod2 = await ready(harness, "ana", "mod1", "mod2")
    number = await file_report(ana)
    await mod1.say(f"/descartar {number} es la patrulla de la feria, llamé al 828-555-0199")
    card = mod1.last.text
    assert "Cerrado: falsa alarma." in card or "Closed: false alarm." in card
    assert "patrulla de la feria" in card and "0199" not in card
    assert "patrulla de la feria" in mod2.inbox[-1].text
    raw = await harness.app.db.fetchone("SELECT note_sealed FROM verifications")
    assert raw is not None and b"patrulla" not in bytes(raw[0])


async def test_could_not_verify_and_verified_outcomes_reach_followers(
        harness: Harness) -> None:
    ana, bob, mod1, mod2 = await ready(harness, "ana", "bob", "mod1", "mod2")
    first = await file_report(ana, region="clay")
    await ana.press(followup_button(ana))
    await mod1.press(f"mod:unver:{first}")
    assert "volunteers could not verify it" in ana.inbox[-1].text
    second = await file_report(bob, region="polk")
    button = followup_button(bob)
    await bob.press(button)
    await bob.press(button)
    assert "You will already be told the outcome here." in bob.last.text
    await mod1.press(f"mod:ok:{second}")
    assert "volunteers confirmed it" not in bob.inbox[-1].text
    await mod2.press(f"mod:ok:{second}")
    outcomes = [r for r in bob.inbox if "volunteers confirmed it" in r.text]
    assert len(outcomes) == 1
    # After the decision the same button just tells the outcome.
    await bob.press(button)
    assert "volunteers confirmed it" in bob.last.text


async def test_without_the_opt_in_nobody_is_told_and_nothing_is_kept(harness: Harness) -> None:
    ana, mod1 = await ready(harness, "ana", "mod1")
    number = await file_report(ana)
    before = len(ana.inbox)
    await mod1.press(f"mod:false:{number}")
    assert len(ana.inbox) == before
    assert await harness.app.db.fetchall("SELECT * FROM followups") == []


async def test_forged_followup_tokens_are_refused(harness: Harness) -> None:
    ana, bob = await ready(harness, "ana", "bob")
    number = await file_report(ana)
    for forged in (f"report:followup:{number}:0000000000000000",
                   f"report:followup:{number + 1}:{harness.app.reports.followup_token(number)}",
                   "report:followup:abc:def", f"report:followup:{number}"):
        await bob.press(forged)
        assert "no longer available" in bob.last.text, forged
    assert await harness.app.db.fetchall("SELECT * FROM followups") == []


MODERATOR_INPUTS = [
    ("say", "/pendientes"), ("say", "/pending"), ("say", "/reporte 1"), ("say", "/report 1"),
    ("say", "/reportar #1"), ("say", "/verificar 1"), ("say", "/verify 1"),
    ("say", "/descartar 1 no es cierto"), ("say", "/reject 1 fake"), ("say", "/verify"),
    ("press", "mod:ok:1"), ("press", "mod:false:1"), ("press", "mod:unver:1"),
    ("press", "mod:view:1"), ("press", "mod:ok:abc"), ("press", "mod:drop:1"), ("press", "mod"),
    ("press", "mod:ok:1:extra"),
]


async def test_everyone_else_gets_the_same_refusal_and_is_audited(harness: Harness) -> None:
    ana, eve = await ready(harness, "ana", "eve")
    number = await file_report(ana)
    audit_before = len(await harness.app.db.fetchall("SELECT * FROM audit"))
    answers = set()
    for how, value in MODERATOR_INPUTS:
        await (eve.say(value) if how == "say" else eve.press(value))
        assert len(eve.replies) == 1, value
        answers.add(eve.last.text)
        assert "help:show" in eve.button_ids()
    assert answers == {"Sorry, that is only for the volunteers who verify reports. "
                       "Here is the menu."}
    rows = await harness.app.db.fetchall("SELECT actor, action, subject FROM audit")
    refused = rows[audit_before:]
    # Refusals are rate-limited: the first few per person and hour, the rest only counted.
    assert len(refused) == harness.app.audit.refusals.per_actor
    assert harness.app.audit.refusals.skipped == len(MODERATOR_INPUTS) - len(refused)
    eve_pid = harness.app.pid_for(eve.address)
    for actor, action, subject in refused:
        assert action == "refused" and actor.startswith("person:")
        assert eve_pid not in actor and str(number) not in subject
    report = await harness.app.reports.report(number)
    assert report is not None and report.status is Status.PENDING
    assert await harness.app.db.fetchall("SELECT * FROM verifications") == []


async def test_reporter_cannot_confirm_their_own_report(harness: Harness) -> None:
    (ana,) = await ready(harness, "ana")
    number = await file_report(ana)
    await ana.say(f"/verificar {number}")
    assert "only for the volunteers" in ana.last.text
    await ana.press(f"mod:ok:{number}")
    assert "only for the volunteers" in ana.last.text
    assert await harness.app.db.fetchall("SELECT * FROM verifications") == []


async def test_report_without_a_number_still_starts_a_report(harness: Harness) -> None:
    ana, mod1 = await ready(harness, "ana", "mod1")
    for person in (ana, mod1):
        await person.say("/reporte")
        assert "What did you see?" in person.last.text
        await person.say("/cancel")
        await person.say("/report checkpoint on main street")
        assert "What did you see?" in person.last.text
        await person.say("/cancel")


async def test_forged_buttons_from_moderators_are_refused(harness: Harness) -> None:
    ana, mod1 = await ready(harness, "ana", "mod1")
    number = await file_report(ana)
    for forged in ("mod:ok:abc", "mod:zap:1", "mod:ok:1:2", "mod", "mod:ok:-1",
                   "mod:ok:1234567890123"):
        await mod1.press(forged)
        assert "That option is no longer available." in mod1.last.text, forged
    await mod1.press("mod:ok:99999")
    assert "There is no report #99999." in mod1.last.text
    actions = [r[0] for r in await harness.app.db.fetchall("SELECT action FROM audit")]
    # Rate-limited like every refusal: three recorded, the other three counted.
    assert actions.count("refused:forged") == 3 and harness.app.audit.refusals.skipped == 3
    report = await harness.app.reports.report(number)
    assert report is not None and report.status is Status.PENDING


async def test_pending_list_and_viewing_a_report(harness: Harness) -> None:
    ana, bob, mod1 = await ready(harness, "ana", "bob", "mod1")
    await mod1.say("/pending")
    assert "No reports are waiting for a decision." in mod1.last.text
    first = await file_report(ana, region="buncombe")
    second = await file_report(bob, region="buncombe")
    third = await file_report(bob, region="avery")
    await mod1.say("/pendientes")
    assert "Reports waiting for a decision:" in mod1.last.text
    assert f"#{first} Checkpoint · Buncombe County · confirmed 0/2" in mod1.last.text
    assert "2 reports" in mod1.last.text
    assert mod1.button_ids() == [f"mod:view:{first}", f"mod:view:{third}", "menu:main"]
    await mod1.press(f"mod:view:{third}")
    assert f"Report #{third}: Checkpoint" in mod1.last.text
    assert mod1.button_ids() == [f"mod:ok:{third}", f"mod:false:{third}", f"mod:unver:{third}"]
    await mod1.say(f"/report {second}")
    assert f"Report #{second} is part of incident #{first}." in mod1.last.text
    await mod1.say("/reporte 404")
    assert "There is no report #404." in mod1.last.text
    await mod1.say("/verify")
    assert "Use: /verify N" in mod1.last.text
    audit = [(r[0], r[1]) for r in await harness.app.db.fetchall(
        "SELECT action, subject FROM audit")]
    assert ("list", "reports:open") in audit and ("view", f"report:{second}") in audit


async def test_confirming_a_linked_report_confirms_its_incident(harness: Harness) -> None:
    ana, bob, mod1, mod2 = await ready(harness, "ana", "bob", "mod1", "mod2")
    first = await file_report(ana, region="madison")
    second = await file_report(bob, region="madison")
    await mod1.say(f"/verify {second}")
    await mod2.press(f"mod:ok:{first}")
    for number in (first, second):
        report = await harness.app.reports.report(number)
        assert report is not None and report.status is Status.VERIFIED


async def test_moderators_are_not_stopped_by_the_welcome(harness: Harness) -> None:
    (ana,) = await ready(harness, "ana")
    number = await file_report(ana)
    mod1 = harness.person("mod1")        # has never written to the bot
    await mod1.press(f"mod:ok:{number}")
    assert "Confirmado 1/2 por un voluntario" in mod1.last.text


async def test_roles_from_the_config(tmp_path: Path) -> None:
    config = make_config(tmp_path, moderation={"roles": {"console": {"lead": "admin",
                                                                       "mod2": "publisher"}}})
    assert moderators.role_of(config, "console", "mod1") is Role.VERIFIER
    assert moderators.role_of(config, "console", "mod2") is Role.PUBLISHER
    assert moderators.role_of(config, "console", "lead") is Role.ADMIN
    assert moderators.role_of(config, "console", "ana") is Role.PERSON
    assert moderators.role_of(config, "telegram", "mod1") is Role.PERSON
    assert Role.ADMIN.at_least(Role.VERIFIER) and not Role.PERSON.at_least(Role.VERIFIER)
    async with Harness.open(tmp_path, config) as harness:
        ana, lead = await ready(harness, "ana", "lead")
        assert harness.app.role_for("console", "lead") == "admin"
        number = await file_report(ana)
        assert any("Report" in r.text or "Reporte" in r.text for r in lead.inbox)
        await lead.press(f"mod:ok:{number}")
        assert "Confirmed 1/2 by a volunteer" in lead.last.text


def test_the_room_is_the_telegram_group_or_each_moderator(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    config = parse({"channels": {
        "telegram": {"enabled": True, "moderators_chat_id": "-100123"},
        "whatsapp": {"enabled": False},
    }, "moderators": [
        {"name": "a", "role": "admin", "console": "mod1", "telegram": "7"},
        {"name": "b", "role": "publisher", "console": "mod2", "whatsapp": "+1 828 555 0001"},
        {"name": "c", "role": "verifier", "whatsapp": "18285550002"},
    ], "resources": REAL_RESOURCES})
    assert moderators.room(config) == [Address("console", "mod1"), Address("console", "mod2"),
                                       Address("telegram", "-100123")]
    # c moderates only on WhatsApp, which is off.
    assert moderators.count(config) == 2


def test_bad_roles_are_config_errors() -> None:
    with pytest.raises(ConfigError) as info:
        parse({"moderation": {"verifications_required": 0,
                              "roles": {"console": {"x": "boss"}, "irc": {"y": "admin"}}}})
    problems = "\n".join(info.value.problems)
    assert "moderation.verifications_required: must be positive" in problems
    assert "moderation.roles.console.x: role must be one of field, verifier, publisher, admin" \
        in problems
    assert "moderation.roles.irc: unknown channel" in problems
