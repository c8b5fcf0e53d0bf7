"""The public page and feeds, route by route: status codes, caching headers, HEAD, escaping of
every published field, drills and unpublished alerts absent, valid Atom and CAP 1.2."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from lxml import etree

from alerts.status import MessageType
from bot.channels.public_web import public_routes
from bot.channels.web import build_web_app
from compa_testkit.harness import Harness, make_config
from tests.public_support import follow, published

HOSTILE = '<script>alert("x")</script>&<b onmouseover=1>'
XSD = Path(__file__).parent.parent / "bot" / "public" / "schema" / "CAP-v1.2.xsd"
ATOM = "{http://www.w3.org/2005/Atom}"
Site = tuple[Harness, httpx.AsyncClient]


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[tuple[Harness, httpx.AsyncClient]]:
    config = make_config(tmp_path, public={
        "enabled": True, "base_url": "https://alertas.example.org",
        "telegram_link": "https://t.me/CompaBot", "cache_seconds": 30},
        resources={"org_name": "Compa <WNC>"})
    async with Harness.open(tmp_path, config) as harness:
        app = build_web_app(public_routes(harness.app))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield harness, client


async def test_the_page_is_off_unless_enabled(harness: Harness) -> None:
    assert public_routes(harness.app) == []


async def test_the_page_lists_active_alerts_per_county_newest_first(site: Site) -> None:
    harness, client = site
    await published(harness.app, "buncombe", "checkpoint", note="Primera nota")
    harness.clock.advance(600)
    await published(harness.app, "henderson", "raid", note="Segunda nota")
    harness.clock.advance(600)
    number, _ = await published(harness.app, "buncombe", "agents")
    await follow(harness.app, number, MessageType.UPDATE, "Siguen ahí")
    response = await client.get("/")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="es">' in html and len(response.content) < 50_000
    assert html.index("Condado de Buncombe</h3>") < html.index("Condado de Henderson</h3>")
    assert html.index("Agentes de ICE") < html.index("Primera nota")
    assert "Activa, actualizada" in html and "Siguen ahí" in html
    assert "<script" not in html and "https://t.me/CompaBot" in html
    assert "/kyr/silence?lang=es" in html
    english = (await client.get("/en")).text
    assert '<html lang="en">' in english and "Henderson County" in english
    assert 'href="/es" lang="es"' in english


async def test_cleared_and_retracted_stay_24_hours_then_go(site: Site) -> None:
    harness, client = site
    cleared, _ = await published(harness.app, "madison", "raid")
    retracted, _ = await published(harness.app, "polk", "arrest")
    await follow(harness.app, cleared, MessageType.ALL_CLEAR)
    await follow(harness.app, retracted, MessageType.RETRACTION)
    html = (await client.get("/en")).text
    active, recent = html.split('id="recent"')
    assert "No verified alerts are active right now." in active
    assert "All clear" in recent and "False alarm" in recent
    harness.clock.advance(25 * 3600)
    html = (await client.get("/en")).text
    assert "Madison County" not in html and "Polk County" not in html


async def test_drills_drafts_and_reporters_never_appear(site: Site) -> None:
    harness, client = site
    _, drill = await published(harness.app, "yancey", "raid", drill=True)
    draft = await harness.app.alerts.create(region="wilkes", kind="raid", note="borrador",
                                 actor="pub1")          # awaiting a second publisher
    html = (await client.get("/")).text
    assert "Yancey" not in html and "Wilkes" not in html and "borrador" not in html
    assert (await client.get(f"/alerta/{drill}")).status_code == 404
    assert (await client.get(f"/cap/{drill}.xml")).status_code == 404
    code = (await harness.app.db.fetchone("SELECT public_code FROM alerts WHERE id = ?",
                                          (draft.alert_id,)))["public_code"]
    assert (await client.get(f"/alerta/{code}")).status_code == 404
    feed = (await client.get("/feed.atom")).text
    assert "Yancey" not in feed and "Wilkes" not in feed
    assert "pub1" not in html + feed


async def test_every_published_field_is_escaped(site: Site) -> None:
    harness, client = site
    # Notes are checked at publishing (no phone numbers or plates) but may hold any markup.
    number, code = await published(harness.app, "buncombe", "other", note=HOSTILE)
    await follow(harness.app, number, MessageType.UPDATE, HOSTILE)
    for path in ("/", "/en", f"/alerta/{code}", f"/alerta/{code}?lang=en",
                 f"/verificar?codigo={code}", f"/verificar?codigo={HOSTILE}"):
        html = (await client.get(path)).text
        assert "<script" not in html and "onmouseover=1>" not in html, path
    assert "&lt;script&gt;" in (await client.get(f"/alerta/{code}")).text
    assert "Compa &lt;WNC&gt;" in (await client.get("/")).text
    for path in ("/feed.atom", "/feed.atom?lang=en", "/cap.atom", f"/cap/{code}.xml"):
        body = (await client.get(path)).content
        ET.fromstring(body)                      # well-formed: the markup is text in it
        assert b"<script>" not in body, path


async def test_alert_page_shows_its_history(site: Site) -> None:
    harness, client = site
    number, code = await published(harness.app, "henderson", "checkpoint", note="En la 25")
    harness.clock.advance(1800)
    await follow(harness.app, number, MessageType.UPDATE, "Ya se movieron")
    harness.clock.advance(1800)
    await follow(harness.app, number, MessageType.ALL_CLEAR)
    html = (await client.get(f"/alerta/{code.lower()}")).text
    steps = re.findall(r"<li><strong>([^<]+)</strong>", html)
    assert steps == ["Alerta verificada enviada", "Actualización", "Todo despejado"]
    assert "Ya se movieron" in html and "Todo despejado" in html
    assert (await client.get("/alerta/ZZZZZ")).status_code == 404
    missing = await client.get("/alerta/nope!")
    assert missing.status_code == 404 and "Página no encontrada" in missing.text


async def test_verificar_by_code(site: Site) -> None:
    harness, client = site
    _, code = await published(harness.app)
    found = await client.get(f"/verificar?codigo={code}")
    assert found.status_code == 200 and "Sí: esta es una alerta" in found.text
    missing = await client.get("/verificar?codigo=7Q3KM&lang=en")
    assert "No verified alert has this code." in missing.text
    assert "Please do not forward" in missing.text
    invalid = await client.get("/verificar?codigo=hola")
    assert "no es un código" in invalid.text
    empty = await client.get("/verificar")
    assert empty.status_code == 200 and 'name="codigo"' in empty.text


async def test_caching_headers_etag_and_head(site: Site) -> None:
    harness, client = site
    _, code = await published(harness.app)
    for path in ("/", "/en", f"/alerta/{code}", "/feed.atom", "/cap.atom", f"/cap/{code}.xml",
                 "/kyr/silence?lang=en", "/kyr", "/verificar"):
        got = await client.get(path)
        assert got.status_code == 200, path
        assert got.headers["cache-control"] == "public, max-age=30", path
        assert "default-src 'none'" in got.headers["content-security-policy"]
        etag = got.headers["etag"]
        again = await client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"", path
        head = await client.head(path)
        assert head.status_code == 200 and head.content == b"", path
        assert head.headers["content-length"] == str(len(got.content)), path
        assert head.headers["etag"] == etag
    assert (await client.get("/nowhere")).status_code == 404
    assert (await client.get("/kyr/nowhere")).status_code == 404


async def test_the_page_is_reused_until_it_is_stale(site: Site) -> None:
    harness, client = site
    first = (await client.get("/")).text
    await published(harness.app, "macon", "raid")
    assert (await client.get("/")).text == first           # cached for cache_seconds
    harness.clock.advance(31)
    assert "Condado de Macon" in (await client.get("/")).text


async def test_kyr_pages_from_the_content_files(site: Site) -> None:
    harness, client = site
    page = harness.app.content.page("en", "silence")
    assert page is not None
    html = (await client.get("/kyr/silence?lang=en")).text
    assert f"<h1 id=\"t\">{page.title}</h1>" in html
    assert '<html lang="en">' in html and "<p>" in html
    es = (await client.get("/kyr/silence")).text
    assert harness.app.content.page("es", "silence").title in es  # type: ignore[union-attr]


async def test_atom_feeds_parse_back(site: Site) -> None:
    harness, client = site
    await published(harness.app, "buncombe", "checkpoint", note="Nota uno")
    harness.clock.advance(60)
    await published(harness.app, "henderson", "raid")
    await published(harness.app, "avery", "raid", drill=True)
    got = await client.get("/feed.atom")
    assert got.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(got.content)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert titles == ["Activa: Redada (trabajo o casa) en Condado de Henderson",
                      "Activa: Retén o punto de control en Condado de Buncombe"]
    for entry in entries:
        assert entry.findtext(f"{ATOM}id", "").startswith("https://alertas.example.org/alerta/")
        assert entry.findtext(f"{ATOM}updated")
    english = ET.fromstring((await client.get("/feed.atom?lang=en&county=buncombe")).content)
    (entry,) = english.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Active: Checkpoint in Buncombe County"
    assert (await client.get("/feed.atom?county=atlantis")).status_code == 404


async def test_cap_messages_are_valid_cap_1_2(site: Site) -> None:
    harness, client = site
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    _, a_code = await published(harness.app, "buncombe", "checkpoint", note=HOSTILE)
    updated, u_code = await published(harness.app, "qualla", "agents")
    await follow(harness.app, updated, MessageType.UPDATE, "Más info")
    cleared, c_code = await published(harness.app, "henderson", "raid")
    await follow(harness.app, cleared, MessageType.ALL_CLEAR)
    retracted, r_code = await published(harness.app, "polk", "arrest")
    await follow(harness.app, retracted, MessageType.RETRACTION)
    expected = {a_code: ("Alert", None), u_code: ("Update", "Avoid"),
                c_code: ("Update", "AllClear"), r_code: ("Cancel", None)}
    ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
    for code, (msg_type, response) in expected.items():
        got = await client.get(f"/cap/{code}.xml")
        assert got.headers["content-type"].startswith("application/cap+xml")
        doc = etree.fromstring(got.content)
        schema.assertValid(doc)
        assert doc.findtext("cap:msgType", namespaces=ns) == msg_type
        assert doc.findtext("cap:status", namespaces=ns) == "Actual"
        assert " " not in doc.findtext("cap:identifier", namespaces=ns)  # type: ignore[operator]
        langs = doc.xpath("cap:info/cap:language/text()", namespaces=ns)
        assert langs == ["es-US", "en-US"]
        if response is not None:
            assert response in doc.xpath("cap:info/cap:responseType/text()", namespaces=ns)
        if msg_type != "Alert":
            assert doc.findtext("cap:references", namespaces=ns)
    buncombe = etree.fromstring((await client.get(f"/cap/{a_code}.xml")).content)
    geocodes = buncombe.xpath("cap:info[1]/cap:area/cap:geocode/cap:value/text()",
                              namespaces=ns)
    assert geocodes == ["037021", "037021"]
    qualla = etree.fromstring((await client.get(f"/cap/{u_code}.xml")).content)
    assert set(qualla.xpath("cap:info[1]/cap:area/cap:geocode/cap:value/text()",
                            namespaces=ns)) == {"037173", "037099"}
    index = ET.fromstring((await client.get("/cap.atom")).content)
    links = [link.get("href") for link in index.iter(f"{ATOM}link")
             if link.get("type") == "application/cap+xml"]
    assert len(links) == 4 and all(link.endswith(".xml") for link in links)
    assert (await client.get("/cap/nope.txt")).status_code == 404


async def test_compa_run_serves_the_page_when_enabled(tmp_path: Path) -> None:
    from bot.app import App
    from bot.clock import FakeClock
    from bot.runner import Runner, RunOptions

    config = make_config(tmp_path, web={"host": "127.0.0.1", "port": 0},
                         public={"enabled": True})
    clock = FakeClock()
    app = await App.create(config, clock=clock)
    runner = Runner(app, RunOptions(console=False, clock=clock))
    try:
        await runner.start()
        assert runner.web is not None       # no channel needs it: the page alone starts it
        async with httpx.AsyncClient(base_url=runner.web.url) as client:
            page = await client.get("/")
            assert page.status_code == 200 and "Alertas verificadas" in page.text
            assert (await client.get("/healthz")).status_code == 200
    finally:
        await runner.stop()
        await app.close()


async def test_the_page_stays_under_50_kb_with_many_long_alerts(site: Site) -> None:
    harness, client = site
    note = "Cerca de la salida de la autopista, frente a la gasolinera grande. " * 4
    for i in range(120):
        number, _ = await published(harness.app, ("buncombe", "henderson", "madison")[i % 3],
                                    "checkpoint", note=note[:290])
        if i % 4 == 0:
            await follow(harness.app, number, MessageType.UPDATE, note[:290])
        if i % 5 == 0:
            await follow(harness.app, number, MessageType.ALL_CLEAR, note[:290])
    for path in ("/", "/en"):
        page = await client.get(path)
        assert len(page.content) < 50_000, (path, len(page.content))
        assert "/feed.atom" in page.text and ("more active alerts" in page.text
                                              or "alertas activas más" in page.text)
