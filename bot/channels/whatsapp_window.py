"""The 24-hour customer-service window: free-form messages only within 24 h of the person's
last message; outside it, only an approved template.

The channel does not read the database: the core hands it `Contacts` (the App), which says
when a person last wrote and in which language. `last_inbound` is rounded *down* (to six hours),
so `stored + 24 h` is never later than the real end of the window: when in doubt we use the
template (or skip), never a message Meta would refuse with 131047.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

WINDOW_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Window:
    open: bool
    locale: str | None = None


class Contacts(Protocol):
    async def last_contact(self, pid: str) -> tuple[float, str | None] | None:
        """(when the person last wrote, rounded down to the hour; their language), or None."""
        ...


async def recipient_window(contacts: Contacts, pid: str, now: float) -> Window:
    """Whether `pid` can get a free-form message at `now`, and their language."""
    contact = await contacts.last_contact(pid)
    if contact is None:
        return Window(open=False)
    last_inbound, locale = contact
    return Window(open=last_inbound + WINDOW_SECONDS > now, locale=locale)
