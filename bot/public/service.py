"""Verified alerts as the public sees them: the page, the feeds and the rumour check.

Built on `bot/store/public.py`: only what was broadcast (county, kind, times, the published
note, the code). The note is unsealed here: it is the published text, checked at publishing
time to carry no phone number, plate or e-mail (`alerts.publish.check_note`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.config import Config
from bot.privacy import Privacy
from bot.store import Database
from bot.store import public as store


class PublicStatus(StrEnum):
    ACTIVE = "active"
    UPDATED = "updated"
    ALL_CLEAR = "all_clear"
    FALSE_ALARM = "false_alarm"
    ENDED = "ended"           # expired without an all clear

    @property
    def is_open(self) -> bool:
        return self in (PublicStatus.ACTIVE, PublicStatus.UPDATED)


@dataclass(frozen=True)
class Event:
    """One step of an alert's history: `type` is alert, update, all_clear or retraction."""

    type: str
    at: int
    note: str


@dataclass(frozen=True)
class PublicAlert:
    id: int
    code: str
    region: str
    kind: str
    observed: int
    published: int
    expires: int
    status: PublicStatus
    note: str
    history: tuple[Event, ...]

    @property
    def changed(self) -> int:
        """When its status last changed (for sorting and feeds)."""
        return self.history[-1].at if self.history else self.published


@dataclass(frozen=True)
class Board:
    """The page: open alerts per county (newest first) and recently closed ones."""

    open: list[PublicAlert]
    closed: list[PublicAlert]

    def by_region(self) -> list[tuple[str, list[PublicAlert]]]:
        groups: dict[str, list[PublicAlert]] = {}
        for alert in self.open:
            groups.setdefault(alert.region, []).append(alert)
        return list(groups.items())


class PublicAlerts:
    """The read side, typed: what the handlers (rumour check) and the web pages use."""

    def __init__(self, db: Database, privacy: Privacy, config: Config) -> None:
        self._db = db
        self._privacy = privacy
        self._config = config

    def _note(self, alert_id: int, sealed: bytes | None) -> str:
        if sealed is None:
            return ""
        return self._privacy.unseal_text(sealed, f"alert-note:{alert_id}")

    async def _complete(self, rows: list[store.AlertRow], now: float) -> list[PublicAlert]:
        follow = await store.follow_ups(self._db, [r.id for r in rows])
        history: dict[int, list[Event]] = {}
        for f in follow:
            history.setdefault(f.parent_id, []).append(
                Event(f.type, f.published, self._note(f.id, f.note_sealed)))
        return [self._public(r, tuple(history.get(r.id, ())), now) for r in rows]

    def _public(self, row: store.AlertRow, history: tuple[Event, ...], now: float
                ) -> PublicAlert:
        types = {e.type for e in history}
        if row.status == "retracted" or "retraction" in types:
            status = PublicStatus.FALSE_ALARM
        elif row.status == "cleared" or "all_clear" in types:
            status = PublicStatus.ALL_CLEAR
        elif row.status == "expired" or row.expires <= now:
            status = PublicStatus.ENDED
        else:
            status = PublicStatus.UPDATED if "update" in types else PublicStatus.ACTIVE
        return PublicAlert(row.id, row.code, row.region, row.kind, row.observed, row.published,
                           row.expires, status, self._note(row.id, row.note_sealed), history)

    async def by_code(self, code: str, now: float) -> PublicAlert | None:
        row = await store.by_code(self._db, code)
        return None if row is None else (await self._complete([row], now))[0]

    async def recent(self, now: float, hours: float, region: str | None = None,
                     kinds: tuple[str, ...] = (), limit: int = 500) -> list[PublicAlert]:
        """Alerts published in the last `hours`, newest first."""
        rows = await store.since(self._db, int(now - hours * 3600), region, kinds, limit)
        return await self._complete(rows, now)

    async def board(self, now: float) -> Board:
        """Open alerts, and the ones closed (or ended) within `public.recent_hours`."""
        recent_hours = self._config.public.recent_hours
        window = self._config.alerts.expiry_hours + recent_hours
        alerts = await self.recent(now, window)
        since = now - recent_hours * 3600
        open_ = [a for a in alerts if a.status.is_open]
        closed = [a for a in alerts if not a.status.is_open
                  and (a.changed if a.status != PublicStatus.ENDED else a.expires) >= since]
        closed.sort(key=lambda a: -a.changed)
        return Board(open_, closed)
