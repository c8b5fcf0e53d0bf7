"""The words of an alert, a follow-up, a digest or a notice, in the recipient's language.

Rendered when the message is sent, not when it is published: each subscriber gets their own
language, and "20 minutes ago" is true at the moment they read it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from babel.dates import format_time, format_timedelta

from alerts.models import KIND_LABELS as REPORT_KIND_LABELS
from alerts.models import Kind
from alerts.status import MessageType
from bot.i18n import N_, Translate
from bot.placeholders import shown
from bot.public.codes import code_line

if TYPE_CHECKING:
    from bot.app import App

# The report kinds' labels, except that an alert about "Other" says what it is about.
KIND_LABELS = {str(kind): label for kind, label in REPORT_KIND_LABELS.items()}
KIND_LABELS[str(Kind.OTHER)] = N_("Immigration activity")
ALERT_KINDS = tuple(str(kind) for kind in Kind)
DRILL_PREFIX = "SIMULACRO / DRILL — "



def kind_label(t: Translate, kind: str | None) -> str:
    return t(KIND_LABELS.get(kind or "other", KIND_LABELS["other"]))


def region_label(app: App, code: str | None, locale: str) -> str:
    return app.regions.name(code, locale) if code else ""


def _when(app: App, observed: float, now: float, locale: str) -> str:
    tz = ZoneInfo(app.config.bot.timezone)
    # threshold=2: "90 minutes ago", not "2 hours ago" (Babel rounds up at 0.85 by default).
    ago = format_timedelta(timedelta(seconds=-max(now - observed, 60)), locale=locale,
                           threshold=2, add_direction=True, granularity="minute")
    clock = format_time(datetime.fromtimestamp(observed, tz), "HH:mm", locale=locale)
    return f"{ago} ({clock})"


def _note(app: App, row: Any) -> str:
    if row["note_sealed"] is None:
        return ""
    return app.privacy.unseal_text(bytes(row["note_sealed"]), f"alert-note:{row['id']}")


async def render(app: App, row: Any, pid: str, locale: str, now: float) -> str | None:
    """The text for one delivery; None when there is nothing to say (an empty digest)."""
    t = app.i18n.translator(locale)
    drill = DRILL_PREFIX if row["drill"] else ""
    kind = MessageType(row["type"])
    if kind == MessageType.ALERT:
        return drill + alert_body(app, t, row, locale, now)
    if kind == MessageType.DIGEST:
        body = await digest_body(app, t, pid, locale, int(row["window_start"]),
                                 int(row["window_end"]))
        return None if body is None else drill + body
    if kind == MessageType.NOTICE:
        return drill + "📢 " + await notice_text(app, row, locale)
    parent = await app.db.fetchone("SELECT * FROM alerts WHERE id = ?", (row["parent_id"],))
    assert parent is not None
    ref = dict(n=parent["id"], kind=kind_label(t, parent["kind"]),
               region=region_label(app, parent["region"], locale))
    note = _note(app, row)
    if kind == MessageType.UPDATE:
        text = t("🔄 Update on alert #{n} ({kind}, {region}): {note}", note=note, **ref)
    elif kind == MessageType.ALL_CLEAR:
        text = t("✅ All clear: alert #{n} ({kind}, {region}) is over.", **ref)
        text += f" {note}" if note else ""
    else:
        text = t("❌ False alarm: alert #{n} ({kind}, {region}) was not confirmed. Please "
                 "disregard it and tell anyone you shared it with.", **ref)
    return drill + text


def alert_body(app: App, t: Translate, row: Any, locale: str, now: float) -> str:
    observed = float(row["observed"] or row["published"] or row["created"])
    return alert_text(app, t, locale, kind=row["kind"], region=row["region"],
                      observed=observed, note=_note(app, row), number=row["id"], now=now
                      ) + code_line(t, row["public_code"], app.config.public.base_url)


def alert_text(app: App, t: Translate, locale: str, *, kind: str, region: str,
               observed: float, note: str, number: int, now: float) -> str:
    lines = [
        t("🚨 {kind} in {region}", kind=kind_label(t, kind),
          region=region_label(app, region, locale)),
        t("Reported {when}. Verified by volunteers.", when=_when(app, observed, now, locale)),
    ]
    if note:
        lines.append(note)
    lines += [
        t("What to do: do not open the door, stay silent, do not sign anything. Avoid the "
          "area if you can, and do not share rumours."),
        t("📞 Hotline: {hotline}", hotline=shown(app.config.resources.hotline, t)),
        t("Alert #{n}. Send STOP to stop alerts.", n=number),
    ]
    return "\n\n".join(lines)


async def digest_body(app: App, t: Translate, pid: str, locale: str, since: int, until: int
                      ) -> str | None:
    rows = await app.db.fetchall(
        "SELECT a.* FROM alerts a JOIN subscription_regions s ON s.region = a.region"
        " WHERE s.pid = ? AND a.type = 'alert' AND a.published >= ? AND a.published < ?"
        " AND a.status IN ('published', 'cleared', 'expired') ORDER BY a.published",
        (pid, since, until))
    if not rows:
        return None
    tz = ZoneInfo(app.config.bot.timezone)
    status_word = {"published": t("active"), "cleared": t("all clear"), "expired": t("over")}
    items = [
        "• " + t("{time}: {kind} in {region} ({status})",
                 time=format_time(datetime.fromtimestamp(r["published"], tz), "HH:mm",
                                  locale=locale),
                 kind=kind_label(t, r["kind"]), region=region_label(app, r["region"], locale),
                 status=status_word.get(r["status"], r["status"]))
        for r in rows
    ]
    return "\n".join([t("📋 Verified alerts in your regions in the last day:"), *items, "",
                      t("📞 Hotline: {hotline}", hotline=shown(app.config.resources.hotline, t))])


async def notice_text(app: App, row: Any, locale: str) -> str:
    notice = await app.db.fetchone(
        "SELECT id, text_es_sealed, text_en_sealed FROM notices WHERE alert_id = ?",
        (row["id"],))
    assert notice is not None
    column = "text_es_sealed" if locale == "es" else "text_en_sealed"
    return app.privacy.unseal_text(bytes(notice[column]), f"notice:{notice['id']}")
