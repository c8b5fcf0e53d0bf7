"""What a handler gets: the person, their conversation state, t(), and the services it may use.

The services (`ctx.reports`, `ctx.subscriptions`, `ctx.alerts`, `ctx.users`, `ctx.audit`…)
are typed and built once by `App` (`bot/services.py`); a handler never sees `App`, a channel
or the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alerts.audit import AuditLog
from alerts.desk import Desk
from alerts.models import Role
from alerts.regions import Regions
from alerts.reports import ReportService
from alerts.rrn.service import FieldDesk
from alerts.service import AlertService
from bot.clock import Clock
from bot.config import Config
from bot.content import Content
from bot.i18n import I18n, Translate
from bot.messages import Incoming
from bot.operations import StatusFacts
from bot.public.service import PublicAlerts
from bot.search import TopicIndex
from bot.services import Services, Subscriptions, Users
from bot.store.users import User


@dataclass
class Session:
    """Conversation state: a `"area:step"` string and a small JSON-able dict (stored sealed)."""

    state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    changed: bool = False

    def set(self, state: str, **data: Any) -> None:
        self.state = state
        self.data.update(data)
        self.changed = True

    def clear(self) -> None:
        self.state = None
        self.data = {}
        self.changed = True

    def encode(self) -> bytes:
        return json.dumps(self.data, separators=(",", ":")).encode()


@dataclass
class Context:
    services: Services
    user: User
    session: Session
    locale: str
    t: Translate
    tn: Callable[..., str]
    # The part of a pressed button id after the route's prefix (set by the dispatcher).
    arg: str = ""

    # -- the services ---------------------------------------------------------------------
    @property
    def config(self) -> Config:
        return self.services.config

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def i18n(self) -> I18n:
        return self.services.i18n

    @property
    def content(self) -> Content:
        return self.services.content

    @property
    def search(self) -> TopicIndex:
        return self.services.search

    @property
    def regions(self) -> Regions:
        return self.services.regions

    @property
    def reports(self) -> ReportService:
        return self.services.reports

    @property
    def audit(self) -> AuditLog:
        return self.services.audit

    @property
    def users(self) -> Users:
        return self.services.users

    @property
    def subscriptions(self) -> Subscriptions:
        return self.services.subscriptions

    @property
    def alerts(self) -> AlertService:
        return self.services.alerts

    @property
    def public(self) -> PublicAlerts:
        return self.services.public

    @property
    def desk(self) -> Desk:
        return self.services.desk

    @property
    def rrn(self) -> FieldDesk:
        """The field verifiers' roster and dispatch (issue 17)."""
        return self.services.rrn

    # -- this turn ------------------------------------------------------------------------
    @property
    def now(self) -> float:
        return self.services.clock.now()

    @property
    def is_moderator(self) -> bool:
        return self.user.role != "person"

    def has_role(self, role: Role) -> bool:
        return Role(self.user.role).at_least(role)

    async def record(self, action: str, subject: str) -> None:
        """One audit entry for what this (moderator) did."""
        await self.audit.append(self.user.pid, action, subject, self.now)

    async def fetch_media(self, msg: Incoming) -> bytes | None:
        """The bytes of the photo in `msg` (downloaded on demand), or None."""
        if msg.media is None:
            return None
        return msg.media.data if msg.media.data is not None \
            else await self.services.fetch_media(msg)

    async def status(self) -> StatusFacts:
        """How the running bot is doing (for admins' /estado)."""
        return await self.services.status()

    def button_text_limit(self, msg: Incoming) -> int | None:
        """How much text the sender's channel shows with buttons (None: not known)."""
        return self.services.button_text_limit(msg.address.channel)

    def use_locale(self, locale: str) -> None:
        """Switches this turn's language (after the person picked one)."""
        self.locale = locale
        self.user.locale = locale
        self.t = self.i18n.translator(locale)
        self.tn = self.i18n.plural(locale)
