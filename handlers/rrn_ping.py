"""Issue 17: the pings a report sends to the on-call field verifiers of its county.

Its own module so handlers/report.py can call it without importing the field handlers."""

from __future__ import annotations

from alerts.models import Incident
from alerts.rrn import render
from bot.context import Context
from bot.messages import Reply


async def dispatch_replies(ctx: Context, incident: Incident) -> list[Reply]:
    """A report entered review: ping every on-call field verifier of its county at once
    (county, kind and how long ago only); one more report restarts an unclaimed dispatch."""
    found, targets = await ctx.rrn.start(incident, ctx.now)
    if found is None:
        return []
    replies = []
    for target in targets:
        t = ctx.i18n.translator(target.locale)
        text, menu = render.ping(t, ctx.regions, target.locale, found, ctx.now,
                                 backup=found.step >= 1)
        replies.append(Reply(text, menu, to=target.address))
    return replies
