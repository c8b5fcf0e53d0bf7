"""¿Es real esta alerta? end to end: the real Telegram and WhatsApp clients against the fake
servers. A forwarded alert, a typed code and the menu entry, with the report button."""

from __future__ import annotations

from pathlib import Path

import pytest

from compa_testkit.fakes.telegram_api import FakeTelegram
from compa_testkit.telegram_kit import TgPerson, running
from tests.public_support import published
from tests.whatsapp_support import whatsapp_env


async def test_telegram_forwarded_alert_and_code(tmp_path: Path, tg_api: FakeTelegram) -> None:
    async with running(tmp_path, tg_api) as runner:
        _, code = await published(runner.app, "henderson", "checkpoint")
        ana = TgPerson(tg_api, 5550002, "es")
        await ana.say("/start")
        await ana.choose("Español")
        forwarded = ana.message(f"🚨 Retén en Condado de Henderson\n\n🔎 Código: {code}",
                                forward_origin={"type": "hidden_user",
                                                "sender_user_name": "Alguien",
                                                "date": 1_700_000_000})
        [answer] = await ana.send(forwarded)
        assert answer.text.startswith(f"✅ Sí: {code} es una alerta")
        assert answer.data == ["report:start", "menu:main"]
        [ask] = await ana.press("menu:main")
        assert "rumour:ask" in ask.data
        await ana.press("rumour:ask")
        [missing] = await ana.say("7Q3KM")
        assert missing.text.startswith("❌ Ninguna alerta verificada tiene el código 7Q3KM.")
        [report] = await ana.press("report:start")
        assert report.data and all(d.startswith(("report:", "menu:")) for d in report.data)


async def test_whatsapp_pasted_rumour_and_code(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        _, code = await published(env.app, "buncombe", "raid")
        ana = env.person("16505550123")
        await ana.says("hola")
        await ana.presses("lang:set:en")
        (answer,) = await ana.says(f"is this real? code {code.lower()}")
        assert f"{code} is an alert our volunteers verified" in answer.text
        assert answer.ids == ["report:start", "menu:main"]
        (rumour,) = await ana.says("ICE raid in Henderson county right now!! share")
        assert rumour.text.startswith("❌ Nothing verified matches")
        assert "Please do not forward it" in rumour.text
