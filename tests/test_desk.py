"""The case desk on the console: a person, two helpers and an admin (issue 16)."""

from __future__ import annotations

import re
from pathlib import Path

from compa_testkit.harness import Chat, Harness

OPEN_HOURS = 3 * 3600      # the fake clock starts on Tuesday 07:00 in New York: 10:00


def code_in(text: str) -> str:
    found = re.search(r"C-[2-9A-Z]{4}", text)
    assert found, text
    return found.group()


async def open_case(ana: Chat, topic: str = "legal", need: str = "Tengo una cita en corte"
                    ) -> str:
    await ana.press("desk:start")
    await ana.press(f"desk:topic:{topic}")
    await ana.press("desk:county:skip")
    await ana.say(need)
    return code_in(ana.last.text)


async def test_a_person_opens_a_case_and_a_helper_answers_without_knowing_who(
        tmp_path: Path) -> None:
    async with Harness.open(tmp_path) as h:
        h.clock.advance(OPEN_HOURS)
        ana, helper, other = h.person("ana"), h.person("help1"), h.person("help2")
        await ana.start_in("es")
        assert "desk:start" in ana.button_ids() and "det:start" in ana.button_ids()
        await ana.press("desk:start")
        assert "desk:topic:detained" in ana.button_ids()
        await ana.press("desk:topic:legal")
        await ana.say("Buncombe")
        await ana.say("Mi número es 828-555-0142, necesito un abogado")
        code = code_in(ana.last.text)
        assert "Una persona le contestará" in ana.last.text
        # Both helpers learn of it: code and topic, the words scrubbed, nothing about who.
        news = helper.inbox[-1].text
        assert code in news and "buncombe" in news and "828" not in news
        assert "ana" not in news and "console" not in news
        assert other.inbox[-1].text == news

        # While the case is open, words go to the case, not to search or the menu.
        await ana.say("orden de arresto")
        assert ana.last.text.startswith("✓") and "orden de arresto" in helper.inbox[-1].text

        await helper.say(f"/tomar {code.lower()}")
        assert "orden de arresto" in helper.last.text and "Persona:" in helper.last.text
        await helper.say(f"/responder {code} Hola, ¿en qué condado es la cita?")
        assert "¿en qué condado es la cita?" in ana.inbox[-1].text
        assert code in ana.inbox[-1].text
        await helper.say(f"/nota {code} parece urgente")
        assert all("urgente" not in r.text for r in ana.inbox)
        await ana.say("Es en Asheville")
        # Claimed: only the helper who took it gets the next message.
        assert "Asheville" in helper.inbox[-1].text
        assert "Asheville" not in other.inbox[-1].text
        await helper.say(f"/responder {code} !lawyer")
        assert "abogado de inmigración" in ana.inbox[-1].text

        await helper.say(f"/cerrar {code} referido a la clínica")
        assert "¿Le ayudamos?" in ana.inbox[-1].text
        await ana.press("desk:helped:yes")
        # Closed: words go back to search and the menu.
        await ana.say("orden de arresto")
        assert not ana.last.text.startswith("✓")
        assert "helped 1" in (await _stats(h))


async def _stats(h: Harness) -> str:
    admin = h.person("mod1")
    await admin.say("/idioma")
    await admin.press("lang:set:en")
    await admin.say("/estadisticas")
    return admin.last.text


async def test_outside_hours_the_person_gets_emergency_numbers_and_self_help(
        tmp_path: Path) -> None:
    async with Harness.open(tmp_path) as h:
        ana = h.person("ana")
        await ana.start_in("es")
        await open_case(ana, "detained", "se llevaron a mi hermano")
        assert "Estamos cerrados" in ana.last.text and "martes 09:00" in ana.last.text
        assert h.app.config.resources.hotline in ana.last.text
        assert ana.button_ids() == ["det:start"]
        ben = h.person("ben")
        await ben.start_in("en")
        await open_case(ben, "needs", "we need food")
        assert "from Tuesday 09:00" in ben.last.text
        assert ben.button_ids() == ["kyr:topic:resources"]


