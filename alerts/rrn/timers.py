"""The dispatch timers (issue 17), run every minute by the scheduler and directly by tests
with the fake clock: backup counties, "no field verifier" to the moderators, the check-in
"Are you OK?" and, without an answer, the alarm to the admins' own chats (never a group)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from alerts import moderators
from alerts.rrn import render
from bot.clock import Clock
from bot.messages import Address, Reply

if TYPE_CHECKING:
    from alerts.regions import Regions
    from alerts.reports import ReportService
    from bot.services import Services


class App(moderators.Room, Protocol):
    """What the timers use (the composition root's App offers it)."""

    @property
    def clock(self) -> Clock: ...
    @property
    def regions(self) -> Regions: ...
    @property
    def reports(self) -> ReportService: ...
    @property
    def services(self) -> Services: ...

log = logging.getLogger(__name__)


async def _locale(app: App, address: Address) -> str:
    group = getattr(getattr(app.config.channels, address.channel, None), "moderators_chat_id",
                    "")
    if group and str(group) == address.chat_id:
        return app.config.bot.default_locale
    return await app.services.users.locale_of(address) or app.config.bot.default_locale


async def messages(app: App) -> list[tuple[Address, Reply]]:
    """One pass of the timers: what must be sent now, and where."""
    desk, now, regions = app.services.rrn, app.clock.now(), app.regions
    is_open = {}
    for number in await desk.running_incidents():
        found = await app.reports.incident(number)
        is_open[number] = found is not None and found.status.is_open
    tick = await desk.tick(now, is_open)
    # The weekly figures need a week; ended dispatches go with decided reports.
    await desk.purge(now - app.config.retention.decided_report_days * 24 * 3600)
    out: list[tuple[Address, Reply]] = []
    for dispatch, targets in tick.backup:
        for target in targets:
            t = app.i18n.translator(target.locale)
            text, menu = render.ping(t, regions, target.locale, dispatch, now, backup=True)
            out.append((target.address, Reply(text, menu)))
    minutes = 2 * app.config.rrn.claim_minutes
    for dispatch in tick.unstaffed:
        for address in moderators.room(app.config):
            locale = await _locale(app, address)
            t = app.i18n.translator(locale)
            out.append((address, Reply(render.unstaffed(t, regions, locale, dispatch, minutes),
                                       render.unstaffed_menu(t, dispatch.incident))))
    for incident, target in tick.checkins:
        text, menu = render.checkin(app.i18n.translator(target.locale), incident)
        out.append((target.address, Reply(text, menu)))
    for incident in tick.alarms:
        for address in desk.admins():
            t = app.i18n.translator(await _locale(app, address))
            out.append((address, Reply(t(render.ALARM, id=incident),
                                       render.alarm_menu(t, incident))))
    return out


async def run(app: App) -> int:
    """Sends this minute's dispatch messages; returns how many went out."""
    sent = 0
    for address, reply in await messages(app):
        result = await app.send(address, reply)
        if result.ok:
            sent += 1
        else:
            log.warning("dispatch message not sent on %s: %s", address.channel, result.error)
    return sent
