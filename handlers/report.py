"""Anonymous incident reports: what → where → when → how many → details → photo → confirm.

The draft lives in the session (sealed by App) until it is sent; every step has a Cancel button
and /cancel works throughout. A shared location is turned into a county here and dropped.
"""

from __future__ import annotations

from enum import StrEnum

from alerts.audit import SYSTEM
from alerts.models import (
    AGENTS_LABELS,
    KIND_LABELS,
    SEEN_LABELS,
    VEHICLES_LABELS,
    Agents,
    Draft,
    Kind,
    Seen,
    Status,
    Vehicles,
)
from alerts.reports import FollowUp
from bot.clock import coarse_hour
from bot.context import Context
from bot.i18n import N_, Translate, fold
from bot.messages import Button, Incoming, Menu, Reply
from bot.privacy import ImageRejected, strip_image
from bot.router import Result, Router, button_arg
from handlers.cards import card_replies, room_notices
from handlers.menu import main_menu, main_menu_reply

router = Router("report")

REGIONS_PER_PAGE = 7    # + More + Back + Cancel = 10, the most any channel shows
# The multiple-choice steps: their values, labels and question.
CHOICES: dict[str, tuple[type[StrEnum], dict[str, str], str]] = {
    "kind": (Kind, {k.value: v for k, v in KIND_LABELS.items()}, N_("What did you see?")),
    "seen": (Seen, {k.value: v for k, v in SEEN_LABELS.items()}, N_("When did you see it?")),
    "agents": (Agents, {k.value: v for k, v in AGENTS_LABELS.items()},
               N_("About how many agents?")),
    "vehicles": (Vehicles, {k.value: v for k, v in VEHICLES_LABELS.items()},
                 N_("About how many vehicles?")),
}
ORDER = ("kind", "region", "seen", "agents", "vehicles", "details", "photo", "confirm")
OUTCOMES = {
    Status.VERIFIED: N_("Update on the report you sent: volunteers confirmed it. Thank you for "
                        "looking out for your community."),
    Status.FALSE_ALARM: N_("Update on the report you sent: volunteers found it was a false "
                           "alarm. Thank you for reporting: it is always better to check."),
    Status.UNVERIFIED: N_("Update on the report you sent: volunteers could not verify it. "
                          "Thank you for reporting."),
}


def _draft(ctx: Context) -> Draft:
    return Draft.from_session(ctx.session.data.get("draft", {}))


def _cancel(ctx: Context) -> Button:
    return Button("report:cancel", ctx.t("✖️ Cancel"))


def is_report_number(text: str) -> bool:
    return text.strip().lstrip("#").isdigit()


def outcome_text(t: Translate, status: Status) -> str:
    return t(OUTCOMES.get(status, OUTCOMES[Status.UNVERIFIED]))


# -- starting ----------------------------------------------------------------------------------

def begin(ctx: Context) -> list[Reply]:
    if not ctx.app.reports.may_report(ctx.user.pid, ctx.now):
        ctx.session.clear()
        return [Reply(ctx.t("You have already sent several reports in the last hour. Thank you! "
                            "If something is happening right now, call the hotline: {hotline}",
                            hotline=ctx.config.resources.hotline), main_menu(ctx))]
    ctx.session.set("report:kind", draft={})
    intro = ctx.t("Thank you for helping your community. Your report is anonymous: we do not "
                  "keep who sends it. You can stop at any moment with Cancel or /cancel.\n\n"
                  "In an emergency call the hotline: {hotline}",
                  hotline=ctx.config.resources.hotline)
    return ask(ctx, "kind", intro)


@router.command("reportar", "report", "reporte")
async def start_report(ctx: Context, msg: Incoming) -> Result:
    """/reportar starts a report (with a number, a moderator views that report instead)."""
    if is_report_number(msg.args):
        return None
    return begin(ctx)


@router.button("report:start")
async def start_report_button(ctx: Context, msg: Incoming) -> list[Reply]:
    """The "Report what you see" menu item."""
    return begin(ctx)


@router.keyword("reportar", "report", "reporte", "denunciar", "hacer un reporte",
                "make a report")
async def report_word(ctx: Context, msg: Incoming) -> list[Reply]:
    """Typing "reportar" starts a report."""
    return begin(ctx)


