"""The public HTML pages, rendered with Jinja2 (autoescaped) from `PublicAlerts`.

Only broadcast words reach a page: county, kind, times, the published note, the code. Every
sentence is a t() msgid (the templates hold structure only), so the catalogs cover the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from alerts.render import kind_label
from bot.i18n import Translate
from bot.placeholders import shown
from bot.public.service import PublicAlert, PublicStatus
from bot.public.words import event_word, local_time, status_word
from bot.services import Services

LANGS = ("es", "en")
LANG_NAMES = {"es": "Español", "en": "English"}
# The page stays under 50 kB however many alerts are active: newest first, then a cut
# (open, closed), tried in order until the page fits.
PAGE_BUDGET = 48_000
PAGE_CUTS = ((40, 20), (25, 10), (15, 5), (8, 2), (4, 0))


@dataclass(frozen=True)
class Rendered:
    body: bytes
    status: int = 200


def other(lang: str) -> str:
    return "en" if lang == "es" else "es"


class Pages:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.tz = ZoneInfo(services.config.bot.timezone)
        self.env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                               autoescape=select_autoescape(default=True, default_for_string=True),
                               trim_blocks=True, lstrip_blocks=True)

    # -- words ----------------------------------------------------------------------------
    def words(self, t: Translate) -> dict[str, str]:
        hours = self.s.config.public.recent_hours
        return {
            "skip": t("Skip to the alerts"), "languages": t("Language"),
            "more": t("More"), "home": t("Verified alerts"),
            "title": t("Verified alerts"),
            "intro": t("Only alerts that our volunteers verified, as they were sent. If a "
                       "message is not here, we did not verify it."),
            "active": t("Active alerts"),
            "none_active": t("No verified alerts are active right now."),
            "recent": t("Ended in the last {hours} hours", hours=hours),
            "none_recent": t("None."),
            "check": t("Is this alert real?"),
            "code_label": t("The alert's code (for example 7Q3KM)"),
            "check_button": t("Check"),
            "found": t("Yes: this is an alert our volunteers verified."),
            "missing": t("No verified alert has this code."),
            "invalid": t("That is not an alert code: codes have five letters and numbers."),
            "do_not_forward": t("The message may be false or changed. Please do not forward "
                                "it: false alarms spread fear."),
            "subscribe": t("Get alerts"),
            "subscribe_intro": t("Verified alerts for your county, on your phone."),
            "feed": t("Atom feed"), "kyr": t("Know your rights"),
            "code": t("Code"), "history": t("History"), "sources": t("Sources:"),
            "what_to_do": t("What to do: do not open the door, stay silent, do not sign "
                            "anything. Avoid the area if you can, and do not share rumours."),
            "only_verified": t("Compa publishes only verified alerts: never reports, names or "
                               "exact places."),
            "not_found": t("Page not found"),
            "not_found_help": t("There is no page here. If you have an alert's code, check it "
                                "below."),
        }

    def _common(self, lang: str, title: str, switch_url: str, home: str = "/") -> dict[str, Any]:
        t = self.s.i18n.translator(lang)
        res = self.s.config.resources
        return {
            "lang": lang, "title": title, "org": res.org_name, "s": self.words(t),
            "other_lang": other(lang), "other_name": LANG_NAMES[other(lang)],
            "switch_url": switch_url, "home_url": f"/{lang}" if home == "/" else home,
            "hotline": t("📞 Hotline: {hotline}", hotline=shown(res.hotline, t)),
            "typed": "",
        }

    def _render(self, template: str, status: int = 200, **context: Any) -> Rendered:
        html = self.env.get_template(template).render(**context)
        return Rendered(html.encode("utf-8"), status)

    def alert_view(self, t: Translate, lang: str, alert: PublicAlert) -> dict[str, Any]:
        latest = ""
        if alert.history:
            last = alert.history[-1]
            latest = f"{event_word(t, last.type)} · {local_time(last.at, self.tz, lang)}"
            latest += f": {last.note}" if last.note else ""
        history = [{"word": event_word(t, "alert"), "when": local_time(alert.published,
                                                                        self.tz, lang),
                    "note": alert.note}]
        history += [{"word": event_word(t, e.type), "when": local_time(e.at, self.tz, lang),
                     "note": e.note} for e in alert.history]
        return {
            "code": alert.code, "status": str(alert.status),
            "status_word": status_word(t, alert.status),
            "headline": t("🚨 {kind} in {region}", kind=kind_label(t, alert.kind),
                          region=self.s.regions.name(alert.region, lang)),
            "when": t("Sent {time}", time=local_time(alert.published, self.tz, lang)),
            "note": alert.note, "latest": latest, "history": history,
            "open": alert.status.is_open,
            "false_alarm": alert.status == PublicStatus.FALSE_ALARM,
        }

    # -- pages ----------------------------------------------------------------------------
    async def index(self, lang: str, now: float) -> Rendered:
        t = self.s.i18n.translator(lang)
        board = await self.s.public.board(now)
        context = self._common(lang, t("Verified alerts"), f"/{other(lang)}")
        context["s"]["as_of"] = t("Updated {time} ({zone}).",
                                  time=local_time(now, self.tz, lang),
                                  zone=self.s.config.bot.timezone)
        pub = self.s.config.public
        subscribe = [(label, url) for label, url in (
            (t("Alerts on Telegram"), pub.telegram_link),
            (t("Alerts on WhatsApp"), pub.whatsapp_link)) if url]
        # Newest first, as many as fit the page's budget; the rest are in the feed.
        for max_open, max_closed in PAGE_CUTS:
            groups = [(self.s.regions.name(region, lang),
                       [self.alert_view(t, lang, a) for a in alerts])
                      for region, alerts in _cut_groups(board.by_region(), max_open)]
            shown_count = sum(len(alerts) for _, alerts in groups)
            left = len(board.open) - shown_count
            more = t("{n} more active alerts are in the feed.", n=left) if left > 0 else ""
            page = self._render(
                "index.html", groups=groups, more=more,
                closed=[self.alert_view(t, lang, a) for a in board.closed[:max_closed]],
                subscribe=subscribe, kyr=self._kyr_links(lang), **context)
            if len(page.body) <= PAGE_BUDGET:
                break
        return page

    async def alert(self, code: str, lang: str, now: float) -> Rendered | None:
        alert = await self.s.public.by_code(code, now)
        if alert is None:
            return None
        t = self.s.i18n.translator(lang)
        view = self.alert_view(t, lang, alert)
        context = self._common(lang, view["headline"],
                               f"/alerta/{code}?lang={other(lang)}", f"/?lang={lang}")
        return self._render("alert.html", a=view, **context)

    async def check(self, typed: str, code: str | None, lang: str, now: float) -> Rendered:
        t = self.s.i18n.translator(lang)
        result, view = "", None
        if typed and code is None:
            result = "invalid"
        elif code is not None:
            alert = await self.s.public.by_code(code, now)
            result = "missing" if alert is None else "found"
            view = None if alert is None else self.alert_view(t, lang, alert)
        query = f"codigo={code}&" if code else ""
        context = self._common(lang, t("Is this alert real?"),
                               f"/verificar?{query}lang={other(lang)}", f"/?lang={lang}")
        context["typed"] = typed[:12]
        return self._render("check.html", result=result, a=view, **context)

    def _kyr_links(self, lang: str) -> list[tuple[str, str]]:
        return [(p.slug, p.title) for p in self.s.content.pages(lang)]

    def kyr_list(self, lang: str) -> Rendered:
        t = self.s.i18n.translator(lang)
        context = self._common(lang, t("Know your rights"), f"/kyr?lang={other(lang)}")
        return self._render("kyr_list.html", kyr=self._kyr_links(lang), **context)

    def kyr(self, slug: str, lang: str) -> Rendered | None:
        page = self.s.content.page(lang, slug)
        if page is None:
            return None
        t = self.s.i18n.translator(lang)
        body = self.s.content.fill(page.body, t, lang)
        blocks: list[dict[str, Any]] = []
        for para in body.split("\n\n"):
            lines = [line.strip() for line in para.strip().splitlines() if line.strip()]
            if lines and all(line.startswith("• ") for line in lines):
                blocks.append({"points": [line[2:] for line in lines], "text": ""})
            elif lines:
                blocks.append({"points": [], "text": " ".join(lines)})
        context = self._common(lang, page.title, f"/kyr/{slug}?lang={other(lang)}")
        return self._render("kyr.html", blocks=blocks,
                            sources=[(s.title, s.url) for s in page.sources], **context)

    def not_found(self, lang: str) -> Rendered:
        t = self.s.i18n.translator(lang)
        context = self._common(lang, t("Page not found"), f"/?lang={other(lang)}")
        return self._render("not_found.html", status=404, **context)


def _cut_groups(groups: list[tuple[str, list[PublicAlert]]], limit: int
                ) -> list[tuple[str, list[PublicAlert]]]:
    out, left = [], limit
    for region, alerts in groups:
        if left <= 0:
            break
        out.append((region, alerts[:left]))
        left -= len(alerts[:left])
    return out
