"""What a publisher sees before anything goes out: the final words in each language, who it
will reach per channel, and the buttons that propose, confirm (with the proposal's version),
edit or cancel it. Used by handlers/alerting.py; not a router."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from alerts.moderators import room
from alerts.service import Alert, Notice
from alerts.status import AlertStatus, MessageType
from bot.context import Context
from bot.i18n import N_
from bot.messages import Address, Button, Incoming, Menu, Reply
from handlers.cards import channel_counts

KIND_TITLES = {
    MessageType.ALERT: N_("Alert #{n} preview."),
    # Follow-ups are named by their alert's public number (their own ids are internal).
    MessageType.UPDATE: N_("Update to alert #{parent}: preview."),
    MessageType.ALL_CLEAR: N_("All clear for alert #{parent}: preview."),
    MessageType.RETRACTION: N_("False alarm notice for alert #{parent}: preview."),
}


def person(ctx: Context, msg: Incoming) -> str:
    """The person key of the publisher writing (one human on two channels is one person)."""
    return ctx.reports.roster.person(msg.address) or ctx.user.pid


def reach_line(ctx: Context, counts: dict[str, int]) -> str:
    """"It will reach 15 people (Telegram: 12, WhatsApp: 3)": only the enabled channels."""
    return ctx.t("It will reach {total} people ({parts}).", total=sum(counts.values()),
                 parts=channel_counts(ctx, counts))


def local_time(ctx: Context, ts: float) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(ctx.config.bot.timezone)).strftime(
        "%Y-%m-%d %H:%M")


async def alert_preview(ctx: Context, alert: Alert) -> str:
    """An alert or follow-up as subscribers will read it, in both languages, with its reach
    and, when it awaits a confirmation, its code."""
    kind = MessageType(alert.type)
    if kind == MessageType.ALERT:
        counts = await ctx.alerts.reach(alert.region or "")
    else:
        counts = await ctx.alerts.followup_reach(alert)
    parts = [ctx.t(KIND_TITLES[kind], n=alert.id, parent=alert.parent_id or 0)
             + " " + reach_line(ctx, counts)]
    for locale in ("es", "en"):
        text = await ctx.alerts.render(alert, "", locale, ctx.now)
        parts.append(f"— {locale.upper()} —\n{text or ''}")
    if alert.status == AlertStatus.AWAITING_CONFIRMATION:
        parts.append(ctx.t("A different publisher must confirm exactly this text before it goes "
                           "out (code {code}: /confirmar {n} {code}).",
                           code=ctx.alerts.version(alert), n=alert.id))
    elif alert.status == AlertStatus.DRAFT:
        parts.append(ctx.t("Press Propose: then a different publisher confirms it."))
    return "\n\n".join(parts)


def alert_menu(ctx: Context, alert: Alert) -> Menu:
    if alert.status == AlertStatus.AWAITING_CONFIRMATION:
        first = Button(f"pub:ok:{alert.id}:{ctx.alerts.version(alert)}",
                       ctx.t("Confirm and publish"))
    else:
        first = Button(f"pub:send:{alert.id}", ctx.t("Propose"))
    buttons = [first]
    if alert.type in (MessageType.ALERT, MessageType.UPDATE, MessageType.ALL_CLEAR):
        buttons.append(Button(f"pub:note:{alert.id}", ctx.t("Edit note")))
    buttons.append(Button(f"pub:drop:{alert.id}", ctx.t("Cancel")))
    return Menu(tuple(buttons))


async def alert_previews(ctx: Context, alert_id: int, here: Address | None = None
                         ) -> list[Reply]:
    """The preview for every moderator address (the room, or each one), and `here` too when
    the publisher is outside the room."""
    alert = await ctx.alerts.get(alert_id)
    if alert is None:
        return []
    text, menu = await alert_preview(ctx, alert), alert_menu(ctx, alert)
    addresses = room(ctx.config)
    if here is not None and here not in addresses:
        addresses.append(here)
    return [Reply(text, menu, to=address) for address in addresses]


async def notice_preview(ctx: Context, notice: Notice) -> str:
    counts = await ctx.alerts.notice_reach(notice.regions)
    where = ctx.t("all subscribers") if notice.regions is None else ", ".join(
        ctx.regions.name(r, ctx.locale) for r in notice.regions)
    texts = ctx.alerts.notice_texts(notice)
    parts = [ctx.t("Notice #{n} preview, to go out at {when} to {where}.", n=notice.id,
                   when=local_time(ctx, notice.run_at), where=where)
             + " " + reach_line(ctx, counts),
             f"— ES —\n📢 {texts[0]}", f"— EN —\n📢 {texts[1]}"]
    if notice.status == "proposed":
        parts.append(ctx.t("A different publisher must confirm exactly this notice before it "
                           "is scheduled (code {code}: /confirmaraviso {n} {code}).",
                           code=ctx.alerts.notice_version(notice), n=notice.id))
    return "\n\n".join(parts)


async def notice_previews(ctx: Context, notice_id: int, here: Address | None = None
                          ) -> list[Reply]:
    notice = await ctx.alerts.get_notice(notice_id)
    if notice is None:
        return []
    text = await notice_preview(ctx, notice)
    menu = Menu((Button(f"pub:nok:{notice.id}:{ctx.alerts.notice_version(notice)}",
                        ctx.t("Confirm notice")),
                 Button(f"pub:ndrop:{notice.id}", ctx.t("Cancel notice"))))
    addresses = room(ctx.config)
    if here is not None and here not in addresses:
        addresses.append(here)
    return [Reply(text, menu, to=address) for address in addresses]
