"""Limits on reports that cannot link reports to people.

The per-person counter is keyed by an HMAC whose key lives only in memory and is replaced every
UTC day: nothing stored, nothing that outlives the day, and no way to recompute a key from the
pepper. The flood breaker counts everyone's reports about one region together.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import deque

DAY = 86_400
HOUR = 3_600


class DailyKey:
    """A random key per UTC day, never written anywhere."""

    def __init__(self) -> None:
        self._day: int | None = None
        self._key = b""

    def tag(self, value: str, now: float) -> str:
        """A short keyed tag of `value`, stable within one day only."""
        day = int(now // DAY)
        if day != self._day:
            self._day, self._key = day, secrets.token_bytes(32)
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:16]

    @property
    def day(self) -> int | None:
        return self._day


class ReportLimiter:
    """At most `per_hour` reports per person in any hour (counters reset with the daily key)."""

    def __init__(self, per_hour: int, key: DailyKey | None = None) -> None:
        self.per_hour = per_hour
        self._key = key or DailyKey()
        self._day: int | None = None
        self._hits: dict[str, list[float]] = {}

    def _recent(self, pid: str, now: float) -> list[float]:
        tag = self._key.tag(pid, now)
        if self._key.day != self._day:
            # New key, new day: yesterday's tags can no longer be matched, drop them.
            self._day, self._hits = self._key.day, {}
        hits = [t for t in self._hits.get(tag, []) if t > now - HOUR]
        if hits:
            self._hits[tag] = hits
        else:
            self._hits.pop(tag, None)
        return hits

    def allowed(self, pid: str, now: float) -> bool:
        return len(self._recent(pid, now)) < self.per_hour

    def record(self, pid: str, now: float) -> None:
        self._recent(pid, now)
        self._hits.setdefault(self._key.tag(pid, now), []).append(now)


class FloodBreaker:
    """Trips for one region when more than `per_hour` reports about it arrive within an hour.

    Per region, so a few accounts flooding one county hold that county's new reports only:
    a report about anywhere else still reaches the moderators with its own card.
    """

    def __init__(self, per_hour: int) -> None:
        self.per_hour = per_hour
        self._times: dict[str, deque[float]] = {}
        self._tripped: set[str] = set()

    def record(self, region: str, now: float) -> bool | None:
        """Counts one report about `region`. Returns True when that region's breaker just
        tripped, False when it just reset, None when nothing changed; `tripped(region)` says
        whether to hold this report."""
        times = self._times.setdefault(region, deque())
        times.append(now)
        while times and times[0] <= now - HOUR:
            times.popleft()
        flooding = len(times) > self.per_hour
        if flooding == (region in self._tripped):
            return None
        if flooding:
            self._tripped.add(region)
        else:
            self._tripped.discard(region)
        return flooding

    def tripped(self, region: str) -> bool:
        return region in self._tripped

    @property
    def holding(self) -> frozenset[str]:
        """The regions whose new reports are being held."""
        return frozenset(self._tripped)

    def reset(self, regions: set[str] | frozenset[str]) -> None:
        """A moderator released these regions: count their reports afresh."""
        for region in regions:
            self._times.pop(region, None)
            self._tripped.discard(region)

    def __len__(self) -> int:
        return sum(len(times) for times in self._times.values())


class RefusalLimiter:
    """How many refusals the audit log records: the first few per actor and hour, and a cap on
    all of them together; the rest are counted and the count goes in the next recorded one."""

    def __init__(self, per_actor: int = 3, per_hour: int = 30) -> None:
        self.per_actor = per_actor
        self.per_hour = per_hour
        self._hour: int | None = None
        self._by_actor: dict[str, int] = {}
        self._total = 0
        self.skipped = 0

    def check(self, actor: str, now: float) -> tuple[bool, int]:
        """(record this one?, refusals left out since the last recorded one)."""
        hour = int(now // HOUR)
        if hour != self._hour:
            self._hour, self._by_actor, self._total = hour, {}, 0
        seen = self._by_actor.get(actor, 0)
        if seen >= self.per_actor or self._total >= self.per_hour:
            if seen < self.per_actor:
                self._by_actor[actor] = seen + 1
            self.skipped += 1
            return False, 0
        self._by_actor[actor] = seen + 1
        self._total += 1
        skipped, self.skipped = self.skipped, 0
        return True, skipped
