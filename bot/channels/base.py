"""The channel boundary: a neutral `Reply` in, each channel picks the widget within its limits.

Like RapidPro's courier, limits live in one place and labels that do not fit are shortened
with "…" and logged (never raised): a slightly clipped button beats a failed send during a raid.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.channels import whatsapp_ids
from bot.content import paginate
from bot.messages import Address, Incoming, Reply, SendResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    text: int                  # one message
    text_with_buttons: int     # a message that carries buttons
    buttons: int               # reply buttons before switching to a list
    button_label: int
    list_rows: int
    list_title: int
    list_description: int


TELEGRAM_LIMITS = Limits(4096, 4096, 10, 64, 10, 64, 0)
WHATSAPP_LIMITS = Limits(4096, 1024, 3, 20, 10, 24, 72)
CONSOLE_LIMITS = Limits(100_000, 100_000, 10, 200, 10, 200, 200)


def shorten(label: str, limit: int, where: str = "") -> str:
    """Fits a label into `limit` characters, ending in "…" when cut; logs the cut."""
    if len(label) <= limit:
        return label
    log.warning("label shortened to %d characters%s", limit, f" ({where})" if where else "")
    return label[: max(limit - 1, 0)].rstrip() + "…"


# Channels whose chat ids carry more than the id a pseudonym is made from: a WhatsApp chat id
# can hold both the wa_id and the BSUID, and the pseudonym must not change with the pair.
PERSON_KEYS: dict[str, Callable[[str], str]] = {
    whatsapp_ids.CHANNEL: whatsapp_ids.person_key,
}


def person_key(address: Address) -> str:
    """The stable id of the person at `address`, the one their pseudonym is computed from."""
    key_of = PERSON_KEYS.get(address.channel)
    return key_of(address.chat_id) if key_of is not None else address.chat_id


def split_text(text: str, limit: int) -> list[str]:
    """Splits on paragraph boundaries, then lines, then words; each part ≤ limit."""
    return [text] if len(text) <= limit else paginate(text, limit)


class MediaError(Exception):
    """A platform could not hand over a file a person sent (expired, too large, network)."""


class Channel(Protocol):
    name: str
    limits: Limits

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, address: Address, reply: Reply) -> SendResult:
        """Pushes one message (alerts, moderator cards); never raises for platform errors."""
        ...

    async def respond(self, msg: Incoming, replies: list[Reply]) -> None:
        """Answers an incoming message (may edit the pressed menu in place)."""
        ...
