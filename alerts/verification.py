"""The moderators' decisions and the two-person rule.

A report (its whole incident) is verified only when `verifications_required` different
moderators confirm it; one "false alarm" or "could not verify" closes it (when in doubt, no
alert goes out). Each moderator decides once per incident: the table's primary key enforces it,
inside the same transaction that counts the confirmations and closes the incident.

Decisions are keyed by the *person* (alerts/moderators.Roster), not by the chat: someone listed
on Telegram and WhatsApp who confirms on both has confirmed once.

Each decision carries a MAC (alerts/integrity.py): only decisions whose MAC holds are counted,
so a row inserted into the database without the keys verifies nothing; one forged in a real
moderator's name is replaced by their own decision when they make it (`Result.forged`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import aiosqlite

from alerts import integrity
from alerts.models import Decision, Incident, Status
from alerts.reports import ReportService
from bot.clock import coarse_hour
from bot.messages import Address
from bot.privacy import scrub_text
from bot.store import followups as followup_store
from bot.store import integrity as integrity_store
from bot.store import reports as store

NOTE_MAX_CHARS = 300


class Outcome(StrEnum):
    RECORDED = "recorded"      # a confirmation short of the quorum
    VERIFIED = "verified"      # the confirmation that completed the quorum
    DECIDED = "decided"        # false alarm / could not verify
    DUPLICATE = "duplicate"    # this moderator already decided on this incident
    CLOSED = "closed"          # the incident was already decided
    NOT_FOUND = "not_found"
    NOT_MODERATOR = "not_moderator"  # the pseudonym is no configured person's


@dataclass(frozen=True)
class Notice:
    """Tell the person behind a follow-up handle how their report ended."""

    address: Address
    locale: str
    status: Status


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    incident: Incident | None = None
    notices: tuple[Notice, ...] = ()
    forged: bool = False    # a row forged in this moderator's name was found and replaced


async def decide(reports: ReportService, pid: str, report_id: int, decision: Decision,
                 now: float, note: str = "") -> Result:
    """Records the decision of the moderator whose pseudonym is `pid` (on any channel) on the
    incident that report `report_id` belongs to."""
    moderator = reports.roster.person_of(pid)
    if moderator is None:
        return Result(Outcome.NOT_MODERATOR)
    found = await reports.incident(report_id)
    if found is None:
        return Result(Outcome.NOT_FOUND)
    head = found.id
    required = reports.config.moderation.verifications_required
    note_sealed = None
    if note.strip():
        clean = scrub_text(" ".join(note.split()))[:NOTE_MAX_CHARS]
        note_sealed = reports.privacy.seal_text(clean, f"decision:{head}")
    final: Status | None = None
    at = coarse_hour(now)   # next to a report: no finer than the report's own time
    mac = integrity.decision_mac(reports.privacy, head, moderator, decision, at)
    forged = False
    async with reports.db.write() as conn:
        rows = await store.in_incident(conn, head)
        if not any(Status(r[8]).is_open for r in rows):
            outcome = Outcome.CLOSED
        elif not await store.add_decision(conn, head, moderator, decision, note_sealed, at):
            forged = not await _genuine(reports, conn, head, moderator)
            if forged:
                # A row forged in this moderator's name: theirs replaces it, then counts.
                await integrity_store.replace_decision_in(conn, head, moderator, decision,
                                                          note_sealed, at, mac)
            outcome = Outcome.RECORDED if forged else Outcome.DUPLICATE
        else:
            await integrity_store.set_decision_mac_in(conn, head, moderator, mac)
            outcome = Outcome.RECORDED
        if outcome is Outcome.RECORDED and decision is Decision.CONFIRM:
            confirmations = sum(
                1 for m, d, when, row_mac in await integrity_store.decisions_in(conn, head)
                if d == Decision.CONFIRM
                and integrity.decision_ok(reports.privacy, head, m, d, when, row_mac))
            outcome = Outcome.VERIFIED if confirmations >= required else Outcome.RECORDED
            final = Status.VERIFIED if outcome is Outcome.VERIFIED else None
        elif outcome is Outcome.RECORDED:
            outcome, final = Outcome.DECIDED, decision.final_status
        taken = []
        if final is not None:
            await store.close_incident(conn, head, final, coarse_hour(now))
            taken = await followup_store.take_for_incident(conn, head, int(now))
    notices = tuple(Notice(reports.open_followup(int(rid), bytes(sealed)), str(locale), final)
                    for rid, sealed, locale, _ in taken if final is not None)
    return Result(outcome, await reports.incident(head), notices, forged)


async def _genuine(reports: ReportService, conn: aiosqlite.Connection, head: int,
                   moderator: str) -> bool:
    """Whether the decision already stored for this moderator carries a valid MAC."""
    row = await integrity_store.decision_in(conn, head, moderator)
    return row is not None and integrity.decision_ok(reports.privacy, head, moderator, row[0],
                                                     row[1], row[2])
