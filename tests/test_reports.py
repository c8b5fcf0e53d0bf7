"""The reporter's side, as transcripts: both languages, every step, cancel, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.models import Status
from compa_testkit.harness import Harness, make_config
from tests.report_helpers import file_report, ready


async def test_full_report_in_spanish_from_the_menu(harness: Harness) -> None:
    (ana,) = await ready(harness, "ana", locale="es")
    await ana.choose("Reportar lo que ve")
    assert "Su reporte es anónimo" in ana.last.text
    assert "(828) 555-0100" in ana.last.text
    assert "¿Qué vio?" in ana.last.text
    await ana.choose("Retén")
    assert "¿Dónde?" in ana.last.text
    assert ana.last.menu is not None and ana.last.menu.title == "Condados (1/4)"
    await ana.say("buncombe")
    assert "¿Cuándo lo vio?" in ana.last.text
    await ana.choose("Ahora")
    assert "¿Cuántos agentes" in ana.last.text
    await ana.choose("3–5 agentes")
    assert "¿Cuántos vehículos" in ana.last.text
    await ana.choose("1–2 vehículos")
    assert "no incluya nombres, placas ni números" in ana.last.text
    await ana.say("Frente a la tienda, mi cel es 828-555-0142")
    summary = ana.last.text
    assert "Por favor revise su reporte" in summary
    assert "Qué: Retén o punto de control" in summary
    assert "Dónde: Condado de Buncombe" in summary
    assert "Cuándo: Ahora" in summary
    assert "3–5 agentes · 1–2 vehículos" in summary
    assert "Frente a la tienda, mi cel es […]" in summary
    assert "0142" not in summary
    await ana.choose("Enviar reporte")
    thanks = ana.last.text
    assert "Gracias. Su reporte se envió" in thanks
    assert "Al menos 2 de ellos" in thanks
    assert "(828) 555-0100" in thanks
    assert "no intervenga" in thanks and "No transmita en vivo" in thanks
    assert ana.labels() == ["🔔 Avíseme qué pasó", "Menú"]
    # Every moderator got the card, the reporter did not.
    for name in ("mod1", "mod2", "mod3"):
        card = harness.person(name).inbox[-1]
        assert "Reporte n.º 1: Retén o punto de control" in card.text
        assert "Condado de Buncombe" in card.text
        assert card.menu is not None and [b.id for b in card.menu.buttons] == [
            "mod:ok:1", "mod:false:1", "mod:unver:1"]
    assert all("mod:" not in b for r in ana.inbox for b in ([x.id for x in r.menu.buttons]
                                                             if r.menu else []))
    report = await harness.app.reports.report(1)
    assert report is not None and report.status is Status.PENDING
    assert report.region == "buncombe" and report.details == "Frente a la tienda, mi cel es […]"
    assert await harness.app.db.fetchall("SELECT * FROM sessions") == []


async def test_full_report_in_english_with_the_command_and_region_pages(
        harness: Harness) -> None:
    (bob,) = await ready(harness, "bob", locale="en")
    await bob.say("/report")
    assert "What did you see?" in bob.last.text
    await bob.choose("ICE agents seen")
    await bob.choose("More counties")
    await bob.choose("More counties")
    await bob.choose("Back")
    assert bob.last.menu is not None and bob.last.menu.title == "Counties (2/4)"
    await bob.choose("More counties")
    await bob.choose("More counties")
    assert bob.last.menu is not None and bob.last.menu.title == "Counties (4/4)"
    await bob.choose("Watauga County")
    await bob.choose("Earlier today")
    await bob.choose("More than 10 agents")
    await bob.choose("6 or more vehicles")
    await bob.choose("Skip")
    assert "What: ICE agents seen" in bob.last.text
    assert "Where: Watauga County" in bob.last.text
    assert "When: Earlier today" in bob.last.text
    assert "Details: none" in bob.last.text
    await bob.choose("Send report")
    assert "Thank you. Your report was sent" in bob.last.text
    assert "Tell the hotline before posting anything." in bob.last.text
    card = harness.person("mod1").inbox[-1]
    assert "Agentes de ICE vistos" in card.text     # the moderator never chose: default es
    assert "Condado de Watauga" in card.text and "Más de 10 agentes" in card.text


async def test_region_menu_pages_fit_ten_buttons_and_cover_every_region(
        harness: Harness) -> None:
    (ana,) = await ready(harness, "ana")
    await ana.press("report:start")
    await ana.press("report:kind:raid")
    seen = []
    while True:
        assert ana.last.menu is not None and len(ana.last.menu.buttons) <= 10
        assert "report:cancel" in ana.button_ids()
        seen += [b.removeprefix("report:region:") for b in ana.button_ids()
                 if b.startswith("report:region:")]
        if "More counties" not in ana.labels():
            break
        await ana.choose("More counties")
    assert len(seen) == len(set(seen)) == 24
    assert {"buncombe", "qualla", "mcdowell", "burke"} <= set(seen)


@pytest.mark.parametrize("typed, region", [
    ("buncombe", "Buncombe County"),
    ("Condado de Búncombe", "Buncombe County"),
    ("HENDERSON county", "Henderson County"),
    ("asheville", "Buncombe County"),
    ("Qualla", "Qualla Boundary"),
    ("transilvania", "Transylvania County"),
])
async def test_typed_county_names_are_understood(harness: Harness, typed: str,
                                                 region: str) -> None:
    (ana,) = await ready(harness, "ana")
    await ana.press("report:start")
    await ana.press("report:kind:checkpoint")
    await ana.say(typed)
    assert "When did you see it?" in ana.last.text
    await ana.press("report:seen:now")
    await ana.press("report:agents:unknown")
    await ana.press("report:vehicles:unknown")
    await ana.press("report:details:skip")
    assert f"Where: {region}" in ana.last.text


async def test_unknown_county_gets_the_question_again(harness: Harness) -> None:
    (ana,) = await ready(harness, "ana")
    await ana.press("report:start")
    await ana.press("report:kind:checkpoint")
    await ana.say("Springfield")
    assert "I did not find a county with that name" in ana.last.text
    assert "report:region:alleghany" in ana.button_ids()


async def test_location_becomes_the_nearest_county_and_is_not_kept(
        harness: Harness, caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    caplog.set_level("DEBUG")
    (ana,) = await ready(harness, "ana")
    await ana.press("report:start")
    await ana.press("report:kind:arrest")
    await ana.share_location(35.61237, -82.53419)
    assert "📍 Nearest county: Buncombe County. Your location was not saved." in ana.last.text
    assert "When did you see it?" in ana.last.text
    await ana.press("report:seen:now")
    await ana.press("report:agents:1-2")
    await ana.press("report:vehicles:0")
    await ana.press("report:details:skip")
    assert "Where: Buncombe County" in ana.last.text
    await ana.press("report:send")
    report = await harness.app.reports.report(1)
    assert report is not None and report.region == "buncombe"
    data_dir = harness.app.config.data_dir
    for path in data_dir.iterdir():
        raw = path.read_bytes()
        for marker in (b"35.61237", b"82.53419", b"3561237", b"8253419"):
            assert marker not in raw, (path.name, marker)
    assert "35.61" not in caplog.text and "82.53" not in caplog.text


async def test_location_outside_the_area_is_refused_kindly(harness: Harness) -> None:
    (ana,) = await ready(harness, "ana")
    await ana.press("report:start")
    await ana.press("report:kind:checkpoint")
    await ana.share_location(40.7128, -74.0060)
    assert "outside the area we cover" in ana.last.text
    assert "When did you see it?" not in ana.last.text
    assert "report:region:alleghany" in ana.button_ids()


STEPS_BEFORE = {
    "kind": [],
    "region": ["report:kind:checkpoint"],
    "seen": ["report:kind:checkpoint", "report:region:buncombe"],
    "agents": ["report:kind:checkpoint", "report:region:buncombe", "report:seen:now"],
    "vehicles": ["report:kind:checkpoint", "report:region:buncombe", "report:seen:now",
                 "report:agents:1-2"],
    "details": ["report:kind:checkpoint", "report:region:buncombe", "report:seen:now",
                "report:agents:1-2", "report:vehicles:0"],
    "confirm": ["report:kind:checkpoint", "report:region:buncombe", "report:seen:now",
                "report:agents:1-2", "report:vehicles:0", "report:details:skip"],
}


@pytest.mark.parametrize("step", list(STEPS_BEFORE))
@pytest.mark.parametrize("how", ["button", "command"])
async def test_cancel_at_any_step_saves_nothing(harness: Harness, step: str, how: str) -> None:
    (ana,) = await ready(harness, "ana", locale="es")
    await ana.press("report:start")
    for button in STEPS_BEFORE[step]:
        await ana.press(button)
    assert "report:cancel" in ana.button_ids()
    if how == "button":
        await ana.press("report:cancel")
        assert "Cancelado. No se envió ni se guardó nada." in ana.last.text
    else:
        await ana.say("/cancelar")
        assert "Cancelado." in ana.last.text
    assert "report:start" in ana.button_ids()
    assert await harness.app.db.fetchall("SELECT * FROM reports") == []
    assert await harness.app.db.fetchall("SELECT * FROM sessions") == []
    assert harness.person("mod1").inbox == []


async def test_wrong_answers_repeat_the_question(harness: Harness) -> None:
    (ana,) = await ready(harness, "ana")
    await ana.press("report:start")
    await ana.say("a lot of cars")
    assert "Please choose one of the options." in ana.last.text
    assert "What did you see?" in ana.last.text
    for forged in ("report:kind:nuke", "report:seen:now", "report:region:atlantis"):
        await ana.press(forged)
        assert "Please choose one of the options." in ana.last.text, forged
        assert "report:kind:checkpoint" in ana.button_ids()
    await ana.say("/nonsense")
    assert "That command does not work here." in ana.last.text
    await ana.say("Checkpoint")     # a typed label counts as pressing it
    assert "Where?" in ana.last.text
    await ana.press("report:region:atlantis")
    assert "Please choose one of the options." in ana.last.text
    await ana.press("report:region:buncombe")
    await ana.press("report:seen:now")
    await ana.press("report:agents:1-2")
    await ana.press("report:vehicles:0")
    await ana.say("x" * 401)
    assert "Please keep it under 400 characters." in ana.last.text
    await ana.say("  ")
    assert "Please type a short description" in ana.last.text
    await ana.say("ok")
    await ana.say("send it")
    assert "Press Send to send your report, or Cancel." in ana.last.text
    assert await harness.app.db.fetchall("SELECT * FROM reports") == []


async def test_the_menu_still_works_in_the_middle_of_a_report(harness: Harness) -> None:
    (ana,) = await ready(harness, "ana")
    await ana.press("report:start")
    await ana.press("report:kind:checkpoint")
    await ana.press("menu:main")
    assert "help:show" in ana.button_ids()
    await ana.press("report:start")
    assert "What did you see?" in ana.last.text


async def test_photos_are_refused_unless_the_config_allows_them(harness: Harness) -> None:
    (ana,) = await ready(harness, "ana")
    await ana.press("report:start")
    await ana.press("report:kind:checkpoint")
    await ana.press("report:region:buncombe")
    await ana.press("report:seen:now")
    await ana.press("report:agents:1-2")
    await ana.press("report:vehicles:0")
    await ana.send_photo(b"\xff\xd8 not read at all")
    assert "Sorry, photos are not accepted." in ana.last.text
    await ana.press("report:details:skip")
    assert "Photo:" not in ana.last.text
    assert "report:send" in ana.button_ids()


async def test_a_report_keeps_no_link_to_its_sender(harness: Harness) -> None:
    ana, mod1 = await ready(harness, "ana", "mod1")
    await file_report(ana, details="three trucks")
    await mod1.press("mod:ok:1")
    pid = harness.app.pid_for(ana.address)
    db = harness.app.db
    tables = [r[0] for r in await db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        if table in ("users",):
            continue
        for row in await db.fetchall(f"SELECT * FROM {table}"):
            assert pid not in [str(v) for v in row], table
            assert not any(isinstance(v, str) and v == "ana" for v in row), table
    columns = {r[1] for r in await db.fetchall("PRAGMA table_info(reports)")}
    assert columns == {"id", "incident", "region", "kind", "seen", "agents", "vehicles",
                       "details_sealed", "status", "received", "decided"}
    row = await db.fetchone("SELECT received FROM reports")
    assert row is not None and row[0] % 3600 == 0


async def test_rate_limit_per_person_per_hour(tmp_path: Path) -> None:
    config = make_config(tmp_path, reports={"max_per_person_per_hour": 2})
    async with Harness.open(tmp_path, config) as harness:
        ana, bob = await ready(harness, "ana", "bob")
        await file_report(ana, region="buncombe")
        harness.clock.advance(600)
        await file_report(ana, region="henderson")
        await ana.press("report:start")
        assert "You have already sent several reports in the last hour." in ana.last.text
        assert "(828) 555-0100" in ana.last.text
        # Someone else is not limited by ana's reports.
        await file_report(bob)
        harness.clock.advance(3600)
        await ana.press("report:start")
        assert "What did you see?" in ana.last.text
        rows = await harness.app.db.fetchall("SELECT id FROM reports")
        assert len(rows) == 3


async def test_rate_limit_keys_are_daily_and_unlinkable(harness: Harness) -> None:
    limiter = harness.app.reports.limiter
    limiter.record("pid-a", 1000.0)
    tag_today = limiter._key.tag("pid-a", 1000.0)
    assert tag_today in limiter._hits and "pid-a" not in str(limiter._hits)
    assert limiter._key.tag("pid-a", 1000.0 + 86_400) != tag_today
    assert limiter.allowed("pid-a", 1000.0 + 86_400)
    assert limiter._hits == {}


async def test_flood_breaker_holds_new_reports_and_tells_moderators(tmp_path: Path) -> None:
    config = make_config(tmp_path, reports={"flood_reports_per_hour": 2})
    async with Harness.open(tmp_path, config) as harness:
        people = await ready(harness, "p1", "p2", "p3", "p4", "mod1")
        mod1 = people[-1]
        for person in people[:2]:
            await file_report(person, region="buncombe")
        cards_before = len(mod1.inbox)
        await file_report(people[2], region="buncombe")
        notices = mod1.inbox[cards_before:]
        assert len(notices) == 1
        assert "Many reports about Condado de Buncombe are arriving" in notices[0].text
        assert "/release buncombe to release them" in notices[0].text
        assert notices[0].menu is None
        await file_report(people[3], region="buncombe")
        assert len(mod1.inbox) == cards_before + 1      # held: no card, no second notice
        assert "Thank you. Your report was sent" in people[3].last.text
        statuses = [r[0] for r in await harness.app.db.fetchall(
            "SELECT status FROM reports ORDER BY id")]
        assert statuses == ["pending", "pending", "held", "held"]
        await mod1.say("/pending")
        # The held reports joined the region's open incident: one line, four reports.
        assert "#1" in mod1.last.text and "4 reports" in mod1.last.text
        actions = [r[0] for r in await harness.app.db.fetchall("SELECT action FROM audit")]
        assert "flood:on" in actions
        # An hour later the pace is normal again: moderators hear it, cards come back.
        harness.clock.advance(3601)
        await file_report(people[0], region="buncombe")
        texts = [r.text for r in mod1.inbox[-2:]]
        assert "Reports about Condado de Buncombe are arriving at a normal pace" in texts[0]
        assert "Buncombe" in texts[1]


async def test_similar_reports_in_a_region_become_one_incident(harness: Harness) -> None:
    ana, bob, cruz = await ready(harness, "ana", "bob", "cruz")
    mod1 = harness.person("mod1")
    first = await file_report(ana, region="buncombe", details="I-40 exit 44")
    harness.clock.advance(20 * 60)
    second = await file_report(bob, region="buncombe", details="two vans")
    card = mod1.inbox[-1]
    assert card.text.startswith("🔗 Otro reporte sobre este incidente.")
    assert f"Reporte n.º {first}:" in card.text
    assert "2 reportes independientes" in card.text
    assert f"#{second} Retén" in card.text and "two vans" in card.text
    assert card.menu is not None and card.menu.buttons[0].id == f"mod:ok:{first}"
    other = await file_report(cruz, region="swain")
    assert f"Reporte n.º {other}:" in mod1.inbox[-1].text
    incident = await harness.app.reports.incident(second)
    assert incident is not None and incident.id == first and len(incident.reports) == 2
    # Much later, a new report in the same county is a new incident.
    harness.clock.advance(3 * 3600)
    late = await file_report(cruz, region="buncombe")
    found = await harness.app.reports.incident(late)
    assert found is not None and found.id == late
