"""What a handler gets: the person, their conversation state, t(), content, config, clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.i18n import Translate
from bot.store.users import User

if TYPE_CHECKING:
    from alerts.service import AlertService
    from bot.app import App


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
    app: App
    user: User
    session: Session
    locale: str
    t: Translate
    tn: Callable[..., str]
    # The part of a pressed button id after the route's prefix (set by the dispatcher).
    arg: str = ""

    @property
    def content(self) -> Any:
        return self.app.content

    @property
    def alerts(self) -> AlertService:
        """Publishing, notices and previews (`alerts/service.py`)."""
        return self.app.alerts

    @property
    def config(self) -> Any:
        return self.app.config

    @property
    def now(self) -> float:
        return self.app.clock.now()

    @property
    def is_moderator(self) -> bool:
        return self.user.role != "person"

    def use_locale(self, locale: str) -> None:
        """Switches this turn's language (after the person picked one)."""
        self.locale = locale
        self.user.locale = locale
        self.t = self.app.i18n.translator(locale)
        self.tn = self.app.i18n.plural(locale)
