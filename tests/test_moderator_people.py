"""One person = one moderator (issue 12, finding 3): people in the config, normalised ids,
start-up errors that list every duplicate, the old format migrated or refused, and decisions
keyed by the person whatever channel they use."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from alerts import moderators
from alerts.models import Role, Status
from bot.config import ConfigError, parse
from bot.config_people import normalise_id
from bot.messages import Address
from compa_testkit.harness import Harness, make_config
from tests import canary
from tests.report_helpers import file_report, ready

NAME = "Anastasia-canary-5c1f"


def problems_of(data: dict[str, object]) -> str:
    with pytest.raises(ConfigError) as info:
        parse(data)
    return "\n".join(info.value.problems)


def test_whatsapp_numbers_are_one_number_however_written() -> None:
    for spelling in ("+1 (828) 555-0001", "18285550001", "1-828-555-0001", "+18285550001"):
        assert normalise_id("whatsapp", spelling) == "18285550001"
    assert normalise_id("whatsapp", "US.13491208655302741918") == "US.13491208655302741918"
    assert normalise_id("whatsapp", "call me") is None
    assert normalise_id("whatsapp", "+1²8285550001") is None
    assert normalise_id("telegram", "12345") == "12345"
    assert normalise_id("telegram", "@ana") is None
    assert normalise_id("telegram", "１２３") is None      # full-width digits are not an id


def test_the_documented_whatsapp_config_gives_the_admin_one_entry(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding 3: a list entry and a roles entry spelled differently are one person, admin."""
    for env in ("WHATSAPP_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"):
        monkeypatch.setenv(env, "x")
    config = parse(tomllib.loads('''
        [channels.whatsapp]
        enabled = true
        phone_number_id = "1"
        moderators = ["+1 (828) 555-0001"]
        [moderation.roles.whatsapp]
        18285550001 = "admin"
        [resources]
        hotline = "(828) 012-3400"
        crisis_line = "(828) 012-3401"
        legal_aid = "(828) 012-3402"
        hotline_hours = { es = "24 horas", en = "24 hours" }
    '''))
    wa = [p for p in config.moderators if p.whatsapp]
    assert len(wa) == 1 and wa[0].role == "admin" and wa[0].whatsapp == "18285550001"
    assert moderators.role_of(config, "whatsapp", "+1 828 555 0001") is Role.ADMIN
    assert [a for a in moderators.room(config) if a.channel == "whatsapp"] == \
        [Address("whatsapp", "18285550001")]


def test_people_with_ids_on_several_channels() -> None:
    config = parse({"moderators": [
        {"name": "Ana", "role": "publisher", "telegram": 7, "whatsapp": "+1 828 555 0001"},
        {"name": "Beto", "role": "verifier", "console": "mod2"},
    ]})
    ana = config.moderators[0]
    assert ana.telegram == "7" and ana.whatsapp == "18285550001"
    assert moderators.role_of(config, "telegram", "7") is Role.PUBLISHER
    assert moderators.role_of(config, "console", "mod1") is Role.PERSON  # no console defaults


def test_every_duplicate_and_contradiction_is_listed_at_once() -> None:
    problems = problems_of({"moderators": [
        {"name": "Ana", "role": "admin", "whatsapp": "+1 (828) 555-0001"},
        {"name": "ana", "role": "verifier", "telegram": "7"},
        {"name": "Carla", "role": "verifier", "whatsapp": "18285550001"},
        {"name": "Dani", "role": "boss", "telegram": "7"},
        {"name": "Eva", "role": "verifier"},
        {"name": "", "role": "verifier", "telegram": "@fer"},
    ]})
    assert "moderators[0] and moderators[1] have the same name" in problems
    assert "moderators[0] and moderators[2] list the same whatsapp id with different roles" \
        in problems
    assert "moderators[1] and moderators[3] list the same telegram id with different roles" \
        in problems
    assert "moderators[3].role: must be one of field, verifier, publisher, admin" in problems
    assert "moderators[4]: needs the id they use on at least one channel" in problems
    assert "moderators[5].name: every moderator needs a name" in problems
    assert "moderators[5].telegram: must be a numeric Telegram user id" in problems
    assert "8285550001" not in problems        # phone numbers are not echoed


def test_contradictory_old_roles_are_an_error() -> None:
    problems = problems_of({"moderation": {"roles": {"whatsapp": {
        "+1 (828) 555-0001": "verifier", "18285550001": "admin"}}}})
    assert "moderation.roles.whatsapp: two entries are the same id with different roles" \
        in problems


