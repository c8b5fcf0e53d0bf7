"""The field verifiers' roster (issue 17): /turno, /disponible, /nodisponible, and the
admins' /cobertura and /despacho.

/turno is a step table (bot/flow.py): counties → on-call hours → how they move → skills.
Everything is a choice or a pattern of days and hours: nothing typed is stored as text.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from alerts.models import Role
from alerts.rrn.roster import (
    DAY_LABELS,
    MOBILITY_LABELS,
    PRESET_LABELS,
    PRESETS,
    SKILL_LABELS,
    Mobility,
    Skill,
    Week,
    coverage,
    gaps,
    is_on_call,
    parse_week,
)
from bot.context import Context
from bot.flow import Flow
from bot.i18n import N_
from bot.messages import Button, Incoming, Menu, Reply
from bot.router import Access, Result, Router, button_arg
from handlers.menu import main_menu, main_menu_reply
from handlers.paging import Page, paged_menu

FIELD = Access(Role.FIELD, N_("Sorry, that is only for the network's field verifiers. Here "
                              "is the menu."))
ADMINS = Access(Role.ADMIN, N_("Sorry, that is only for the network's administrators. Here "
                               "is the menu."))
router = Router("rrn", access=FIELD)
COUNTIES_PER_PAGE = 6      # + More + Back + Done + Cancel = 10
WEEK_SECONDS = 7 * 24 * 3600


def _not_mine(msg: Incoming) -> bool:
    bid = msg.button_id
    return bid is not None and not bid.startswith("turno:")


flow = Flow("turno", router, passes=_not_mine)


def _data(ctx: Context) -> dict[str, object]:
    return ctx.session.data.setdefault("turno", {})  # type: ignore[no-any-return]


def _chosen(ctx: Context, key: str) -> list[str]:
    value = _data(ctx).get(key, [])
    return [str(v) for v in value] if isinstance(value, list) else []


def _tail(ctx: Context) -> tuple[Button, Button]:
    return (Button("turno:done", ctx.t("✔️ Done")), Button("turno:cancel", ctx.t("✖️ Cancel")))


@router.command("turno", "shift")
async def start_shift(ctx: Context, msg: Incoming) -> list[Reply]:
    """/turno: set the counties, the on-call hours, how you move and your skills."""
    row = await ctx.rrn.roster(ctx.user.pid)
    ctx.session.set("turno:counties", turno={
        "counties": list(row.counties) if row else [], "hours": row.hours if row else "",
        "mobility": row.mobility if row else "", "skills": list(row.skills) if row else []})
    intro = ctx.t("Your field shift. Nothing here says who you are: only the counties, the "
                  "hours and how you can help. /cancel keeps what you had.")
    return flow.ask(ctx, "counties", intro)


@flow.guard
async def every_step(ctx: Context, msg: Incoming, step: str) -> Result:
    """Cancel works on every step; a command gets the question again."""
    if msg.button_id == "turno:cancel":
        ctx.session.clear()
        return main_menu_reply(ctx, ctx.t("Cancelled: your shift is as it was."))
    if msg.command is not None:
        return flow.ask(ctx, step, ctx.t("That command does not work here. Please answer, or "
                                         "press Cancel."))
    return None


def _counties_question(ctx: Context, page: int = 0) -> tuple[str, Menu]:
    chosen = _chosen(ctx, "counties")
    regions = Page.of(ctx.regions.regions, page, COUNTIES_PER_PAGE)
    menu = paged_menu(
        regions, lambda r: Button(f"turno:c:{r.id}", ("✅ " if r.id in chosen else "")
                                  + r.name(ctx.locale)),
        nav="turno:cp", more=ctx.t("More counties"), back=ctx.t("Back"), tail=_tail(ctx))
    names = ", ".join(ctx.regions.name(c, ctx.locale) for c in chosen) or ctx.t("none yet")
    return (ctx.t("Which counties can you cover? Press a county to add or remove it, or type "
                  "their names separated by commas; then Done.\nChosen: {names}", names=names),
            menu)


@flow.step("counties", _counties_question)
async def on_counties(ctx: Context, msg: Incoming) -> list[Reply]:
    """A county toggled, a page turned, names typed, or Done."""
    chosen = _chosen(ctx, "counties")
    page = button_arg(msg.button_id or "", "turno:cp")
    if page is not None and page.isdigit():
        return flow.ask(ctx, "counties", page=int(page))
    toggled = ctx.regions.get(button_arg(msg.button_id or "", "turno:c") or "")
    if toggled is not None:
        chosen = [c for c in chosen if c != toggled.id] if toggled.id in chosen \
            else [*chosen, toggled.id]
        _data(ctx)["counties"] = chosen
        index = ctx.regions.regions.index(toggled)
        return flow.ask(ctx, "counties", page=index // COUNTIES_PER_PAGE)
    if msg.button_id == "turno:done":
        if not chosen:
            return flow.ask(ctx, "counties", ctx.t("Please choose at least one county."))
        return flow.advance(ctx, "counties")
    if msg.text.strip() and msg.button_id is None:
        found = [ctx.regions.match(part) for part in msg.text.split(",") if part.strip()]
        if not found or None in found:
            return flow.ask(ctx, "counties", ctx.t("I did not find one of those counties. "
                                                   "Please press them in the list."))
        _data(ctx)["counties"] = sorted({*chosen, *(r.id for r in found if r is not None)})
        return flow.ask(ctx, "counties")
    return flow.ask(ctx, "counties", ctx.t("Please choose one of the options."))


def _hours_question(ctx: Context) -> tuple[str, Menu]:
    buttons = [Button(f"turno:h:{key}", ctx.t(label)) for key, label in PRESET_LABELS.items()]
    return (ctx.t("When are you on call? Choose one, or type days and hours (local time), "
                  "e.g. \"lun-vie 18-23; sab 8-20\". You can always use /disponible and "
                  "/nodisponible for today."), Menu((*buttons, _tail(ctx)[1])))


@flow.step("hours", _hours_question)
async def on_hours(ctx: Context, msg: Incoming) -> list[Reply]:
    """A preset pressed or a weekly pattern typed."""
    preset = button_arg(msg.button_id or "", "turno:h")
    week = PRESETS.get(preset or "") if preset else None
    if week is None and msg.button_id is None and msg.text.strip():
        week = parse_week(msg.text)
    if week is None:
        return flow.ask(ctx, "hours", ctx.t("I could not read those hours. Please write days "
                                            "and hours like \"lun-vie 18-23; sab 8-20\", or "
                                            "choose an option."))
    _data(ctx)["hours"] = week.encode()
    return flow.advance(ctx, "hours")


def _mobility_question(ctx: Context) -> tuple[str, Menu]:
    buttons = [Button(f"turno:m:{m.value}", ctx.t(label)) for m, label in MOBILITY_LABELS.items()]
    return ctx.t("How do you usually move?"), Menu((*buttons, _tail(ctx)[1]))


@flow.step("mobility", _mobility_question)
async def on_mobility(ctx: Context, msg: Incoming) -> list[Reply]:
    """Car, bike or on foot."""
    choice = button_arg(msg.button_id or "", "turno:m")
    if choice not in {m.value for m in Mobility}:
        return flow.ask(ctx, "mobility", ctx.t("Please choose one of the options."))
    _data(ctx)["mobility"] = choice
    return flow.advance(ctx, "mobility")


def _skills_question(ctx: Context) -> tuple[str, Menu]:
    chosen = _chosen(ctx, "skills")
    buttons = [Button(f"turno:s:{s.value}", ("✅ " if s.value in chosen else "") + ctx.t(label))
               for s, label in SKILL_LABELS.items()]
    return (ctx.t("Anything else? Press to add or remove, then Done."),
            Menu((*buttons, *_tail(ctx))))


@flow.step("skills", _skills_question)
async def on_skills(ctx: Context, msg: Incoming) -> list[Reply]:
    """A skill toggled, or Done: the shift is saved."""
    chosen = _chosen(ctx, "skills")
    skill = button_arg(msg.button_id or "", "turno:s")
    if skill in {s.value for s in Skill}:
        _data(ctx)["skills"] = [s for s in chosen if s != skill] if skill in chosen \
            else [*chosen, skill]
        return flow.ask(ctx, "skills")
    if msg.button_id != "turno:done":
        return flow.ask(ctx, "skills", ctx.t("Please choose one of the options."))
    data = _data(ctx)
    await ctx.rrn.save_roster(ctx.user.pid, tuple(_chosen(ctx, "counties")),
                              str(data.get("hours", "")), str(data.get("mobility", "")),
                              tuple(chosen), ctx.now)
    await ctx.record("roster:save", "roster")
    ctx.session.clear()
    return [Reply(ctx.t("Saved. Thank you!") + "\n\n" + await shift_summary(ctx),
                  main_menu(ctx))]


async def shift_summary(ctx: Context) -> str:
    row = await ctx.rrn.roster(ctx.user.pid)
    if row is None:
        return ctx.t("You have no field shift yet: set it with /turno.")
    week = Week.decode(row.hours)
    on = is_on_call(row, ctx.now, ctx.config.bot.timezone)
    lines = [ctx.t("Counties: {names}", names=", ".join(
                 ctx.regions.name(c, ctx.locale) for c in row.counties)),
             ctx.t("On call: {hours} hours a week", hours=len(week.hours)),
             ctx.t("Right now: on call") if on else ctx.t("Right now: not on call")]
    return "\n".join(lines)


def _hours_arg(msg: Incoming) -> int | None:
    """/disponible 3 → 3; no number → None; anything else → -1."""
    arg = msg.args.strip()
    if not arg:
        return None
    return int(arg) if arg.isdigit() and len(arg) <= 3 else -1


@router.command("disponible", "available")
async def available(ctx: Context, msg: Incoming) -> list[Reply]:
    """/disponible [hours]: on call now, until the end of the day or for N hours."""
    return await _override(ctx, msg, True)


@router.command("nodisponible", "unavailable")
async def unavailable(ctx: Context, msg: Incoming) -> list[Reply]:
    """/nodisponible [hours]: not on call now, until the end of the day or for N hours."""
    return await _override(ctx, msg, False)


async def _override(ctx: Context, msg: Incoming, on: bool) -> list[Reply]:
    hours = _hours_arg(msg)
    if hours is not None and hours < 1:
        return [Reply(ctx.t("Use /disponible, or /disponible 3 for three hours (the same for "
                            "/nodisponible)."))]
    until = await ctx.rrn.set_available(ctx.user.pid, on, hours or None, ctx.now)
    if until is None:
        return [Reply(ctx.t("You have no field shift yet: set it with /turno."), main_menu(ctx))]
    await ctx.record("roster:on" if on else "roster:off", "roster")
    when = datetime.fromtimestamp(until, ZoneInfo(ctx.config.bot.timezone)).strftime("%H:%M")
    text = ctx.t("You are on call until {time}.", time=when) if on \
        else ctx.t("You are off call until {time}.", time=when)
    return [Reply(text, main_menu(ctx))]


# -- the admins' figures ----------------------------------------------------------------------

@router.command("cobertura", "coverage", access=ADMINS)
async def show_coverage(ctx: Context, msg: Incoming) -> list[Reply]:
    """/cobertura: each county's weekly on-call coverage, gaps first (what to recruit for)."""
    rows = await ctx.rrn.everyone()
    await ctx.record("view", "roster:coverage")
    lines = [ctx.t("Field coverage this week (local time):")]
    covered = []
    for region in ctx.regions.regions:
        counts = coverage(rows, region.id)
        people = sum(1 for r in rows if region.id in r.counties)
        holes = gaps(counts)
        name = region.name(ctx.locale)
        if not holes:
            covered.append(name)
        elif people == 0:
            lines.append("⚠️ " + ctx.t("{county}: nobody", county=name))
        else:
            lines.append("⚠️ " + ctx.t("{county} ({n} volunteers), no one on call: {gaps}",
                                       county=name, n=people, gaps=_gap_text(ctx, holes)))
    if covered:
        lines.append("✅ " + ctx.t("Covered all week: {counties}", counties=", ".join(covered)))
    tz = ctx.config.bot.timezone
    now = [f"{ctx.regions.name(region.id, ctx.locale)} {count}" for region in ctx.regions.regions
           if (count := sum(1 for r in rows if region.id in r.counties
                            and is_on_call(r, ctx.now, tz)))]
    lines.append("🟢 " + ctx.t("On call right now: {counties}",
                               counties=", ".join(now) or ctx.t("nobody")))
    return [Reply("\n".join(lines), main_menu(ctx))]


