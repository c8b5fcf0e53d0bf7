"""The services a handler may use, built once by the composition root (`App`).

Handlers reach them through `Context` (`ctx.reports`, `ctx.subscriptions`, `ctx.alerts`…),
never through `App`, a channel or the database. Each service takes only what it uses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alerts import subscriptions as subs
from alerts.audit import AuditLog
from alerts.desk import Desk
from alerts.regions import Regions
from alerts.reports import ReportService
from alerts.rrn.service import FieldDesk
from alerts.service import AlertService
from bot.channels.identity import person_key
from bot.clock import Clock
from bot.config import Config
from bot.content import Content
from bot.i18n import I18n
from bot.messages import Address, Incoming
from bot.privacy import Privacy
from bot.public.service import PublicAlerts
from bot.search import TopicIndex
from bot.store import Database
from bot.store import cards as card_store
from bot.store import users as user_store

if TYPE_CHECKING:
    from bot.operations import StatusFacts

# Fetches the bytes of a photo a person sent (None when the channel cannot give them).
MediaFetcher = Callable[[Incoming], Awaitable[bytes | None]]
# The longest text a channel shows together with buttons (None: unknown channel).
ButtonTextLimit = Callable[[str], int | None]
# The operator's view of the running bot (/estado).
StatusReader = Callable[[], "Awaitable[StatusFacts]"]


class Users:
    """The person's own row: language, and forgetting them."""

    def __init__(self, db: Database, privacy: Privacy) -> None:
        self._db = db
        self._privacy = privacy

    def pid_for(self, address: Address) -> str:
        return self._privacy.pseudonym(address.channel, person_key(address))

    async def set_locale(self, pid: str, locale: str) -> None:
        await user_store.set_locale(self._db, pid, locale)

    async def locale_of(self, address: Address) -> str | None:
        return await user_store.locale_of(self._db, self.pid_for(address))

    async def forget(self, pid: str) -> None:
        """Deletes the person's row (and by cascade their conversation state)."""
        await user_store.delete(self._db, pid)
        await card_store.forget(self._db, pid)     # a moderator's cards: where they went
        # Old copies of their rows must not wait in the WAL for the next automatic checkpoint.
        await self._db.checkpoint()


class Subscriptions:
    """Who wants alerts for which regions, and how."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, pid: str) -> subs.Subscription:
        return await subs.get(self._db, pid)

    async def save(self, pid: str, sub: subs.Subscription) -> None:
        await subs.save(self._db, pid, sub)

    async def unsubscribe(self, pid: str) -> bool:
        return await subs.unsubscribe(self._db, pid)


@dataclass(frozen=True)
class Services:
    """Everything a handler may use, typed. Built once per App."""

    config: Config
    clock: Clock
    i18n: I18n
    content: Content
    search: TopicIndex
    regions: Regions
    reports: ReportService
    audit: AuditLog
    users: Users
    subscriptions: Subscriptions
    alerts: AlertService
    fetch_media: MediaFetcher
    button_text_limit: ButtonTextLimit
    status: StatusReader
    public: PublicAlerts        # verified alerts as broadcast (the rumour check)
    desk: Desk      # the case desk (issue 16)
    rrn: FieldDesk        # issue 17: field verifiers' roster and dispatch
