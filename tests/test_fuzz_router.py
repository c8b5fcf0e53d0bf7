"""Fuzzing the router: whatever a person sends, in whatever state, gets a kind answer.

Hypothesis generates `Incoming` values (any unicode, control characters, lone surrogates,
100 kB texts, empty messages, forged and over-long button ids, odd locale hints, impossible
locations) for a person in any conversation state, and the real App (router, handlers,
SQLite store, catalogs) must answer each with at least one message that has text, that every
channel can deliver, and without a handler failing behind the apology. Seeded (`derandomize`),
so a failure here fails the same way on every machine.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import App
from bot.channels import whatsapp_ids, whatsapp_render
from bot.channels.telegram_codec import render as telegram_render
from bot.context import Session
from bot.messages import Address, Incoming, Location, Media, Reply
from bot.store import sessions as session_store
from bot.store import users as user_store
from compa_testkit.fakes.graph_api import GraphAPIError, _check_interactive, _limit
from compa_testkit.fakes.telegram_api import ApiError, FakeTelegram
from compa_testkit.harness import Harness

pytestmark = pytest.mark.heavy  # hypothesis: hundreds of messages in every state

KNOWN_BUTTONS = ("lang:set:es", "lang:set:en", "lang:pick", "kyr:list", "kyr:list:1",
                 "kyr:topic:door", "kyr:topic:door:1", "kyr:topic:right-now",
                 "kyr:topic:resources", "menu:main", "help:show")
BUTTON_PREFIXES = ("kyr:topic", "kyr:list", "lang:set", "lang", "menu", "help", "kyr", "x",
                   "report", "")
STATES = ("start:language", "lang:choose", "report:details", "report:kind", "kyr", "lang",
          "start", ":", "::", "zzz:qqq")
WORDS = ("", " ", "\x00", "\u200b", "\n\n\t", "/", "//", "/start", "/START@OtherBot x",
         "/ayuda", "/cancel", "/idioma", "/menu extra words", "menu", "MENÚ", "hola", "español",
         "English", "1", "0", "99", "-1", "orden judicial", "¿me puede parar la policía?")


def _repeat_to(piece: str, size: int) -> str:
    return (piece * (size // len(piece) + 1))[:size]


texts = st.one_of(
    st.sampled_from(WORDS),
    st.text(max_size=200),
    st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Mn", "So"]),
            max_size=50),
    st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3),   # lone surrogates
    st.builds(_repeat_to, st.text(min_size=1, max_size=8), st.just(100_000)),  # 100 kB
)
button_ids = st.one_of(
    st.none(),
    st.sampled_from(KNOWN_BUTTONS),
    st.builds(lambda prefix, arg: f"{prefix}:{arg}", st.sampled_from(BUTTON_PREFIXES),
              st.text(max_size=40)),
    st.text(max_size=100),
    st.builds(_repeat_to, st.sampled_from(["kyr:topic:", "kyr:list:9", "ñ", ":"]),
              st.sampled_from([65, 300, 5000])),
)
locale_hints = st.one_of(st.none(), st.sampled_from(["es", "en", "es-MX", "en_US", "EN",
                                                     "zz", "", "-", "pt-BR"]),
                         st.text(max_size=12))
locations = st.one_of(st.none(), st.builds(Location, st.floats(), st.floats()))
media = st.one_of(st.none(), st.builds(Media, st.sampled_from(["photo", "document", "", "?"]),
                                       st.text(max_size=10), st.text(max_size=10),
                                       st.one_of(st.none(), st.binary(max_size=64))))
addresses = st.one_of(
    st.builds(lambda n: Address("telegram", str(n)), st.integers(-10**13, 10**13)),
    st.builds(lambda wa, bsuid: Address("whatsapp", whatsapp_ids.encode(wa, bsuid)),
              st.one_of(st.none(), st.from_regex(r"\A[1-9][0-9]{7,14}\Z")),
              st.sampled_from(["US.13491208655302741918", "MX.1"])),
    st.builds(lambda name: Address("console", name), st.from_regex(r"\A[A-Za-z0-9_.-]{1,32}\Z")),
)
incomings = st.builds(
    Incoming, address=addresses, text=texts, button_id=button_ids, locale_hint=locale_hints,
    message_id=st.one_of(st.none(), st.text(max_size=12)), location=locations, media=media,
    user_id=st.one_of(st.none(), st.text(max_size=12)), is_group=st.booleans(),
)
people = st.fixed_dictionaries({
    "locale": st.sampled_from([None, "es", "en"]),
    "state": st.one_of(st.none(), st.sampled_from(STATES), st.text(max_size=20)),
    "data": st.dictionaries(st.text(max_size=8),
                            st.one_of(st.none(), st.integers(), st.text(max_size=20)),
                            max_size=3),
})


async def prepare(app: App, msg: Incoming, person: dict[str, Any]) -> None:
    """Puts the person in the generated state: known or not, a language, a step, its data."""
    actor = Address(msg.address.channel, msg.actor)
    pid = app.pid_for(actor)
    now = app.clock.now()
    await user_store.touch(app.db, pid, actor.channel, b"sealed", now, "person")
    await app.db.execute("UPDATE users SET locale = ? WHERE pid = ?", (person["locale"], pid))
    if person["state"]:
        session = Session(person["state"], dict(person["data"]))
        sealed = app.privacy.seal(session.encode(), f"session:{pid}") if session.data else None
        await session_store.save(app.db, pid, person["state"], sealed, now)
    else:
        await session_store.clear(app.db, pid)


def deliverable(reply: Reply) -> None:
    """Raises unless Telegram and WhatsApp (as their fakes check them) would take the reply."""
    for text, markup in telegram_render(reply):
        params: dict[str, Any] = {"text": text}
        if markup is not None:
            params["reply_markup"] = markup.to_dict()
        FakeTelegram._text(params)
        FakeTelegram._markup(params)
    for payload in whatsapp_render.render(reply, "Opciones"):
        if payload["type"] == "text":
            _limit(payload["text"]["body"], 4096, "text.body", minimum=1)
        else:
            _check_interactive(payload["interactive"])


class Failures(logging.Handler):
    """Collects error records: a handler failing behind the apology is still a failure."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_any_incoming_in_any_state_is_answered_kindly(tmp_path: Path) -> None:
    failures = Failures()
    logging.getLogger().addHandler(failures)
    with asyncio.Runner() as runner:
        opened = Harness.open(tmp_path / "data")
        harness = runner.run(opened.__aenter__())
        try:
            @settings(max_examples=300, deadline=None, derandomize=True, database=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
            @given(msg=incomings, person=people)
            def check(msg: Incoming, person: dict[str, Any]) -> None:
                failures.records.clear()
                runner.run(prepare(harness.app, msg, person))
                replies = runner.run(harness.app.handle(msg))
                assert replies, "no answer"
                for reply in replies:
                    assert reply.text.strip(), "an answer without text"
                    try:
                        deliverable(reply)
                    except (ApiError, GraphAPIError) as exc:
                        raise AssertionError(f"undeliverable: {exc}") from exc
                assert failures.records == [], failures.records[0].getMessage()

            check()
        finally:
            runner.run(opened.__aexit__(None, None, None))
            logging.getLogger().removeHandler(failures)
