"""Typed questions find topics, in both languages, as people really type them."""

from __future__ import annotations

import pytest

from bot.config import ResourcesConfig
from bot.content import Content, default_content_dir
from bot.search import TopicIndex
from compa_testkit.harness import Harness

INDEX = TopicIndex(Content.load(default_content_dir(), ResourcesConfig()))

SPANISH = [
    ("orden judicial", "door"),
    ("me paró la policía", "car-checkpoints"),
    ("me paro la policia", "car-checkpoints"),
    ("polisia me paro", "car-checkpoints"),
    ("notario", "notario"),
    ("el notario me cobro mucho", "notario"),
    ("tocan la puerta", "door"),
    ("que hago si llega ice a mi casa", "at-home"),
    ("la migra en mi casa", "door"),
    ("detuvieron a mi esposo", "detained"),
    ("como encuentro a mi hermano detenido", "find-detained"),
    ("tengo que contestar preguntas?", "silence"),
    ("retén en la carretera", "car-checkpoints"),
    ("puedo grabar a la migra", "witness"),
    ("tarjeta roja", "red-card"),
    ("targeta roja", "red-card"),
    ("que pasa con mis hijos si me deportan", "family-plan"),
    ("mis hijos son ciudadanos", "citizens"),
    ("redada en mi trabajo", "work"),
    ("papeles falsos", "no-false-docs"),
    ("cuarta enmienda", "constitution"),
    ("tengo daca", "daca-tps"),
    ("comida", "resources"),
    ("abogao gratis", "detained"),
    ("me quieren hacer firmar", "detained"),
    ("me detuvo la policia manejando sin licencia", "car-checkpoints"),
    ("ordn judicial", "door"),
]

ENGLISH = [
    ("warrant", "door"),
    ("warrent", "door"),
    ("my husband was detained", "detained"),
    ("detaind husband", "detained"),
    ("police stopped me", "car-checkpoints"),
    ("ice at my door", "door"),
    ("do i have to open the door", "door"),
    ("can i stay silent", "silence"),
    ("checkpiont", "car-checkpoints"),
    ("traffic stop no license", "car-checkpoints"),
    ("raid at work", "work"),
    ("how to find someone in ice custody", "find-detained"),
    ("detainee locator", "find-detained"),
    ("red card", "red-card"),
    ("what if i get deported who takes care of my kids", "family-plan"),
    ("notary fraud", "notario"),
    ("immigration lawyer scam", "notario"),
    ("daca renewal", "daca-tps"),
    ("my kids are citizens", "citizens"),
    ("fake id", "no-false-docs"),
    ("i saw ice arresting someone", "witness"),
    ("can i film the police", "witness"),
    ("food bank", "resources"),
    ("4th amendment", "constitution"),
    ("they want me to sign voluntary departure", "detained"),
    ("what do i do right now", "right-now"),
]


@pytest.mark.parametrize(("query", "slug"), SPANISH + ENGLISH)
def test_query_finds_topic_in_top_three(query: str, slug: str) -> None:
    found = [hit.slug for hit in INDEX.search(query)]
    assert slug in found, f"{query!r} → {found}"


def test_at_least_twenty_queries_per_language() -> None:
    assert len(SPANISH) >= 20 and len(ENGLISH) >= 20


@pytest.mark.parametrize("query", ["", "??", "el la los", "asdfghjkl", "the and of"])
def test_nonsense_finds_nothing(query: str) -> None:
    assert INDEX.search(query) == []


async def test_typed_question_offers_topics_as_buttons(harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.start_in("es")
    await ana.say("me paró la policía")
    assert ana.last.text == "Estos temas le pueden ayudar:"
    assert ana.button_ids()[0] == "kyr:topic:car-checkpoints"
    assert ana.button_ids()[-2:] == ["kyr:list", "menu:main"]
    await ana.press(ana.button_ids()[0])
    assert ana.last.text.startswith("En el carro")


async def test_no_match_shows_the_topic_menu(harness: Harness) -> None:
    bob = harness.person("bob")
    await bob.start_in("en")
    await bob.say("asdfghjkl qwerty")
    assert "did not find a topic" in bob.last.text
    assert "kyr:topic:silence" in bob.button_ids()
    assert "menu:main" in bob.button_ids()
