"""First contact and greetings: a bilingual welcome, then the menu in the chosen language."""

from __future__ import annotations

from bot.context import Context
from bot.i18n import N_
from bot.messages import Incoming, Menu, Reply
from bot.router import Router
from handlers.account import apply_language, language_buttons, language_from_text
from handlers.menu import main_menu_reply

router = Router("start")

WELCOME = N_("Hello! I am {org}. I share information about your rights and community alerts.")
ASK_LANGUAGE = N_("Which language do you prefer?")

GREETINGS = ("hola", "hello", "hi", "hey", "buenas", "buenos dias", "buenas tardes",
             "buenas noches", "good morning", "good afternoon", "good evening", "que tal",
             "saludos", "ola", "start", "empezar", "comenzar")


def welcome(ctx: Context, msg: Incoming) -> list[Reply]:
    """The bilingual welcome: both languages, two buttons, the hinted language first."""
    org = ctx.config.resources.org_name
    text = "\n\n".join(
        tr(WELCOME, org=org) + "\n" + tr(ASK_LANGUAGE)
        for tr in (ctx.i18n.translator("es"), ctx.i18n.translator("en"))
    )
    buttons = list(language_buttons(ctx))
    if ctx.i18n.negotiate(msg.locale_hint, "es") == "en":
        buttons.reverse()
    return [Reply(text, Menu(tuple(buttons)))]


@router.command("start")
async def start(ctx: Context, msg: Incoming) -> list[Reply]:
    """/start: the welcome for someone new, the menu for someone we know."""
    if ctx.user.locale is None:
        return welcome(ctx, msg)
    ctx.session.clear()
    return main_menu_reply(ctx, ctx.t("Hello again! What would you like to do?"))


@router.step("start")
async def choose_language_first(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """Until a language is chosen, every message gets the welcome (except the choice itself)."""
    if msg.button_id and msg.button_id.startswith("lang:set:"):
        return None
    locale = language_from_text(msg.text) if msg.button_id is None else None
    if locale:
        return await apply_language(ctx, locale)
    return welcome(ctx, msg)


@router.keyword(*GREETINGS)
async def greet(ctx: Context, msg: Incoming) -> list[Reply]:
    """A greeting opens the main menu."""
    ctx.session.clear()
    return main_menu_reply(ctx, ctx.t("Hello! What would you like to do?"))
