"""/estado (/status): how the bot is doing, for admins only; anyone else gets a kind refusal."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from alerts.models import Role
from bot.context import Context
from bot.i18n import N_
from bot.messages import Incoming, Reply
from bot.operations import StatusFacts
from bot.router import Access, Router
from handlers.menu import main_menu

REFUSAL = N_("Sorry, the bot's status is only for the network's administrators. "
             "Here is the menu.")
router = Router("status", access=Access(Role.ADMIN, REFUSAL))


@router.command("estado", "status")
async def show_status(ctx: Context, msg: Incoming) -> list[Reply]:
    """The bot's health for an admin: version, uptime, outbox, backup, webhook, moderators."""
    facts = await ctx.status()
    await ctx.record("status", "bot")
    return [Reply("\n".join(_lines(ctx, facts)), main_menu(ctx))]


def _lines(ctx: Context, facts: StatusFacts) -> list[str]:
    hours, rest = divmod(int(facts.uptime_seconds), 3600)
    lines = [ctx.t("Compa {version}, running for {hours} h {minutes} min.",
                   version=facts.version, hours=hours, minutes=rest // 60),
             ctx.t("Messages waiting to go out: {count}", count=facts.outbox_depth)]
    if facts.last_backup is None:
        lines.append(ctx.t("Last backup: none yet"))
    else:
        when = datetime.fromtimestamp(facts.last_backup, ZoneInfo(ctx.config.bot.timezone))
        lines.append(ctx.t("Last backup: {when}", when=when.strftime("%Y-%m-%d %H:%M")))
    if facts.webhook == "unused":
        lines.append(ctx.t("Telegram webhook: not used"))
    elif facts.webhook == "ok":
        lines.append(ctx.t("Telegram webhook: working ({count} updates waiting)",
                           count=facts.webhook_pending))
    else:
        lines.append(ctx.t("Telegram webhook: PROBLEM: {detail}", detail=facts.webhook))
    if facts.whatsapp_moderators:
        lines.append(_window_line(ctx, facts))
    return lines


def _window_line(ctx: Context, facts: StatusFacts) -> str:
    """Which moderators WhatsApp's 24-hour window keeps from their cards, and what they get."""
    if not facts.moderators_out_of_window:
        return ctx.t("WhatsApp moderators: all {total} wrote in the last 24 hours.",
                     total=facts.whatsapp_moderators)
    line = ctx.t("WhatsApp moderators who have not written in 24 hours: {names} ({count} of "
                 "{total}).", names=", ".join(facts.moderators_out_names),
                 count=facts.moderators_out_of_window, total=facts.whatsapp_moderators)
    if facts.moderator_template:
        return line + " " + ctx.t("They get cards under the moderators' template, without "
                                  "buttons, until they write.")
    return line + " " + ctx.t("They get no cards on WhatsApp until they write (no moderators' "
                              "template is set); their other channels still get them.")
