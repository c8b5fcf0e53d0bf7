"""Moderators' cards on WhatsApp, end to end: the real runner, web server and pywa against the
fake Graph API. A moderator inside the 24-hour window gets the photo (uploaded, then an image
message) and the card; one outside it never gets the alerts' template: the moderators' own
template when one is configured, else nothing, an audit entry, and a line in /estado. A decision
reaches a chat that already has the card as one short status line, never a second card."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from compa_testkit.fakes.graph_api import FakePerson, Sent
from tests.report_helpers import photo_with_metadata
from tests.whatsapp_support import TEMPLATES, whatsapp_env

ANA, UNO, DOS = "16505551234", "16505550101", "16505550102"
PEOPLE: dict[str, Any] = {
    "moderators": [{"name": "Uno", "role": "admin", "whatsapp": UNO},
                   {"name": "Dos", "role": "publisher", "whatsapp": DOS}],
    "reports": {"allow_photos": True},
}
MOD_TEMPLATE = {"es": {"name": "compa_moderacion", "language": "es", "parameters": ["text"]}}


async def file_report_with_photo(ana: FakePerson, photo: bytes) -> None:
    await ana.says("hola")
    await ana.presses("lang:set:es")
    for button in ("report:start", "report:kind:checkpoint", "report:region:buncombe",
                   "report:seen:now", "report:agents:3-5", "report:vehicles:1-2",
                   "report:details:skip"):
        await ana.presses(button)
    await ana.sends_image(photo)
    assert "report:send" in ana.inbox[-1].ids, ana.inbox[-1].text
    await ana.presses("report:send")


def templates(sent: list[Sent]) -> list[str]:
    return [s.body["template"]["name"] for s in sent if s.type == "template"]


def cards(sent: list[Sent]) -> list[Sent]:
    return [s for s in sent if s.type == "interactive" and "mod:ok:1" in s.ids]


async def test_photo_card_window_skip_and_status_lines(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    async with whatsapp_env(tmp_path, monkeypatch, whatsapp={"moderators": []},
                            sections=PEOPLE) as env:
        uno, dos, ana = env.person(UNO, name="Uno"), env.person(DOS, name="Dos"), env.person(ANA)
        await uno.says("/pendientes")                      # Uno is inside the window
        await file_report_with_photo(ana, photo_with_metadata())

        image, card = uno.inbox[-2:]
        assert image.type == "image" and image.text.startswith("📷 Foto del reporte n.º 1")
        shown, _ = env.fake.media[image.body["image"]["id"]]
        assert shown[:2] == b"\xff\xd8" and b"canary-7f3a" not in shown   # stripped
        assert cards([card]) and "Reporte n.º 1" in card.text
        # Dos never wrote: no alerts' template (nor any other message), and the skip is kept.
        assert dos.inbox == [] and env.fake.rejected == []
        skipped = await env.app.db.fetchall(
            "SELECT subject FROM audit WHERE action = 'skipped:window'")
        assert [r[0] for r in skipped] == ["moderator-message", "report:1"]   # photo, card

        (status,) = await uno.says("/estado")
        assert "Moderadores en WhatsApp que no han escrito en 24 horas: Dos (1 de 2)." \
            in status.text

        # Uno confirms on the card: one short line, not a second card.
        (line,) = await uno.presses("mod:ok:1")
        assert line.type == "text"
        assert line.text == ("🚨 Reporte n.º 1: Estado: esperando verificación. Confirmado "
                             "1/2 por un voluntario")
        # Dos writes (the window opens) and confirms by command: Dos gets the card, Uno the
        # line and the alert preview; still one card each.
        await dos.says("/verificar 1")
        assert any("✅ Verificado por 2 voluntarios." in s.text for s in dos.inbox)
        texts = [s.text for s in uno.inbox if s.type == "text"]
        assert "🚨 Reporte n.º 1: ✅ Verificado por 2 voluntarios." in texts
        assert len(cards(uno.inbox)) == 1
        # The old card's buttons are still on Uno's screen: one answers with the state now.
        (answer,) = await uno.presses("mod:false:1")
        assert answer.text == "El reporte n.º 1 ya se decidió: verificado."
        report = await env.app.reports.report(1)
        assert report is not None and str(report.status) == "verified"
        # /reporte 1 shows the card and the photo again.
        card_again, image_again = await uno.says("/reporte 1")
        assert "Reporte n.º 1" in card_again.text and image_again.type == "image"
        assert templates(env.fake.sent) == []
        assert env.fake.rejected == []


async def test_out_of_window_moderators_get_their_own_template(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    approved = {("compa_alerta", "es"): 1, ("compa_alert", "en_US"): 1,
                ("compa_moderacion", "es"): 1}
    async with whatsapp_env(tmp_path, monkeypatch,
                            whatsapp={"moderators": [], "templates": TEMPLATES,
                                      "moderator_templates": MOD_TEMPLATE},
                            sections=PEOPLE, templates=approved) as env:
        dos, ana = env.person(DOS, name="Dos"), env.person(ANA)
        await file_report_with_photo(ana, photo_with_metadata())
        names = templates(dos.inbox)
        # The card, under the moderators' template (the photo cannot travel in it).
        assert names == ["compa_moderacion"]
        assert "compa_alerta" not in templates(env.fake.sent)
        body = dos.inbox[-1].body["template"]["components"][0]["parameters"][0]["text"]
        assert body.startswith("🚨 Reporte n.º 1")
