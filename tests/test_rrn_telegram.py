"""Issue 17 on Telegram end to end (the real PTB client against FakeTelegram): a report pings
the two on-call field verifiers, the first "Voy" claims it in place (details only there), the
other's ping is answered with "Asignado", and pressing it again joins as backup."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from bot.app import App
from bot.clock import FakeClock
from bot.runner import Runner, RunOptions
from compa_testkit.fakes.telegram_api import FakeTelegram
from compa_testkit.harness import make_config
from compa_testkit.telegram_kit import TgPerson

ANA, MOD, V1, V2 = 5550001, 5550109, 5550101, 5550102


@contextlib.asynccontextmanager
async def running(tmp_path: Path, fake: FakeTelegram) -> AsyncIterator[Runner]:
    config = make_config(
        tmp_path / "data", web={"port": 0},
        channels={"console": {"enabled": False},
                  "telegram": {"enabled": True, "api_base_url": fake.url,
                               "moderators": [str(MOD)]}},
        moderation={"verifications_required": 1,
                    "roles": {"telegram": {str(V1): "field", str(V2): "field"}}})
    app = await App.create(config, clock=FakeClock())
    runner = Runner(app, RunOptions(console=False))
    try:
        await runner.start()
        yield runner
    finally:
        await runner.stop()
        await app.close()


async def _shift(person: TgPerson) -> None:
    await person.say("/turno")
    for data in ("turno:c:buncombe", "turno:done", "turno:h:always", "turno:m:bike",
                 "turno:done"):
        await person.press(data)
    assert "Guardado" in person.last.text


async def test_ping_claim_and_assigned_on_telegram(tmp_path: Path, tg_api: FakeTelegram) -> None:
    async with running(tmp_path, tg_api):
        v1, v2 = TgPerson(tg_api, V1, "es"), TgPerson(tg_api, V2, "es")
        await _shift(v1)
        await _shift(v2)
        ana = TgPerson(tg_api, ANA, "es")
        await ana.say("/start")
        await ana.choose("Español")
        for data in ("report:start", "report:kind:raid", "report:region:buncombe",
                     "report:seen:now", "report:agents:3-5", "report:vehicles:1-2"):
            await ana.press(data)
        await ana.say("Frente a la iglesia de la calle Haywood")
        n1, n2 = len(v1.sent) + 1, len(v2.sent) + 1
        await ana.press("report:send")
        ping1 = (await tg_api.wait_sent(V1, n1))[-1]
        ping2 = (await tg_api.wait_sent(V2, n2))[-1]
        for ping in (ping1, ping2):
            assert ping.method == "sendMessage" and "Condado de Buncombe" in ping.text
            assert "iglesia" not in ping.text
            assert [b["text"] for b in ping.buttons] == [
                "Voy (≤15 min)", "Voy (≤30 min)", "Lejos", "No puedo"]
        [details] = await v2.press(ping2.buttons[0]["callback_data"])
        # The claim edits the ping in place; only the claimant reads the details.
        assert (details.method, details.message_id) == ("editMessageText", ping2.message_id)
        assert "iglesia" in details.text
        assigned = (await tg_api.wait_sent(V1, n1 + 1))[-1]
        assert "Asignado" in assigned.text and "iglesia" not in assigned.text
        [backup] = await v1.press(assigned.buttons[0]["callback_data"])
        assert "apoyo" in backup.text and "iglesia" in backup.text
        room = [s.text for s in tg_api.sent[str(MOD)]]
        assert any("va en camino al reporte" in text for text in room)
    assert len(tg_api.callback_answers) == len(
        [p for m, p in tg_api.calls if m == "answerCallbackQuery"])
