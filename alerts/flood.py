"""While reports are held (a region's flood breaker tripped), the moderators hear about it
every 15 minutes: how many, and in which regions, never what they say."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from alerts.moderators import Room, tell_room
from alerts.regions import Regions
from bot.i18n import N_

if TYPE_CHECKING:
    from alerts.reports import ReportService


class FloodRoom(Room, Protocol):
    """What the held-reports summary needs: the room, the reports and the regions."""

    @property
    def reports(self) -> ReportService: ...
    @property
    def regions(self) -> Regions: ...

SUMMARY_EVERY_MINUTES = 15
SUMMARY = N_("⏸️ Reports held because many arrived at once: {count} ({regions}). They have no "
             "card of their own. See /pending, or release them with /release REGION or "
             "/release all.")


def held_line(regions: Regions, held: list[tuple[str, int]], locale: str) -> str:
    """ "Buncombe 12, Swain 3": regions and counts only."""
    return ", ".join(f"{regions.name(region, locale)} {count}" for region, count in held)


async def post_held_summary(app: FloodRoom) -> bool:
    """The summary to the moderators' room when reports are held; False when none are."""
    held = await app.reports.held()
    if not held:
        return False
    await tell_room(app, SUMMARY, count=sum(count for _, count in held),
                    regions=held_line(app.regions, held, app.config.bot.default_locale))
    return True
