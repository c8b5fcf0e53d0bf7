"""The foundation's conversations, as transcripts: language, menu, topics, paging, cancel."""

from __future__ import annotations

from bot.messages import Reply
from compa_testkit.harness import Harness


async def test_first_contact_is_bilingual_welcome_with_two_buttons(harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.say("hola")
    assert "¿Qué idioma prefiere?" in ana.last.text
    assert "Which language do you prefer?" in ana.last.text
    assert ana.button_ids() == ["lang:set:es", "lang:set:en"]


async def test_english_hint_puts_english_first(harness: Harness) -> None:
    bob = harness.person("bob")
    await bob.say("hi", locale_hint="en-US")
    assert bob.button_ids() == ["lang:set:en", "lang:set:es"]


async def test_choosing_spanish_shows_spanish_menu_and_is_remembered(harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.say("hola")
    await ana.press("lang:set:es")
    assert "Listo: le escribiré en español." in ana.text
    assert ana.last.menu is not None and ana.last.menu.title == "Menú"
    assert "Conozca sus derechos" in ana.labels()
    await ana.say("menú")
    assert "Conozca sus derechos" in ana.labels()


async def test_everything_before_a_choice_gets_the_welcome(harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.press("kyr:topic:silence")
    assert ana.button_ids() == ["lang:set:es", "lang:set:en"]
    await ana.say("/cancel")
    assert ana.button_ids() == ["lang:set:es", "lang:set:en"]


async def test_typing_the_language_name_works(harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.say("hola")
    await ana.say("English")
    assert "Done: I will write to you in English." in ana.text


async def test_switch_language_with_command_and_menu_item(harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.start_in("es")
    await ana.say("/language")
    assert ana.last.text == "Elija su idioma:"
    await ana.press("lang:set:en")
    assert "Know your rights" in ana.labels()
    await ana.press("lang:pick")
    await ana.choose("Español")
    assert "Conozca sus derechos" in ana.labels()
    await ana.say("/idioma")
    await ana.say("inglés")
    assert "Know your rights" in ana.labels()


async def _walk_topic(chat_locale: str, harness: Harness, menu_label: str, back: str) -> None:
    person = harness.person(f"walker-{chat_locale}")
    await person.start_in(chat_locale)
    await person.choose(menu_label)
    assert "kyr:topic:silence" in person.button_ids()
    await person.press("kyr:topic:silence")
    page = person.last
    assert page.menu is not None
    assert back in person.labels()
    assert "menu:main" in person.button_ids()
    await person.choose(back)
    assert "kyr:topic:silence" in person.button_ids()
    await person.press("menu:main")
    assert "help:show" in person.button_ids()


async def test_menu_topic_page_back_menu_in_spanish(harness: Harness) -> None:
    await _walk_topic("es", harness, "Conozca sus derechos", "Volver a los temas")


async def test_menu_topic_page_back_menu_in_english(harness: Harness) -> None:
    await _walk_topic("en", harness, "Know your rights", "Back to topics")


async def test_long_page_is_paged_with_more_button(harness: Harness) -> None:
    # Paged at WhatsApp's limit for a message with buttons (1024); other channels get one part.
    from bot.channels.base import WHATSAPP_LIMITS

    harness.channels["console"].limits = WHATSAPP_LIMITS
    ana = harness.person("ana")
    await ana.start_in("es")
    await ana.press("kyr:topic:door")
    first = ana.last
    assert "(1/" in first.text.splitlines()[0]
    assert "kyr:topic:door:1" in ana.button_ids()
    parts: list[Reply] = [first]
    while "Más" in ana.labels():
        await ana.choose("Más")
        parts.append(ana.last)
    assert len(parts) >= 2
    assert all(len(p.text) <= 1024 for p in parts)
    # The footer arrives at the end: hotline, review date and the disclaimer.
    assert "Esto no es asesoría legal." in parts[-1].text
    assert "(828) 555-0100" in "\n".join(p.text for p in parts)
    assert "Revisado el 2026-12-01" in "\n".join(p.text for p in parts)


async def test_topic_list_is_paged_within_ten_buttons(harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.start_in("en")
    await ana.press("kyr:list")
    seen = []
    while True:
        assert ana.last.menu is not None and len(ana.last.menu.buttons) <= 10
        seen += [b for b in ana.button_ids() if b.startswith("kyr:topic:")]
        if "More topics" not in ana.labels():
            break
        await ana.choose("More topics")
    assert len(seen) == len(harness.app.content.topics("en")) == 23


async def test_unknown_text_gets_a_kind_answer_and_the_menu(harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.start_in("es")
    await ana.say("🙂")
    assert "no entendí" in ana.last.text
    assert ana.last.menu is not None and "help:show" in ana.button_ids()
    await ana.say("/noexiste")
    assert "No conozco ese comando" in ana.last.text


async def test_forged_and_stale_buttons_are_refused_kindly(harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.start_in("en")
    for forged in ("kyr:topic:../../etc/passwd", "kyr:topic:silence:99", "kyr:list:abc",
                   "lang:set:fr", "admin:delete:all", "kyr:topic:silence:-1"):
        await ana.press(forged)
        assert "no longer available" in ana.last.text, forged
        assert ana.last.menu is not None


async def test_cancel_mid_step_returns_to_menu(harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.start_in("en")
    await ana.say("/language")
    await ana.say("/cancel")
    assert "Cancelled. Nothing was saved." in ana.text
    assert "help:show" in ana.button_ids()
    # The step is gone: typing a language name no longer switches it.
    await ana.say("español")
    assert "Listo" not in ana.text
    assert "I did not find a topic for that." in ana.text
    await ana.say("/cancel")
    assert "There was nothing to cancel." in ana.text


async def test_stale_step_expires_and_person_starts_at_menu(harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.start_in("en")
    await ana.say("/language")
    harness.clock.advance(31 * 60)
    await ana.say("español")
    # After the TTL the language step is gone: "español" is not taken as a choice.
    assert "Listo" not in ana.text
    assert "Done" not in ana.text
    rows = await harness.app.db.fetchall("SELECT state FROM sessions")
    assert rows == []


async def test_step_within_ttl_still_applies(harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.start_in("en")
    await ana.say("/language")
    harness.clock.advance(29 * 60)
    await ana.say("español")
    assert "Listo: le escribiré en español." in ana.text


async def test_help_and_greeting(harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.start_in("es")
    await ana.say("/ayuda")
    assert "/cancelar" in ana.last.text and "(828) 555-0100" in ana.last.text
    await ana.say("Buenos días!")
    assert "¡Hola!" in ana.last.text


async def test_right_now_and_resources_from_main_menu(harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.start_in("en")
    await ana.choose("What to do now")
    assert "(828) 555-0100" in ana.last.text
    await ana.press("menu:main")
    await ana.choose("Resources")
    assert "(828) 555-0101" in ana.text or "(828) 555-0101" in "".join(
        r.text for r in ana.inbox[-3:])


async def test_stickers_media_and_locations_get_an_answer(harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.start_in("en")
    await ana.send_photo(b"\xff\xd8not really a jpeg")
    assert "cannot read photos" in ana.last.text
    await ana.share_location(35.59, -82.55)
    assert "only use a location" in ana.last.text
    await ana.say("")
    assert ana.last.menu is not None
