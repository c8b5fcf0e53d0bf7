"""Atom feeds built with feedgen: verified alerts (per language, per county) and the CAP
index (one entry per alert, linking its CAP 1.2 message)."""

from __future__ import annotations

from datetime import UTC, datetime

from feedgen.feed import FeedGenerator
from lxml import etree

from alerts.render import kind_label
from bot.public.service import PublicAlert
from bot.public.words import status_word
from bot.services import Services

ATOM_NS = "http://www.w3.org/2005/Atom"


def _time(ts: float) -> datetime:
    return datetime.fromtimestamp(int(ts), UTC)


def _feed(base: str, path: str, title: str, lang: str, alerts: list[PublicAlert],
          now: float) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(f"{base}{path}")
    fg.title(title)
    fg.language(lang)
    fg.link(href=f"{base}{path}", rel="self")
    fg.link(href=f"{base}/{lang}", rel="alternate")
    fg.updated(_time(max((a.changed for a in alerts), default=now)))
    return fg


def alerts_feed(s: Services, base: str, lang: str, region: str | None,
                alerts: list[PublicAlert], now: float) -> bytes:
    t = s.i18n.translator(lang)
    path = f"/feed.atom?lang={lang}" + (f"&county={region}" if region else "")
    title = t("Verified alerts") + f" · {s.config.resources.org_name}"
    if region:
        title += f" · {s.regions.name(region, lang)}"
    fg = _feed(base, path, title, lang, alerts, now)
    fg.author({"name": s.config.resources.org_name})
    for alert in reversed(alerts):      # feedgen prepends: oldest in, newest on top
        entry = fg.add_entry()
        url = f"{base}/alerta/{alert.code}?lang={lang}"
        entry.id(f"{base}/alerta/{alert.code}")
        headline = t("🚨 {kind} in {region}", kind=kind_label(t, alert.kind),
                     region=s.regions.name(alert.region, lang))
        entry.title(f"{status_word(t, alert.status)}: {headline.removeprefix('🚨 ')}")
        entry.link(href=url, rel="alternate")
        entry.published(_time(alert.published))
        entry.updated(_time(alert.changed))
        notes = [alert.note, *(e.note for e in alert.history)]
        summary = "\n\n".join(n for n in notes if n) or headline
        entry.summary(summary)
    return bytes(fg.atom_str(pretty=True))


def cap_index(s: Services, base: str, alerts: list[PublicAlert], now: float) -> bytes:
    fg = _feed(base, "/cap.atom", f"CAP · {s.config.resources.org_name}", "es", alerts, now)
    fg.author({"name": s.config.resources.org_name})
    t = s.i18n.translator("es")
    for alert in reversed(alerts):
        entry = fg.add_entry()
        entry.id(f"{base}/cap/{alert.code}.xml")
        entry.title(f"{alert.code}: {kind_label(t, alert.kind)} · "
                    f"{s.regions.name(alert.region, 'es')} ({status_word(t, alert.status)})")
        entry.link(href=f"{base}/cap/{alert.code}.xml", rel="alternate",
                   type="application/cap+xml")
        entry.updated(_time(alert.changed))
    return _typed_links(bytes(fg.atom_str(pretty=True)), "application/cap+xml")


def _typed_links(atom: bytes, media_type: str) -> bytes:
    """feedgen 1.0 drops `rel` and `type` from entry links; CAP readers look for the type."""
    root = etree.fromstring(atom)
    for link in root.iterfind(f"{{{ATOM_NS}}}entry/{{{ATOM_NS}}}link"):
        link.set("rel", "alternate")
        link.set("type", media_type)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                pretty_print=True))
