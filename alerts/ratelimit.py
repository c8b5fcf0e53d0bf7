"""Pacing: hand out send slots no faster than a channel's rate.

A slot schedule rather than a token bucket: slot k starts at start + k / rate, so in any
window of one second at most `rate` sends begin (rounded up by one at the window's edge). A
429 with retry_after pauses the whole channel, as the platforms ask.
"""

from __future__ import annotations

from bot.clock import Clock

# Slots are spaced 3 % wider than 1/rate. The platform counts arrivals, not our send times:
# network and server jitter of a few milliseconds would otherwise squeeze rate + 1 arrivals
# into one of its seconds (measured: 63 violations in 3,000 sends at 0.1 %, none at 3 %).
# It costs 3 % of throughput.
MARGIN = 1.03


class Pacer:
    def __init__(self, clock: Clock, rate_per_second: float) -> None:
        self.clock = clock
        self.interval = MARGIN / rate_per_second
        self._next = 0.0

    async def acquire(self) -> float:
        """Waits for the next slot; returns the time it was granted."""
        now = self.clock.now()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await self.clock.sleep(slot - now)
        return slot

    def pause(self, seconds: float) -> None:
        """No slot before now + seconds (the platform said "retry after")."""
        self._next = max(self._next, self.clock.now() + seconds)
