"""Subscribing, changing and stopping alerts, as transcripts in both languages."""

from __future__ import annotations

from alerts import subscriptions as subs
from compa_testkit.harness import Chat, Harness


async def _sub(harness: Harness, chat: Chat) -> subs.Subscription:
    return await subs.get(harness.app.db, harness.app.pid_for(chat.address))


async def test_subscribe_change_and_stop_in_spanish(harness: Harness) -> None:
    bea = harness.person("bea")
    await bea.start_in("es")
    await bea.choose("Alertas")
    assert "No está suscrito a las alertas" in bea.last.text
    await bea.choose("Elegir regiones")
    assert "Condado de Buncombe" in bea.labels()
    await bea.choose("Condado de Buncombe")
    assert "Agregada: Condado de Buncombe." in bea.last.text
    assert "✅ Condado de Buncombe" in bea.labels()
    await bea.say("madison")  # typing a county toggles it too
    assert "Agregada: Condado de Madison." in bea.last.text
    await bea.choose("Listo")
    assert "Regiones: Condado de Buncombe, Condado de Madison" in bea.last.text
    assert "Cuándo: En el momento" in bea.last.text
    await bea.choose("Cambiar a: Resumen diario")
    assert "Cuándo: Resumen diario" in bea.last.text
    await bea.choose("Horas de silencio")
    await bea.choose("22:00")
    assert "Horas de silencio: de 22:00 a 07:00" in bea.last.text
    sub = await _sub(harness, bea)
    assert (sub.regions, sub.mode, sub.quiet_start, sub.quiet_end) == (
        ["buncombe", "madison"], "digest", 22, 7)
    await bea.choose("Parar las alertas")
    await bea.choose("Sí, pararlas")
    assert "Listo: ya no recibirá más alertas." in bea.last.text
    assert "/alertas" in bea.last.text
    assert not (await _sub(harness, bea)).active


async def test_subscribe_and_remove_a_region_in_english(harness: Harness) -> None:
    carl = harness.person("carl")
    await carl.start_in("en")
    await carl.say("/alerts")
    await carl.press("alerts:regions:0")
    await carl.press("alerts:toggle:buncombe:0")
    await carl.press("alerts:toggle:buncombe:0")
    assert "Removed: Buncombe County." in carl.last.text
    await carl.choose("More regions")
    assert "Regions (2/" in (carl.last.menu.title or "")  # type: ignore[union-attr]
    await carl.choose("Madison County")
    await carl.choose("Done")
    assert "Regions: Madison County" in carl.last.text
    assert (await _sub(harness, carl)).regions == ["madison"]


async def test_stop_words_work_anywhere_in_any_case(harness: Harness) -> None:
    for word in ("STOP", "baja", "Alto", "unsubscribe"):
        person = harness.person(f"p-{word}")
        await person.start_in("es")
        await person.press("alerts:regions:0")
        await person.press("alerts:toggle:buncombe:0")
        await person.press("report:start")  # in the middle of a report …
        await person.say(word)             # … the stop word still wins
        assert "Listo: ya no recibirá más alertas." in person.last.text, word
        assert not (await _sub(harness, person)).active
    lone = harness.person("lone")
    await lone.start_in("en")
    await lone.say("stop")
    assert "You were not getting alerts." in lone.last.text


async def test_forged_subscription_buttons_are_refused(harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.start_in("en")
    for forged in ("alerts:toggle:atlantis:0", "alerts:toggle:buncombe:x", "alerts:mode:hourly",
                   "alerts:quiet:1-2", "alerts:quiet:abc", "alerts:stop:maybe",
                   "alerts:regions:zz"):
        await ana.press(forged)
        assert "no longer available" in ana.last.text, forged
    assert not (await _sub(harness, ana)).active


async def test_mode_and_quiet_need_a_subscription_first(harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.start_in("en")
    await ana.press("alerts:mode:digest")
    assert "You are not subscribed" in ana.last.text
    await ana.press("alerts:quiet:22-7")
    assert "You are not subscribed" in ana.last.text
    assert not (await _sub(harness, ana)).active
