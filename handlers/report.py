"""Anonymous incident reports: what → where → when → how many → details → photo → confirm.

A step table (`bot/flow.py`): each step is a question and the handler of its answers, in order.
The draft lives in the session until it is sent; every step has a Cancel button and /cancel
works throughout. A shared location is turned into a county here and dropped.
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
from bot.flow import Flow, Question
from bot.i18n import N_, Translate, fold
from bot.messages import Button, Incoming, Menu, Reply
from bot.placeholders import shown
from bot.privacy import ImageRejected, strip_image
from bot.router import Handler, Result, Router, button_arg
from handlers.cards import card_replies, room_notices
from handlers.menu import main_menu, main_menu_reply
from handlers.paging import Page, paged_menu
from handlers.rrn_ping import dispatch_replies

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

def _not_mine(msg: Incoming) -> bool:
    """Another area's button (the menu, a topic, a follow-up) passes through the report."""
    bid = msg.button_id
    return bid is not None and (not bid.startswith("report:")
                                or bid.startswith(("report:start", "report:followup")))


flow = Flow("report", router, passes=_not_mine)


def begin(ctx: Context) -> list[Reply]:
    if not ctx.reports.may_report(ctx.user.pid, ctx.now):
        ctx.session.clear()
        return [Reply(ctx.t("You have already sent several reports in the last hour. Thank you! "
                            "If something is happening right now, call the hotline: {hotline}",
                            hotline=shown(ctx.config.resources.hotline, ctx.t)), main_menu(ctx))]
    ctx.session.set("report:kind", draft={})
    intro = ctx.t("Thank you for helping your community. Your report is anonymous: we do not "
                  "keep who sends it. You can stop at any moment with Cancel or /cancel.\n\n"
                  "In an emergency call the hotline: {hotline}",
                  hotline=shown(ctx.config.resources.hotline, ctx.t))
    return flow.ask(ctx, "kind", intro)


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


@flow.guard
async def every_step(ctx: Context, msg: Incoming, step: str) -> Result:
    """Cancel works on every step; a photo or a command too early gets the question again."""
    if msg.button_id == "report:cancel":
        ctx.session.clear()
        return main_menu_reply(ctx, ctx.t("Cancelled. Nothing was sent or saved."))
    if msg.media is not None and step not in ("details", "photo"):
        return flow.ask(ctx, step, _photo_refusal(ctx))
    if msg.command is not None:
        return flow.ask(ctx, step, ctx.t("That command does not work here. Please answer the "
                                         "question, or press Cancel."))
    return None


def _advance(ctx: Context, draft: Draft, step: str, note: str | None = None) -> list[Reply]:
    ctx.session.data["draft"] = draft.to_session()
    return flow.advance(ctx, step, note)


# -- the steps, in order: each question, then the handler of its answers ------------------------

def _choice_question(step: str) -> Question:
    def question(ctx: Context) -> tuple[str, Menu]:
        _, labels, text = CHOICES[step]
        buttons = [Button(f"report:{step}:{value}", ctx.t(label))
                   for value, label in labels.items()]
        return ctx.t(text), Menu((*buttons, _cancel(ctx)))
    return question


def _choice_answer(step: str) -> Handler:
    async def on_choice(ctx: Context, msg: Incoming) -> list[Reply]:
        """A pressed or typed option is kept; anything else gets the question again."""
        enum, labels, _ = CHOICES[step]
        choice = None
        if msg.button_id is not None:
            arg = button_arg(msg.button_id, f"report:{step}")
            choice = arg if arg in labels else None
        elif msg.text.strip():
            typed = fold(msg.text)
            choice = next((v for v, label in labels.items() if fold(ctx.t(label)) == typed),
                          None)
        if choice is None:
            return flow.ask(ctx, step, ctx.t("Please choose one of the options."))
        draft = _draft(ctx)
        setattr(draft, step, enum(choice).value)
        return _advance(ctx, draft, step)
    return on_choice


flow.step("kind", _choice_question("kind"))(_choice_answer("kind"))


