"""Alert subscriptions: regions (a toggle list with ✅), immediate or daily digest, quiet hours,
and stopping — by menu, by /alertas, or by typing STOP / BAJA at any time."""

from __future__ import annotations

from alerts.subscriptions import Subscription
from bot.context import Context
from bot.i18n import N_
from bot.messages import Button, Incoming, Menu, Reply
from bot.router import Router
from handlers.paging import Page, paged_menu

router = Router("subscribe")

REGIONS_PER_PAGE = 8
STOP_WORDS = ("stop", "baja", "alto", "unsubscribe", "parar", "cancelar alertas")
QUIET_CHOICES = ((22, 7), (23, 6), (21, 8))
MODE_LABELS = {"immediate": N_("Right away"), "digest": N_("Daily summary")}


def _regions(ctx: Context) -> list[tuple[str, str]]:
    """(id, name in the person's language) of every region, in catalogue order."""
    return [(r.id, r.name(ctx.locale)) for r in ctx.regions.regions]


async def _current(ctx: Context) -> Subscription:
    return await ctx.subscriptions.get(ctx.user.pid)


def _describe(ctx: Context, sub: Subscription) -> str:
    if not sub.active:
        return ctx.t("You are not subscribed to alerts. Choose the regions you want to hear "
                     "about: you will only get alerts that volunteers have verified.")
    names = ", ".join(ctx.regions.name(r, ctx.locale) for r in sub.regions)
    quiet = (ctx.t("from {start}:00 to {end}:00 (urgent alerts still come)",
                   start=f"{sub.quiet_start:02d}", end=f"{sub.quiet_end:02d}")
             if sub.quiet_start is not None and sub.quiet_end is not None else ctx.t("none"))
    return ctx.t("Your alerts:\n• Regions: {regions}\n• When: {mode}\n• Quiet hours: {quiet}",
                 regions=names, mode=ctx.t(MODE_LABELS[sub.mode]), quiet=quiet)


def _home_menu(ctx: Context, sub: Subscription) -> Menu:
    buttons = [Button("alerts:regions:0", ctx.t("Choose regions"))]
    if sub.active:
        other = "digest" if sub.mode == "immediate" else "immediate"
        buttons += [
            Button(f"alerts:mode:{other}", ctx.t("Switch to: {mode}",
                                                 mode=ctx.t(MODE_LABELS[other]))),
            Button("alerts:quiet", ctx.t("Quiet hours")),
            Button("alerts:stop", ctx.t("Stop all alerts")),
        ]
    buttons.append(Button("menu:main", ctx.t("Menu")))
    return Menu(tuple(buttons), title=ctx.t("Alerts"))


async def _home(ctx: Context, intro: str = "") -> list[Reply]:
    ctx.session.clear()
    sub = await _current(ctx)
    text = (intro + "\n\n" if intro else "") + _describe(ctx, sub)
    return [Reply(text, _home_menu(ctx, sub), replace=True)]


@router.command("alertas", "alerts", "suscribir", "subscribe")
async def alerts_command(ctx: Context, msg: Incoming) -> list[Reply]:
    """Shows the person's alert settings and what they can change."""
    return await _home(ctx)


@router.button("alerts:home")
async def alerts_home(ctx: Context, msg: Incoming) -> list[Reply]:
    """The Alerts menu item."""
    return await _home(ctx)


def _regions_menu(ctx: Context, chosen: set[str], page: int) -> Menu:
    regions = Page.of(_regions(ctx), page, REGIONS_PER_PAGE)

    def toggle(region: tuple[str, str]) -> Button:
        rid, name = region
        return Button(f"alerts:toggle:{rid}:{regions.number}",
                      ("✅ " if rid in chosen else "") + name)

    return paged_menu(regions, toggle, nav="alerts:regions", more=ctx.t("More regions"),
                      first=ctx.t("First regions"), tail=(Button("alerts:home", ctx.t("Done")),),
                      title=ctx.t("Regions ({page}/{pages})", page=regions.number + 1,
                                  pages=regions.count))


async def _show_regions(ctx: Context, page: int, intro: str = "") -> list[Reply]:
    sub = await _current(ctx)
    ctx.session.set("alerts:regions", page=page)
    text = (intro + "\n\n" if intro else "") + ctx.t(
        "Tap a region to add or remove it (✅ = you get its alerts). You can also type a "
        "county or town name. Tap Done when you are finished.")
    return [Reply(text, _regions_menu(ctx, set(sub.regions), page), replace=True)]


