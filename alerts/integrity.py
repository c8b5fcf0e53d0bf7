"""Rows that cannot be forged without the keys, and the check that reports those that fail.

Every alerts row (alert, follow-up, digest, notice carrier), every notice and every moderator
decision carries a MAC (`Privacy.row_mac`, a key of its own per purpose, derived from the keys
file) over what it means:

- `alerts.mac`: id, type, parent, report, region, kind, critical, drill, observed time,
  expiry, the note in clear, the digest window, whether it is labelled unconfirmed, and who
  proposed it (`created_by`, a person key). `alerts.confirm_mac`: the id, that `mac`, who
  confirmed it and when it went out.
- `notices.mac`: id, time, regions, both texts in clear, the proposer; `confirm_mac`: id,
  `mac`, the confirmer.
- `verifications.mac`: incident, moderator (person key), decision, time.

A row that fails is not counted (a decision) and not sent (an alert, a notice, a delivery of
either): the dispatcher checks the alert before each send, the notices job before fanning out,
the decision count before verifying. `check_and_report` (a job every minute, and at start-up)
quarantines whatever fails (status `rejected`, open deliveries cancelled, a forged decision
removed) and tells the admins: one audit entry per row and a message to the moderators' room.

The *version* of a proposal is a short MAC of exactly what will go out: the confirmation
button and command carry it, so a confirmation given for a preview that has since changed is
refused.

Rows from before MACs existed (migration 4) are *legacy*: the start-up that applies that
migration MACs them (`adopt_legacy`), since nothing else has written to the database yet and
the keys are at hand. Any row without a MAC found later fails like a forged one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import aiosqlite
from cryptography.exceptions import InvalidTag

from alerts.moderators import Room, tell_room
from alerts.status import MessageType
from bot.clock import Clock
from bot.i18n import N_
from bot.privacy import Privacy
from bot.store import alerts as alert_store
from bot.store import integrity as store
from bot.store.alerts import Alert, Notice
from bot.store.db import Database

if TYPE_CHECKING:
    from alerts.audit import AuditLog

log = logging.getLogger(__name__)

SYSTEM = "system"        # who proposes and confirms a digest: the schedule, nobody else
LEGACY = "legacy"        # the confirmer of a row published before MACs existed
VERSION_CHARS = 10       # 40 bits: a button id `pub:ok:123456:abcdef0123` stays short


@dataclass(frozen=True)
class Finding:
    table: str           # "alert", "notice", "verification"
    row: str             # "12", or "incident 4"
    reason: str
    moderator: str = ""  # a decision's person key (to remove it; never shown)

    @property
    def subject(self) -> str:
        return f"{self.table}:{self.row}"


def _note(privacy: Privacy, alert: Alert) -> str | None:
    """The note in clear; None when the sealed note does not open (forged or moved)."""
    if alert.note_sealed is None:
        return ""
    try:
        return privacy.unseal_text(alert.note_sealed, f"alert-note:{alert.id}")
    except (InvalidTag, ValueError):
        return None


def _alert_fields(alert: Alert, note: str) -> tuple[object, ...]:
    fields = (alert.id, alert.type, alert.parent_id, alert.report_id, alert.region, alert.kind,
              alert.critical, alert.drill, alert.observed, alert.expires, note,
              alert.window_start, alert.window_end)
    # Issue 17: the "unconfirmed" label is covered too. Added only when set, so the MACs of
    # every row written before the flag existed still hold.
    return (*fields, "unconfirmed") if alert.unconfirmed else fields


def alert_version(privacy: Privacy, alert: Alert, note: str) -> str:
    """A short MAC of exactly what an alert or follow-up will say, and where and when."""
    return privacy.row_mac("alert-version", *_alert_fields(alert, note))[:VERSION_CHARS]


def alert_mac(privacy: Privacy, alert: Alert, note: str, proposer: str | None) -> str:
    return privacy.row_mac("alert", *_alert_fields(alert, note), proposer)


def alert_confirm_mac(privacy: Privacy, alert_id: int, mac: str, confirmer: str | None,
                      published: int | None) -> str:
    return privacy.row_mac("alert-confirm", alert_id, mac, confirmer, published)


def proposal_problem(privacy: Privacy, alert: Alert) -> str | None:
    """Why an alert awaiting its confirmation cannot be trusted; None when it can."""
    note = _note(privacy, alert)
    if note is None:
        return "note does not open"
    if not privacy.row_mac_ok("alert", alert.mac, *_alert_fields(alert, note),
                              alert.created_by):
        return "mac" if alert.mac else "no mac"
    return None


def send_problem(privacy: Privacy, alert: Alert) -> str | None:
    """Why a published alerts row must not be sent; None when two people put it out."""
    problem = proposal_problem(privacy, alert)
    if problem is not None:
        return problem
    if not privacy.row_mac_ok("alert-confirm", alert.confirm_mac, alert.id, alert.mac,
                              alert.confirmed_by, alert.published):
        return "confirmation mac" if alert.confirm_mac else "no confirmation"
    system = alert.type == MessageType.DIGEST and alert.created_by == SYSTEM \
        and alert.confirmed_by == SYSTEM
    if not system and (alert.confirmed_by is None or alert.confirmed_by == alert.created_by
                       or SYSTEM in (alert.created_by, alert.confirmed_by)):
        return "one person"
    return None


def _notice_texts(privacy: Privacy, notice: Notice) -> tuple[str, str] | None:
    try:
        return (privacy.unseal_text(notice.text_es_sealed, f"notice:{notice.id}"),
                privacy.unseal_text(notice.text_en_sealed, f"notice:{notice.id}"))
    except (InvalidTag, ValueError):
        return None


def _notice_fields(notice: Notice, texts: tuple[str, str]) -> tuple[object, ...]:
    return (notice.id, notice.run_at, alert_store.regions_field(notice.regions), *texts)


def notice_version(privacy: Privacy, notice: Notice, texts: tuple[str, str]) -> str:
    return privacy.row_mac("notice-version", *_notice_fields(notice, texts))[:VERSION_CHARS]


def notice_mac(privacy: Privacy, notice: Notice, texts: tuple[str, str]) -> str:
    return privacy.row_mac("notice", *_notice_fields(notice, texts), notice.created_by)


def notice_confirm_mac(privacy: Privacy, notice_id: int, mac: str, confirmer: str) -> str:
    return privacy.row_mac("notice-confirm", notice_id, mac, confirmer)


def notice_problem(privacy: Privacy, notice: Notice, confirmed: bool) -> str | None:
    """Why a notice cannot be trusted (with its confirmation when `confirmed`)."""
    texts = _notice_texts(privacy, notice)
    if texts is None:
        return "texts do not open"
    if not privacy.row_mac_ok("notice", notice.mac, *_notice_fields(notice, texts),
                              notice.created_by):
        return "mac" if notice.mac else "no mac"
    if not confirmed:
        return None
    if not privacy.row_mac_ok("notice-confirm", notice.confirm_mac, notice.id, notice.mac,
                              notice.confirmed_by):
        return "confirmation mac" if notice.confirm_mac else "no confirmation"
    if notice.confirmed_by is None or notice.confirmed_by == notice.created_by:
        return "one person"
    return None


def decision_mac(privacy: Privacy, incident: int, moderator: str, decision: str,
                 at: int) -> str:
    return privacy.row_mac("verification", incident, moderator, decision, at)


def decision_ok(privacy: Privacy, incident: int, moderator: str, decision: str, at: int,
                mac: str | None) -> bool:
    return privacy.row_mac_ok("verification", mac, incident, moderator, decision, at)


async def scan(db: Database, privacy: Privacy, now: float) -> list[Finding]:
    """Every live row that fails its MAC (read only: `compa audit verify` uses it too)."""
    findings: list[Finding] = []
    for alert in await store.live_alerts(db, now):
        unpublished = alert.status in alert_store.UNPUBLISHED
        problem = proposal_problem(privacy, alert) if unpublished \
            else send_problem(privacy, alert)
        if problem is not None:
            findings.append(Finding("alert", str(alert.id), problem))
    for notice in await store.live_notices(db):
        problem = notice_problem(privacy, notice, confirmed=notice.status == "scheduled")
        if problem is not None:
            findings.append(Finding("notice", str(notice.id), problem))
    for incident, moderator, decision, at, mac in await store.open_decisions(db):
        if not decision_ok(privacy, incident, moderator, decision, at, mac):
            findings.append(Finding("verification", f"incident {incident}",
                                    "mac" if mac else "no mac", moderator))
    return findings


async def sweep(db: Database, privacy: Privacy, now: float) -> list[Finding]:
    """Finds and quarantines every live row that fails its MAC: an alert or notice is
    rejected (never sent, its open deliveries cancelled), a decision removed."""
    findings = await scan(db, privacy, now)
    async with db.write() as conn:
        for finding in findings:
            if finding.table == "alert":
                await store.reject_alert_in(conn, int(finding.row))
            elif finding.table == "notice":
                await alert_store.reject_notice_in(conn, int(finding.row))
            else:
                incident = int(finding.row.removeprefix("incident "))
                await store.drop_decision_in(conn, incident, finding.moderator)
    return findings


class IntegrityRoom(Room, Protocol):
    """What reporting tampering needs: the room, the audit log, a clock and the keys."""

    @property
    def clock(self) -> Clock: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def privacy(self) -> Privacy: ...


TAMPERED = N_("⚠️ Integrity check: {count} record(s) in the database were not written by "
              "Compa ({what}). Nothing was sent or counted from them. Someone may have "
              "edited the database: tell the admins and see the audit log.")


async def check_and_report(app: IntegrityRoom) -> list[Finding]:
    """The sweep, then one audit entry per finding and one message to the moderators' room."""
    now = app.clock.now()
    findings = await sweep(app.db, app.privacy, now)
    for finding in findings:
        log.warning("integrity: %s failed its MAC (%s); quarantined", finding.subject,
                    finding.reason)
        await app.audit.append(SYSTEM, "integrity:forged", f"{finding.subject} ({finding.reason})",
                               now)
    if findings:
        what = ", ".join(sorted({f.subject for f in findings}))[:300]
        await tell_room(app, TAMPERED, count=len(findings), what=what)
    return findings


