"""What the alerts code is given by the composition root, and what it asks of the channels.

`AlertDeps` holds the few things publishing, rendering and delivery use (never the whole app);
`Outlet` is the core's side of sending: the channels running now, send, and edit where a
channel can. `bot.app.App` offers both; tests can hand in anything that does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol
from zoneinfo import ZoneInfo

from alerts.regions import Regions
from bot.clock import Clock
from bot.config import Config
from bot.i18n import I18n
from bot.messages import Address, Reply, SendResult
from bot.privacy import Privacy
from bot.store import Database


class Outlet(Protocol):
    """Where alert messages leave: the channels the process runs."""

    def channel_names(self) -> tuple[str, ...]: ...

    async def send(self, address: Address, reply: Reply) -> SendResult: ...

    async def edit(self, address: Address, message_id: str, reply: Reply
                   ) -> SendResult | None:
        """Replaces a message in place; None when that channel cannot edit."""
        ...


class AlertDeps:
    """The alert service's dependencies, and the dispatcher's wake-up once one runs."""

    def __init__(self, db: Database, privacy: Privacy, clock: Clock, config: Config,
                 i18n: I18n, regions: Regions) -> None:
        self.db = db
        self.privacy = privacy
        self.clock = clock
        self.config = config
        self.i18n = i18n
        self.regions = regions
        self._wake: Callable[[], None] | None = None

    def on_new_deliveries(self, wake: Callable[[], None] | None) -> None:
        """What to call when deliveries are written (the running dispatcher's `wake`)."""
        self._wake = wake

    def wake(self) -> None:
        if self._wake is not None:
            self._wake()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.config.bot.timezone)

    def provider_key(self, provider_id: str | None) -> str | None:
        """What the outbox keeps of a platform's message id: a keyed hash, enough to match a
        later status webhook. Meta's ids (wamid.HBgL…) are base64 of a record holding the
        recipient's phone number, so the id itself is never stored."""
        return self.privacy.mac("provider-id", provider_id)[:32] if provider_id else None

    def seal_progress_to(self, address: Address) -> bytes:
        return self.privacy.seal_text(f"{address.channel}:{address.chat_id}", "progress")

    def progress_address(self, sealed: bytes) -> Address:
        channel, _, chat_id = self.privacy.unseal_text(sealed, "progress").partition(":")
        return Address(channel, chat_id)