@router.button("alerts:regions")
async def choose_regions(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """Shows the region toggle list (in pages)."""
    if ctx.arg and not ctx.arg.isdigit():
        return None
    return await _show_regions(ctx, int(ctx.arg or 0))


async def _toggle(ctx: Context, region_id: str) -> str:
    sub = await _current(ctx)
    name = ctx.regions.name(region_id, ctx.locale)
    if region_id in sub.regions:
        sub.regions.remove(region_id)
        note = ctx.t("Removed: {region}.", region=name)
    else:
        sub.regions.append(region_id)
        note = ctx.t("Added: {region}.", region=name)
    await ctx.subscriptions.save(ctx.user.pid, sub)
    return note


@router.button("alerts:toggle")
async def toggle_region(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """Adds or removes one region and shows the list again."""
    region_id, _, page = ctx.arg.partition(":")
    if ctx.regions.get(region_id) is None or (page and not page.isdigit()):
        return None
    note = await _toggle(ctx, region_id)
    return await _show_regions(ctx, int(page or 0), note)


@router.step("alerts")
async def typed_region(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """While choosing regions, a typed county or town name toggles it."""
    if msg.button_id is not None or not msg.text.strip():
        return None
    region = ctx.regions.match(msg.text)
    if region is None:
        return None
    note = await _toggle(ctx, region.id)
    return await _show_regions(ctx, int(ctx.session.data.get("page", 0)), note)


@router.button("alerts:mode")
async def set_mode(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """Switches between alerts right away and one daily summary."""
    if ctx.arg not in MODE_LABELS:
        return None
    sub = await _current(ctx)
    if not sub.active:
        return await _home(ctx)
    sub.mode = ctx.arg
    await ctx.subscriptions.save(ctx.user.pid, sub)
    return await _home(ctx, ctx.t("Saved."))


@router.button("alerts:quiet")
async def quiet_hours(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """Offers quiet hours (urgent alerts still come through), or none."""
    if ctx.arg:
        return await _set_quiet(ctx, ctx.arg)
    buttons = [Button(f"alerts:quiet:{s}-{e}", f"{s:02d}:00–{e:02d}:00")
               for s, e in QUIET_CHOICES]
    buttons += [Button("alerts:quiet:none", ctx.t("No quiet hours")),
                Button("alerts:home", ctx.t("Back"))]
    return [Reply(ctx.t("When should I stay quiet? Urgent alerts (raids, checkpoints) still "
                        "come through."), Menu(tuple(buttons)), replace=True)]


async def _set_quiet(ctx: Context, arg: str) -> list[Reply] | None:
    sub = await _current(ctx)
    if arg == "none":
        sub.quiet_start = sub.quiet_end = None
    else:
        start, _, end = arg.partition("-")
        if (not start.isdigit() or not end.isdigit()
                or (int(start), int(end)) not in QUIET_CHOICES):
            return None
        sub.quiet_start, sub.quiet_end = int(start), int(end)
    if not sub.active:
        return await _home(ctx)
    await ctx.subscriptions.save(ctx.user.pid, sub)
    return await _home(ctx, ctx.t("Saved."))


@router.button("alerts:stop")
async def stop_button(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """Asks before stopping every alert."""
    if ctx.arg == "yes":
        return await _unsubscribe(ctx)
    if ctx.arg:
        return None
    return [Reply(ctx.t("Stop all alerts? You can subscribe again at any time."),
                  Menu((Button("alerts:stop:yes", ctx.t("Yes, stop them")),
                        Button("alerts:home", ctx.t("No, keep them")))), replace=True)]


@router.global_keyword(*STOP_WORDS)
async def stop_word(ctx: Context, msg: Incoming) -> list[Reply]:
    """STOP, BAJA, ALTO or UNSUBSCRIBE (any case) stop every alert at once."""
    return await _unsubscribe(ctx)


async def _unsubscribe(ctx: Context) -> list[Reply]:
    ctx.session.clear()
    had = await ctx.subscriptions.unsubscribe(ctx.user.pid)
    text = ctx.t("Done: you will not get any more alerts.") if had \
        else ctx.t("You were not getting alerts.")
    text += "\n" + ctx.t("To get them again, send /alerts or choose Alerts in the menu.")
    from handlers.menu import main_menu

    return [Reply(text, main_menu(ctx))]
