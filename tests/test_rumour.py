"""¿Es real esta alerta?: codes, pasted alerts and rumours checked against verified alerts,
as transcripts on the console. Nothing pasted is stored."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from alerts.status import MessageType
from bot.public.codes import ALPHABET, find_code, new_code, normalize
from compa_testkit.harness import Harness, make_config
from tests.public_support import follow, published


def test_codes_are_unambiguous_and_typos_are_forgiven() -> None:
    codes = {new_code() for _ in range(500)}
    assert len(codes) > 490
    assert all(len(c) == 5 and set(c) <= set(ALPHABET) for c in codes)
    assert not set("ILOU") & set(ALPHABET)
    assert all(any(ch.isdigit() for ch in c) and any(ch.isalpha() for ch in c) for c in codes)
    assert normalize("7q3-km") == "7Q3KM" and normalize("O1ILU") == "0111V"
    assert find_code("…\n\n🔎 Código: 7Q3KM (para comprobar…)") == "7Q3KM"
    assert find_code("hello") is None and find_code("28801") is None


async def test_a_broadcast_alert_carries_its_code_and_page(tmp_path: Path) -> None:
    config = make_config(tmp_path, public={"base_url": "https://alertas.example.org"})
    async with Harness.open(tmp_path, config) as harness:
        bea = harness.person("bea")
        await bea.start_in("es")
        from alerts import subscriptions as subs
        await subs.save(harness.app.db, harness.app.pid_for(bea.address),
                        subs.Subscription(["buncombe"]))
        _, code = await published(harness.app)
        await harness.deliver()
        text = bea.inbox[-1].text
        assert f"Código: {code}" in text
        assert text.endswith(f"https://alertas.example.org/alerta/{code}")


async def test_without_a_base_url_the_alert_has_the_code_only(harness: Harness) -> None:
    bea = harness.person("bea")
    await bea.start_in("en")
    from alerts import subscriptions as subs
    await subs.save(harness.app.db, harness.app.pid_for(bea.address),
                    subs.Subscription(["buncombe"]))
    _, code = await published(harness.app)
    await harness.deliver()
    assert f"Code: {code}" in bea.inbox[-1].text and "http" not in bea.inbox[-1].text


async def test_menu_entry_then_a_code(harness: Harness) -> None:
    _, code = await published(harness.app, note="Cerca del puente")
    ana = harness.person("ana")
    await ana.start_in("es")
    assert "rumour:ask" in ana.button_ids()
    await ana.press("rumour:ask")
    assert "código" in ana.last.text
    await ana.say(code.lower())
    assert ana.last.text.startswith(f"✅ Sí: {code} es una alerta")
    assert "Retén o punto de control en Condado de Buncombe" in ana.last.text
    assert "Estado: Activa" in ana.last.text
    assert ana.button_ids() == ["report:start", "menu:main"]
    # The step is over: the next message is an ordinary one.
    await ana.say("hola")
    assert "✅" not in ana.last.text


async def test_unknown_code_says_so_plainly_and_offers_to_report(harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.start_in("en")
    await ana.say("/isreal 7Q3KM")
    assert ana.last.text.startswith("❌ No verified alert has the code 7Q3KM.")
    assert "Please do not forward it" in ana.last.text
    await ana.press(ana.button_ids()[0])
    assert ana.inbox[-1].menu is not None     # the report flow started
    assert any(b.startswith("report:") for b in ana.button_ids())


async def test_a_pasted_alert_is_recognised_with_its_status(harness: Harness) -> None:
    number, code = await published(harness.app, region="henderson", kind="raid")
    await follow(harness.app, number, MessageType.ALL_CLEAR)
    ana = harness.person("ana")
    await ana.start_in("en")
    await ana.say(f"🚨 Raid in Henderson County\n\nblah\n\n🔎 Code: {code}")
    assert f"{code} is an alert our volunteers verified" in ana.last.text
    assert "Status: All clear" in ana.last.text


async def test_a_retracted_alert_is_called_a_false_alarm(harness: Harness) -> None:
    number, code = await published(harness.app)
    await follow(harness.app, number, MessageType.RETRACTION)
    ana = harness.person("ana")
    await ana.start_in("es")
    await ana.say(f"/esreal {code}")
    assert "Estado: Falsa alarma" in ana.last.text
    assert "no la reenvíe" in ana.last.text


async def test_a_rumour_without_code_is_matched_by_county_and_kind(harness: Harness) -> None:
    await published(harness.app, region="buncombe", kind="checkpoint")
    ana = harness.person("ana")
    await ana.start_in("es")
    await ana.say("URGENTE!! retén de la migra en Asheville, condado de Buncombe, compartan")
    assert "Condado de Buncombe" in ana.last.text and "Estado: Activa" in ana.last.text
    await ana.say("Hay una redada de ICE en Henderson ahora mismo, compartan")
    assert ana.last.text.startswith("❌ Nada verificado coincide")
    assert ana.button_ids() == ["report:start", "menu:main"]


async def test_drills_and_drafts_are_never_confirmed(harness: Harness) -> None:
    _, drill = await published(harness.app, drill=True)
    ana = harness.person("ana")
    await ana.start_in("en")
    await ana.say(f"/isreal {drill}")
    assert ana.last.text.startswith("❌")
    await ana.say("checkpoint in Buncombe county, share!")
    assert ana.last.text.startswith("❌ Nothing verified matches")


async def test_an_old_alert_is_not_matched_by_a_rumour(harness: Harness) -> None:
    _, code = await published(harness.app, region="madison", kind="agents")
    harness.clock.advance(25 * 3600)
    ana = harness.person("ana")
    await ana.start_in("en")
    await ana.say("ICE agents in Madison county")
    assert ana.last.text.startswith("❌")
    await ana.say(f"/isreal {code}")                 # by code it is still found, as ended
    assert "Status: Ended" in ana.last.text


async def test_a_question_about_checkpoints_still_reaches_the_rights_pages(
        harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.start_in("es")
    await ana.say("¿qué hago en un retén?")
    assert "❌" not in ana.last.text and "✅" not in ana.last.text
    await ana.say("alertas para Buncombe")          # wants alerts: not a rumour
    assert "❌" not in ana.last.text and "✅" not in ana.last.text


async def test_nothing_pasted_is_stored(harness: Harness,
                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ana = harness.person("ana")
    await ana.start_in("en")
    await ana.press("rumour:ask")
    marker = "Zorblax checkpoint in Buncombe county call 828-555-0199"
    await ana.say(marker)
    await harness.app.db.checkpoint()
    data = b"".join(p.read_bytes() for p in Path(harness.app.db.path).parent.glob("*")
                    if p.is_file())
    for piece in (b"Zorblax", b"555-0199", b"5550199"):
        assert piece not in data
        assert piece.decode() not in caplog.text
    await ana.say("/isreal Zorblax 828-555-0199")       # a command with text: the same
    assert "Zorblax" not in caplog.text and "0199" not in caplog.text
