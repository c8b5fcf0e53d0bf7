"""The weekly on-call pattern (168 hours, Monday 00h first, the organisation's timezone), who
is on call now, and the week's coverage per county with its gaps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.i18n import N_, fold
from bot.store.roster import RosterRow

HOURS = 7 * 24


class Mobility(StrEnum):
    CAR = "car"
    BIKE = "bike"
    FOOT = "foot"


class Skill(StrEnum):
    LEGAL = "legal"          # legal observer
    ENGLISH = "en"
    SPANISH = "es"
    OTHER_LANGUAGE = "lang"  # an indigenous or other language


MOBILITY_LABELS = {Mobility.CAR: N_("🚗 Car"), Mobility.BIKE: N_("🚲 Bike"),
                   Mobility.FOOT: N_("🚶 On foot")}
SKILL_LABELS = {Skill.LEGAL: N_("⚖️ Legal observer"), Skill.ENGLISH: N_("English"),
                Skill.SPANISH: N_("Spanish"), Skill.OTHER_LANGUAGE: N_("Another language")}
DAY_LABELS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
# The first three letters of each day, folded, in Spanish and English.
_DAYS = {name: i for i, names in enumerate((
    ("lun", "mon"), ("mar", "tue"), ("mie", "wed"), ("jue", "thu"), ("vie", "fri"),
    ("sab", "sat"), ("dom", "sun"))) for name in names}


@dataclass(frozen=True)
class Week:
    """A set of hours of the week."""

    hours: frozenset[int]

    @classmethod
    def of(cls, spans: list[tuple[int, int, int, int]]) -> Week:
        """(first day, last day, start hour, end hour) each; the end may wrap past midnight."""
        hours: set[int] = set()
        for first, last, start, end in spans:
            days = range(first, last + 1) if first <= last else [*range(first, 7),
                                                                 *range(0, last + 1)]
            length = (end - start) % 24 or 24
            for day in days:
                hours.update((day * 24 + start + h) % HOURS for h in range(length))
        return cls(frozenset(hours))

    @classmethod
    def decode(cls, mask: str) -> Week:
        value = int(mask, 16) if mask else 0
        return cls(frozenset(h for h in range(HOURS) if value >> h & 1))

    def encode(self) -> str:
        return format(sum(1 << h for h in self.hours), "x") if self.hours else ""

    def __contains__(self, hour: int) -> bool:
        return hour in self.hours


PRESETS = {
    "always": Week(frozenset(range(HOURS))),
    "evenings": Week.of([(0, 4, 18, 0)]),
    "days": Week.of([(0, 4, 8, 18)]),
    "weekends": Week.of([(5, 6, 0, 0)]),
}
PRESET_LABELS = {"always": N_("Any time (24/7)"), "evenings": N_("Weekday evenings 18–24"),
                 "days": N_("Weekdays 8–18"), "weekends": N_("Weekends, all day")}


def parse_week(text: str) -> Week | None:
    """"lun-vie 18-23; sab 8-20" (Spanish or English days, local hours; "24/7" for always)."""
    if text.strip().lower().replace(" ", "") in ("24/7", "siempre", "always"):
        return PRESETS["always"]
    spans = []
    for part in re.split(r"[;\n]+", text):
        words = fold(part).split()      # "Lun-Vié 18-23" → lun vie 18 23
        if not words:
            continue
        days = [_DAYS.get(w[:3]) for w in words[:-2]]
        hours = words[-2:]
        if not 1 <= len(days) <= 2 or None in days or not all(h.isdigit() for h in hours):
            return None
        start, end = int(hours[0]), int(hours[1])
        if start > 23 or end > 24 or (start == end % 24 and start != 0):
            return None
        first, last = days[0], days[-1]
        assert first is not None and last is not None
        spans.append((first, last, start, end % 24))
    return Week.of(spans) if spans else None


def week_hour(now: float, tz: str) -> int:
    local = datetime.fromtimestamp(now, ZoneInfo(tz))
    return local.weekday() * 24 + local.hour


def is_on_call(row: RosterRow, now: float, tz: str) -> bool:
    """The override while it lasts, else the weekly pattern."""
    if row.override is not None and row.override_until is not None and row.override_until > now:
        return row.override == "on"
    return week_hour(now, tz) in Week.decode(row.hours)


def end_of_day(now: float, tz: str) -> int:
    local = datetime.fromtimestamp(now, ZoneInfo(tz))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return int(midnight.timestamp()) + 24 * 3600


def coverage(rows: list[RosterRow], county: str) -> list[int]:
    """How many volunteers are on call in `county` at each hour of the week (patterns only)."""
    counts = [0] * HOURS
    for row in rows:
        if county in row.counties:
            for hour in Week.decode(row.hours).hours:
                counts[hour] += 1
    return counts


def gaps(counts: list[int]) -> list[tuple[int, int, int]]:
    """(day, start hour, end hour) runs with nobody on call, day by day."""
    runs = []
    for day in range(7):
        hour = 0
        while hour < 24:
            if counts[day * 24 + hour] == 0:
                start = hour
                while hour < 24 and counts[day * 24 + hour] == 0:
                    hour += 1
                runs.append((day, start, hour))
            hour += 1
    return runs
