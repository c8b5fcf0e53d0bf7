"""The `[rrn]` config table: the Rapid Response Network's dispatch timings (issue 17).

Kept apart from bot/config.py so the dispatch's knobs live in one place; `Config.rrn` holds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RrnConfig:
    # Ping on-call field verifiers when a report enters review.
    enabled: bool = True
    # No claim this many minutes after the ping: the backup counties are pinged; after twice
    # as long, the moderators are told "no field verifier" and choose what to do.
    claim_minutes: int = 10
    # county id → counties asked next; without an entry, the nearest `backup_nearest` centres.
    backup_counties: dict[str, tuple[str, ...]] = field(default_factory=dict)
    backup_nearest: int = 2
    # "Are you OK?" this long after the promised arrival (claim + ETA); then every `checkin_
    # every_minutes` after an "I'm OK"; no answer within `checkin_grace_minutes`: admins told.
    onsite_minutes: int = 20
    checkin_every_minutes: int = 20
    checkin_grace_minutes: int = 10
    # /disponible without a number lasts until the end of the local day; with N, N hours (max).
    override_max_hours: int = 24


def validate(cfg: Any, problems: list[str]) -> None:
    """Positive timings and known counties are checked when the regions are loaded (doctor)."""
    rrn: RrnConfig = cfg.rrn
    for name in ("claim_minutes", "onsite_minutes", "checkin_every_minutes",
                 "checkin_grace_minutes", "override_max_hours"):
        if getattr(rrn, name) <= 0:
            problems.append(f"rrn.{name}: must be positive")
    if rrn.backup_nearest < 0:
        problems.append("rrn.backup_nearest: must be 0 or more")