async def adopt_legacy(db: Database, privacy: Privacy) -> int:
    """MACs for the rows written before MACs existed (run once, at the start-up that applies
    migration 4). Returns how many rows it signed."""
    alert_ids, notice_ids, decisions = await store.unmacced(db)
    signed = 0
    async with db.write() as conn:
        for alert_id in alert_ids:
            alert = await alert_store.get_any_in(conn, alert_id)
            note = None if alert is None else _note(privacy, alert)
            if alert is None or note is None:
                continue
            mac = alert_mac(privacy, alert, note, alert.created_by)
            await alert_store.set_mac_in(conn, alert_id, mac)
            if alert.status not in alert_store.UNPUBLISHED:
                confirmer = alert.confirmed_by if alert.confirmed_by not in (
                    None, alert.created_by) else LEGACY
                await store.set_confirmation_in(conn, "alerts", alert_id, confirmer,
                                                alert_confirm_mac(privacy, alert_id, mac,
                                                                  confirmer, alert.published))
            signed += 1
        for notice_id in notice_ids:
            signed += await _adopt_notice(conn, privacy, notice_id)
        for incident, moderator in decisions:
            row = await store.decision_in(conn, incident, moderator)
            if row is not None:
                await store.set_decision_mac_in(conn, incident, moderator, decision_mac(
                    privacy, incident, moderator, row[0], row[1]))
                signed += 1
    return signed


async def _adopt_notice(conn: aiosqlite.Connection, privacy: Privacy, notice_id: int) -> int:
    notice = await alert_store.notice_in(conn, notice_id)
    texts = None if notice is None else _notice_texts(privacy, notice)
    if notice is None or texts is None:
        return 0
    mac = notice_mac(privacy, notice, texts)
    await store.set_notice_mac_in(conn, notice_id, mac)
    if notice.status != "proposed":
        await store.set_confirmation_in(conn, "notices", notice_id, LEGACY,
                                        notice_confirm_mac(privacy, notice_id, mac, LEGACY))
    return 1
