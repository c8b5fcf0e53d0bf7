"""`compa doctor`: silent on a correct deployment, and on a broken one every seeded problem is
listed in one run (config, placeholders, keys, data folder, disk, schema, Telegram's webhook,
WhatsApp's templates, the clock, a moderator outside the 24-hour window)."""

from __future__ import annotations

import asyncio
import io
import os
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot import doctor
from bot.__main__ import main
from bot.app import DB_FILE, App
from bot.clock import FakeClock
from bot.config import load
from bot.messages import Address
from bot.store import users as user_store
from bot.store.migrations import LATEST
from compa_testkit.fakes.graph_api import FakeGraphAPI
from compa_testkit.fakes.telegram_api import FakeTelegram

HOOK = "https://bot.example.org/telegram/webhook"
MODERATOR = "15557810001"


def _toml(data: dict[str, Any]) -> str:
    lines = []
    for section, table in data.items():
        lines.append(f"[{section}]")
        for key, value in table.items():
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, str):
                text = f'"{value}"'
            else:
                text = repr(value).replace("'", '"')
            lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


@pytest.fixture
async def graph(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeGraphAPI]:
    fake = FakeGraphAPI(FakeClock(), token="wa-token")
    for name, value in (("WHATSAPP_TOKEN", "wa-token"), ("WHATSAPP_APP_SECRET", "s"),
                        ("WHATSAPP_VERIFY_TOKEN", "v"), ("TELEGRAM_WEBHOOK_SECRET", "hook")):
        monkeypatch.setenv(name, value)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def write_config(tmp_path: Path, tg: FakeTelegram, graph: FakeGraphAPI,
                 **overrides: dict[str, Any]) -> Path:
    sections: dict[str, dict[str, Any]] = {
        "bot": {"data_dir": str(tmp_path / "data")},
        "resources": {"hotline": "(828) 254-1234", "crisis_line": "(828) 254-2000",
                      "legal_aid": "(828) 254-3000"},
        "resources.hotline_hours": {"es": "todos los días, 24 horas",
                                    "en": "every day, 24 hours"},
        "channels.telegram": {"enabled": True, "mode": "webhook", "webhook_url": HOOK,
                              "api_base_url": tg.url},
        "channels.whatsapp": {"enabled": True, "phone_number_id": graph.phone_id,
                              "api_base_url": graph.url, "business_account_id": graph.waba_id,
                              "moderators": [MODERATOR]},
        "channels.whatsapp.templates.es": {"name": "compa_alerta", "language": "es"},
        "channels.whatsapp.templates.en": {"name": "compa_alert", "language": "en_US"},
    }
    for section, extra in overrides.items():
        sections.setdefault(section.replace("__", "."), {}).update(extra)
    path = tmp_path / "config.toml"
    path.write_text(_toml(sections), encoding="utf-8")
    return path


async def deploy(config_path: Path, moderator_wrote: float | None) -> None:
    """What a first start leaves: the data folder (700), keys (600), the database, and the
    moderator's contact if they have written."""
    config = load(config_path)
    app = await App.create(config)
    try:
        if moderator_wrote is not None:
            address = Address("whatsapp", MODERATOR)
            await user_store.touch(app.db, app.pid_for(address), "whatsapp",
                                   app.privacy.seal_text(MODERATOR, "address:whatsapp"),
                                   moderator_wrote, "verifier")
    finally:
        await app.close()
    config.data_dir.chmod(0o700)


