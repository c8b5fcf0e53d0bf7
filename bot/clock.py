"""Time as a dependency, so tests move it forward instead of sleeping."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (UTC)."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float | None = None) -> None:
        default = datetime(2026, 11, 24, 12, tzinfo=UTC).timestamp()
        self._now = start if start is not None else default

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def set(self, when: datetime) -> None:
        self._now = when.timestamp()


def coarse_hour(ts: float) -> int:
    """A timestamp rounded down to the hour: the finest time we keep about a person."""
    return int(ts // 3600 * 3600)
