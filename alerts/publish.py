"""Alerts and their lifecycle: publish (with the two-person rule), update, all clear, false
alarm, expiry. Each publishing step writes the alert and its outbox rows in one transaction,
then wakes the dispatcher. The SQL is in `bot/store/alerts.py` and `bot/store/deliveries.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from alerts.deps import AlertDeps
from alerts.render import ALERT_KINDS
from alerts.status import AlertStatus, MessageType
from bot.messages import Address
from bot.privacy import scrub_text
from bot.store import alerts as store
from bot.store import deliveries

NOTE_MAX = 300
# Licence plates: 2-3 letters and 3-4 digits (ABC-1234, ABC 123, 123-ABC), at least six signs.
_PLATE = re.compile(r"\b(?:[A-Z]{2,3}[\s-]?\d{3,4}|\d{3,4}[\s-]?[A-Z]{2,3})\b", re.I)
FOLLOWUP_STATUS = {
    MessageType.ALL_CLEAR: AlertStatus.CLEARED,
    MessageType.RETRACTION: AlertStatus.RETRACTED,
}


class PublishError(Exception):
    """A refusal the moderator should read. The message is an English msgid for t():
    `PublishError` is an extraction keyword (see the Makefile), so it reaches the catalogs."""

    def __init__(self, msgid: str, **kwargs: object) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.kwargs = kwargs


def check_note(note: str) -> str:
    """Alerts carry region and time only: no phone numbers, plates, e-mails or long text."""
    note = " ".join(note.split())
    if len(note) > NOTE_MAX:
        raise PublishError("The note is too long (at most {max} characters).", max=NOTE_MAX)
    if scrub_text(note) != note:
        raise PublishError("The note looks like it has a phone number, an e-mail or a long "
                           "number. Alerts carry region and time only: please remove it.")
    if _PLATE.search(note):
        raise PublishError("The note looks like it has a licence plate. Alerts never carry "
                           "plates or names: please remove it.")
    return note


@dataclass(frozen=True)
class Published:
    alert_id: int
    status: AlertStatus
    recipients: int


class Publishing(AlertDeps):
    """The publishing half of `AlertService`."""

    def _expires(self, now: float) -> float:
        return now + self.config.alerts.expiry_hours * 3600

    def _seal_note(self, alert_id: int, note: str) -> bytes | None:
        return self.privacy.seal_text(note, f"alert-note:{alert_id}") if note else None

    def _progress(self, progress_to: Address | None) -> bytes | None:
        return self.seal_progress_to(progress_to) if progress_to else None

    async def create(self, *, region: str, kind: str, note: str, actor: str,
                     report_id: int | None = None, observed: int | None = None,
                     progress_to: Address | None = None,
                     preverified: bool = False) -> Published:
        """A new alert. With `verifications_required` > 1 it waits for a second publisher
        unless it comes from a report that two people already verified (`preverified`)."""
        if kind not in ALERT_KINDS:
            raise PublishError("Unknown alert kind. Use one of: {kinds}.",
                               kinds=", ".join(ALERT_KINDS))
        note = check_note(note) if note else ""
        now = self.clock.now()
        needs_second = self.config.moderation.verifications_required > 1 and not preverified
        status = AlertStatus.AWAITING_CONFIRMATION if needs_second else AlertStatus.PUBLISHED
        critical = kind in self.config.alerts.critical_kinds
        async with self.db.write() as conn:
            alert_id = await store.insert(
                conn, type_=MessageType.ALERT, status=status, now=now,
                expires=self._expires(now), region=region, kind=kind, critical=critical,
                report_id=report_id, drill=self.config.alerts.drill, created_by=actor,
                observed=observed, progress_to_sealed=self._progress(progress_to))
            if note:
                await store.set_note_in(conn, alert_id, self._seal_note(alert_id, note))
            recipients = 0
            if status == AlertStatus.PUBLISHED:
                recipients = await deliveries.enqueue_region(conn, alert_id, region, now,
                                                             critical, self.tz)
        self.wake()
        return Published(alert_id, status, recipients)

    async def draft_from_report(self, *, report_id: int, region: str, kind: str,
                                observed: int | None, actor: str) -> int:
        """A verified report becomes a draft alert that the moderators preview and publish."""
        now = self.clock.now()
        async with self.db.write() as conn:
            existing = await store.draft_for_report(conn, report_id)
            if existing is not None:
                return existing
            return await store.insert(
                conn, type_=MessageType.ALERT, status=AlertStatus.DRAFT, now=now,
                expires=self._expires(now), region=region, kind=kind,
                critical=kind in self.config.alerts.critical_kinds, report_id=report_id,
                drill=self.config.alerts.drill, created_by=actor, observed=observed)

    async def set_note(self, alert_id: int, note: str) -> None:
        """Edits the note of an alert that has not gone out yet."""
        note = check_note(note) if note else ""
        if not await store.set_unpublished_note(self.db, alert_id,
                                                self._seal_note(alert_id, note)):
            raise PublishError("Alert #{n} has already gone out or was cancelled.", n=alert_id)

    async def confirm(self, alert_id: int, actor: str,
                      progress_to: Address | None = None) -> Published:
        """Publishes a draft (from a report two people verified) or confirms a direct alert
        (a different publisher must): the status change and the fan-out are one transaction."""
        now = self.clock.now()
        async with self.db.write() as conn:
            alert = await store.get_in(conn, alert_id)
            if alert is None:
                raise PublishError("There is no alert #{n}.", n=alert_id)
            if alert.status not in (AlertStatus.AWAITING_CONFIRMATION, AlertStatus.DRAFT):
                raise PublishError("Alert #{n} is not waiting for a confirmation.", n=alert_id)
            if alert.status == AlertStatus.AWAITING_CONFIRMATION and alert.created_by == actor:
                raise PublishError("You created alert #{n}: a different publisher must "
                                   "confirm it.", n=alert_id)
            if alert.expires <= now:
                raise PublishError("Alert #{n} has expired.", n=alert_id)
            progress = self._progress(progress_to) or alert.progress_to_sealed
            await store.mark_published(conn, alert_id, now, actor, progress)
            recipients = await deliveries.enqueue_region(conn, alert_id, alert.region or "",
                                                         now, alert.critical, self.tz)
        self.wake()
        return Published(alert_id, AlertStatus.PUBLISHED, recipients)

    async def cancel(self, alert_id: int) -> bool:
        """Drops an alert that has not gone out; False when it already has."""
        return await store.cancel_unpublished(self.db, alert_id)

    async def follow_up(self, alert_id: int, type_: MessageType, note: str, actor: str,
                        progress_to: Address | None = None) -> Published:
        """Update, all clear or false alarm, to exactly the people who received alert N."""
        note = check_note(note) if note else ""
        now = self.clock.now()
        async with self.db.write() as conn:
            original = await store.get_in(conn, alert_id)
            if original is None or original.status in (
                    AlertStatus.AWAITING_CONFIRMATION, AlertStatus.CANCELLED, AlertStatus.DRAFT):
                raise PublishError("There is no published alert #{n}.", n=alert_id)
            if original.status in (AlertStatus.CLEARED, AlertStatus.RETRACTED):
                raise PublishError("Alert #{n} is already closed.", n=alert_id)
            followup_id = await store.insert(
                conn, type_=type_, status=AlertStatus.PUBLISHED, now=now,
                # A follow-up may outlive an expired original: people still need the all clear.
                expires=self._expires(now), region=original.region, kind=original.kind,
                critical=original.critical, parent_id=alert_id, drill=original.drill,
                created_by=actor, progress_to_sealed=self._progress(progress_to))
            if note:
                await store.set_note_in(conn, followup_id, self._seal_note(followup_id, note))
            recipients = await deliveries.enqueue_followup(
                conn, followup_id, alert_id, now, include_pending=type_ == MessageType.UPDATE)
            if type_ in FOLLOWUP_STATUS:
                await store.set_status_in(conn, alert_id, FOLLOWUP_STATUS[type_])
        self.wake()
        return Published(followup_id, AlertStatus.PUBLISHED, recipients)

    async def expire(self) -> int:
        """Marks alerts past their expiry; what they had not sent yet is never sent."""
        now = int(self.clock.now())
        async with self.db.write() as conn:
            await deliveries.skip_expired_in(conn, now)
            return await store.expire_in(conn, now)