async def test_a_correct_deployment_passes(tmp_path: Path, tg_api: FakeTelegram,
                                           graph: FakeGraphAPI,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(tmp_path, tg_api, graph)
    await deploy(path, moderator_wrote=time.time())
    tg_api.webhook = {"url": HOOK}
    found = await doctor.diagnose(str(path), min_free_bytes=1)
    assert found.problems == []
    assert any(f"schema: version {LATEST}" in n for n in found.notes)
    assert any("clock: within" in n for n in found.notes)
    out = io.StringIO()
    monkeypatch.setattr(doctor, "MIN_FREE_BYTES", 1)
    assert await doctor.run_doctor(str(path), out) == 0
    assert "FAIL" not in out.getvalue() and "everything checked is fine" in out.getvalue()


async def test_a_broken_deployment_lists_every_problem(tmp_path: Path, tg_api: FakeTelegram,
                                                       graph: FakeGraphAPI,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    path = write_config(tmp_path, tg_api, graph, channels__whatsapp__moderator_templates__es={
        "name": "compa_moderacion", "language": "es"})             # never submitted to Meta
    await deploy(path, moderator_wrote=time.time() - 3 * 86400)
    data = tmp_path / "data"
    # Seeded problems, one of each kind:
    path.write_text(path.read_text().replace('"(828) 254-1234"', '"(828) 555-0100"')
                    + '[web]\nport = "eighty"\n', encoding="utf-8")   # placeholder, config
    (data / "keys.toml").rename(data / "keys.old")                       # keys: other keys,
    (data / "keys.toml").write_text(_other_keys())
    (data / "keys.toml").chmod(0o644)                                    # … readable by all
    data.chmod(0o755)                                                    # data folder open
    conn = sqlite3.connect(data / DB_FILE)                               # schema too new
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.close()
    tg_api.webhook = None                                                # webhook not set …
    tg_api.webhook_error = (int(time.time()) - 120, "Connection refused")  # … and failing
    graph.template_status[("compa_alerta", "es")] = "REJECTED"           # template rejected
    found = await doctor.diagnose(str(path), clock=lambda: time.time() + 600,  # clock ahead
                                  min_free_bytes=10**18)                       # disk full
    expected = {
        "config": "web.port: expected int",
        "placeholder": "resources.hotline = '(828) 555-0100' is an example",
        "keys mode": "mode 644; it must be 600",
        "keys match": "do not open the addresses",
        "folder": "other users of this machine can read it",
        "disk": "MiB free under",
        "schema": f"the database is version {LATEST + 1}",
        "webhook url": "the webhook Telegram has is 'none'",
        "webhook error": "Telegram cannot reach the webhook: Connection refused, 12 min ago",
        "template": "template 'compa_alerta' (es, for es) is REJECTED",
        "clock": "ahead of Telegram",
        "moderator": "(…01) has not written in 24 hours: on WhatsApp they get only the "
                     "moderators' template",
        "moderator template": "template 'compa_moderacion' (es, for es) is missing",
    }
    for what, text in expected.items():
        assert any(text in p for p in found.problems), f"{what} not found in {found.problems}"
    # No phone number, token or key in what the doctor prints.
    printed = "\n".join(found.problems + found.notes)
    assert MODERATOR not in printed and "wa-token" not in printed and tg_api.token not in printed
    monkeypatch.setattr(doctor, "MIN_FREE_BYTES", 1)
    assert await asyncio.to_thread(main, ["--config", str(path), "doctor"]) == 1
    printed = capsys.readouterr().out
    assert printed.count("FAIL") >= len(expected) - 2       # the real clock and disk are fine
    assert "keys.toml has mode 644" in printed and "(mode 600)" not in printed


def _other_keys() -> str:
    import base64
    import secrets

    def key() -> str:
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()

    return f'pepper = "{key()}"\nseal_key = "{key()}"\n'


async def test_a_refused_whatsapp_token_is_reported(tmp_path: Path, tg_api: FakeTelegram,
                                                    graph: FakeGraphAPI,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(tmp_path, tg_api, graph)
    await deploy(path, moderator_wrote=time.time())
    tg_api.webhook = {"url": HOOK}
    monkeypatch.setenv("WHATSAPP_TOKEN", "expired")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:wrong")
    found = await doctor.diagnose(str(path), min_free_bytes=1)
    assert any("whatsapp: the token or phone_number_id was refused (HTTP 401, code 190)" in p
               for p in found.problems), found.problems
    assert any("telegram: getWebhookInfo failed: the token was refused" in p
               for p in found.problems), found.problems


def test_placeholders_are_found_in_any_spelling() -> None:
    from bot.config import parse

    cfg = parse({"resources": {"hotline": "828.555.0142", "crisis_line": "+1 (828) 254-1000",
                               "legal_aid": "(828) 555 0199",
                               "hotline_hours": {"es": "24 horas", "en": "24 hours"}}})
    found = doctor.placeholder_problems(cfg)
    assert [p.split(" = ")[0] for p in found] == ["resources.hotline", "resources.legal_aid"]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
async def test_root_does_not_touch_the_bot_s_database(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(_toml({"bot": {"data_dir": str(tmp_path / "data")}}), encoding="utf-8")
    await _first_start(path)
    os.chown(tmp_path / "data", 54321, 54321)
    before = sorted((tmp_path / "data").iterdir())
    found = await doctor.diagnose(str(path), min_free_bytes=1)
    assert any("database: not checked" in p and "bot's user" in p for p in found.problems)
    assert sorted((tmp_path / "data").iterdir()) == before


async def _first_start(path: Path) -> None:
    app = await App.create(load(path))
    await app.close()
