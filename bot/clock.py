"""Time as a dependency, so tests move it forward instead of sleeping."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (UTC)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Waits (a fake clock just moves forward)."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float | None = None) -> None:
        default = datetime(2026, 11, 24, 12, tzinfo=UTC).timestamp()
        self._now = start if start is not None else default

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        # The target is fixed when the sleep starts, so concurrent sleepers end at their own
        # deadlines whatever order they resume in: time only moves forward to the latest.
        target = self._now + max(seconds, 0.0)
        await asyncio.sleep(0)
        self._now = max(self._now, target)

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def set(self, when: datetime) -> None:
        self._now = when.timestamp()


def coarse_hour(ts: float) -> int:
    """A timestamp rounded down to the hour: the finest time we keep about a person."""
    return int(ts // 3600 * 3600)
