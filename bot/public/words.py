"""The words the page, the feeds and the bot use for a public alert: statuses, history steps,
times in the organisation's time zone. Shared so the page and the bot say the same thing."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from bot.i18n import N_, Translate
from bot.public.service import PublicStatus

STATUS_LABELS = {
    PublicStatus.ACTIVE: N_("Active"),
    PublicStatus.UPDATED: N_("Active, updated"),
    PublicStatus.ALL_CLEAR: N_("All clear"),
    PublicStatus.FALSE_ALARM: N_("False alarm"),
    PublicStatus.ENDED: N_("Ended"),
}
EVENT_LABELS = {
    "alert": N_("Verified alert sent"),
    "update": N_("Update"),
    "all_clear": N_("All clear"),
    "retraction": N_("Withdrawn: false alarm"),
}


def status_word(t: Translate, status: PublicStatus) -> str:
    return t(STATUS_LABELS[status])


def event_word(t: Translate, type_: str) -> str:
    return t(EVENT_LABELS.get(type_, EVENT_LABELS["update"]))


def local_time(ts: float, tz: ZoneInfo, locale: str) -> str:
    """"1 dic, 14:05" — the organisation's time zone, the reader's language."""
    return format_datetime(datetime.fromtimestamp(ts, tz), "d MMM, HH:mm", locale=locale)


def iso_time(ts: float, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(ts, tz).isoformat(timespec="minutes")