def test_old_format_on_two_channels_is_refused_with_the_entries_to_write() -> None:
    data = {"channels": {"telegram": {"moderators": ["7"]},
                         "whatsapp": {"moderators": ["+1 (828) 555-0001"]}},
            "moderation": {"roles": {"telegram": {"7": "admin"}}}}
    problems = problems_of(data)
    assert "one person on two channels would count as two moderators" in problems
    entries = problems[problems.index(":\n\n") + 3:]
    assert 'name = "telegram 7"\nrole = "admin"\ntelegram = "7"' in entries
    assert 'whatsapp = "18285550001"' in entries
    # What it says to write is a valid config, with the same roles.
    config = parse(tomllib.loads(entries))
    assert moderators.role_of(config, "telegram", "7") is Role.ADMIN
    assert moderators.role_of(config, "whatsapp", "18285550001") is Role.VERIFIER


def test_old_and_new_formats_cannot_be_mixed() -> None:
    problems = problems_of({"channels": {"telegram": {"moderators": ["7"]}},
                            "moderators": [{"name": "Ana", "role": "admin", "telegram": "8"}]})
    assert "telegram: moderators are listed both in [[moderators]] and in the old" in problems


def test_old_format_on_one_channel_is_migrated() -> None:
    config = parse({"channels": {"telegram": {"moderators": ["7", "8"]}},
                    "moderation": {"roles": {"telegram": {"8": "publisher"}}}})
    assert moderators.role_of(config, "telegram", "7") is Role.VERIFIER
    assert moderators.role_of(config, "telegram", "8") is Role.PUBLISHER
    # The console's pretend moderators stay (local terminal only).
    assert moderators.role_of(config, "console", "mod1") is Role.VERIFIER


async def test_one_person_on_two_channels_confirms_once(tmp_path: Path) -> None:
    config = make_config(tmp_path, moderators=[
        {"name": NAME, "role": "verifier", "console": "mod1", "telegram": "7",
         "whatsapp": "+1 " + canary.PHONE},
        {"name": "Beto", "role": "verifier", "console": "mod2"},
    ])
    async with Harness.open(tmp_path, config, channels=("console", "telegram")) as harness:
        reporter, mod1, mod2 = await ready(harness, "reporter", "mod1", "mod2")
        on_telegram = harness.person("7", "telegram")
        await on_telegram.start_in("en")
        number = await file_report(reporter)
        await mod1.press(f"mod:ok:{number}")
        assert "Confirmed 1/2" in mod1.last.text
        # The same person on her other channel: refused, still one confirmation.
        await on_telegram.say(f"/verify {number}")
        assert "You have already given your decision" in on_telegram.last.text
        report = await harness.app.reports.report(number)
        assert report is not None and report.status is Status.PENDING
        key = harness.app.moderator_key(on_telegram.address)
        assert key is not None and key == harness.app.moderator_key(mod1.address)
        assert NAME not in key and len(key) == 64
        rows = await harness.app.db.fetchall("SELECT moderator FROM verifications")
        assert [r[0] for r in rows] == [key]
        # A different person completes it.
        await mod2.press(f"mod:ok:{number}")
        report = await harness.app.reports.report(number)
        assert report is not None and report.status is Status.VERIFIED
    # The configured name and number are never stored: not in the database (verifications
    # hold the keyed person key), nor in the audit head beside the keys.
    assert canary.find_markers(_files(tmp_path), [NAME, canary.PHONE]) == []


def _files(folder: Path) -> dict[str, bytes]:
    return canary.files_under(folder)


def test_a_whatsapp_chat_with_two_ids_is_the_configured_person() -> None:
    from alerts.moderators import Roster
    from bot.channels import whatsapp_ids
    from bot.channels.identity import person_key
    from bot.privacy import Privacy, generate_keys

    config = parse({"moderators": [{"name": "B", "role": "verifier",
                                    "whatsapp": "US.13491208655302741918"}]})
    privacy = Privacy(generate_keys())
    roster = Roster(config, privacy)
    chat = Address("whatsapp", whatsapp_ids.encode("16505551234", "US.13491208655302741918"))
    pid = privacy.pseudonym("whatsapp", person_key(chat))     # made from the wa_id
    assert roster.role(chat) is Role.VERIFIER
    assert roster.person_of(pid) is not None and roster.person_of(pid) == roster.person(chat)
    assert roster.person(Address("whatsapp", "16505551234")) is None


async def test_the_documented_whatsapp_admin_through_compa_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding 3 end to end: "+1 (828) 555-0001" in the list and 18285550001 = "admin" in the
    roles are one person, an admin, who gets the moderators' answers, once."""
    from tests.whatsapp_support import whatsapp_env

    async with whatsapp_env(tmp_path, monkeypatch,
                            whatsapp={"moderators": ["+1 (828) 555-0001"]},
                            sections={"moderation": {"roles": {
                                "whatsapp": {"18285550001": "admin"}}}}) as env:
        assert [a for a in moderators.room(env.app.config) if a.channel == "whatsapp"] == \
            [Address("whatsapp", "18285550001")]
        admin = env.person("18285550001", None, "Admin")
        (answer,) = await admin.says("/pendientes")
        assert "No hay reportes esperando" in answer.text, answer.text
        row = await env.app.db.fetchone("SELECT role FROM users")
        assert row is not None and row[0] == "admin"
