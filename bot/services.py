"""The services a handler may use, built once by the composition root (`App`).

Handlers reach them through `Context` (`ctx.reports`, `ctx.subscriptions`, `ctx.alerts`…),
never through `App`, a channel or the database. Each service takes only what it uses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alerts import publish, schedule
from alerts import subscriptions as subs
from alerts.audit import AuditLog
from alerts.publish import Published
from alerts.regions import Regions
from alerts.render import alert_text
from alerts.reports import ReportService
from alerts.rrn.service import FieldDesk
from alerts.status import MessageType
from bot.channels.base import person_key
from bot.clock import Clock
from bot.config import Config
from bot.content import Content
from bot.i18n import I18n, Translate
from bot.messages import Address, Incoming
from bot.privacy import Privacy
from bot.search import TopicIndex
from bot.store import Database
from bot.store import users as user_store

if TYPE_CHECKING:
    from bot.app import App
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
class AlertDraft:
    """What a publisher previews: an alert that has not gone out yet (or has)."""

    id: int
    status: str
    kind: str
    region: str
    observed: float
    note: str
    reach: dict[str, int]


@dataclass(frozen=True)
class ScheduledNotice:
    id: int
    run_at: float
    regions: str        # "*" for everyone, else region ids separated by commas


class AlertDesk:
    """The publishers' side of alerts, for handlers.

    Today it forwards to the `alerts.publish` / `alerts.schedule` functions (which take the
    App); the typed alerts service replaces what is behind these methods, not the handlers."""

    def __init__(self, app: App) -> None:
        self._app = app

    async def draft(self, alert_id: int) -> AlertDraft | None:
        app = self._app
        row = await app.db.fetchone("SELECT * FROM alerts WHERE id = ?", (alert_id,))
        if row is None:
            return None
        note = ""
        if row["note_sealed"] is not None:
            note = app.privacy.unseal_text(bytes(row["note_sealed"]), f"alert-note:{alert_id}")
        reach = await subs.count_by_channel(app.db, row["region"])
        return AlertDraft(alert_id, str(row["status"]), str(row["kind"]), str(row["region"]),
                          float(row["observed"] or row["created"]), note, reach)

    def text(self, t: Translate, locale: str, draft: AlertDraft, now: float) -> str:
        """The alert as a subscriber reading `locale` will get it."""
        return alert_text(self._app, t, locale, kind=draft.kind, region=draft.region,
                          observed=draft.observed, note=draft.note, number=draft.id, now=now)

    async def draft_from_report(self, report_id: int, region: str, kind: str,
                                observed: int | None, actor: str) -> int:
        return await publish.draft_from_report(self._app, report_id=report_id, region=region,
                                               kind=kind, observed=observed, actor=actor)

    async def create(self, region: str, kind: str, note: str, actor: str,
                     progress_to: Address) -> Published:
        return await publish.create(self._app, region=region, kind=kind, note=note,
                                    actor=actor, progress_to=progress_to)

    async def confirm(self, alert_id: int, actor: str, progress_to: Address) -> Published:
        return await publish.confirm(self._app, alert_id, actor, progress_to=progress_to)

    async def cancel(self, alert_id: int) -> bool:
        return await publish.cancel(self._app, alert_id)

    async def set_note(self, alert_id: int, note: str) -> None:
        await publish.set_note(self._app, alert_id, note)

    async def follow_up(self, alert_id: int, type_: MessageType, note: str, actor: str,
                        progress_to: Address) -> Published:
        return await publish.follow_up(self._app, alert_id, type_, note, actor,
                                       progress_to=progress_to)

    async def schedule_notice(self, run_at: float, regions: list[str] | None, text_es: str,
                              text_en: str, actor: str) -> int:
        return await schedule.schedule_notice(self._app, run_at, regions, text_es, text_en,
                                              actor)

    async def notices(self) -> list[ScheduledNotice]:
        return [ScheduledNotice(int(r["id"]), float(r["run_at"]), str(r["regions"]))
                for r in await schedule.list_notices(self._app)]

    async def cancel_notice(self, notice_id: int) -> bool:
        return await schedule.cancel_notice(self._app, notice_id)


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
    alerts: AlertDesk
    fetch_media: MediaFetcher
    button_text_limit: ButtonTextLimit
    status: StatusReader
    rrn: FieldDesk        # issue 17: field verifiers' roster and dispatch
