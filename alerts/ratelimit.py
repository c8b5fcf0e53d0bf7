"""Pacing: hand out send slots no faster than a channel's rate.

A slot schedule rather than a token bucket: slot k starts at start + k / rate, so in any
window of one second at most `rate` sends begin (rounded up by one at the window's edge). A
429 with retry_after pauses the whole channel, as the platforms ask.
"""

from __future__ import annotations

from bot.clock import Clock

# Slots are spaced 0.1 % wider than 1/rate: float rounding must never squeeze rate + 1 sends
# into one second at the platform's end. It costs 0.1 % of throughput.
MARGIN = 1.001


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
