"""The case desk on WhatsApp, end to end against the fake Graph API: a person opens a case, a
helper (on the console) answers inside the 24-hour window as text and after it through the
"you have an answer" template, whose button shows the answer (issue 16)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.runner import Runner, RunOptions
from compa_testkit.fakes.graph_api import FakeGraphAPI, FakePerson
from compa_testkit.harness import Harness, RecordingChannel, make_config
from tests.whatsapp_support import APP_SECRET, TOKEN, WhatsAppEnv, set_secrets

BEA = "15557654321"
CASE_TEMPLATES = {"es": {"name": "compa_respuesta_caso", "language": "es"},
                  "en": {"name": "compa_case_reply", "language": "en_US"}}


@contextlib.asynccontextmanager
async def desk_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, templates: dict[str, Any]
                   ) -> AsyncIterator[tuple[WhatsAppEnv, Harness]]:
    set_secrets(monkeypatch)
    clock = FakeClock()
    fake = FakeGraphAPI(clock, token=TOKEN, app_secret=APP_SECRET, templates={
        ("compa_respuesta_caso", "es"): 1, ("compa_case_reply", "en_US"): 1})
    await fake.start()
    config = make_config(
        tmp_path / "data", web={"host": "127.0.0.1", "port": 0},
        channels={"console": {"enabled": False},
                  "whatsapp": {"enabled": True, "phone_number_id": fake.phone_id,
                               "api_base_url": fake.url}},
        desk={"whatsapp_templates": templates})
    app = await App.create(config, clock=clock)
    runner = Runner(app, RunOptions(console=False, clock=clock))
    try:
        await runner.start()
        env = WhatsAppEnv(app, runner, fake, clock)
        fake.webhook_url = env.webhook_url
        harness = Harness(app, clock)
        harness.channels["console"] = app.channels["console"] = RecordingChannel("console")
        yield env, harness
        await env.settle()
    finally:
        await runner.stop()
        await app.close()
        await fake.stop()


async def open_case(env: WhatsAppEnv, harness: Harness) -> tuple[FakePerson, str]:
    bea = env.person(BEA, None, "Beatriz Nombre")
    await bea.says("hola")
    await bea.presses("lang:set:es")
    await bea.presses("desk:start")
    await bea.presses("desk:topic:legal")
    await bea.presses("desk:county:skip")
    [opened] = await bea.says("necesito ayuda con mi cita")
    found = re.search(r"C-[2-9A-Z]{4}", opened.text)
    assert found, opened.text
    return bea, found.group()


async def press_template_button(env: WhatsAppEnv, bea: FakePerson, payload: str) -> list[Any]:
    """A tap on a template's quick-reply button arrives as a message of type "button"."""
    _, data = bea.payload("text")
    msg = data["entry"][0]["changes"][0]["value"]["messages"][0]
    msg.pop("text")
    msg["type"] = "button"
    msg["button"] = {"payload": payload, "text": "Ver respuesta"}
    return await bea.deliver(data)


async def test_an_answer_after_24_hours_goes_as_the_template_and_its_button_shows_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with desk_env(tmp_path, monkeypatch, CASE_TEMPLATES) as (env, harness):
        bea, code = await open_case(env, harness)
        helper = harness.person("help1")
        await helper.say("/casos")
        assert code in helper.last.text and "Beatriz" not in helper.last.text
        await helper.say(f"/responder {code} Hola, ¿cuándo es su cita?")
        await env.settle()
        assert bea.inbox[-1].type == "text" and "¿cuándo es su cita?" in bea.inbox[-1].text, \
            (helper.last.text, [(s.type, s.text[:40]) for s in bea.inbox])
        env.clock.advance(25 * 3600)
        await helper.say(f"/responder {code} Tenemos un abogado para usted")
        await env.settle()
        assert "Enviado a" in helper.last.text
        sent = bea.inbox[-1]
        assert sent.type == "template"
        template = sent.body["template"]
        assert template["name"] == "compa_respuesta_caso"
        assert "abogado" not in str(template)          # the answer never rides in a template
        [button] = [c for c in template["components"] if c["type"] == "button"]
        assert button["parameters"] == [{"type": "payload", "payload": "desk:show"}]
        assert env.fake.rejected == []
        [shown] = await press_template_button(env, bea, "desk:show")
        assert "Tenemos un abogado para usted" in shown.text and code in shown.text
        # Back in the window, and still in the case: her words go to it.
        [ack] = await bea.says("gracias, ¿a qué hora?")
        assert code in ack.text


async def test_without_the_template_the_helper_is_told_it_did_not_arrive(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with desk_env(tmp_path, monkeypatch, {}) as (env, harness):
        bea, code = await open_case(env, harness)
        env.clock.advance(25 * 3600)
        helper = harness.person("help1")
        before = len(bea.inbox)
        await helper.say(f"/responder {code} Tenemos un abogado")
        await env.settle()
        assert "no se pudo entregar" in helper.last.text
        assert len(bea.inbox) == before
        # The answer is kept in the case: "see the answer" (desk:show) still shows it.
        await press_template_button(env, bea, "desk:show")
        assert "Tenemos un abogado" in bea.inbox[-1].text
