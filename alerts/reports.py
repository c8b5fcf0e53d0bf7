"""Report intake and reading: limits, scrubbing, sealing, linking similar reports into one
incident, and the opt-in follow-up handle.

What is stored: region, kind, ranges, the hour it arrived, scrubbed details and a stripped photo
(both sealed, bound to the report id), status. What is not: anything about who sent it. The
sender's pid is used only by the in-memory limiter (see alerts/limits.py) and then dropped.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import StrEnum

import aiosqlite

from alerts.integrity import decision_ok
from alerts.limits import FloodBreaker, ReportLimiter
from alerts.models import (
    Agents,
    Decision,
    Draft,
    Incident,
    Kind,
    Report,
    Seen,
    Status,
    Vehicles,
    Vote,
)
from alerts.moderators import Roster
from alerts.regions import Regions
from bot.clock import coarse_hour
from bot.config import Config
from bot.messages import Address
from bot.privacy import Privacy, scrub_text
from bot.store import followups as followup_store
from bot.store import integrity as integrity_store
from bot.store import reports as store
from bot.store.db import Database


class FollowUp(StrEnum):
    KEPT = "kept"            # the person will be told the outcome
    ALREADY = "already"      # they had already asked
    CLOSED = "closed"        # already decided: tell them now
    INVALID = "invalid"      # unknown report or a token that does not match


@dataclass(frozen=True)
class Submitted:
    report: Report
    incident: Incident | None  # None when held (no card is made)
    held: bool            # arrived during a flood: no card of its own
    flood: bool | None    # True: the region's breaker just tripped; False: it just reset
    linked: bool          # joined an incident that already had a card


def _address_text(address: Address) -> str:
    return f"{address.channel}\n{address.chat_id}"


class ReportService:
    def __init__(self, db: Database, privacy: Privacy, config: Config, regions: Regions) -> None:
        self.db = db
        self.privacy = privacy
        self.config = config
        self.regions = regions
        self.limiter = ReportLimiter(config.reports.max_per_person_per_hour)
        self.flood = FloodBreaker(config.reports.flood_reports_per_hour)
        self.roster = Roster(config, privacy)

    # -- intake ----------------------------------------------------------------------------

    def may_report(self, pid: str, now: float) -> bool:
        return self.limiter.allowed(pid, now)

    def clean_details(self, text: str) -> str:
        """Scrubbed details, cut to the configured length (callers ask people to shorten)."""
        return scrub_text(" ".join(text.split()))[: self.config.reports.details_max_chars]

    async def submit(self, pid: str, draft: Draft, now: float) -> Submitted:
        """Stores a complete draft as a report; `pid` only feeds the in-memory limiter."""
        if not draft.complete or draft.region is None or self.regions.get(draft.region) is None:
            raise ValueError("incomplete draft")
        kind, seen = Kind(draft.kind or ""), Seen(draft.seen or "")
        agents, vehicles = Agents(draft.agents or ""), Vehicles(draft.vehicles or "")
        self.limiter.record(pid, now)
        change = self.flood.record(draft.region, now)
        status = Status.HELD if self.flood.tripped(draft.region) else Status.PENDING
        window = self.config.reports.similar_window_minutes * 60
        # Alone in the write-ahead log (see Database.isolated_write and CONTRIBUTING, "Reports
        # that cannot be traced"): no frame before or after it belongs to a person.
        async with self.db.isolated_write() as conn:
            incident = await store.open_incident_in(conn, draft.region, kind,
                                                    coarse_hour(now - window))
            report_id = await store.insert(
                conn, region=draft.region, kind=kind, seen=seen, agents=agents,
                vehicles=vehicles, status=status, received=coarse_hour(now), incident=incident)
            details = self.clean_details(draft.details) if draft.details else ""
            if details:
                await store.set_details(conn, report_id,
                                        self.privacy.seal_text(details, f"report:{report_id}"))
            if draft.photo:
                await store.add_photo(conn, report_id,
                                      self.privacy.seal(draft.photo, f"photo:{report_id}"))
        held = status is Status.HELD
        report = await self.report(report_id)
        assert report is not None
        # A held report gets no card, so its incident is not read: during a flood every report
        # joins one incident, and reading (unsealing) all of it for each new report made a
        # thousand reports cost half a million reads.
        found = None if held else await self.incident(report_id)
        return Submitted(report, found, held, change, incident is not None)

    async def release(self, regions: set[str] | None) -> list[tuple[int, str]]:
        """A moderator releases the reports held in `regions` (None: everywhere): they become
        pending, and those regions' breakers count afresh. Returns (incident, region) of each
        report released."""
        async with self.db.write() as conn:
            released = await store.release_held(conn, None if regions is None
                                                else sorted(regions))
        self.flood.reset(self.flood.holding if regions is None else regions)
        return released

    async def held(self) -> list[tuple[str, int]]:
        """(region, count) of the reports held now, most first."""
        return await store.held_counts(self.db)

    # -- reading ---------------------------------------------------------------------------

    def _report(self, row: aiosqlite.Row) -> Report:
        report_id = int(row[0])
        details = self.privacy.unseal_text(bytes(row[7]), f"report:{report_id}") \
            if row[7] is not None else ""
        return Report(id=report_id, incident=int(row[1]), region=row[2], kind=Kind(row[3]),
                      seen=Seen(row[4]), agents=Agents(row[5]), vehicles=Vehicles(row[6]),
                      details=details, has_photo=bool(row[11]), status=Status(row[8]),
                      received=int(row[9]), decided=row[10])

    async def report(self, report_id: int) -> Report | None:
        row = await store.get(self.db, report_id)
        return self._report(row) if row else None

    async def incident(self, report_id: int) -> Incident | None:
        """The incident a report belongs to (any of its reports' ids works)."""
        row = await store.get(self.db, report_id)
        if row is None:
            return None
        head = int(row[1])
        reports = tuple(self._report(r) for r in await store.in_incident(self.db, head))
        votes = []
        for moderator, decision, note_sealed, at, mac in await integrity_store.votes(
                self.db, head):
            if not decision_ok(self.privacy, head, moderator, decision, at, mac):
                continue   # not written by Compa: never counted nor shown (integrity.py)
            note = self.privacy.unseal_text(note_sealed, f"decision:{head}") \
                if note_sealed is not None else ""
            votes.append(Vote(moderator, Decision(decision), note))
        return Incident(reports, tuple(votes))

    async def open_incidents(self) -> list[Incident]:
        found = [await self.incident(i) for i in await store.open_incidents(self.db)]
        return [i for i in found if i is not None]

    async def photo(self, report_id: int) -> bytes | None:
        sealed = await store.photo(self.db, report_id)
        return self.privacy.unseal(sealed, f"photo:{report_id}") if sealed else None

    # -- "tell me the outcome" -------------------------------------------------------------

    def followup_token(self, report_id: int) -> str:
        """Goes in the thanks button: proves the presser saw that report's thanks, without
        naming anyone (the same for whoever holds it)."""
        return self.privacy.mac("followup", str(report_id))[:16]

    async def follow(self, report_id: int, token: str, address: Address, locale: str,
                     now: float) -> tuple[FollowUp, Report | None]:
        """Keeps a sealed handle to tell `address` the outcome, if the token is right."""
        if not hmac.compare_digest(token, self.followup_token(report_id)):
            return FollowUp.INVALID, None
        report = await self.report(report_id)
        if report is None:
            return FollowUp.INVALID, None
        if not report.status.is_open:
            return FollowUp.CLOSED, report
        context = f"followup:{report_id}"
        for _, sealed in await followup_store.for_report(self.db, report_id):
            if self.privacy.unseal_text(bytes(sealed), context) == _address_text(address):
                return FollowUp.ALREADY, report
        expires = coarse_hour(now) + 3600 + self.config.retention.followup_hours * 3600
        await followup_store.add(self.db, report_id,
                                 self.privacy.seal_text(_address_text(address), context),
                                 locale, expires)
        return FollowUp.KEPT, report

    def open_followup(self, report_id: int, sealed: bytes) -> Address:
        channel, _, chat_id = self.privacy.unseal_text(sealed, f"followup:{report_id}") \
            .partition("\n")
        return Address(channel, chat_id)

    async def forget(self, address: Address) -> int:
        """Deletes every follow-up handle of one person (for /forget-me)."""
        mine = [int(row_id) for row_id, report_id, sealed in
                await followup_store.everything(self.db)
                if self.open_followup(int(report_id), bytes(sealed)) == address]
        return await followup_store.delete(self.db, mine)
