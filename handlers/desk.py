"""Talk to a person (issue 16): topic → county (optional) → what they need → a case opens.

While a case is open (session state "case:open", restored by the App from the case itself)
everything the person writes goes to the case, scrubbed, until they leave with /salir.
"""

from __future__ import annotations

from babel.dates import format_datetime

from alerts.desk import TOPIC_LABELS, scrub_for_case
from alerts.desk_hours import is_open, next_opening
from bot.context import Context
from bot.flow import Flow
from bot.messages import Button, Incoming, Menu, Reply
from bot.router import Router
from handlers.menu import main_menu, main_menu_reply

router = Router("desk")
MAX_NEED = 1000


def _not_mine(msg: Incoming) -> bool:
    """Buttons (topics, Cancel, other areas') go to the button routes; only Skip is a step's."""
    return msg.button_id is not None and msg.button_id != "desk:county:skip"


flow = Flow("desk", router, passes=_not_mine)


def _cancel(ctx: Context) -> Button:
    return Button("desk:cancel", ctx.t("✖️ Cancel"))


def ask_topic(ctx: Context) -> tuple[str, Menu]:
    buttons = tuple(Button(f"desk:topic:{key}", ctx.t(label))
                    for key, label in TOPIC_LABELS.items())
    return (ctx.t("A person from {org} can help you. They will not see your name or your number."
                  "\n\nWhat is it about?", org=ctx.config.resources.org_name),
            Menu((*buttons, _cancel(ctx))))


def ask_county(ctx: Context) -> tuple[str, Menu]:
    return (ctx.t("Which county are you in? Type its name, or skip this question."),
            Menu((Button("desk:county:skip", ctx.t("Skip")), _cancel(ctx))))


def ask_need(ctx: Context) -> tuple[str, Menu]:
    return (ctx.t("Write what you need in a few words. Do not write names, A-numbers or phone "
                  "numbers: a person will ask you what they need."), Menu((_cancel(ctx),)))


@router.button("desk:start", "help:person")
async def start(ctx: Context, msg: Incoming) -> list[Reply]:
    """"Talk to a person": asks what it is about."""
    if await ctx.desk.open_for(ctx.user.pid) is not None:
        ctx.session.set("case:open")
        return [Reply(ctx.t("Your conversation is still open: write here and a person will "
                            "read it. /salir leaves it."))]
    ctx.session.clear()
    return flow.ask(ctx, "topic")


