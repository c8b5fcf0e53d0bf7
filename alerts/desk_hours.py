"""Office hours of the case desk, per weekday in the organisation's time zone."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.desk_config import WEEKDAYS, DeskConfig


def _span(desk: DeskConfig, day: datetime) -> tuple[time, time] | None:
    text = desk.hours.get(WEEKDAYS[day.weekday()])
    if not text:
        return None
    start, end = text.split("-")
    close = time(23, 59, 59) if end == "24:00" else time.fromisoformat(end)
    return time.fromisoformat(start), close


def is_open(desk: DeskConfig, tz: str, now: float) -> bool:
    local = datetime.fromtimestamp(now, ZoneInfo(tz))
    span = _span(desk, local)
    return span is not None and span[0] <= local.time() < span[1]


def next_opening(desk: DeskConfig, tz: str, now: float) -> datetime | None:
    """When the desk next opens (local time), within a week; None when no day has hours."""
    zone = ZoneInfo(tz)
    local = datetime.fromtimestamp(now, zone)
    for ahead in range(8):
        day = local + timedelta(days=ahead)
        span = _span(desk, day)
        if span is None:
            continue
        opening = datetime.combine(day.date(), span[0], zone)
        if opening > local:
            return opening
    return None