def _gap_text(ctx: Context, holes: list[tuple[int, int, int]]) -> str:
    """Days with the same gaps are grouped: "Mon, Tue 00–18; Sat 00–24"."""
    by_hours: dict[tuple[tuple[int, int], ...], list[int]] = {}
    for day in range(7):
        spans = tuple((s, e) for d, s, e in holes if d == day)
        if spans:
            by_hours.setdefault(spans, []).append(day)
    parts = []
    for spans, days in by_hours.items():
        names = ", ".join(ctx.t(DAY_LABELS[d]) for d in days)
        parts.append(names + " " + " ".join(f"{s:02d}–{e:02d}" for s, e in spans))
    return "; ".join(parts)


@router.command("despacho", "dispatch", access=ADMINS)
async def show_dispatch_figures(ctx: Context, msg: Incoming) -> list[Reply]:
    """/despacho: the last seven days' dispatches, times to claim and to outcome; no names."""
    figures = await ctx.rrn.figures(ctx.now - WEEK_SECONDS)
    await ctx.record("view", "dispatch:figures")
    claimed = sorted(f[2] for f in figures if f[2] is not None)
    done = sorted(f[3] for f in figures if f[3] is not None and f[4] in _FIELD_OUTCOMES)
    lines = [ctx.t("Dispatches in the last 7 days: {n}", n=len(figures)),
             ctx.t("Claimed: {n}; median time to claim: {m}", n=len(claimed),
                   m=_median(ctx, claimed)),
             ctx.t("Field outcomes: {n}; median time to outcome: {m}", n=len(done),
                   m=_median(ctx, done)),
             ctx.t("Never claimed: {n}", n=len(figures) - len(claimed))]
    unclaimed: dict[str, int] = {}
    for county, _, to_claim, _, _ in figures:
        if to_claim is None:
            unclaimed[county] = unclaimed.get(county, 0) + 1
    if unclaimed:
        lines.append(ctx.t("Never claimed, by county: {counties}", counties=", ".join(
            f"{ctx.regions.name(c, ctx.locale)} {n}" for c, n in sorted(unclaimed.items()))))
    return [Reply("\n".join(lines), main_menu(ctx))]


_FIELD_OUTCOMES = ("confirmed", "not_there", "false_alarm", "unverifiable")


def _median(ctx: Context, values: list[int]) -> str:
    if not values:
        return "—"
    return ctx.t("{n} min", n=values[len(values) // 2])
