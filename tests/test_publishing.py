"""Publishing alerts from the moderators' side: the preview of a verified report, /alerta with
its second confirmation, the lifecycle commands, notices — and refusals for everyone else."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from alerts import subscriptions as subs
from bot.clock import FakeClock
from bot.runner import RunOptions, run
from compa_testkit.harness import Chat, Harness, make_config
from tests.publish_support import confirm_button, second_confirms
from tests.report_helpers import file_report, ready


async def subscribe(harness: Harness, chat: Chat, *regions: str) -> None:
    await subs.save(harness.app.db, harness.app.pid_for(chat.address),
                    subs.Subscription(list(regions)))


async def verified_preview(harness: Harness) -> tuple[Chat, Chat, Chat, int]:
    ana, mod1, mod2 = await ready(harness, "ana", "mod1", "mod2")
    number = await file_report(ana)
    await mod1.press(f"mod:ok:{number}")
    await mod2.press(f"mod:ok:{number}")
    assert mod2.last.text.startswith("Alert #1 preview.")
    assert [b for b in mod2.button_ids()] == ["pub:send:1", "pub:note:1", "pub:drop:1"]
    return ana, mod1, mod2, number


async def test_verified_report_preview_publish_and_all_clear(harness: Harness) -> None:
    bea, carl = harness.person("bea"), harness.person("carl")
    await bea.start_in("es")
    await carl.start_in("en")
    await subscribe(harness, bea, "buncombe")
    await subscribe(harness, carl, "madison")
    _, mod1, mod2, _ = await verified_preview(harness)
    preview = mod2.last.text
    assert "console: 1" in preview  # one subscriber in Buncombe
    assert "— ES —\n🚨 Retén o punto de control en Condado de Buncombe" in preview
    assert "— EN —\n🚨 Checkpoint in Buncombe County" in preview
    await mod1.press("pub:note:1")
    await mod1.say("Cerca del puente de Patton Ave")
    assert "Cerca del puente de Patton Ave" in mod1.inbox[-1].text
    await mod1.press("pub:send:1")           # mod1 proposes …
    assert "A different publisher must confirm exactly this text" in mod1.last.text
    await second_confirms(mod2)              # … mod2 confirms
    assert "Alert #1 confirmed and on its way. Recipients: 1." in mod2.last.text
    await harness.deliver()
    alert = bea.inbox[-1].text
    assert alert.startswith("🚨 Retén o punto de control en Condado de Buncombe")
    assert "Cerca del puente de Patton Ave" in alert and "Envíe BAJA" in alert
    assert not any("🚨" in r.text for r in carl.inbox)
    assert "Alerta #1 terminada: 1 enviadas" in mod2.inbox[-1].text  # mod2 reads Spanish
    await mod1.say("/despejado 1")
    assert "All clear for alert #1: preview. It will reach 1 people" in mod1.last.text
    await second_confirms(mod2)
    assert "The all clear for alert #1 confirmed and on its way. Recipients: 1." in mod2.last.text
    harness.clock.advance(5)
    await harness.deliver()
    assert bea.inbox[-1].text.startswith("✅ Todo despejado: la alerta #1")
    assert not any("despejado" in r.text.lower() for r in carl.inbox)
    await mod1.say("/retirar 1")
    assert "already closed" in mod1.last.text


async def test_preview_can_be_cancelled_and_nothing_goes_out(harness: Harness) -> None:
    bea = harness.person("bea")
    await bea.start_in("en")
    await subscribe(harness, bea, "buncombe")
    _, mod1, _, _ = await verified_preview(harness)
    await mod1.press("pub:drop:1")
    assert "Alert #1 cancelled: it will not go out." in mod1.last.text
    await mod1.press("pub:send:1")
    assert "not waiting for a confirmation" in mod1.last.text
    assert await harness.deliver() == 0
    assert not any("🚨" in r.text for r in bea.inbox)


async def test_note_with_a_plate_is_refused_and_kept_editable(harness: Harness) -> None:
    _, mod1, _, _ = await verified_preview(harness)
    await mod1.press("pub:note:1")
    await mod1.say("white van ABC-1234")
    assert "Please remove it" in mod1.last.text
    await mod1.say("white van")
    assert "white van" in mod1.inbox[-1].text


async def test_direct_alert_needs_a_second_publisher(harness: Harness) -> None:
    bea = harness.person("bea")
    await bea.start_in("en")
    await subscribe(harness, bea, "madison")
    mod1, mod2 = await ready(harness, "mod1", "mod2")
    await mod1.say("/alerta madison redada warehouse on Main")
    assert "A different publisher must confirm exactly this text" in mod1.inbox[-1].text
    await mod1.press(confirm_button(mod1))
    assert "a different publisher must confirm it" in mod1.last.text
    await second_confirms(mod2)
    assert "confirmed and on its way. Recipients: 1." in mod2.last.text
    await harness.deliver()
    assert "🚨 Raid (work or home) in Madison County" in bea.inbox[-1].text
    await mod1.say("/alert nowhere raid x")
    assert "Write: /alerta region kind note" in mod1.last.text


async def test_every_publishing_command_and_button_refuses_non_publishers(
        harness: Harness) -> None:
    ana, carlos = await ready(harness, "ana", "carlos")
    for command in ("/alerta buncombe reten x", "/alert buncombe checkpoint x",
                    "/actualizar 1 x", "/update 1 x", "/despejado 1", "/allclear 1",
                    "/retirar 1", "/retract 1", "/aviso 2030-01-01 10:00 todas a || b",
                    "/notice x", "/avisos", "/notices", "/cancelaraviso 1", "/cancelnotice 1"):
        await ana.say(command)
        assert "only the volunteers who publish alerts" in ana.last.text, command
    for button in ("pub:send:1", "pub:note:1", "pub:drop:1", "pub:evil:1"):
        await carlos.press(button)
        assert "only the volunteers who publish alerts" in carlos.last.text, button
    rows = await harness.app.db.fetchall("SELECT COUNT(*) FROM audit WHERE action = 'refused'")
    # Refusals are rate-limited (alerts/limits.RefusalLimiter): the first few per person.
    assert rows[0][0] == 2 * harness.app.audit.refusals.per_actor


async def test_a_verifier_cannot_publish(tmp_path: Path) -> None:
    config = make_config(tmp_path, moderation={"roles": {"console": {"mod1": "admin"}}})
    async with Harness.open(tmp_path, config) as harness:
        ana, mod1, mod3 = await ready(harness, "ana", "mod1", "mod3")
        number = await file_report(ana)
        await mod1.press(f"mod:ok:{number}")
        await mod3.press(f"mod:ok:{number}")  # mod3 is a verifier: may verify …
        await mod3.press("pub:send:1")        # … but not publish
        assert "only the volunteers who publish alerts" in mod3.last.text


async def test_notices_by_command(harness: Harness) -> None:
    bea = harness.person("bea")
    await bea.start_in("es")
    await subscribe(harness, bea, "buncombe")
    mod1, mod2 = await ready(harness, "mod1", "mod2")
    await mod1.say("/aviso 2026-11-28 09:00 buncombe Despensa de comida || Food pantry")
    assert "Notice #1 preview, to go out at 2026-11-28 09:00 to Buncombe County" in mod1.text
    await mod1.say("/avisos")
    assert "#1 · 2026-11-28 09:00 · buncombe · awaiting confirmation" in mod1.last.text
    await second_confirms(mod2, "pub:nok:")
    assert "Notice #1 scheduled for 2026-11-28 09:00 to Buncombe County" in mod2.last.text
    await mod1.say("/aviso 2020-01-01 09:00 todas a || b")
    assert "already passed" in mod1.last.text
    await mod1.say("/aviso mañana todas")
    assert "Write: /aviso" in mod1.last.text
    await mod1.say("/aviso 2026-11-29 09:00 atlantida a || b")
    assert "I do not know the region atlantida" in mod1.last.text

    harness.clock.advance(5 * 24 * 3600)
    await harness.app.alerts.send_due_notices()
    await harness.deliver()
    assert bea.inbox[-1].text == "📢 Despensa de comida"
    await mod1.say("/cancelaraviso 1")
    assert "There is no scheduled notice #1." in mod1.last.text


SCENARIO = """\
@bea hola
1
/alertas
1
buncombe
@carl hi
2
/alerts
1
madison
@ana hola
1
/reportar
1
buncombe
1
2
2
Frente a la gasolinera
1
@mod1 1
@mod2 1
@mod1 1
@mod2 1
@mod1 /despejado 1
@mod2 1
"""


async def test_console_done_when(tmp_path: Path) -> None:
    """bea (Buncombe) and carl (Madison) subscribe; ana reports; mod1 and mod2 confirm; mod1
    proposes, mod2 confirms; bea gets the alert in Spanish, carl nothing; the all clear
    (proposed by mod1, confirmed by mod2) reaches bea only."""
    data_dir = tmp_path / "data"
    config = make_config(data_dir, channels={"console": {"moderators": ["mod1", "mod2"]}})
    out = io.StringIO()
    assert await run(config, RunOptions(console=True, stdin=io.StringIO(SCENARIO), stdout=out,
                                        clock=FakeClock())) == 0
    text = out.getvalue()
    assert "Vista previa de la alerta #1." in text
    assert "Alerta #1: ya tiene las dos confirmaciones y va en camino. Destinatarios: 1." in text
    blocks = text.split("\n\n")
    to_bea = [b for b in blocks if b.startswith("[→ bea]")]
    to_carl = [b for b in blocks if b.startswith("[→ carl]")]
    assert any("🚨 Retén o punto de control en Condado de Buncombe" in b for b in to_bea)
    assert any("✅ Todo despejado: la alerta #1" in b for b in to_bea)
    assert to_carl == []


@pytest.mark.parametrize("text", ["/actualizar", "/actualizar abc", "/actualizar 1",
                                  "/despejado 99", "/retirar #x"])
async def test_follow_up_usage_errors(harness: Harness, text: str) -> None:
    (mod1,) = await ready(harness, "mod1")
    await mod1.say(text)
    assert any(w in mod1.last.text for w in ("Write the alert number", "needs a note",
                                              "There is no published alert"))
