"""The words of an alert, a follow-up, a digest or a notice, in the recipient's language.

Rendered when the message is sent, not when it is published: each subscriber gets their own
language, and "20 minutes ago" is true at the moment they read it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from babel.dates import format_time, format_timedelta

from alerts import integrity
from alerts.deps import AlertDeps
from alerts.models import KIND_LABELS as REPORT_KIND_LABELS
from alerts.models import Kind
from alerts.status import MessageType
from bot.i18n import N_, Translate
from bot.placeholders import shown
from bot.public.codes import code_line
from bot.store import alerts as store
from bot.store.alerts import Alert

# The report kinds' labels, except that an alert about "Other" says what it is about.
KIND_LABELS = {str(kind): label for kind, label in REPORT_KIND_LABELS.items()}
KIND_LABELS[str(Kind.OTHER)] = N_("Immigration activity")
ALERT_KINDS = tuple(str(kind) for kind in Kind)
DRILL_PREFIX = "SIMULACRO / DRILL — "
# Issue 17: published when no field verifier could go and look (two publishers agreed).
UNCONFIRMED = N_("⚠️ UNCONFIRMED: no volunteer has seen this in person yet.")


def kind_label(t: Translate, kind: str | None) -> str:
    return t(KIND_LABELS.get(kind or "other", KIND_LABELS["other"]))


class Rendering(AlertDeps):
    """The rendering half of `AlertService`."""

    def region_label(self, code: str | None, locale: str) -> str:
        return self.regions.name(code, locale) if code else ""

    def _when(self, observed: float, now: float, locale: str) -> str:
        # threshold=2: "90 minutes ago", not "2 hours ago" (Babel rounds up at 0.85 by default).
        ago = format_timedelta(timedelta(seconds=-max(now - observed, 60)), locale=locale,
                               threshold=2, add_direction=True, granularity="minute")
        clock = format_time(datetime.fromtimestamp(observed, self.tz), "HH:mm", locale=locale)
        return f"{ago} ({clock})"

    def note(self, alert: Alert) -> str:
        """The alert's note in clear ("" when it has none)."""
        if alert.note_sealed is None:
            return ""
        return self.privacy.unseal_text(alert.note_sealed, f"alert-note:{alert.id}")

    async def render(self, alert: Alert, pid: str, locale: str, now: float) -> str | None:
        """The text for one delivery; None when there is nothing to say (an empty digest)."""
        t = self.i18n.translator(locale)
        drill = DRILL_PREFIX if alert.drill else ""
        kind = MessageType(alert.type)
        if kind == MessageType.ALERT:
            return drill + self.alert_body(t, alert, locale, now)
        if kind == MessageType.DIGEST:
            body = await self.digest_body(t, pid, locale, alert.window_start or 0,
                                          alert.window_end or 0)
            return None if body is None else drill + body
        if kind == MessageType.NOTICE:
            return drill + "📢 " + await self.notice_text(alert, locale)
        parent = await store.get(self.db, alert.parent_id or 0)
        if parent is None:
            raise LookupError(f"alert #{alert.id} follows up a missing alert")
        ref = dict(n=parent.id, kind=kind_label(t, parent.kind),
                   region=self.region_label(parent.region, locale))
        note = self.note(alert)
        if kind == MessageType.UPDATE:
            text = t("🔄 Update on alert #{n} ({kind}, {region}): {note}", note=note, **ref)
        elif kind == MessageType.ALL_CLEAR:
            text = t("✅ All clear: alert #{n} ({kind}, {region}) is over.", **ref)
            text += f" {note}" if note else ""
        else:
            text = t("❌ False alarm: alert #{n} ({kind}, {region}) was not confirmed. Please "
                     "disregard it and tell anyone you shared it with.", **ref)
        return drill + text

    def alert_body(self, t: Translate, alert: Alert, locale: str, now: float) -> str:
        observed = float(alert.observed or alert.published or alert.created)
        text = self.alert_text(t, locale, kind=alert.kind or "other", region=alert.region or "",
                               observed=observed, note=self.note(alert), number=alert.id,
                               now=now, unconfirmed=alert.unconfirmed)
        # The public pages list verified alerts only: an unconfirmed one has no code to check.
        return text if alert.unconfirmed \
            else text + code_line(t, alert.public_code, self.config.public.base_url)

    def alert_text(self, t: Translate, locale: str, *, kind: str, region: str,
                   observed: float, note: str, number: int, now: float,
                   unconfirmed: bool = False) -> str:
        when = self._when(observed, now, locale)
        lines = [t(UNCONFIRMED)] if unconfirmed else []
        lines += [
            t("🚨 {kind} in {region}", kind=kind_label(t, kind),
              region=self.region_label(region, locale)),
            t("Reported {when}. Not confirmed yet: be careful, and do not share it as certain.",
              when=when) if unconfirmed
            else t("Reported {when}. Verified by volunteers.", when=when),
        ]
        if note:
            lines.append(note)
        lines += [
            t("What to do: do not open the door, stay silent, do not sign anything. Avoid the "
              "area if you can, and do not share rumours."),
            t("📞 Hotline: {hotline}", hotline=shown(self.config.resources.hotline, t)),
            t("Alert #{n}. Send STOP to stop alerts.", n=number),
        ]
        return "\n\n".join(lines)

    async def digest_body(self, t: Translate, pid: str, locale: str, since: int, until: int
                          ) -> str | None:
        alerts = [a for a in await store.published_for(self.db, pid, since, until)
                  if integrity.send_problem(self.privacy, a) is None]
        if not alerts:
            return None
        status_word = {"published": t("active"), "cleared": t("all clear"),
                       "expired": t("over")}
        items = [
            "• " + t("{time}: {kind} in {region} ({status})",
                     time=format_time(datetime.fromtimestamp(a.published or a.created,
                                                              self.tz), "HH:mm", locale=locale),
                     kind=kind_label(t, a.kind), region=self.region_label(a.region, locale),
                     status=status_word.get(a.status, a.status))
            + (" ⚠️ " + t("unconfirmed") if a.unconfirmed else "")
            for a in alerts
        ]
        hotline = shown(self.config.resources.hotline, t)
        return "\n".join([t("📋 Verified alerts in your regions in the last day:"), *items, "",
                          t("📞 Hotline: {hotline}", hotline=hotline)])

    async def notice_text(self, alert: Alert, locale: str) -> str:
        notice = await store.notice_of(self.db, alert.id)
        if notice is None:
            raise LookupError(f"alert #{alert.id} carries a missing notice")
        if integrity.notice_problem(self.privacy, notice, confirmed=True) is not None:
            raise LookupError(f"notice #{notice.id} failed its integrity check")
        sealed = notice.text_es_sealed if locale == "es" else notice.text_en_sealed
        return self.privacy.unseal_text(sealed, f"notice:{notice.id}")
