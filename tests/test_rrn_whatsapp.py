"""Issue 17 on WhatsApp end to end (the real Runner and pywa against the fake Graph API): the
ping arrives as a list with the four choices, the claim brings the details only to the
claimant, and the other verifier's ping is answered with "Asignado" and two reply buttons."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.runner import Runner, RunOptions
from compa_testkit.fakes.graph_api import FakeGraphAPI, FakePerson
from compa_testkit.harness import make_config
from tests.whatsapp_support import APP_SECRET, TOKEN, WhatsAppEnv, set_secrets

V1, V2, ANA = "16505550101", "16505550102", "16505551234"


@contextlib.asynccontextmanager
async def field_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                    ) -> AsyncIterator[WhatsAppEnv]:
    set_secrets(monkeypatch)
    clock = FakeClock()
    fake = FakeGraphAPI(clock, token=TOKEN, app_secret=APP_SECRET)
    await fake.start()
    config = make_config(
        tmp_path / "data", web={"host": "127.0.0.1", "port": 0},
        channels={"console": {"enabled": False},
                  "whatsapp": {"enabled": True, "phone_number_id": fake.phone_id,
                               "api_base_url": fake.url, "moderators": ["+1 (828) 555-0199"]}},
        moderation={"roles": {"whatsapp": {V1: "field", V2: "field"}}})
    app = await App.create(config, clock=clock)
    runner = Runner(app, RunOptions(console=False, clock=clock))
    try:
        await runner.start()
        env = WhatsAppEnv(app, runner, fake, clock)
        fake.webhook_url = env.webhook_url
        yield env
        await env.settle()
    finally:
        await runner.stop()
        await app.close()
        await fake.stop()


async def _shift(person: FakePerson) -> None:
    await person.says("/turno")
    for button in ("turno:c:buncombe", "turno:done", "turno:h:always", "turno:m:foot",
                   "turno:done"):
        await person.presses(button)
    assert "Guardado" in person.inbox[-1].text


async def test_ping_and_claim_on_whatsapp(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    async with field_env(tmp_path, monkeypatch) as env:
        v1, v2 = env.person(V1), env.person(V2)
        await _shift(v1)
        await _shift(v2)
        ana = env.person(ANA)
        await ana.says("hola")
        await ana.presses("lang:set:es")
        for button in ("report:start", "report:kind:agents", "report:region:buncombe",
                       "report:seen:now", "report:agents:1-2", "report:vehicles:0"):
            await ana.presses(button)
        await ana.says("Junto a la lavandería de Merrimon")
        await ana.presses("report:send")
        ping1, ping2 = v1.inbox[-1], v2.inbox[-1]
        for ping in (ping1, ping2):
            assert ping.interactive["type"] == "list" and "lavandería" not in ping.text
            assert [title for _, title in ping.choices] == [
                "Voy (≤15 min)", "Voy (≤30 min)", "Lejos", "No puedo"]
        (details, *_) = await v1.presses(ping1.ids[1])
        assert "lavandería" in details.text
        assert [title for _, title in details.choices] == ["📋 Enviar resultado",
                                                           "🚪 Salí de la zona"]
        assigned = v2.inbox[-1]
        assert "Asignado" in assigned.text and "lavandería" not in assigned.text
        assert assigned.interactive["type"] == "button"
        assert all(len(title) <= 20 for _, title in assigned.choices)
        assert env.fake.rejected == []