def _region_question(ctx: Context, page: int = 0) -> tuple[str, Menu]:
    regions = Page.of(ctx.regions.regions, page, REGIONS_PER_PAGE)
    menu = paged_menu(
        regions, lambda r: Button(f"report:region:{r.id}", r.name(ctx.locale),
                                  r.area(ctx.locale) or None),
        nav="report:regions", more=ctx.t("More counties"), back=ctx.t("Back"),
        tail=(_cancel(ctx),), title=ctx.t("Counties ({page}/{pages})",
                                          page=regions.number + 1, pages=regions.count))
    text = ctx.t("Where? Choose the county, type its name, or share your location (it is only "
                 "used to find the county and is never saved).")
    return text, menu


@flow.step("region", _region_question)
async def on_region(ctx: Context, msg: Incoming) -> list[Reply]:
    """A county pressed, typed or found from a shared location (which is then dropped)."""
    regions, region, note = ctx.regions, None, None
    if msg.button_id is not None:
        page = button_arg(msg.button_id, "report:regions")
        if page is not None and page.isdigit():
            return flow.ask(ctx, "region", page=int(page))
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
        return flow.ask(ctx, "region", note or ctx.t("Please choose one of the options."))
    draft = _draft(ctx)
    draft.region = region.id
    return _advance(ctx, draft, "region", note)


for _step in ("seen", "agents", "vehicles"):
    flow.step(_step, _choice_question(_step))(_choice_answer(_step))


def _details_question(ctx: Context) -> tuple[str, Menu]:
    return (ctx.t("If you want, add a short description: what you saw and where exactly "
                  "(a street or a landmark). Please do not include names, plates or phone "
                  "numbers; we remove numbers automatically."),
            Menu((Button("report:details:skip", ctx.t("Skip")), _cancel(ctx))))


@flow.step("details", _details_question)
async def on_details(ctx: Context, msg: Incoming) -> list[Reply]:
    """A short description (numbers scrubbed), Skip, or a photo straight away."""
    draft = _draft(ctx)
    if msg.button_id == "report:details:skip":
        draft.details = ""
        return _advance(ctx, draft, "details")
    if msg.media is not None:
        problem = await _take_photo(ctx, msg, draft)
        if problem:
            return flow.ask(ctx, "details", problem)
        return _advance(ctx, draft, "photo", ctx.t("Photo received. Its hidden data was "
                                                   "removed."))
    text = msg.text.strip()
    limit = ctx.config.reports.details_max_chars
    if not text or msg.button_id is not None:
        return flow.ask(ctx, "details", ctx.t("Please type a short description, or press "
                                              "Skip."))
    if len(text) > limit:
        return flow.ask(ctx, "details", ctx.t("That is a bit long. Please keep it under "
                                              "{limit} characters.", limit=limit))
    draft.details = ctx.reports.clean_details(text)
    return _advance(ctx, draft, "details")


def _photo_question(ctx: Context) -> tuple[str, Menu]:
    return (ctx.t("You can send one photo. We remove its hidden data, such as the place "
                  "where it was taken. Please do not send photos of the faces of people "
                  "being detained."),
            Menu((Button("report:photo:skip", ctx.t("Skip")), _cancel(ctx))))


def _photos_allowed(ctx: Context) -> bool:
    return bool(ctx.config.reports.allow_photos)


@flow.step("photo", _photo_question, when=_photos_allowed)
async def on_photo(ctx: Context, msg: Incoming) -> list[Reply]:
    """One photo, stripped of its hidden data, or Skip."""
    draft = _draft(ctx)
    if msg.button_id == "report:photo:skip":
        return _advance(ctx, draft, "photo")
    if msg.media is None:
        return flow.ask(ctx, "photo", ctx.t("Please send a photo, or press Skip."))
    problem = await _take_photo(ctx, msg, draft)
    if problem:
        return flow.ask(ctx, "photo", problem)
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
    data = await ctx.fetch_media(msg)
    if data is None:
        return ctx.t("I could not receive that photo. You can try again or skip it.")
    try:
        draft.photo = strip_image(data, ctx.config.reports.photo_max_bytes)
    except ImageRejected:
        return ctx.t("I could not use that photo (it may be too large, or not a photo). You "
                     "can try another one or skip it.")
    return None


def _confirm_question(ctx: Context) -> tuple[str, Menu]:
    return (summary(ctx, _draft(ctx)) + "\n\n" + ctx.t("Send this report?"),
            Menu((Button("report:send", ctx.t("📤 Send report")), _cancel(ctx))))


