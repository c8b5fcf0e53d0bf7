"""¿Es real esta alerta? Anyone checks a code, or a message they received, against the
verified alerts. Nothing they send is stored or logged: it is read in memory and answered."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from alerts.render import kind_label
from bot.context import Context
from bot.messages import Button, Incoming, Menu, Reply
from bot.public.codes import find_code, normalize, page_url
from bot.public.match import kinds_in, looks_like_alert, regions_in
from bot.public.service import PublicAlert, PublicStatus
from bot.public.words import local_time, status_word
from bot.router import Router

router = Router("rumour")
# A pasted message is compared with the verified alerts of this many past hours.
WINDOW_HOURS = 24


def _menu(ctx: Context) -> Menu:
    return Menu((Button("report:start", ctx.t("📣 Report what you see")),
                 Button("menu:main", ctx.t("Menu"))))


def _ask(ctx: Context) -> list[Reply]:
    ctx.session.set("rumour:ask")
    return [Reply(ctx.t("Send me the code of the alert (for example 7Q3KM), or paste or "
                        "forward the message you received. I will tell you if it matches an "
                        "alert our volunteers verified. I do not keep what you send."),
                  Menu((Button("menu:main", ctx.t("Menu")),)))]


@router.command("esreal", "isreal", "real")
async def check_command(ctx: Context, msg: Incoming) -> list[Reply]:
    """/esreal [code]: checks the code, or asks for a code or a message."""
    if not msg.args:
        return _ask(ctx)
    return await _check(ctx, msg.args)


@router.button("rumour:ask")
async def ask_button(ctx: Context, msg: Incoming) -> list[Reply]:
    """The "Is this alert real?" menu item asks for a code or a message."""
    return _ask(ctx)


@router.step("rumour")
async def on_text(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """The code or the message they received: checked, then back to normal."""
    if msg.button_id is not None or not msg.text.strip():
        return None
    ctx.session.clear()
    return await _check(ctx, msg.text)


def _pasted(ctx: Context, msg: Incoming) -> bool:
    return msg.button_id is None and looks_like_alert(ctx.regions, msg.text)


@router.text(_pasted)
async def on_pasted(ctx: Context, msg: Incoming) -> list[Reply]:
    """A pasted or forwarded alert (or rumour) is checked without being asked."""
    return await _check(ctx, msg.text)


async def _check(ctx: Context, text: str) -> list[Reply]:
    code = find_code(text) or normalize(text)
    if code is not None:
        alert = await ctx.public.by_code(code, ctx.now)
        if alert is None:
            return _nothing(ctx, ctx.t("No verified alert has the code {code}.", code=code))
        return [Reply(ctx.t("✅ Yes: {code} is an alert our volunteers verified.", code=code)
                      + "\n\n" + _describe(ctx, alert), _menu(ctx))]
    places = regions_in(ctx.regions, text)
    if not places:
        return _nothing(ctx, ctx.t("I could not find a county in that message, and nothing "
                                   "verified matches it."))
    kinds = kinds_in(text)
    found = [a for region in places for a in
             await ctx.public.recent(ctx.now, WINDOW_HOURS, region.id, kinds, limit=5)]
    names = ", ".join(region.name(ctx.locale) for region in places)
    if not found:
        return _nothing(ctx, ctx.t("Nothing verified matches: no verified alert in {places} in "
                                   "the last {hours} hours.", places=names, hours=WINDOW_HOURS))
    found.sort(key=lambda a: -a.published)
    parts = [ctx.t("These alerts in {places} were verified in the last {hours} hours. If the "
                   "message you got says something else, it did not come from us:",
                   places=names, hours=WINDOW_HOURS)]
    parts += [_describe(ctx, a) for a in found[:5]]
    return [Reply("\n\n".join(parts), _menu(ctx))]


def _nothing(ctx: Context, why: str) -> list[Reply]:
    return [Reply("❌ " + why + "\n\n" + ctx.t(
        "The message may be false or changed. Please do not forward it: false alarms spread "
        "fear. If you see something yourself, you can report it anonymously and our "
        "volunteers will check it."), _menu(ctx))]


def _describe(ctx: Context, alert: PublicAlert) -> str:
    tz = ZoneInfo(ctx.config.bot.timezone)
    lines = [
        ctx.t("🚨 {kind} in {region}", kind=kind_label(ctx.t, alert.kind),
              region=ctx.regions.name(alert.region, ctx.locale)),
        ctx.t("Sent {time} · code {code}", time=local_time(alert.published, tz, ctx.locale),
              code=alert.code),
        ctx.t("Status: {status}", status=status_word(ctx.t, alert.status)),
    ]
    if alert.status == PublicStatus.FALSE_ALARM:
        lines.append(ctx.t("It was a false alarm: please do not forward it."))
    elif alert.status.is_open:
        lines.append(ctx.t("It is still active: avoid the area if you can."))
    if ctx.config.public.base_url:
        lines.append(page_url(ctx.config.public.base_url, alert.code))
    return "\n".join(lines)
