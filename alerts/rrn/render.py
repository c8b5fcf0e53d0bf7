"""What field verifiers and moderators read about a dispatch, in their language.

A ping says only the county, the kind and how long ago: the details go to the claimant."""

from __future__ import annotations

from alerts.models import AGENTS_LABELS, KIND_LABELS, VEHICLES_LABELS, Incident, Kind
from alerts.regions import Regions
from alerts.rrn.service import Dispatch, FieldResult
from bot.i18n import N_, Translate
from bot.messages import Button, Menu

RESULT_LABELS = {
    FieldResult.CONFIRMED: N_("✅ Confirmed"),
    FieldResult.NOT_THERE: N_("🔍 Nothing there"),
    FieldResult.FALSE_ALARM: N_("❌ False alarm"),
    FieldResult.UNVERIFIABLE: N_("❔ Could not verify"),
}
DETAILS_SHOWN = 300


def _kind(t: Translate, kind: str) -> str:
    return t(KIND_LABELS[Kind(kind)]) if kind in Kind.__members__.values() else kind


def _ago(t: Translate, dispatch: Dispatch, now: float) -> str:
    minutes = max(0, int(now - dispatch.started) // 60)
    return t("just now") if minutes < 1 else t("{n} min ago", n=minutes)


def ping(t: Translate, regions: Regions, locale: str, dispatch: Dispatch, now: float,
         backup: bool = False) -> tuple[str, Menu]:
    """The ping: county, kind, how long ago, and how many reports; nothing more."""
    lines = [t("🛰️ Field check needed"),
             "📍 " + regions.name(dispatch.region, locale),
             "🚨 " + _kind(t, dispatch.kind) + " · " + _ago(t, dispatch, now)]
    if dispatch.reports > 1:
        lines.append(t("{n} independent reports", n=dispatch.reports))
    if backup:
        lines.append(t("(Nobody is on call in that county: you are its backup.)"))
    lines.append(t("Can you go and look, from a safe distance?"))
    i = dispatch.incident
    return "\n".join(lines), Menu((
        Button(f"rrn:go15:{i}", t("On my way (≤15 min)")),
        Button(f"rrn:go30:{i}", t("On my way (≤30 min)")),
        Button(f"rrn:far:{i}", t("Too far")), Button(f"rrn:no:{i}", t("I can't"))))


def assigned(t: Translate, regions: Regions, locale: str, dispatch: Dispatch
             ) -> tuple[str, Menu | None]:
    """The others' pings once someone claimed: they may still join as backup."""
    text = t("✅ Assigned: a volunteer is on the way ({kind}, {county}). Thank you.",
             kind=_kind(t, dispatch.kind), county=regions.name(dispatch.region, locale))
    i = dispatch.incident
    return text, Menu((Button(f"rrn:go15:{i}", t("Backup (≤15 min)")),
                       Button(f"rrn:go30:{i}", t("Backup (≤30 min)"))))


def field_menu(t: Translate, incident: int) -> Menu:
    return Menu((Button(f"rrn:out:{incident}", t("📋 Send outcome")),
                 Button(f"rrn:left:{incident}", t("🚪 I left the area"))))


def details(t: Translate, regions: Regions, locale: str, incident: Incident, backup: bool,
            checkin: str) -> str:
    """For the claimant (and the backup) only: what the reports say."""
    head = incident.head
    lines = [t("You are the backup for report #{id}.", id=incident.id) if backup
             else t("You took report #{id}. Thank you.", id=incident.id),
             "🚨 " + t(KIND_LABELS[head.kind]) + " · 📍 " + regions.name(head.region, locale)]
    if len(incident.reports) > 1:
        lines.append(t("{n} independent reports", n=len(incident.reports)))
    for report in incident.reports:
        line = "• " + t(AGENTS_LABELS[report.agents]) + " · " + t(VEHICLES_LABELS[report.vehicles])
        if report.details:
            line += "\n  📝 " + report.details[:DETAILS_SHOWN]
        if report.has_photo:
            line += "\n  📷 " + t("A photo exists: the moderators can show it to you.")
        lines.append(line)
    lines += ["", t("Keep a safe distance; do not interfere, do not film faces, do not share "
                    "your position with anyone. I will ask if you are OK at {time}.",
                    time=checkin)]
    return "\n".join(lines)


def checkin(t: Translate, incident: int) -> tuple[str, Menu]:
    return (t("Are you OK? (report #{id}) Please answer within a few minutes.", id=incident),
            Menu((Button(f"rrn:ok:{incident}", t("👍 I'm OK")),
                  Button(f"rrn:left:{incident}", t("🚪 I left the area")),
                  Button(f"rrn:out:{incident}", t("📋 Send outcome")))))


ALARM = N_("⚠️ The field verifier on report #{id} has not answered the check-in. Reach them "
           "through your usual safe channel. This is not shared with anyone else.")


def alarm_menu(t: Translate, incident: int) -> Menu:
    return Menu((Button(f"rrnadm:ask:{incident}", t("🔔 Ask them again")),))


UNSTAFFED = N_("⚠️ No field verifier: nobody has taken report #{id} ({kind}, {county}) after "
               "{minutes} min. Choose what to do:")


def unstaffed_menu(t: Translate, incident: int) -> Menu:
    """Keep waiting, publish as unconfirmed (publishers only, two of them), or close."""
    return Menu((Button(f"rrnmod:wait:{incident}", t("⏳ Keep waiting")),
                 Button(f"rrnpub:{incident}", t("⚠️ Publish as unconfirmed")),
                 Button(f"rrnmod:close:{incident}", t("❔ Not verifiable"))))


def unstaffed(t: Translate, regions: Regions, locale: str, dispatch: Dispatch, minutes: int
              ) -> str:
    return t(UNSTAFFED, id=dispatch.incident, kind=_kind(t, dispatch.kind),
             county=regions.name(dispatch.region, locale), minutes=minutes)