@router.command("persona", "hablar", "person", "talk")
async def start_command(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """/persona: the same as the menu item."""
    return await start(ctx, msg)


@router.button("desk:topic")
async def pick_topic(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """The topic chosen (also from the end of "¿Detuvieron a alguien?")."""
    if ctx.arg not in TOPIC_LABELS:
        return None
    ctx.session.clear()
    ctx.session.set("desk:county", topic=ctx.arg)
    return flow.ask(ctx, "county")


@router.button("desk:cancel")
async def cancel(ctx: Context, msg: Incoming) -> list[Reply]:
    """Cancel: nothing was opened."""
    ctx.session.clear()
    return main_menu_reply(ctx, ctx.t("Cancelled. Nothing was saved."))


@flow.step("topic", ask_topic)
async def on_topic(ctx: Context, msg: Incoming) -> list[Reply]:
    """Typed text instead of a topic: ask again."""
    return flow.ask(ctx, "topic", ctx.t("Please choose one of the options."))


@flow.step("county", ask_county)
async def on_county(ctx: Context, msg: Incoming) -> list[Reply]:
    """The county typed (matched to a region) or skipped."""
    if msg.button_id == "desk:county:skip":
        return flow.advance(ctx, "county")
    region = ctx.regions.match(msg.text) if msg.text.strip() else None
    if region is None:
        return flow.ask(ctx, "county", ctx.t("I did not recognise that county."))
    ctx.session.data["county"] = region.id
    return flow.advance(ctx, "county")


@flow.step("need", ask_need)
async def on_need(ctx: Context, msg: Incoming) -> list[Reply]:
    """What they need: the case opens, and they learn when a person will answer."""
    text = scrub_for_case(msg.text.strip()[:MAX_NEED])
    if not text:
        return flow.ask(ctx, "need", ctx.t("I can only pass on text. Please write it."))
    topic = str(ctx.session.data.get("topic", "other"))
    county = ctx.session.data.get("county")
    code = await ctx.desk.open_case(ctx.user.pid, topic, ctx.locale,
                                    str(county) if county else None, text, ctx.now)
    ctx.session.clear()
    ctx.session.set("case:open")
    case = await ctx.desk.open_for(ctx.user.pid)
    relays = await ctx.desk.notify_new(case) if case is not None else []
    return [Reply(opened_text(ctx, code, topic), _self_help(ctx, topic)), *relays]


def opened_text(ctx: Context, code: str, topic: str) -> str:
    desk, tz = ctx.config.desk, ctx.config.bot.timezone
    text = ctx.t("Your case is {code}. Everything you write here now goes to the person who "
                 "answers; they do not see your name or your number. /salir leaves the "
                 "conversation.", code=code)
    if is_open(desk, tz, ctx.now):
        return text + "\n\n" + ctx.t("A person will answer here as soon as possible, usually "
                                     "within {minutes} minutes.", minutes=desk.remind_minutes)
    opening = next_opening(desk, tz, ctx.now)
    when = format_datetime(opening, "EEEE HH:mm", locale=ctx.locale) if opening else "—"
    res = ctx.config.resources
    return text + "\n\n" + ctx.t(
        "We are closed now. A person will answer from {when}.\n\nIn an emergency call the "
        "hotline {hotline} (24 hours) or the family help line {crisis}.",
        when=when, hotline=res.hotline, crisis=res.crisis_line)


def _self_help(ctx: Context, topic: str) -> Menu | None:
    """Outside office hours: the self-help guide for the topic."""
    if is_open(ctx.config.desk, ctx.config.bot.timezone, ctx.now):
        return None
    if topic == "detained":
        return Menu((Button("det:start", ctx.t("Was someone detained? Step by step")),))
    slug = ctx.config.desk.self_help.get(topic)
    page = ctx.content.page(ctx.locale, slug) if slug else None
    return Menu((Button(f"kyr:topic:{slug}", page.label),)) if page and slug else None


@router.step("case")
async def in_case(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """A message while the case is open: passed on to the helpers, scrubbed."""
    if msg.button_id is not None:
        return None         # an older menu's button: the later stages answer it
    case = await ctx.desk.open_for(ctx.user.pid)
    if case is None:
        ctx.session.clear()
        return None
    if msg.media is not None or msg.location is not None:
        return [Reply(ctx.t("Photos, files and locations are not passed on, to protect you. "
                            "Please describe it in words."))]
    text = scrub_for_case(msg.text.strip())
    if not text:
        return [Reply(ctx.t("I can only pass on text. Please write it."))]
    relays = await ctx.desk.person_says(case, text, ctx.now)
    return [Reply(ctx.t("✓ Sent to {code}.", code=case.code)), *relays]


@router.command("salir", "leave", "exit")
async def leave(ctx: Context, msg: Incoming) -> list[Reply]:
    """/salir: leaves (and closes) the open case."""
    case = await ctx.desk.open_for(ctx.user.pid)
    ctx.session.clear()
    if case is None:
        return main_menu_reply(ctx, ctx.t("You have no open conversation."))
    relays = await ctx.desk.person_left(case, ctx.now)
    return [*main_menu_reply(ctx, ctx.t("You left the conversation {code}. You can come back "
                                        "with \"Talk to a person\" at any time.",
                                        code=case.code)), *relays]


@router.button("desk:show")
async def show_answers(ctx: Context, msg: Incoming) -> list[Reply]:
    """"See the answer" (the WhatsApp template's button): the helpers' latest answers."""
    found = await ctx.desk.answers_for(ctx.user.pid)
    if found is None or not found[1]:
        return [Reply(ctx.t("There is no new answer for you."), main_menu(ctx))]
    code, answers = found
    if await ctx.desk.open_for(ctx.user.pid) is not None:
        ctx.session.set("case:open")
    org = ctx.config.resources.org_name
    return [Reply(ctx.t("{org} ({code}):", org=org, code=code) + "\n" + "\n\n".join(answers)
                  + "\n\n" + ctx.t("Answer here. /salir leaves the conversation."))]


@router.button("desk:helped")
async def helped(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """The answer to "Did we help you?"."""
    if ctx.arg not in ("yes", "no"):
        return None
    await ctx.desk.set_helped(ctx.user.pid, ctx.arg)
    return [Reply(ctx.t("Thank you for telling us."), main_menu(ctx), replace=True)]


@router.button("desk:remind")
async def remind(ctx: Context, msg: Incoming) -> list[Reply]:
    """A reminder tomorrow to check the detainee locator again."""
    done = await ctx.desk.remind_later(ctx.user.pid, ctx.now)
    text = ctx.t("Done: I will remind you tomorrow to check the locator again.") if done \
        else ctx.t("That option is no longer available. Here is the menu.")
    return [Reply(text, main_menu(ctx), replace=True)]
