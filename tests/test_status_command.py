"""/estado (/status): an admin sees version, uptime, outbox depth, last backup, webhook health
and WhatsApp moderators outside the window, in their language; anyone else is refused kindly."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot import backup
from bot.messages import Address
from bot.store import users as user_store
from compa_testkit.fakes.telegram_api import FakeTelegram
from compa_testkit.harness import Harness, make_config
from tests.fanout_support import REGION, chat_ids, seed_subscribers

HOOK = "https://bot.example.org/telegram/webhook"


async def test_an_admin_sees_the_bot_s_health(harness: Harness) -> None:
    admin = harness.person("mod1")
    await admin.say("/estado")
    text = admin.text
    assert "Compa " in text and "funcionando desde hace" in text
    assert "Mensajes esperando para salir: 0" in text
    assert "Última copia de seguridad: ninguna todavía" in text
    assert "Webhook de Telegram: no se usa" in text
    await seed_subscribers(harness.app, chat_ids(3))
    await harness.app.alerts.create(region=REGION, kind="raid", note="", actor="m",
                         preverified=True)
    await backup.record_run(harness.app.db, harness.clock.now())
    await admin.press("lang:set:en")
    await admin.say("/status")
    assert "Messages waiting to go out: 3" in admin.text
    assert "Last backup: 2026-11-24 07:00" in admin.text      # noon UTC, in New York
    rows = await harness.app.db.fetchall("SELECT action FROM audit WHERE action = 'status'")
    assert len(rows) == 2


@pytest.mark.parametrize("who", ["mod2", "ana"])
async def test_anyone_else_is_refused_kindly(harness: Harness, who: str) -> None:
    person = harness.person(who)
    if who == "ana":
        await person.start_in("es")
    await person.say("/estado")
    assert "solo para quienes administran la red" in person.text
    assert "Mensajes esperando" not in person.text
    assert person.button_ids()                     # the menu, not a dead end
    refused = await harness.app.db.fetchall(
        "SELECT subject FROM audit WHERE action = 'refused'")
    assert [r[0] for r in refused] == ["command:estado"]


async def test_webhook_and_whatsapp_moderators(tmp_path: Path, tg_api: FakeTelegram,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WHATSAPP_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN",
                 "TELEGRAM_WEBHOOK_SECRET"):
        monkeypatch.setenv(name, "x")
    config = make_config(tmp_path / "data", channels={
        "telegram": {"enabled": True, "mode": "webhook", "webhook_url": HOOK,
                     "api_base_url": tg_api.url},
        "whatsapp": {"enabled": True, "phone_number_id": "1",
                     "moderators": ["+1 828 254 0001", "+1 828 254 0002"]}})
    async with Harness.open(tmp_path / "data", config) as h:
        pid = h.app.pid_for(Address("whatsapp", "18282540001"))
        await user_store.touch(h.app.db, pid, "whatsapp", b"x", h.clock.now(), "verifier")
        tg_api.webhook = {"url": HOOK}
        admin = h.person("mod1")
        await admin.say("/estado")
        assert "Webhook de Telegram: funciona (0 actualizaciones en espera)" in admin.text
        # The config's label of who is out (a migrated label's number masked), and what
        # they get: no template for moderators is set, so no cards there until they write.
        assert "Moderadores en WhatsApp que no han escrito en 24 horas: whatsapp …02 (1 de 2)." \
            " No reciben tarjetas en WhatsApp hasta que escriban" in admin.text
        tg_api.webhook_error = (int(time.time()), "Connection refused")
        await admin.say("/estado")
        assert "Webhook de Telegram: PROBLEMA: Telegram cannot reach the webhook: " \
               "Connection refused" in admin.text
