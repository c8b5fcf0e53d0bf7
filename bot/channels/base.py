"""The channel contract: a neutral `Reply` in, each channel picks the widget within its limits.

Like RapidPro's courier, limits live in one place and labels that do not fit are shortened
with "…" and logged (never raised): a slightly clipped button beats a failed send during a raid.
Every channel has the `Channel` methods; what only some can do is a small protocol of its own
(`CanEdit`, `FetchesMedia`, `ServesWeb`, `ReportsDeliveries`), checked with `isinstance`.
`send` says what became of a message in `SendResult.outcome`, once, in the adapter.
This module depends only on the value types (`bot.messages`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bot.messages import Address, Incoming, Media, Reply, SendResult

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

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


class MediaError(Exception):
    """A platform could not hand over a file a person sent (expired, too large, network)."""


class PlatformUnreachable(Exception):
    """A platform's API could not be reached at start-up, for longer than we wait: the
    network (or the platform) is down, the configuration is not at fault."""


class Channel(Protocol):
    name: str
    limits: Limits

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, address: Address, reply: Reply) -> SendResult:
        """Pushes one message (alerts, moderator cards); never raises for platform errors:
        the outcome (sent, retry_after, blocked, window_closed, failed) says what happened."""
        ...

    async def respond(self, msg: Incoming, replies: list[Reply]) -> None:
        """Answers an incoming message (may edit the pressed menu in place)."""
        ...


@runtime_checkable
class CanEdit(Protocol):
    """A channel that can replace a message it sent (the publisher's progress message)."""

    async def edit(self, address: Address, provider_id: str, reply: Reply) -> SendResult: ...


@runtime_checkable
class FetchesMedia(Protocol):
    """A channel that downloads a file a person sent only when asked (a report's photo)."""

    async def fetch_media(self, media: Media) -> bytes | None:
        """The bytes, or None when the platform will not hand them over."""
        ...


@runtime_checkable
class ServesWeb(Protocol):
    """A channel that receives webhooks on the shared web app (`channels/web.py`)."""

    def web_routes(self) -> list[BaseRoute]: ...


class StatusOutcome(StrEnum):
    """What a platform reports later about a message it accepted (status webhooks)."""

    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    RETRY = "retry"                      # try again after `retry_after`
    RESENT_TEMPLATE = "resent_template"  # window closed; went out again as the template
    SKIPPED_WINDOW = "skipped_window"    # window closed and no template: not sent, not an error
    UNSUBSCRIBED = "unsubscribed"        # the person stopped our messages
    FAILED = "failed"                    # permanent for this message


class DeliveryEvents(Protocol):
    """Where a channel reports what happened to messages it sent (by provider message id);
    the core plugs in the outbox's (`alerts.delivery_events`)."""

    async def on_status(self, provider_id: str, outcome: StatusOutcome,
                        error_code: int | None, *, retry_after: float | None = None,
                        resent_as: str | None = None) -> None:
        """`retry_after`: when to try again (RETRY); `resent_as`: the template's message id."""
        ...

    async def on_unsubscribe(self, pid: str) -> None: ...


@runtime_checkable
class ReportsDeliveries(Protocol):
    """A channel that learns later what became of a message (WhatsApp status webhooks)."""

    events: DeliveryEvents
