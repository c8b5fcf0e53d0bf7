"""The report domain's vocabulary: explicit enums for every choice and status, and the values
handlers and cards work with. Labels are English source strings (translated when shown)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.i18n import N_


class Role(StrEnum):
    """Who someone is to the bot; each role can do what the ones before it can."""

    PERSON = "person"
    # Issue 17: a field volunteer of the Rapid Response Network (alerts/rrn/). Goes to see and
    # reports what they saw; their confirmed outcome counts as one verification, but they
    # never decide a report nor receive its card.
    FIELD = "field"
    VERIFIER = "verifier"    # confirms or rejects reports
    PUBLISHER = "publisher"  # also publishes alerts
    ADMIN = "admin"          # everything
    # Answers people on the case desk (issue 16). Not a rung of the moderation ladder: only
    # helpers and admins reach HELPER, and a helper reaches nothing above PERSON.
    HELPER = "helper"

    def at_least(self, other: Role) -> bool:
        if other is Role.HELPER:
            return self in (Role.HELPER, Role.ADMIN)
        if self is Role.HELPER:
            return other is Role.PERSON
        order = list(Role)
        return order.index(self) >= order.index(other)


class Kind(StrEnum):
    CHECKPOINT = "checkpoint"
    AGENTS = "agents"
    RAID = "raid"
    ARREST = "arrest"
    OTHER = "other"


class Seen(StrEnum):
    NOW = "now"
    HOUR = "hour"
    TODAY = "today"


class Agents(StrEnum):
    FEW = "1-2"
    SOME = "3-5"
    MANY = "6-10"
    LOTS = "11-plus"
    UNKNOWN = "unknown"


class Vehicles(StrEnum):
    NONE = "0"
    FEW = "1-2"
    SOME = "3-5"
    MANY = "6-plus"
    UNKNOWN = "unknown"


class Status(StrEnum):
    PENDING = "pending"          # waiting for moderators, card sent
    HELD = "held"                # arrived during a flood: no card of its own, in /pending
    VERIFIED = "verified"        # enough different moderators confirmed it
    FALSE_ALARM = "false_alarm"
    UNVERIFIED = "unverified"    # moderators could not verify it

    @property
    def is_open(self) -> bool:
        return self in (Status.PENDING, Status.HELD)


class Decision(StrEnum):
    CONFIRM = "confirm"
    FALSE_ALARM = "false_alarm"
    UNVERIFIABLE = "unverifiable"

    @property
    def final_status(self) -> Status:
        """The status one such decision gives; a confirmation only counts towards the quorum."""
        return {Decision.CONFIRM: Status.VERIFIED, Decision.FALSE_ALARM: Status.FALSE_ALARM,
                Decision.UNVERIFIABLE: Status.UNVERIFIED}[self]


KIND_LABELS = {
    Kind.CHECKPOINT: N_("Checkpoint"),
    Kind.AGENTS: N_("ICE agents seen"),
    Kind.RAID: N_("Raid (work or home)"),
    Kind.ARREST: N_("Arrest"),
    Kind.OTHER: N_("Other"),
}
SEEN_LABELS = {
    Seen.NOW: N_("Now"),
    Seen.HOUR: N_("Within the hour"),
    Seen.TODAY: N_("Earlier today"),
}
AGENTS_LABELS = {
    Agents.FEW: N_("1–2 agents"),
    Agents.SOME: N_("3–5 agents"),
    Agents.MANY: N_("6–10 agents"),
    Agents.LOTS: N_("More than 10 agents"),
    Agents.UNKNOWN: N_("I don't know"),
}
VEHICLES_LABELS = {
    Vehicles.NONE: N_("No vehicles"),
    Vehicles.FEW: N_("1–2 vehicles"),
    Vehicles.SOME: N_("3–5 vehicles"),
    Vehicles.MANY: N_("6 or more vehicles"),
    Vehicles.UNKNOWN: N_("I don't know"),
}
STATUS_LABELS = {
    Status.PENDING: N_("waiting for verification"),
    Status.HELD: N_("held (many reports at once)"),
    Status.VERIFIED: N_("verified"),
    Status.FALSE_ALARM: N_("false alarm"),
    Status.UNVERIFIED: N_("could not be verified"),
}


@dataclass
class Draft:
    """A report being written. Lives only in the (sealed) session until it is sent."""

    kind: str | None = None
    region: str | None = None
    seen: str | None = None
    agents: str | None = None
    vehicles: str | None = None
    details: str = ""           # already scrubbed
    photo: bytes | None = None  # already stripped of metadata

    def to_session(self) -> dict[str, Any]:
        data: dict[str, Any] = {k: v for k, v in (
            ("kind", self.kind), ("region", self.region), ("seen", self.seen),
            ("agents", self.agents), ("vehicles", self.vehicles), ("details", self.details),
        ) if v}
        if self.photo:
            data["photo"] = base64.b64encode(self.photo).decode()
        return data

    @classmethod
    def from_session(cls, data: dict[str, Any]) -> Draft:
        photo = data.get("photo")
        return cls(kind=data.get("kind"), region=data.get("region"), seen=data.get("seen"),
                   agents=data.get("agents"), vehicles=data.get("vehicles"),
                   details=str(data.get("details", "")),
                   photo=base64.b64decode(photo) if isinstance(photo, str) else None)

    @property
    def complete(self) -> bool:
        return all((self.kind, self.region, self.seen, self.agents, self.vehicles))


@dataclass(frozen=True)
class Report:
    id: int
    incident: int
    region: str
    kind: Kind
    seen: Seen
    agents: Agents
    vehicles: Vehicles
    details: str
    has_photo: bool
    status: Status
    received: int
    decided: int | None


@dataclass(frozen=True)
class Vote:
    """One moderator's decision; `moderator` is their pseudonym (never shown to anyone)."""

    moderator: str
    decision: Decision
    note: str = ""


@dataclass(frozen=True)
class Incident:
    """Reports of one event (same region, close in time), decided together.

    The id is the first report's; moderators may name any of its reports."""

    reports: tuple[Report, ...]
    votes: tuple[Vote, ...] = field(default=())

    @property
    def id(self) -> int:
        return self.reports[0].incident

    @property
    def head(self) -> Report:
        return self.reports[0]

    @property
    def status(self) -> Status:
        # Open reports of one incident can mix pending and held (a flood began in between).
        if any(r.status is Status.PENDING for r in self.reports):
            return Status.PENDING
        return self.head.status

    @property
    def confirmations(self) -> int:
        return sum(1 for v in self.votes if v.decision is Decision.CONFIRM)
