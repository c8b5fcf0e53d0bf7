"""Starts Compa with WhatsApp enabled (the real Runner, web server and pywa) against the fake
Graph API, with a fake clock shared by both sides."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.channels.whatsapp import WhatsAppChannel
from bot.clock import FakeClock
from bot.runner import Runner, RunOptions
from compa_testkit.fakes.graph_api import FakeGraphAPI, FakePerson
from compa_testkit.harness import make_config

TOKEN, APP_SECRET, VERIFY_TOKEN = "test-token", "test-app-secret", "test-verify-token"
TEMPLATES = {
    "es": {"name": "compa_alerta", "language": "es", "parameters": ["text"]},
    "en": {"name": "compa_alert", "language": "en_US", "parameters": ["text"]},
}


@dataclass
class WhatsAppEnv:
    app: App
    runner: Runner
    fake: FakeGraphAPI
    clock: FakeClock

    @property
    def channel(self) -> WhatsAppChannel:
        channel = self.app.channels["whatsapp"]
        assert isinstance(channel, WhatsAppChannel)
        return channel

    @property
    def webhook_url(self) -> str:
        assert self.runner.web is not None
        return self.runner.web.url + self.channel.config.webhook_path

    async def settle(self) -> None:
        """Waits until neither side has work in flight (webhooks, replies, status posts)."""
        while self.channel.inbox.busy or self.fake._tasks:
            await self.fake.idle()
            await self.channel.idle()

    def person(self, wa_id: str | None = "16505551234", bsuid: str | None = None,
               name: str = "Sheena Nelson") -> FakePerson:
        person = self.fake.person(wa_id, bsuid, name)
        person.settle = self.settle
        return person


def set_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATSAPP_TOKEN", TOKEN)
    monkeypatch.setenv("WHATSAPP_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN)


@contextlib.asynccontextmanager
async def whatsapp_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       whatsapp: dict[str, Any] | None = None,
                       sections: dict[str, Any] | None = None,
                       **fake_options: Any) -> AsyncIterator[WhatsAppEnv]:
    set_secrets(monkeypatch)
    clock = FakeClock()
    fake = FakeGraphAPI(clock, token=TOKEN, app_secret=APP_SECRET, **fake_options)
    await fake.start()
    wa_config = {"enabled": True, "phone_number_id": fake.phone_id, "api_base_url": fake.url,
                 "moderators": ["+1 (828) 555-0199"], **(whatsapp or {})}
    config = make_config(tmp_path / "data",
                         channels={"console": {"enabled": False}, "whatsapp": wa_config},
                         web={"host": "127.0.0.1", "port": 0}, **(sections or {}))
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