async def test_people_and_moderators_cannot_use_helper_commands(tmp_path: Path) -> None:
    async with Harness.open(tmp_path) as h:
        ana, mod = h.person("ana"), h.person("mod2")
        await ana.start_in("es")
        code = await open_case(ana)
        for chat in (ana, mod):
            await chat.say(f"/tomar {code}")
            assert "Solo las personas voluntarias" in chat.last.text
        await h.person("help1").say("/tomar C-ZZZZ")
        assert "No hay un caso abierto" in h.person("help1").last.text
        # An admin may answer too.
        await h.person("mod1").say(f"/responder {code} hola desde admin")
        assert "hola desde admin" in ana.inbox[-1].text


async def test_leaving_with_salir_closes_and_tells_the_helper(tmp_path: Path) -> None:
    async with Harness.open(tmp_path) as h:
        ana, helper = h.person("ana"), h.person("help1")
        await ana.start_in("es")
        code = await open_case(ana)
        await helper.say(f"/tomar {code}")
        await ana.say("/salir")
        assert "Salió de la conversación" in ana.last.text
        assert "cerrado" in helper.inbox[-1].text
        await helper.say("/casos")
        assert "No hay casos abiertos" in helper.last.text


async def test_timers_remind_then_requeue(tmp_path: Path) -> None:
    async with Harness.open(tmp_path) as h:
        h.clock.advance(OPEN_HOURS)
        ana, helper, other = h.person("ana"), h.person("help1"), h.person("help2")
        await ana.start_in("es")
        code = await open_case(ana)
        h.clock.advance(14 * 60)
        assert await h.app.run_desk() == 0
        h.clock.advance(60)
        assert await h.app.run_desk() == 2          # both helpers reminded, once
        assert "Nadie ha contestado" in other.inbox[-1].text
        assert await h.app.run_desk() == 0
        await helper.say(f"/tomar {code}")
        h.clock.advance(59 * 60)
        assert await h.app.run_desk() == 0
        h.clock.advance(60)
        assert await h.app.run_desk() == 2          # back in the queue, everyone told
        assert "vuelve a la cola" in other.inbox[-1].text
        await other.say("/casos")
        assert f"{code}" in other.last.text and "esperando" in other.last.text


async def test_a_detained_case_offers_a_reminder_to_check_the_locator(tmp_path: Path) -> None:
    async with Harness.open(tmp_path) as h:
        ana, helper = h.person("ana"), h.person("help1")
        await ana.start_in("es")
        code = await open_case(ana, "detained", "no encuentro a mi hermano")
        await helper.say(f"/cerrar {code} referido")
        assert "desk:remind" in [b.id for b in ana.inbox[-1].menu.buttons]  # type: ignore[union-attr]
        await ana.press("desk:remind")
        assert "mañana" in ana.last.text
        h.clock.advance(23 * 3600)
        assert await h.app.run_desk() == 0
        h.clock.advance(3600)
        assert await h.app.run_desk() == 1
        assert "locator.ice.gov" in ana.inbox[-1].text
        assert await h.app.run_desk() == 0              # once


async def test_photos_are_not_passed_on_and_salir_without_a_case_is_kind(tmp_path: Path) -> None:
    async with Harness.open(tmp_path) as h:
        ana, helper = h.person("ana"), h.person("help1")
        await ana.start_in("es")
        await ana.say("/salir")
        assert "No tiene ninguna conversación abierta" in ana.last.text
        await open_case(ana)
        seen = len(helper.inbox)
        await ana.send_photo(b"\xff\xd8 not really a jpeg")
        assert "no pasamos fotos" in ana.last.text
        assert len(helper.inbox) == seen
        await ana.say("menu")                     # while open, words go to the case
        assert ana.last.text.startswith("✓") and "menu" in helper.inbox[-1].text


def test_codes_are_read_however_they_are_typed() -> None:
    from alerts.desk import normalise_code

    for typed in ("C-CABC", "c-cabc", " CCABC ", "CABC"):
        assert normalise_code(typed) == "C-CABC", typed
    assert normalise_code("C-7Q3K") == "C-7Q3K"
    for bad in ("C-7Q3", "C-0O1I", "hola", "", "C-7Q3KK"):
        assert normalise_code(bad) is None, bad
