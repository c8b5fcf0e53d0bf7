"""Alerts and their lifecycle: propose, confirm (two different people, for exactly what the
preview showed), follow-ups (update, all clear, false alarm), expiry.

Every broadcast is first *proposed* (a direct /alerta, a report's draft when a publisher
presses Publish, a follow-up) and goes out only when a second person with the publisher role
confirms it. People are compared by person key (alerts/moderators.Roster), so one human listed
on two channels is one person. The confirmation carries the proposal's *version* (a short MAC
of exactly what will go out, alerts/integrity.py): if the text changed since the preview, the
confirmation is refused (`Stale`). Whoever last wrote the text is its proposer and cannot
confirm it. Each row carries MACs (alerts/integrity.py); the confirmation and the fan-out are
one transaction, then the dispatcher wakes. SQL: `bot/store/alerts.py`, `bot/store/deliveries.py`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import aiosqlite

from alerts import integrity
from alerts.deps import AlertDeps
from alerts.render import ALERT_KINDS
from alerts.status import AlertStatus, MessageType
from alerts.textcheck import NOTE_MAX, Allowed, PublishError, Stale, check_note
from bot.i18n import N_
from bot.messages import Address
from bot.store import alerts as store
from bot.store import deliveries
from bot.store.alerts import Alert

__all__ = ["NOTE_MAX", "PublishError", "Published", "Publishing", "Stale", "check_note"]

FOLLOWUP_STATUS = {
    MessageType.ALL_CLEAR: AlertStatus.CLEARED,
    MessageType.RETRACTION: AlertStatus.RETRACTED,
}
PREVERIFIED = "preverified"   # the confirmer of code-made broadcasts (tests, benchmarks)


@dataclass(frozen=True)
class Published:
    alert_id: int
    status: AlertStatus
    recipients: int
    version: str = ""


class Publishing(AlertDeps):
    """The publishing half of `AlertService`."""

    def _expires(self, now: float) -> float:
        return now + self.config.alerts.expiry_hours * 3600

    def _seal_note(self, alert_id: int, note: str) -> bytes | None:
        return self.privacy.seal_text(note, f"alert-note:{alert_id}") if note else None

    def _progress(self, progress_to: Address | None) -> bytes | None:
        return self.seal_progress_to(progress_to) if progress_to else None

    def check_text(self, text: str, max_chars: int = NOTE_MAX) -> str:
        """`check_note` with this organisation's own links and numbers allowed."""
        return check_note(text, Allowed.of(self.config), max_chars)

    def version(self, alert: Alert) -> str:
        """The short MAC of what this alert or follow-up will say (buttons carry it)."""
        return integrity.alert_version(self.privacy, alert, self.note(alert))

    def note(self, alert: Alert) -> str:
        """The alert's note in clear ("" when it has none)."""
        if alert.note_sealed is None:
            return ""
        return self.privacy.unseal_text(alert.note_sealed, f"alert-note:{alert.id}")

    async def _sign(self, conn: aiosqlite.Connection, alert_id: int, note: str) -> Alert:
        """Writes the note and the MAC over what the row now says and who proposed it."""
        await store.set_note_in(conn, alert_id, self._seal_note(alert_id, note))
        alert = await store.get_any_in(conn, alert_id)
        assert alert is not None
        mac = integrity.alert_mac(self.privacy, alert, note, alert.created_by)
        await store.set_mac_in(conn, alert_id, mac)
        return dataclasses.replace(alert, mac=mac)

    async def create(self, *, region: str, kind: str, note: str, actor: str,
                     report_id: int | None = None, observed: int | None = None,
                     progress_to: Address | None = None,
                     preverified: bool = False) -> Published:
        """A proposed alert: it waits for a second person. `preverified` is for code that
        already holds two people's agreement (tests, benchmarks): no handler passes it."""
        if kind not in ALERT_KINDS:
            raise PublishError("Unknown alert kind. Use one of: {kinds}.",
                               kinds=", ".join(ALERT_KINDS))
        note = self.check_text(note) if note else ""
        now = self.clock.now()
        async with self.db.write() as conn:
            alert_id = await store.insert(
                conn, type_=MessageType.ALERT, status=AlertStatus.AWAITING_CONFIRMATION,
                now=now, expires=self._expires(now), region=region, kind=kind,
                critical=kind in self.config.alerts.critical_kinds, report_id=report_id,
                drill=self.config.alerts.drill, created_by=actor, observed=observed,
                progress_to_sealed=self._progress(progress_to))
            alert = await self._sign(conn, alert_id, note)
            if preverified:
                return await self._go_out(conn, alert, PREVERIFIED, now, None)
        return Published(alert_id, AlertStatus.AWAITING_CONFIRMATION, 0, self.version(alert))

    async def draft_from_report(self, *, report_id: int, region: str, kind: str,
                                observed: int | None, actor: str) -> int:
        """A verified report becomes a draft alert: a publisher proposes it, another confirms."""
        now = self.clock.now()
        async with self.db.write() as conn:
            existing = await store.draft_for_report(conn, report_id)
            if existing is not None:
                return existing
            alert_id = await store.insert(
                conn, type_=MessageType.ALERT, status=AlertStatus.DRAFT, now=now,
                expires=self._expires(now), region=region, kind=kind,
                critical=kind in self.config.alerts.critical_kinds, report_id=report_id,
                drill=self.config.alerts.drill, created_by=actor, observed=observed)
            await self._sign(conn, alert_id, "")
            return alert_id

    async def propose_unconfirmed(self, *, report_id: int, region: str, kind: str, actor: str,
                                  progress_to: Address | None = None) -> Published:
        """Nobody could go and look (issue 17): a proposed alert for the report, labelled
        unconfirmed in every language. A second publisher confirms it like any other. A
        report that already has an alert gets that one back, not a second."""
        if kind not in ALERT_KINDS:
            raise PublishError("Unknown alert kind. Use one of: {kinds}.",
                               kinds=", ".join(ALERT_KINDS))
        now = self.clock.now()
        async with self.db.write() as conn:
            existing = await store.draft_for_report(conn, report_id)
            if existing is not None:
                found = await store.get_in(conn, existing)
                assert found is not None
                return Published(existing, AlertStatus(found.status), 0, self.version(found))
            alert_id = await store.insert(
                conn, type_=MessageType.ALERT, status=AlertStatus.AWAITING_CONFIRMATION,
                now=now, expires=self._expires(now), region=region, kind=kind,
                critical=kind in self.config.alerts.critical_kinds, report_id=report_id,
                drill=self.config.alerts.drill, created_by=actor,
                progress_to_sealed=self._progress(progress_to), unconfirmed=True)
            alert = await self._sign(conn, alert_id, "")
        return Published(alert_id, AlertStatus.AWAITING_CONFIRMATION, 0, self.version(alert))

    async def set_note(self, alert_id: int, note: str, actor: str) -> None:
        """Edits the note of an alert or update that has not gone out: the editor becomes its
        proposer (someone else must confirm the new words)."""
        note = self.check_text(note) if note else ""
        async with self.db.write() as conn:
            alert = await store.get_any_in(conn, alert_id)
            if alert is None or alert.type == MessageType.DIGEST \
                    or not await store.set_unpublished_note_in(conn, alert_id, None):
                raise PublishError("Alert #{n} has already gone out or was cancelled.",
                                   n=alert_id)
            if alert.status == AlertStatus.AWAITING_CONFIRMATION:
                await store.propose_in(conn, alert_id, actor, "")
            await self._sign(conn, alert_id, note)

    async def propose(self, alert_id: int, actor: str,
                      progress_to: Address | None = None) -> Published:
        """A report's draft, proposed by a publisher: now a second person must confirm it."""
        async with self.db.write() as conn:
            alert = await store.get_in(conn, alert_id)
            if alert is None or alert.status != AlertStatus.DRAFT:
                raise PublishError("Alert #{n} is not waiting for a confirmation.", n=alert_id)
            self._check_row(alert)
            await store.propose_in(conn, alert_id, actor, "")
            if progress_to is not None:
                await store.set_progress_to_in(conn, alert_id, self._progress(progress_to))
            alert = await self._sign(conn, alert_id, self.note(alert))
        return Published(alert_id, AlertStatus.AWAITING_CONFIRMATION, 0, self.version(alert))

    def _check_row(self, alert: Alert) -> None:
        if integrity.proposal_problem(self.privacy, alert) is not None:
            raise PublishError("Alert #{n} failed its integrity check (it was not written by "
                               "Compa): it will not go out, and the admins are told.",
                               n=alert.id)

    async def confirm(self, alert_id: int, actor: str, version: str,
                      progress_to: Address | None = None) -> Published:
        """The second person confirms exactly `version` of a proposed alert or follow-up: the
        status change and the fan-out are one transaction."""
        now = self.clock.now()
        async with self.db.write() as conn:
            alert = await store.get_any_in(conn, alert_id)
            if alert is None or alert.type in (MessageType.DIGEST, MessageType.NOTICE):
                raise PublishError("There is no alert #{n}.", n=alert_id)
            if alert.status != AlertStatus.AWAITING_CONFIRMATION:
                raise PublishError("Alert #{n} is not waiting for a confirmation.", n=alert_id)
            self._check_row(alert)
            if alert.created_by == actor:
                raise PublishError("You proposed alert #{n}: a different publisher must "
                                   "confirm it.", n=alert_id)
            if version != self.version(alert):
                raise Stale(N_("Alert #{n} changed after the preview you confirmed, so "
                               "nothing went out. Check the new preview and confirm it."),
                            n=alert_id)
            if alert.expires <= now:
                raise PublishError("Alert #{n} has expired.", n=alert_id)
            return await self._go_out(conn, alert, actor, now, self._progress(progress_to))

    async def _go_out(self, conn: aiosqlite.Connection, alert: Alert, actor: str, now: float,
                      progress: bytes | None) -> Published:
        """Published, confirmation MAC'd, deliveries written (inside the caller's write)."""
        parent = None
        if alert.parent_id is not None:
            parent = await store.get_in(conn, alert.parent_id)
            if parent is None or parent.status in (AlertStatus.CLEARED, AlertStatus.RETRACTED):
                raise PublishError("Alert #{n} is already closed.", n=alert.parent_id)
        await store.mark_published(conn, alert.id, now, actor,
                                   progress or alert.progress_to_sealed)
        await store.set_confirm_mac_in(conn, alert.id, integrity.alert_confirm_mac(
            self.privacy, alert.id, alert.mac or "", actor, int(now)))
        if parent is None:
            recipients = await deliveries.enqueue_region(conn, alert.id, alert.region or "",
                                                         now, alert.critical, self.tz)
        else:
            recipients = await deliveries.enqueue_followup(
                conn, alert.id, parent.id, now,
                include_pending=alert.type == MessageType.UPDATE)
            if alert.type in FOLLOWUP_STATUS:
                await store.set_status_in(conn, parent.id, FOLLOWUP_STATUS[
                    MessageType(alert.type)])
        self.wake()
        return Published(alert.id, AlertStatus.PUBLISHED, recipients)

    async def cancel(self, alert_id: int) -> bool:
        """Drops an alert or follow-up that has not gone out; False when it already has."""
        return await store.cancel_unpublished(self.db, alert_id)

    async def follow_up(self, alert_id: int, type_: MessageType, note: str, actor: str,
                        progress_to: Address | None = None,
                        preverified: bool = False) -> Published:
        """A proposed update, all clear or false alarm, for exactly the people who received
        alert N; it goes out when a second person confirms it (see `create`: preverified)."""
        note = self.check_text(note) if note else ""
        now = self.clock.now()
        async with self.db.write() as conn:
            original = await store.get_in(conn, alert_id)
            if original is None or original.status in (
                    AlertStatus.AWAITING_CONFIRMATION, AlertStatus.CANCELLED, AlertStatus.DRAFT,
                    AlertStatus.REJECTED):
                raise PublishError("There is no published alert #{n}.", n=alert_id)
            if original.status in (AlertStatus.CLEARED, AlertStatus.RETRACTED):
                raise PublishError("Alert #{n} is already closed.", n=alert_id)
            followup_id = await store.insert(
                conn, type_=type_, status=AlertStatus.AWAITING_CONFIRMATION, now=now,
                # A follow-up may outlive an expired original: people still need the all clear.
                expires=self._expires(now), region=original.region, kind=original.kind,
                critical=original.critical, parent_id=alert_id, drill=original.drill,
                created_by=actor, progress_to_sealed=self._progress(progress_to))
            followup = await self._sign(conn, followup_id, note)
            if preverified:
                return await self._go_out(conn, followup, PREVERIFIED, now, None)
        return Published(followup_id, AlertStatus.AWAITING_CONFIRMATION, 0,
                         self.version(followup))

    async def expire(self) -> int:
        """Marks alerts past their expiry; what they had not sent yet is never sent."""
        now = int(self.clock.now())
        async with self.db.write() as conn:
            await deliveries.skip_expired_in(conn, now)
            return await store.expire_in(conn, now)