# -- the questions -----------------------------------------------------------------------------

def ask(ctx: Context, step: str, note: str | None = None, page: int = 0) -> list[Reply]:
    """The question of one step, after an optional line (a confirmation or a correction)."""
    draft = _draft(ctx)
    ctx.session.set(f"report:{step}", draft=draft.to_session())
    if step in CHOICES:
        _, labels, question = CHOICES[step]
        buttons = [Button(f"report:{step}:{value}", ctx.t(label))
                   for value, label in labels.items()]
        text, menu = ctx.t(question), Menu((*buttons, _cancel(ctx)))
    elif step == "region":
        text, menu = _region_question(ctx, page)
    elif step == "details":
        text = ctx.t("If you want, add a short description: what you saw and where exactly "
                     "(a street or a landmark). Please do not include names, plates or phone "
                     "numbers; we remove numbers automatically.")
        menu = Menu((Button("report:details:skip", ctx.t("Skip")), _cancel(ctx)))
    elif step == "photo":
        text = ctx.t("You can send one photo. We remove its hidden data, such as the place "
                     "where it was taken. Please do not send photos of the faces of people "
                     "being detained.")
        menu = Menu((Button("report:photo:skip", ctx.t("Skip")), _cancel(ctx)))
    else:
        text = summary(ctx, draft) + "\n\n" + ctx.t("Send this report?")
        menu = Menu((Button("report:send", ctx.t("📤 Send report")), _cancel(ctx)))
    return [Reply(f"{note}\n\n{text}" if note else text, menu)]


