"""Fuzzing both webhooks over real HTTP: nothing unsigned gets in, nothing signed breaks them.

Hypothesis posts arbitrary bodies (bytes, JSON of any shape, update-shaped garbage) with
arbitrary extra headers to the real web server (uvicorn on 127.0.0.1). Without the right
secret (Telegram's X-Telegram-Bot-Api-Secret-Token) or signature (WhatsApp's
X-Hub-Signature-256 over the raw body) every request gets a 4xx and nothing reaches the update
queue, pywa or App.handle. With it, a body is accepted (200) or refused (4xx), never a 5xx,
and the bot still answers a real person afterwards. Seeded (`derandomize`) for stable CI.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.whatsapp_webhook import SIGNATURE_HEADER, sign
from bot.messages import Incoming
from compa_testkit.fakes.telegram_api import TOKEN, FakeTelegram
from compa_testkit.patience import PATIENCE
from compa_testkit.telegram_kit import (
    WEBHOOK_SECRET,
    WEBHOOK_URL,
    TgPerson,
    channel_of,
    record_handled,
    running,
)
from tests.whatsapp_support import APP_SECRET, whatsapp_env

pytestmark = pytest.mark.heavy  # hypothesis against the real webhooks

TG_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HOOK = "/telegram/hook"
FUZZ = settings(max_examples=80, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# Headers the HTTP client must set itself, or that would pass for the real credentials.
RESERVED = {"host", "content-length", "transfer-encoding", "connection", "content-type",
            "expect", "upgrade", TG_HEADER.lower(), SIGNATURE_HEADER.lower()}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=12)
ints = st.one_of(st.integers(-2**40, 2**40), st.text(max_size=4), st.none())
# Header values as HTTP allows them (visible bytes and obs-text, inner spaces).
header_values = st.lists(st.integers(0x21, 0xFF).filter(lambda b: b != 0x7F),
                         max_size=40).map(bytes)
extra_headers = st.dictionaries(
    st.from_regex(r"\A[A-Za-z][A-Za-z0-9-]{0,19}\Z").filter(lambda n: n.lower() not in RESERVED),
    header_values, max_size=4)

tg_chat = st.fixed_dictionaries(
    {"id": ints, "type": st.sampled_from(["private", "group", "supergroup", "channel", "x"])},
    optional={"title": st.text(max_size=10), "first_name": st.text(max_size=10)})
tg_user = st.fixed_dictionaries({"id": ints, "is_bot": st.booleans(),
                                 "first_name": st.text(max_size=10)},
                                optional={"language_code": st.text(max_size=6)})
tg_message = st.fixed_dictionaries({}, optional={
    "message_id": ints, "date": ints, "chat": tg_chat, "from": tg_user,
    "text": st.text(max_size=50), "caption": st.text(max_size=20), "entities": json_values,
    "location": json_values, "photo": json_values, "reply_to_message": json_values})
tg_updates = st.fixed_dictionaries({"update_id": st.one_of(st.integers(1, 2**31), ints)},
                                   optional={"message": tg_message,
                                             "callback_query": st.fixed_dictionaries(
                                                 {"id": st.text(max_size=5)},
                                                 optional={"from": tg_user,
                                                           "message": tg_message,
                                                           "data": st.text(max_size=80)}),
                                             "my_chat_member": json_values,
                                             "edited_message": json_values})
wa_message = st.fixed_dictionaries({
    "from": st.from_regex(r"\A[0-9]{0,15}\Z"), "id": st.text(max_size=12),
    "timestamp": st.one_of(st.just("1732450000"), st.text(max_size=5)),
    "type": st.sampled_from(["text", "interactive", "button", "image", "location", "reaction",
                             "sticker", "unknown", ""]),
}, optional={"text": st.fixed_dictionaries({"body": st.text(max_size=50)}),
             "interactive": json_values, "button": json_values, "location": json_values,
             "context": json_values, "from_user_id": st.text(max_size=12)})


def wa_bodies(phone_id: str) -> st.SearchStrategy[dict[str, Any]]:
    value = st.fixed_dictionaries(
        {"messaging_product": st.just("whatsapp"),
         "metadata": st.fixed_dictionaries({"display_phone_number": st.just("15550783881"),
                                            "phone_number_id": st.just(phone_id)})},
        optional={"contacts": st.lists(st.fixed_dictionaries(
                      {"wa_id": st.from_regex(r"\A[0-9]{0,15}\Z")},
                      optional={"profile": json_values, "user_id": st.text(max_size=12)}),
                      max_size=2),
                  "messages": st.lists(wa_message, max_size=2),
                  "statuses": st.lists(json_values, max_size=2)})
    change = st.fixed_dictionaries({"field": st.sampled_from(["messages", "x"]), "value": value})
    entry = st.fixed_dictionaries({"id": st.just("102290129340398"),
                                   "changes": st.lists(change, min_size=1, max_size=2)})
    return st.fixed_dictionaries({"object": st.just("whatsapp_business_account"),
                                  "entry": st.lists(entry, min_size=1, max_size=2)})


def any_body(shaped: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=200),
                     json_values.map(lambda v: json.dumps(v).encode()),
                     shaped.map(lambda v: json.dumps(v).encode()))


def near_misses(secret: str) -> st.SearchStrategy[bytes | None]:
    """No credential, a random one, or one a forger could almost get right."""
    close = [b"", secret.encode() + b"x", secret.encode()[:-1], secret.upper().encode(),
             b"sha256=" + b"0" * 64, b"sha256=", secret[::-1].encode()]
    return st.one_of(st.none(), st.sampled_from(close), header_values)


async def _post(client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, Any]
                ) -> httpx.Response:
    return await client.post(url, content=body, headers={"content-type": "application/json",
                                                         **headers})


def test_telegram_webhook_refuses_the_unsigned_and_survives_the_signed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", WEBHOOK_SECRET)
    with asyncio.Runner() as runner:
        stack = contextlib.AsyncExitStack()
        fake = runner.run(stack.enter_async_context(FakeTelegram()))
        try:
            bot = runner.run(stack.enter_async_context(
                running(tmp_path, fake, mode="webhook", webhook_url=WEBHOOK_URL)))
            assert bot.web is not None
            client = runner.run(stack.enter_async_context(httpx.AsyncClient(
                base_url=bot.web.url, timeout=PATIENCE)))
            queued: list[object] = []
            queue = channel_of(bot).application.update_queue
            put = queue.put

            async def spy_put(item: object) -> None:
                queued.append(item)
                await put(item)

            monkeypatch.setattr(queue, "put", spy_put)
            handled = record_handled(monkeypatch)
            ana = TgPerson(fake, 5550201, "es")

            @FUZZ
            @given(body=any_body(tg_updates), headers=extra_headers,
                   secret=near_misses(WEBHOOK_SECRET))
            def unsigned(body: bytes, headers: dict[str, bytes], secret: bytes | None) -> None:
                if secret is not None:
                    headers = {**headers, TG_HEADER: secret}
                response = runner.run(_post(client, HOOK, body, headers))
                assert response.status_code == 403
                assert queued == [] and handled == []

            unsigned()
            # A real update, signed, still goes through: the forged ones never did.
            runner.run(_post(client, HOOK, json.dumps(fake.update(
                message=ana.message("/start"))).encode(), {TG_HEADER: WEBHOOK_SECRET}))
            runner.run(fake.wait_sent(ana.chat_id, 1))
            assert [m.address.chat_id for m in handled] == [str(ana.chat_id)]

            @FUZZ
            @given(body=any_body(tg_updates), headers=extra_headers)
            def signed(body: bytes, headers: dict[str, bytes]) -> None:
                headers = {**headers, TG_HEADER: WEBHOOK_SECRET}
                response = runner.run(_post(client, HOOK, body, headers))
                assert response.status_code in (200, 400, 413), response.status_code

            signed()
            answered = len(fake.sent[str(ana.chat_id)])
            runner.run(_post(client, HOOK, json.dumps(fake.update(
                message=ana.message("hola"))).encode(), {TG_HEADER: WEBHOOK_SECRET}))
            runner.run(fake.wait_sent(ana.chat_id, answered + 1))
        finally:
            runner.run(stack.aclose())


def test_whatsapp_webhook_refuses_the_unsigned_and_survives_the_signed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with asyncio.Runner() as runner:
        stack = contextlib.AsyncExitStack()
        try:
            env = runner.run(stack.enter_async_context(whatsapp_env(tmp_path, monkeypatch)))
            client = runner.run(stack.enter_async_context(httpx.AsyncClient(timeout=PATIENCE)))
            reached: list[object] = []
            handle = env.channel.inbox._handle

            async def spy_handle(update: Any) -> bool:
                reached.append(update)
                return await handle(update)

            monkeypatch.setattr(env.channel.inbox, "_handle", spy_handle)
            handled = record_handled(monkeypatch)
            @FUZZ
            @given(body=any_body(wa_bodies(env.fake.phone_id)), headers=extra_headers,
                   signature=near_misses(APP_SECRET),
                   wrong_key=st.booleans())
            def unsigned(body: bytes, headers: dict[str, bytes], signature: bytes | None,
                         wrong_key: bool) -> None:
                if wrong_key:  # well formed, but not made with our app secret
                    signature = sign(body, APP_SECRET + "x").encode()
                if signature is not None:
                    headers = {**headers, SIGNATURE_HEADER: signature}
                response = runner.run(_post(client, env.webhook_url, body, headers))
                assert response.status_code == 403
                runner.run(env.settle())
                assert reached == [] and handled == []

            unsigned()

            @FUZZ
            @given(body=any_body(wa_bodies(env.fake.phone_id)), headers=extra_headers)
            def signed(body: bytes, headers: dict[str, bytes]) -> None:
                headers = {**headers, SIGNATURE_HEADER: sign(body, APP_SECRET)}
                response = runner.run(_post(client, env.webhook_url, body, headers))
                assert response.status_code in (200, 400, 413), response.status_code
                runner.run(env.settle())

            signed()
            ana = env.person("16505550123")
            (answer,) = runner.run(ana.says("hola"))
            assert "¿Qué idioma prefiere?" in answer.text
            assert isinstance(handled[-1], Incoming)
        finally:
            runner.run(stack.aclose())
