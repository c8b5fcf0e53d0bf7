"""Alerts and their lifecycle: publish (with the two-person rule), update, all clear, false
alarm, expiry. Each publishing step writes the alert and its outbox rows in one transaction,
then wakes the dispatcher."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from alerts import outbox
from alerts.render import ALERT_KINDS
from alerts.status import AlertStatus, MessageType
from bot.messages import Address
from bot.privacy import scrub_text

if TYPE_CHECKING:
    from bot.app import App

NOTE_MAX = 300
# Licence plates: 2-3 letters and 3-4 digits (ABC-1234, ABC 123, 123-ABC), at least six signs.
_PLATE = re.compile(r"\b(?:[A-Z]{2,3}[\s-]?\d{3,4}|\d{3,4}[\s-]?[A-Z]{2,3})\b", re.I)


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


def _tz(app: App) -> ZoneInfo:
    return ZoneInfo(app.config.bot.timezone)


def _expires(app: App, now: float) -> float:
    return now + app.config.alerts.expiry_hours * 3600


async def create(app: App, *, region: str, kind: str, note: str, actor: str,
                 report_id: int | None = None, observed: int | None = None,
                 progress_to: Address | None = None, preverified: bool = False) -> Published:
    """A new alert. With `verifications_required` > 1 it waits for a second publisher unless
    it comes from a report that two people already verified (`preverified`)."""
    if kind not in ALERT_KINDS:
        raise PublishError("Unknown alert kind. Use one of: {kinds}.",
                           kinds=", ".join(ALERT_KINDS))
    note = check_note(note) if note else ""
    now = app.clock.now()
    needs_second = _verifications_required(app) > 1 and not preverified
    status = AlertStatus.AWAITING_CONFIRMATION if needs_second else AlertStatus.PUBLISHED
    critical = kind in app.config.alerts.critical_kinds
    from alerts.progress import seal_address

    async with app.db.write() as conn:
        alert_id = await outbox.insert_alert(
            conn, type_=MessageType.ALERT, status=status, now=now, expires=_expires(app, now),
            region=region, kind=kind, critical=critical, report_id=report_id,
            drill=app.config.alerts.drill, created_by=actor, observed=observed,
            progress_to_sealed=seal_address(app, progress_to) if progress_to else None)
        if note:
            await conn.execute("UPDATE alerts SET note_sealed = ? WHERE id = ?",
                               (app.privacy.seal_text(note, f"alert-note:{alert_id}"),
                                alert_id))
        recipients = 0
        if status == AlertStatus.PUBLISHED:
            recipients = await outbox.enqueue_region(conn, alert_id, region, now, critical,
                                                     _tz(app))
    _wake(app)
    return Published(alert_id, status, recipients)


async def draft_from_report(app: App, *, report_id: int, region: str, kind: str,
                            observed: int | None, actor: str) -> int:
    """A verified report becomes a draft alert that the moderators preview and publish."""
    now = app.clock.now()
    async with app.db.write() as conn:
        async with conn.execute(
                "SELECT id FROM alerts WHERE report_id = ? AND type = 'alert'",
                (report_id,)) as cur:
            existing = await cur.fetchone()
        if existing is not None:
            return int(existing[0])
        return await outbox.insert_alert(
            conn, type_=MessageType.ALERT, status=AlertStatus.DRAFT, now=now,
            expires=_expires(app, now), region=region, kind=kind,
            critical=kind in app.config.alerts.critical_kinds, report_id=report_id,
            drill=app.config.alerts.drill, created_by=actor, observed=observed)


async def set_note(app: App, alert_id: int, note: str) -> None:
    """Edits the note of an alert that has not gone out yet."""
    note = check_note(note) if note else ""
    sealed = app.privacy.seal_text(note, f"alert-note:{alert_id}") if note else None
    changed = await app.db.execute(
        "UPDATE alerts SET note_sealed = ? WHERE id = ? AND type = 'alert' AND status IN (?, ?)",
        (sealed, alert_id, str(AlertStatus.DRAFT), str(AlertStatus.AWAITING_CONFIRMATION)))
    if not changed:
        raise PublishError("Alert #{n} has already gone out or was cancelled.", n=alert_id)


async def confirm(app: App, alert_id: int, actor: str,
                  progress_to: Address | None = None) -> Published:
    """Publishes a draft (from a report two people verified) or confirms a direct alert (a
    different publisher must): the status change and the fan-out are one transaction."""
    from alerts.progress import seal_address

    now = app.clock.now()
    async with app.db.write() as conn:
        async with conn.execute("SELECT * FROM alerts WHERE id = ? AND type = 'alert'",
                                (alert_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            raise PublishError("There is no alert #{n}.", n=alert_id)
        if row["status"] not in (AlertStatus.AWAITING_CONFIRMATION, AlertStatus.DRAFT):
            raise PublishError("Alert #{n} is not waiting for a confirmation.", n=alert_id)
        if row["status"] == AlertStatus.AWAITING_CONFIRMATION and row["created_by"] == actor:
            raise PublishError("You created alert #{n}: a different publisher must confirm it.",
                               n=alert_id)
        if row["expires"] <= now:
            raise PublishError("Alert #{n} has expired.", n=alert_id)
        progress = seal_address(app, progress_to) if progress_to else row["progress_to_sealed"]
        await conn.execute(
            "UPDATE alerts SET status = 'published', published = ?, confirmed_by = ?,"
            " progress_to_sealed = ? WHERE id = ?", (int(now), actor, progress, alert_id))
        recipients = await outbox.enqueue_region(conn, alert_id, row["region"], now,
                                                 bool(row["critical"]), _tz(app))
    _wake(app)
    return Published(alert_id, AlertStatus.PUBLISHED, recipients)


async def cancel(app: App, alert_id: int) -> bool:
    changed = await app.db.execute(
        "UPDATE alerts SET status = 'cancelled' WHERE id = ? AND type = 'alert'"
        " AND status IN (?, ?)",
        (alert_id, str(AlertStatus.AWAITING_CONFIRMATION), str(AlertStatus.DRAFT)))
    return changed > 0


FOLLOWUP_STATUS = {
    MessageType.ALL_CLEAR: AlertStatus.CLEARED,
    MessageType.RETRACTION: AlertStatus.RETRACTED,
}


async def follow_up(app: App, alert_id: int, type_: MessageType, note: str, actor: str,
                    progress_to: Address | None = None) -> Published:
    """Update, all clear or false alarm, to exactly the people who received alert N."""
    note = check_note(note) if note else ""
    now = app.clock.now()
    from alerts.progress import seal_address

    async with app.db.write() as conn:
        async with conn.execute("SELECT * FROM alerts WHERE id = ? AND type = 'alert'",
                                (alert_id,)) as cur:
            original = await cur.fetchone()
        if original is None or original["status"] in (AlertStatus.AWAITING_CONFIRMATION,
                                                       AlertStatus.CANCELLED, AlertStatus.DRAFT):
            raise PublishError("There is no published alert #{n}.", n=alert_id)
        if original["status"] in (AlertStatus.CLEARED, AlertStatus.RETRACTED):
            raise PublishError("Alert #{n} is already closed.", n=alert_id)
        followup_id = await outbox.insert_alert(
            conn, type_=type_, status=AlertStatus.PUBLISHED, now=now,
            # A follow-up may outlive an expired original: people still need the all clear.
            expires=_expires(app, now), region=original["region"], kind=original["kind"],
            critical=bool(original["critical"]), parent_id=alert_id,
            drill=bool(original["drill"]), created_by=actor,
            progress_to_sealed=seal_address(app, progress_to) if progress_to else None)
        if note:
            await conn.execute("UPDATE alerts SET note_sealed = ? WHERE id = ?",
                               (app.privacy.seal_text(note, f"alert-note:{followup_id}"),
                                followup_id))
        recipients = await outbox.enqueue_followup(
            conn, followup_id, alert_id, now, include_pending=type_ == MessageType.UPDATE)
        if type_ in FOLLOWUP_STATUS:
            await conn.execute("UPDATE alerts SET status = ? WHERE id = ?",
                               (str(FOLLOWUP_STATUS[type_]), alert_id))
    _wake(app)
    return Published(followup_id, AlertStatus.PUBLISHED, recipients)


async def expire(app: App) -> int:
    """Marks alerts past their expiry; what they had not sent yet is never sent."""
    now = int(app.clock.now())
    async with app.db.write() as conn:
        await conn.execute(
            "UPDATE deliveries SET status = 'skipped_expired', lease_until = NULL"
            " WHERE status IN ('pending', 'retry') AND alert_id IN"
            " (SELECT id FROM alerts WHERE expires <= ?)", (now,))
        cur = await conn.execute(
            "UPDATE alerts SET status = 'expired' WHERE type = 'alert' AND expires <= ?"
            " AND status IN ('published', 'awaiting_confirmation', 'draft')", (now,))
        return cur.rowcount


def _verifications_required(app: App) -> int:
    moderation = getattr(app.config, "moderation", None)
    return int(getattr(moderation, "verifications_required", 2))


def _wake(app: App) -> None:
    dispatcher = getattr(app, "alert_dispatcher", None)
    if dispatcher is not None:
        dispatcher.wake()
