"""A real browser reads the public page: headless Chromium at a phone's width (390 px) with
JavaScript disabled. It checks what a person sees: the alerts in order, the status words, the
language switch, and that nothing makes the page scroll sideways. The screenshots are kept in
the test's temporary folder for review."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.status import MessageType
from bot.channels.public_web import public_routes
from bot.channels.web import WebServer, build_web_app
from compa_testkit.harness import Harness, make_config
from tests.browser import chromium, phone, png_size
from tests.public_support import follow, published

pytestmark = pytest.mark.skipif(
    chromium() is None,
    reason="headless Chromium is not installed (Debian: apt-get install chromium; "
           ".ci/run installs it when it can)")

READ = """JSON.parse(JSON.stringify({
  lang: document.documentElement.lang,
  headlines: [...document.querySelectorAll('article :is(h3, h4)')].map(e => e.textContent.trim()),
  statuses: [...document.querySelectorAll('article .status')].map(e => e.textContent.trim()),
  h1: document.querySelector('h1').textContent.trim(),
  switchHref: document.querySelector('header nav a').getAttribute('href'),
  scrollWidth: document.documentElement.scrollWidth,
  clientWidth: document.documentElement.clientWidth,
  scripts: document.scripts.length,
}))"""


async def test_a_phone_reads_the_page_without_javascript(tmp_path: Path) -> None:
    config = make_config(tmp_path / "data", public={"enabled": True})
    async with Harness.open(tmp_path / "data", config) as harness:
        app = harness.app
        await published(app, "madison", "raid")
        cleared, _ = await published(app, "madison", "raid")
        await follow(app, cleared, MessageType.ALL_CLEAR)
        harness.clock.advance(600)
        await published(app, "buncombe", "checkpoint",
                        note="Cerca de la salida de la autopista " + "Larguísima" * 8)
        harness.clock.advance(600)
        updated, _ = await published(app, "henderson", "agents")
        await follow(app, updated, MessageType.UPDATE, "Siguen en la zona")
        await published(app, "polk", "raid", drill=True)
        server = WebServer(build_web_app(public_routes(app)), "127.0.0.1", 0)
        await server.start()
        try:
            async with phone(tmp_path / "profile") as page:
                await page.open(f"{server.url}/")
                seen = await page.value(READ)
                shot = await page.screenshot(tmp_path / "public-es.png")
                await page.open(f"{server.url}{seen['switchHref']}")
                english = await page.value(READ)
                await page.screenshot(tmp_path / "public-en.png")
        finally:
            await server.stop()
    assert seen["lang"] == "es" and seen["h1"] == "Alertas verificadas"
    assert seen["headlines"] == [
        "🚨 Agentes de ICE vistos en Condado de Henderson",
        "🚨 Retén o punto de control en Condado de Buncombe",
        "🚨 Redada (trabajo o casa) en Condado de Madison",
        "🚨 Redada (trabajo o casa) en Condado de Madison",
    ]
    assert seen["statuses"] == ["Activa, actualizada", "Activa", "Activa", "Todo despejado"]
    assert seen["scripts"] == 0
    assert seen["scrollWidth"] <= seen["clientWidth"] == 390, "the page scrolls sideways"
    assert png_size(shot)[0] == 390
    assert english["lang"] == "en" and english["h1"] == "Verified alerts"
    assert english["statuses"] == ["Active, updated", "Active", "Active", "All clear"]
    assert english["scrollWidth"] <= english["clientWidth"]
    assert not any("Polk" in h for h in seen["headlines"] + english["headlines"])
