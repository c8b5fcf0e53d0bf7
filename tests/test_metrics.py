"""/metrics: off by default, loopback-only or bearer-protected, Prometheus text with the counts
an operator needs (updates, answers, outbox, deliveries by outcome and error code, reports,
jobs' last run). The privacy canary (test_privacy_canary.py) checks it carries no identifier."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from bot import metrics
from bot.channels import metrics_web
from bot.config import ConfigError
from bot.messages import SendResult
from compa_testkit.harness import Harness, RecordingChannel, make_config
from tests.fanout_support import REGION, chat_ids, seed_subscribers


async def _scrape(url: str, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient() as client:
        return await client.get(f"{url}/metrics", headers=headers)


async def test_metrics_are_off_by_default(tmp_path: Path) -> None:
    async with Harness.open(tmp_path / "data") as h:
        assert await metrics_web.start(h.app) is None


async def test_the_counts_an_operator_needs(tmp_path: Path) -> None:
    config = make_config(tmp_path / "data", metrics={"enabled": True, "port": 0})
    async with Harness.open(tmp_path / "data", config) as h:
        jobs = SimpleNamespace(listeners=[])
        jobs.add_listener = lambda fn, mask: jobs.listeners.append(fn)
        server = await metrics_web.start(h.app, jobs)
        assert server is not None
        try:
            telegram = RecordingChannel("telegram")
            h.app.channels["telegram"] = telegram
            chats = chat_ids(5)
            await seed_subscribers(h.app, chats)
            telegram.fail[str(chats[0])] = SendResult.blocked("Forbidden: bot was blocked")
            telegram.fail[str(chats[1])] = SendResult.failed("400 Bad Request: chat not found",
                                                              permanent=True)
            await h.app.alerts.create(region=REGION, kind="raid", note="", actor="m",
                                      preverified=True)
            await h.person("ana").say("hola")
            await h.person("ana").press("lang:set:es")
            before = (await _scrape(server.url)).text
            assert "compa_outbox_depth 5.0" in before
            assert "compa_fanout_alerts_in_progress 1.0" in before
            await h.deliver()
            jobs.listeners[0](SimpleNamespace(job_id="digest", exception=None))
            text = (await _scrape(server.url)).text
        finally:
            await server.stop()
    for line in ('compa_updates_handled_total{channel="console"} 2.0',
                 'compa_answers_total{channel="console"}',
                 "compa_outbox_depth 0.0",
                 'compa_deliveries{status="sent"} 3.0',
                 'compa_deliveries{status="unsubscribed"} 1.0',
                 'compa_deliveries{status="failed"} 1.0',
                 'compa_platform_errors{code="blocked"} 1.0',
                 'compa_platform_errors{code="400"} 1.0',
                 'compa_scheduler_job_last_run_timestamp_seconds{job="digest",outcome="ok"}',
                 "compa_start_time_seconds"):
        assert line in text, line


async def test_a_token_is_required_when_set(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPA_METRICS_TOKEN", "s3cret-token")
    config = make_config(tmp_path / "data", metrics={"enabled": True, "port": 0})
    async with Harness.open(tmp_path / "data", config) as h:
        server = await metrics_web.start(h.app)
        assert server is not None
        try:
            assert (await _scrape(server.url)).status_code == 401
            assert (await _scrape(server.url, "wrong")).status_code == 401
            ok = await _scrape(server.url, "s3cret-token")
            assert ok.status_code == 200 and "compa_outbox_depth" in ok.text
            assert ok.headers["content-type"].startswith("text/plain")
        finally:
            await server.stop()


def test_only_loopback_without_a_token() -> None:
    assert metrics_web._loopback("127.0.0.1") and metrics_web._loopback("::1")
    assert not metrics_web._loopback("10.0.0.5") and not metrics_web._loopback(None)
    assert not metrics_web._loopback("testclient")


async def test_another_machine_is_refused_without_a_token(tmp_path: Path) -> None:
    async with Harness.open(tmp_path / "data") as h:
        app = metrics_web.build_metrics_app(h.app, metrics.Metrics())
        for source, status in ((("192.0.2.7", 5000), 403), (("127.0.0.1", 5000), 200)):
            transport = httpx.ASGITransport(app=app, client=source)
            async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
                assert (await client.get("/metrics")).status_code == status


def test_binding_beyond_localhost_needs_a_token(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    options: dict[str, Any] = {"enabled": True, "host": "0.0.0.0"}
    with pytest.raises(ConfigError, match="COMPA_METRICS_TOKEN"):
        make_config(tmp_path, metrics=options)
    monkeypatch.setenv("COMPA_METRICS_TOKEN", "t")
    assert make_config(tmp_path, metrics=options).metrics.host == "0.0.0.0"
