"""The 24-hour customer-service window: free-form messages only within 24 h of the person's
last message; outside it, only an approved template.

`users.last_inbound` is rounded *down* (to six hours), so `stored + 24 h` is never later than the
real end of the window: when in doubt we use the template (or skip), never a message Meta would
refuse with 131047.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.db import Database

WINDOW_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Window:
    open: bool
    locale: str | None = None


async def recipient_window(db: Database, pid: str, now: float) -> Window:
    """Whether `pid` can get a free-form message at `now`, and their language."""
    row = await db.fetchone("SELECT last_inbound, locale FROM users WHERE pid = ?", (pid,))
    if row is None:
        return Window(open=False)
    return Window(open=int(row[0]) + WINDOW_SECONDS > now, locale=row[1])