@flow.step("confirm", _confirm_question)
async def on_confirm(ctx: Context, msg: Incoming) -> list[Reply]:
    """Send: the report goes to the moderators' room (the draft is dropped)."""
    if msg.button_id != "report:send":
        return flow.ask(ctx, "confirm", ctx.t("Press Send to send your report, or Cancel."))
    draft = _draft(ctx)
    if not draft.complete or not ctx.reports.may_report(ctx.user.pid, ctx.now):
        return begin(ctx)
    sent = await ctx.reports.submit(ctx.user.pid, draft, ctx.now)
    ctx.session.clear()
    replies = [thanks(ctx, sent.report.id)]
    if sent.flood is not None:
        # To the hour, like the report's own time: the minute would date the one report
        # that tripped (or reset) the breaker more finely than reports are dated.
        region = sent.report.region
        await ctx.audit.append(SYSTEM, "flood:on" if sent.flood else "flood:off",
                               f"region:{region}", coarse_hour(ctx.now))
        replies += await room_notices(ctx, N_(
            "⚠️ Many reports about {region} are arriving at once. New reports about {region} "
            "are held without a card of their own until it calms down (other regions are not "
            "affected): see /pending, and /release {region_id} to release them.") if sent.flood
            else N_("Reports about {region} are arriving at a normal pace again; new reports "
                    "about it get a card again."),
            region=ctx.regions.name(region, ctx.config.bot.default_locale), region_id=region)
    if sent.incident is not None:
        headline = N_("🔗 Another report about this incident.") if sent.linked else None
        replies += await card_replies(ctx, sent.incident, headline=headline, fresh=True,
                                      photo_of=sent.report.id)
        # Issue 17: ping the on-call field verifiers of the county (restarts on a new report).
        replies += await dispatch_replies(ctx, sent.incident)
    return replies


def summary(ctx: Context, draft: Draft) -> str:
    def label(labels: dict[str, str], value: str | None) -> str:
        return ctx.t(labels[value]) if value in labels else "—"

    lines = [
        ctx.t("Please check your report:"),
        "• " + ctx.t("What: {value}", value=label(CHOICES["kind"][1], draft.kind)),
        "• " + ctx.t("Where: {value}",
                     value=ctx.regions.name(draft.region or "", ctx.locale)),
        "• " + ctx.t("When: {value}", value=label(CHOICES["seen"][1], draft.seen)),
        "• " + label(CHOICES["agents"][1], draft.agents) + " · "
        + label(CHOICES["vehicles"][1], draft.vehicles),
        "• " + ctx.t("Details: {value}", value=draft.details or ctx.t("none")),
    ]
    if ctx.config.reports.allow_photos:
        lines.append("• " + (ctx.t("Photo: yes (hidden data removed)") if draft.photo
                             else ctx.t("Photo: no")))
    return "\n".join(lines)


def thanks(ctx: Context, report_id: int) -> Reply:
    text = ctx.t(
        "Thank you. Your report was sent to the rapid response volunteers. At least {required} "
        "of them check it before any alert goes out. The report is not linked to you.\n\n"
        "📞 In an emergency call the hotline: {hotline}\n\n"
        "For your safety: keep your distance and do not interfere. Do not livestream, and do "
        "not post the faces of the people detained. Tell the hotline before posting anything.",
        required=ctx.config.moderation.verifications_required,
        hotline=shown(ctx.config.resources.hotline, ctx.t))
    token = ctx.reports.followup_token(report_id)
    return Reply(text, Menu((Button(f"report:followup:{report_id}:{token}",
                                    ctx.t("🔔 Tell me outcome")),
                             Button("menu:main", ctx.t("Menu")))))


@router.button("report:followup")
async def follow_outcome(ctx: Context, msg: Incoming) -> Result:
    """"Tell me the outcome": keeps a sealed, short-lived handle to answer later."""
    report_id, _, token = ctx.arg.partition(":")
    if not report_id.isdigit() or not token:
        return None
    result, report = await ctx.reports.follow(int(report_id), token, msg.address,
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
    # A new message, never an edit: the thank-you above keeps the hotline and the advice.
    return [Reply(text, main_menu(ctx))]
