"""FieldDesk: the roster and the dispatch of field verifiers (issue 17).

A report that enters review starts (or, for one more report on an unclaimed incident,
restarts) its incident's dispatch: every on-call field verifier of the county is pinged at
once. The first "Voy" claims it (one conditional UPDATE); one more may join as backup. Nobody
claims within `rrn.claim_minutes`: the backup counties are pinged; as long again: the
moderators are told and choose. Claiming starts a check-in timer. The outcome ends it.

Nothing here knows channels: it returns `Target`s (address, language) and the handlers or
the timers render and send. Only pids are stored (bot/store/roster.py, bot/store/dispatch.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from alerts import moderators
from alerts.models import Incident, Role
from alerts.regions import Regions, distance_km
from alerts.rrn.roster import end_of_day, is_on_call
from bot.config import Config
from bot.messages import Address
from bot.privacy import Privacy
from bot.store import dispatch as store
from bot.store import roster as roster_store
from bot.store.db import Database
from bot.store.roster import RosterRow

ETAS = {"go15": 15, "go30": 30}


class Answer(StrEnum):
    CLAIMED = "claimed"      # this press claimed the task: send the details
    BACKUP = "backup"        # joined as the second verifier: send the details
    TAKEN = "taken"          # already claimed and backed up
    NOTED = "noted"          # "Lejos" / "No puedo" recorded
    ENDED = "ended"          # the dispatch is over
    NOT_PINGED = "not_pinged"


class FieldResult(StrEnum):
    CONFIRMED = "confirmed"
    NOT_THERE = "not_there"
    FALSE_ALARM = "false_alarm"
    UNVERIFIABLE = "unverifiable"


@dataclass(frozen=True)
class Target:
    """Someone to message: a field verifier (pid kept in memory only) or a moderator."""

    address: Address
    locale: str
    pid: str = ""


@dataclass(frozen=True)
class Dispatch:
    incident: int
    region: str
    kind: str
    status: str
    reports: int
    started: float
    step: int
    claim_minutes: int | None
    outcome_minutes: int | None
    outcome: str | None

    @classmethod
    def of(cls, row: Iterable[Any]) -> Dispatch:
        v: tuple[Any, ...] = tuple(row)
        return cls(int(v[0]), str(v[1]), str(v[2]), str(v[3]), int(v[4]), float(v[5]),
                   int(v[6]), v[7], v[8], v[9])


@dataclass(frozen=True)
class Claim:
    answer: Answer
    dispatch: Dispatch | None = None
    others: tuple[Target, ...] = ()     # pinged people to tell "assigned"


@dataclass
class Tick:
    """What the timers must send now."""

    backup: list[tuple[Dispatch, list[Target]]] = field(default_factory=list)
    unstaffed: list[Dispatch] = field(default_factory=list)
    checkins: list[tuple[int, Target]] = field(default_factory=list)
    alarms: list[int] = field(default_factory=list)


class FieldDesk:
    def __init__(self, db: Database, privacy: Privacy, config: Config, regions: Regions) -> None:
        self.db = db
        self.privacy = privacy
        self.config = config
        self.regions = regions
        # incident → [started, current step began]: exact moments of running dispatches, in
        # memory only (a dispatch's start is its report's arrival, which is kept to the hour).
        # After a restart the escalation starts over from the first tick.
        self._moments: dict[int, list[float]] = {}

    @property
    def tz(self) -> str:
        return self.config.bot.timezone

    # -- roster ----------------------------------------------------------------------------

    async def roster(self, pid: str) -> RosterRow | None:
        return await roster_store.get(self.db, pid)

    async def save_roster(self, pid: str, counties: tuple[str, ...], hours: str,
                          mobility: str, skills: tuple[str, ...], now: float) -> None:
        await roster_store.save(self.db, pid, counties=counties, hours=hours,
                                mobility=mobility, skills=skills, now=now)

    async def set_available(self, pid: str, on: bool, hours: int | None, now: float
                            ) -> int | None:
        """The override until the end of the local day, or `hours` from now; None: no row."""
        limit = self.config.rrn.override_max_hours
        until = end_of_day(now, self.tz) if hours is None \
            else int(now) + min(max(hours, 1), limit) * 3600
        done = await roster_store.set_override(self.db, pid, "on" if on else "off", until, now)
        return until if done else None

    async def everyone(self) -> list[RosterRow]:
        return await roster_store.active(self.db)

    async def on_call(self, counties: tuple[str, ...], now: float) -> list[str]:
        return [row.pid for row in await roster_store.active(self.db)
                if set(row.counties) & set(counties) and is_on_call(row, now, self.tz)]

    def backup_counties(self, county: str) -> tuple[str, ...]:
        configured = self.config.rrn.backup_counties.get(county)
        if configured is not None:
            return configured
        home = self.regions.get(county)
        if home is None:
            return ()
        others = sorted((r for r in self.regions.regions if r.id != county),
                        key=lambda r: distance_km(home.lat, home.lon, r.lat, r.lon))
        return tuple(r.id for r in others[: self.config.rrn.backup_nearest])

    async def target(self, pid: str) -> Target | None:
        found = await roster_store.address_of(self.db, pid)
        if found is None:
            return None
        channel, sealed, locale = found
        chat_id = self.privacy.unseal_text(sealed, f"address:{channel}")
        return Target(Address(channel, chat_id), locale or self.config.bot.default_locale, pid)

    async def _targets(self, pids: list[str]) -> list[Target]:
        found = [await self.target(pid) for pid in pids]
        return [t for t in found if t is not None]

    def admins(self) -> list[Address]:
        """Admins' own chats (never a group): the check-in alarm goes there only."""
        channels = [spec.name for spec in dataclasses.fields(self.config.channels)]
        return [Address(channel, actor) for channel in channels
                if getattr(getattr(self.config.channels, channel, None), "enabled", False)
                for actor, role in moderators.roles_on(self.config, channel).items()
                if role is Role.ADMIN]

    # -- dispatch --------------------------------------------------------------------------

    def _of(self, row: Iterable[Any]) -> Dispatch:
        found = Dispatch.of(row)
        moments = self._moments.get(found.incident)
        return dataclasses.replace(found, started=moments[0]) if moments else found

    def _minutes(self, incident: int, now: float) -> int | None:
        moments = self._moments.get(incident)
        return int(now - moments[0]) // 60 if moments else None

    async def dispatch(self, incident: int) -> Dispatch | None:
        row = await store.get(self.db, incident)
        return self._of(row) if row else None

    async def start(self, incident: Incident, now: float) -> tuple[Dispatch | None,
                                                                   list[Target]]:
        """Starts (or restarts) the incident's dispatch; the field verifiers to ping now.

        Nobody on call in the county: the backup counties at once, without waiting."""
        if not self.config.rrn.enabled or not await roster_store.active(self.db):
            return None, []     # no field network (yet): nothing to dispatch
        head = incident.head
        county = head.region
        async with self.db.write() as conn:
            if not await store.start(conn, incident.id, county, str(head.kind), now):
                return await self.dispatch(incident.id), []
        self._moments.setdefault(incident.id, [now, now])[1] = now
        pids = await self.on_call((county,), now)
        step = 0
        if not pids:
            step = 1
            pids = await self.on_call(self.backup_counties(county), now)
        async with self.db.write() as conn:
            fresh = await store.add_pings(conn, incident.id, pids)
        if step:
            await store.escalate(self.db, incident.id, 1)
        return await self.dispatch(incident.id), await self._targets(fresh)

    async def answer(self, incident: int, pid: str, action: str, now: float) -> Claim:
        """A ping's button: Voy (≤15/≤30 min) claims or backs up; Lejos / No puedo noted."""
        ping = await store.ping_of(self.db, incident, pid)
        if ping is None:    # pings are deleted when a dispatch ends
            found = await self.dispatch(incident)
            ended = found is not None and found.status == "ended"
            return Claim(Answer.ENDED if ended else Answer.NOT_PINGED, found)
        eta = ETAS.get(action)
        async with self.db.write() as conn:
            row = await store.get_in(conn, incident)
            found = self._of(row) if row else None
            if found is None or found.status == "ended":
                return Claim(Answer.ENDED, found)
            if eta is None:
                if ping[1] not in ("lead", "backup"):
                    await store.answer(conn, incident, pid, action, None, None)
                return Claim(Answer.NOTED, found)
            due = now + (eta + self.config.rrn.onsite_minutes) * 60
            if await store.claim(conn, incident, self._minutes(incident, now)):
                await store.answer(conn, incident, pid, "lead", eta, due)
                result = Answer.CLAIMED
            elif ping[1] in ("lead", "backup") or await store.has_backup(conn, incident):
                return Claim(Answer.TAKEN, found)
            else:
                await store.answer(conn, incident, pid, "backup", eta, due)
                result = Answer.BACKUP
        rows = await store.pings(self.db, incident)
        others = [r[0] for r in rows if r[0] != pid and r[1] not in ("lead", "backup")]
        return Claim(result, await self.dispatch(incident),
                     tuple(await self._targets(others)) if result is Answer.CLAIMED else ())

    async def role_in(self, incident: int, pid: str) -> str | None:
        """"lead" or "backup" for the people in the field on this dispatch, else None."""
        ping = await store.ping_of(self.db, incident, pid)
        return str(ping[1]) if ping is not None and ping[1] in ("lead", "backup") else None

    async def checkin_ok(self, incident: int, pid: str, now: float) -> bool:
        if await self.role_in(incident, pid) is None:
            return False
        due = now + self.config.rrn.checkin_every_minutes * 60
        await store.set_checkin(self.db, incident, pid, due, None)
        return True

    async def left_zone(self, incident: int, pid: str) -> bool:
        if await self.role_in(incident, pid) is None:
            return False
        await store.set_checkin(self.db, incident, pid, None, "ended")
        return True

    async def ask_again(self, incident: int, now: float) -> list[Target]:
        """An admin asks the missed field verifiers again; the grace period starts over."""
        grace = self.config.rrn.checkin_grace_minutes * 60
        pids = await store.alarmed(self.db, incident)
        for pid in pids:
            await store.set_checkin(self.db, incident, pid, now + grace, "asked")
        return await self._targets(pids)

    async def record_outcome(self, incident: int, pid: str, result: FieldResult,
                             summary: str, now: float) -> bool:
        """Ends the dispatch with the field outcome (summary sealed); False if not theirs."""
        if await self.role_in(incident, pid) is None:
            return False
        sealed = self.privacy.seal_text(summary, f"dispatch:{incident}") if summary else None
        async with self.db.write() as conn:
            done = await store.end(conn, incident, str(result), sealed,
                                   self._minutes(incident, now))
        self._moments.pop(incident, None)
        return done

    async def close(self, incident: int, reason: str, now: float) -> bool:
        """Ends a dispatch without a field outcome (moderators decided, or closed it)."""
        async with self.db.write() as conn:
            done = await store.end(conn, incident, reason, None, self._minutes(incident, now))
        self._moments.pop(incident, None)
        return done

    async def wait_again(self, incident: int, now: float) -> bool:
        if not await store.wait_again(self.db, incident):
            return False
        self._moments.setdefault(incident, [now, now])[1] = now
        return True

    # -- timers ----------------------------------------------------------------------------

    async def tick(self, now: float, is_open: dict[int, bool]) -> Tick:
        """One pass of the timers; `is_open` says which running incidents are undecided."""
        out = Tick()
        for row in await store.running(self.db):
            found = self._of(row)
            if is_open.get(found.incident, True):
                continue
            # Decided (or purged): an unclaimed dispatch ends; a claimed one once nobody is
            # still out there (their check-in keeps running until they leave or are missed).
            out_there = [p for p in await store.pings(self.db, found.incident)
                         if p[3] is not None]
            if found.status == "open" or not out_there:
                await self.close(found.incident, "decided", now)
        wait = self.config.rrn.claim_minutes * 60
        for row in await store.unclaimed(self.db):
            found = self._of(row)
            moments = self._moments.setdefault(found.incident, [found.started, now])
            if moments[1] > now - wait:
                continue
            step = found.step + 1
            if not await store.escalate(self.db, found.incident, step):
                continue
            moments[1] = now
            if step == 1:
                pids = await self.on_call(self.backup_counties(found.region), now)
                async with self.db.write() as conn:
                    fresh = await store.add_pings(conn, found.incident, pids)
                out.backup.append((found, await self._targets(fresh)))
            else:
                out.unstaffed.append(found)
        await self._checkins(now, out)
        return out

    async def _checkins(self, now: float, out: Tick) -> None:
        grace = self.config.rrn.checkin_grace_minutes * 60
        for incident, pid, state in await store.due_checkins(self.db, now):
            if state is None:
                await store.set_checkin(self.db, incident, pid, now + grace, "asked")
                target = await self.target(pid)
                if target is not None:
                    out.checkins.append((int(incident), target))
            else:
                await store.set_checkin(self.db, incident, pid, None, "alarmed")
                out.alarms.append(int(incident))

    async def running_incidents(self) -> list[int]:
        """Incidents whose dispatch has not ended."""
        return [int(r[0]) for r in await store.running(self.db)]

    async def figures(self, since: float) -> list[tuple[str, str, int | None, int | None,
                                                        str | None]]:
        """(county, status, minutes to claim, minutes to outcome, outcome): no names."""
        return [(str(r[0]), str(r[1]), r[2], r[3], r[4])
                for r in await store.since(self.db, since)]

    async def purge(self, before: float) -> int:
        return await store.purge(self.db, before)

