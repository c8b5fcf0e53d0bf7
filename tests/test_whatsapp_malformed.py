"""Malformed but signed WhatsApp updates (`"from": null`, no `metadata`, a contact-less
message): 200, one warning line, no traceback, and the next good message is answered."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.whatsapp_support import whatsapp_env

ANA_WA = "16505551234"


def _no_from(data: dict[str, Any]) -> None:
    data["entry"][0]["changes"][0]["value"]["messages"][0]["from"] = None


def _no_metadata(data: dict[str, Any]) -> None:
    data["entry"][0]["changes"][0]["value"].pop("metadata")


def _both(data: dict[str, Any]) -> None:
    _no_from(data)
    _no_metadata(data)
    data["entry"][0]["changes"][0]["value"].pop("contacts", None)


def _status_without_metadata(data: dict[str, Any]) -> None:
    value = data["entry"][0]["changes"][0]["value"]
    value["statuses"] = [{"id": "wamid.x", "status": "delivered", "timestamp": "1",
                          "recipient_id": None}]
    value.pop("messages")
    value.pop("metadata")


@pytest.mark.parametrize("spoil", [_no_from, _no_metadata, _both, _status_without_metadata])
async def test_a_malformed_signed_update_gets_200_and_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        spoil: Callable[[dict[str, Any]], None]) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        ana = env.person(ANA_WA)
        _, data = ana.payload("text")
        spoil(data)
        caplog.clear()
        with caplog.at_level(logging.INFO):
            answer = await env.fake.post_json(data)
            await env.settle()
        assert answer.status_code == 200
        problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(problems) == 1, [r.getMessage() for r in problems]
        assert problems[0].exc_info is None and problems[0].levelno == logging.WARNING
        assert "Traceback" not in caplog.text
        assert ANA_WA not in caplog.text
        (welcome,) = await ana.says("hola")     # the channel carries on
        assert "¿Qué idioma prefiere?" in welcome.text


async def test_a_status_with_a_null_recipient_is_counted_quietly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        data = env.fake.envelope("status_sent")
        status = data["entry"][0]["changes"][0]["value"]["statuses"][0]
        status.update(id="wamid.UNKNOWN", status="delivered", recipient_id=None)
        status.pop("recipient_user_id", None)
        data["entry"][0]["changes"][0]["value"].pop("contacts", None)
        caplog.clear()
        with caplog.at_level(logging.INFO):
            assert (await env.fake.post_json(data)).status_code == 200
            await env.settle()
        assert env.channel.events.counts == {"delivered": 1}  # type: ignore[attr-defined]
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