def _region_question(ctx: Context, page: int) -> tuple[str, Menu]:
    regions = ctx.app.regions.regions
    pages = max(1, -(-len(regions) // REGIONS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    chunk = regions[page * REGIONS_PER_PAGE:(page + 1) * REGIONS_PER_PAGE]
    buttons = [Button(f"report:region:{r.id}", r.name(ctx.locale), r.area(ctx.locale) or None)
               for r in chunk]
    if page + 1 < pages:
        buttons.append(Button(f"report:regions:{page + 1}", ctx.t("More counties")))
    if page > 0:
        buttons.append(Button(f"report:regions:{page - 1}", ctx.t("Back")))
    buttons.append(_cancel(ctx))
    text = ctx.t("Where? Choose the county, type its name, or share your location (it is only "
                 "used to find the county and is never saved).")
    return text, Menu(tuple(buttons), title=ctx.t("Counties ({page}/{pages})", page=page + 1,
                                                  pages=pages))


def summary(ctx: Context, draft: Draft) -> str:
    def label(labels: dict[str, str], value: str | None) -> str:
        return ctx.t(labels[value]) if value in labels else "—"

    lines = [
        ctx.t("Please check your report:"),
        "• " + ctx.t("What: {value}", value=label(CHOICES["kind"][1], draft.kind)),
        "• " + ctx.t("Where: {value}",
                     value=ctx.app.regions.name(draft.region or "", ctx.locale)),
        "• " + ctx.t("When: {value}", value=label(CHOICES["seen"][1], draft.seen)),
        "• " + label(CHOICES["agents"][1], draft.agents) + " · "
        + label(CHOICES["vehicles"][1], draft.vehicles),
        "• " + ctx.t("Details: {value}", value=draft.details or ctx.t("none")),
    ]
    if ctx.config.reports.allow_photos:
        lines.append("• " + (ctx.t("Photo: yes (hidden data removed)") if draft.photo
                             else ctx.t("Photo: no")))
    return "\n".join(lines)


def _next(ctx: Context, step: str) -> str:
    following = ORDER[ORDER.index(step) + 1]
    if following == "photo" and not ctx.config.reports.allow_photos:
        return "confirm"
    return following


def _advance(ctx: Context, draft: Draft, step: str, note: str | None = None) -> list[Reply]:
    ctx.session.data["draft"] = draft.to_session()
    return ask(ctx, _next(ctx, step), note)


# -- the answers -------------------------------------------------------------------------------

@router.step("report")
async def continue_report(ctx: Context, msg: Incoming) -> Result:
    """Each answer moves the draft one step on; anything else gets the same question again."""
    step = (ctx.session.state or "").partition(":")[2]
    bid = msg.button_id
    if bid == "report:cancel":
        ctx.session.clear()
        return main_menu_reply(ctx, ctx.t("Cancelled. Nothing was sent or saved."))
    if bid is not None and (not bid.startswith("report:")
                            or bid.startswith(("report:start", "report:followup"))):
        return None  # another area's button (the menu, a topic): let it through
    if step not in ORDER:
        ctx.session.clear()
        return None
    if msg.media is not None and step not in ("details", "photo"):
        return ask(ctx, step, _photo_refusal(ctx))
    if msg.command is not None:
        return ask(ctx, step, ctx.t("That command does not work here. Please answer the "
                                    "question, or press Cancel."))
    if step in CHOICES:
        return _on_choice(ctx, msg, step)
    if step == "region":
        return _on_region(ctx, msg)
    if step == "details":
        return await _on_details(ctx, msg)
    if step == "photo":
        return await _on_photo(ctx, msg)
    return await _on_confirm(ctx, msg)


def _on_choice(ctx: Context, msg: Incoming, step: str) -> list[Reply]:
    enum, labels, _ = CHOICES[step]
    choice = None
    if msg.button_id is not None:
        arg = button_arg(msg.button_id, f"report:{step}")
        choice = arg if arg in labels else None
    elif msg.text.strip():
        typed = fold(msg.text)
        choice = next((v for v, label in labels.items() if fold(ctx.t(label)) == typed), None)
    if choice is None:
        return ask(ctx, step, ctx.t("Please choose one of the options."))
    draft = _draft(ctx)
    setattr(draft, step, enum(choice).value)
    return _advance(ctx, draft, step)


def _on_region(ctx: Context, msg: Incoming) -> list[Reply]:
    regions, region, note = ctx.app.regions, None, None
    if msg.button_id is not None:
        page = button_arg(msg.button_id, "report:regions")
        if page is not None and page.isdigit():
            return ask(ctx, "region", page=int(page))
        region = regions.get(button_arg(msg.button_id, "report:region") or "")
    elif msg.location is not None:
        # The coordinates go no further than this call: only the county is kept.
        region = regions.nearest(msg.location.latitude, msg.location.longitude)
        if region is None:
            note = ctx.t("That location seems to be outside the area we cover. Please choose "
                         "the county from the list.")
        else:
            note = ctx.t("📍 Nearest county: {region}. Your location was not saved.",
                         region=region.name(ctx.locale))
    elif msg.text.strip():
        region = regions.match(msg.text)
        if region is None:
            note = ctx.t("I did not find a county with that name. Please choose it from the "
                         "list, or try typing it again.")
    if region is None:
        return ask(ctx, "region", note or ctx.t("Please choose one of the options."))
    draft = _draft(ctx)
    draft.region = region.id
    return _advance(ctx, draft, "region", note)


async def _on_details(ctx: Context, msg: Incoming) -> list[Reply]:
    draft = _draft(ctx)
    if msg.button_id == "report:details:skip":
        draft.details = ""
        return _advance(ctx, draft, "details")
    if msg.media is not None:
        problem = await _take_photo(ctx, msg, draft)
        if problem:
            return ask(ctx, "details", problem)
        return _advance(ctx, draft, "photo", ctx.t("Photo received. Its hidden data was "
                                                   "removed."))
    text = msg.text.strip()
    limit = ctx.config.reports.details_max_chars
    if not text or msg.button_id is not None:
        return ask(ctx, "details", ctx.t("Please type a short description, or press Skip."))
    if len(text) > limit:
        return ask(ctx, "details", ctx.t("That is a bit long. Please keep it under {limit} "
                                         "characters.", limit=limit))
    draft.details = ctx.app.reports.clean_details(text)
    return _advance(ctx, draft, "details")


async def _on_photo(ctx: Context, msg: Incoming) -> list[Reply]:
    draft = _draft(ctx)
    if msg.button_id == "report:photo:skip":
        return _advance(ctx, draft, "photo")
    if msg.media is None:
        return ask(ctx, "photo", ctx.t("Please send a photo, or press Skip."))
    problem = await _take_photo(ctx, msg, draft)
    if problem:
        return ask(ctx, "photo", problem)
    return _advance(ctx, draft, "photo", ctx.t("Photo received. Its hidden data was removed."))


def _photo_refusal(ctx: Context) -> str:
    if ctx.config.reports.allow_photos:
        return ctx.t("You can add a photo after the description. For now, please answer the "
                     "question.")
    return ctx.t("Sorry, photos are not accepted. Please describe what you saw in words.")


async def _take_photo(ctx: Context, msg: Incoming, draft: Draft) -> str | None:
    """Strips a photo into the draft; returns what to tell the person when that fails."""
    media = msg.media
    if media is None or not ctx.config.reports.allow_photos:
        return _photo_refusal(ctx)
    if media.kind != "photo":
        return ctx.t("Only photos can be added to a report.")
    data = media.data
    if data is None:
        # Channels that download on demand hand the file over through the core.
        data = await ctx.app.fetch_media(msg.address.channel, media)
    if data is None:
        return ctx.t("I could not receive that photo. You can try again or skip it.")
    try:
        draft.photo = strip_image(data, ctx.config.reports.photo_max_bytes)
    except ImageRejected:
        return ctx.t("I could not use that photo (it may be too large, or not a photo). You "
                     "can try another one or skip it.")
    return None


async def _on_confirm(ctx: Context, msg: Incoming) -> list[Reply]:
    if msg.button_id != "report:send":
        return ask(ctx, "confirm", ctx.t("Press Send to send your report, or Cancel."))
    draft = _draft(ctx)
    if not draft.complete:
        return begin(ctx)
    if not ctx.app.reports.may_report(ctx.user.pid, ctx.now):
        return begin(ctx)
    sent = await ctx.app.reports.submit(ctx.user.pid, draft, ctx.now)
    ctx.session.clear()
    replies = [thanks(ctx, sent.report.id)]
    if sent.flood is not None:
        # To the hour, like the report's own time: the minute would date the one report
        # that tripped (or reset) the breaker more finely than reports are dated.
        await ctx.app.audit.append(SYSTEM, "flood:on" if sent.flood else "flood:off",
                                   "reports", coarse_hour(ctx.now))
        replies += await room_notices(ctx, N_(
            "⚠️ Many reports are arriving at once. New reports are held without a card of "
            "their own until it calms down: see /pending.") if sent.flood else N_(
            "Reports are arriving at a normal pace again; new reports get a card again."))
    if sent.incident is not None:
        headline = N_("🔗 Another report about this incident.") if sent.linked else None
        replies += await card_replies(ctx, sent.incident, headline=headline)
    return replies


def thanks(ctx: Context, report_id: int) -> Reply:
    text = ctx.t(
        "Thank you. Your report was sent to the rapid response volunteers. At least {required} "
        "of them check it before any alert goes out. The report is not linked to you.\n\n"
        "📞 In an emergency call the hotline: {hotline}\n\n"
        "For your safety: keep your distance and do not interfere. Do not livestream, and do "
        "not post the faces of the people detained. Tell the hotline before posting anything.",
        required=ctx.config.moderation.verifications_required,
        hotline=ctx.config.resources.hotline)
    token = ctx.app.reports.followup_token(report_id)
    return Reply(text, Menu((Button(f"report:followup:{report_id}:{token}",
                                    ctx.t("🔔 Tell me outcome")),
                             Button("menu:main", ctx.t("Menu")))))


@router.button("report:followup")
async def follow_outcome(ctx: Context, msg: Incoming) -> Result:
    """"Tell me the outcome": keeps a sealed, short-lived handle to answer later."""
    report_id, _, token = ctx.arg.partition(":")
    if not report_id.isdigit() or not token:
        return None
    result, report = await ctx.app.reports.follow(int(report_id), token, msg.address,
                                                  ctx.locale, ctx.now)
    if result is FollowUp.INVALID:
        return None
    if result is FollowUp.CLOSED and report is not None:
        text = outcome_text(ctx.t, report.status)
    elif result is FollowUp.ALREADY:
        text = ctx.t("You will already be told the outcome here.")
    else:
        text = ctx.t("I will tell you here how it ends, within {hours} hours. This is the only "
                     "link between you and the report, and it is deleted as soon as the report "
                     "is decided.", hours=ctx.config.retention.followup_hours)
    return [Reply(text, main_menu(ctx), replace=True)]
