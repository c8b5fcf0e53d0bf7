"""Telegram webhook mode end to end: our ASGI server receives updates, PTB sends the answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.messages import Incoming
from bot.runner import Runner
from compa_testkit.fakes.telegram_api import FakeTelegram
from compa_testkit.telegram_kit import (
    WEBHOOK_SECRET,
    WEBHOOK_URL,
    TgPerson,
    record_handled,
    running,
)

HOOK = "/telegram/hook"


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", WEBHOOK_SECRET)



@pytest.fixture
async def runner(tmp_path: Path, tg_api: FakeTelegram) -> AsyncIterator[Runner]:
    async with running(tmp_path, tg_api, mode="webhook", webhook_url=WEBHOOK_URL) as started:
        yield started


@pytest.fixture
async def web(runner: Runner) -> AsyncIterator[httpx.AsyncClient]:
    assert runner.web is not None
    async with httpx.AsyncClient(base_url=runner.web.url) as client:
        yield client


@pytest.fixture
def handled(runner: Runner, monkeypatch: pytest.MonkeyPatch) -> list[Incoming]:
    return record_handled(monkeypatch)


async def post(web: httpx.AsyncClient, body: Any,
               secret: str | bytes | None = WEBHOOK_SECRET,
               raw: bytes | None = None) -> httpx.Response:
    headers: dict[str, str | bytes] = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    content = raw if raw is not None else json.dumps(body).encode()
    return await web.post(HOOK, content=content, headers=headers)


async def test_run_registers_the_webhook_with_its_secret(runner: Runner,
                                                         tg_api: FakeTelegram) -> None:
    assert tg_api.webhook == {"url": WEBHOOK_URL, "secret_token": WEBHOOK_SECRET,
                            "allowed_updates": ["message", "callback_query", "my_chat_member"]}
    assert "getUpdates" not in tg_api.methods()


async def test_a_conversation_over_the_webhook(web: httpx.AsyncClient, tg_api: FakeTelegram,
                                               runner: Runner) -> None:
    ana = TgPerson(tg_api, 5550101, "es")
    response = await post(web, tg_api.update(message=ana.message("/start")))
    assert response.status_code == 200
    [welcome] = await tg_api.wait_sent(ana.chat_id, 1)
    assert welcome.data == ["lang:set:es", "lang:set:en"]
    press = tg_api.update(callback_query=tg_api.callback(ana.chat_id, welcome.message_id,
                                                     "lang:set:es", sender=ana.user))
    assert (await post(web, press)).status_code == 200
    [_, menu] = await tg_api.wait_sent(ana.chat_id, 2)
    assert menu.method == "editMessageText" and "Conozca sus derechos" in menu.labels
    await tg_api.wait_until(lambda: len(tg_api.callback_answers) == 1)


async def test_missing_or_wrong_secret_is_403_and_nothing_runs(
        web: httpx.AsyncClient, tg_api: FakeTelegram, handled: list[Incoming]) -> None:
    ana = TgPerson(tg_api, 5550102, "es")
    for secret in (None, "", "wrong", WEBHOOK_SECRET + "x", WEBHOOK_SECRET[:-1],
                   "ñandú".encode()):
        response = await post(web, tg_api.update(message=ana.message("/start")), secret)
        assert response.status_code == 403, secret
    # A good update from someone else goes through; the forged ones never reached a handler.
    bob = TgPerson(tg_api, 5550103, "en")
    assert (await post(web, tg_api.update(message=bob.message("/start")))).status_code == 200
    await tg_api.wait_sent(bob.chat_id, 1)
    assert [m.address.chat_id for m in handled] == ["5550103"]
    assert tg_api.sent[str(ana.chat_id)] == []


@pytest.mark.parametrize("raw", [
    b"", b"not json", b"[1, 2]", b'{"message": {}}', b'{"update_id": "7"}',
    b'{"update_id": true}', b'{"update_id": 7, "message": {"text": "no chat"}}',
    b'{"update_id": 7, "message": "text"}', b'{"update_id": 7, "callback_query": {"id": "1"}}',
])
async def test_malformed_bodies_are_400(web: httpx.AsyncClient, raw: bytes,
                                        handled: list[Incoming]) -> None:
    response = await post(web, None, raw=raw)
    assert response.status_code == 400
    assert handled == []


async def test_duplicate_update_ids_are_handled_once(web: httpx.AsyncClient,
                                                     tg_api: FakeTelegram,
                                                     handled: list[Incoming]) -> None:
    ana = TgPerson(tg_api, 5550104, "es")
    update = tg_api.update(message=ana.message("/start"))
    for _ in range(3):
        assert (await post(web, update)).status_code == 200
    assert (await post(web, tg_api.update(message=ana.message("hola")))).status_code == 200
    await tg_api.wait_sent(ana.chat_id, 2)
    assert [m.text for m in handled] == ["/start", "hola"]
    assert len(tg_api.sent[str(ana.chat_id)]) == 2


async def test_healthz_and_other_paths(web: httpx.AsyncClient) -> None:
    health = await web.get("/healthz")
    assert health.status_code == 200 and health.json() == {"ok": True}
    assert (await web.get(HOOK)).status_code == 405
    assert (await web.post("/telegram/other", content=b"{}")).status_code == 404
