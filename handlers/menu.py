"""The main menu, help and cancel: the ways back that always work."""

from __future__ import annotations

from bot.context import Context
from bot.i18n import N_
from bot.messages import Button, Incoming, Menu, Reply
from bot.placeholders import shown
from bot.router import Router

router = Router("menu")

# (button id, label) in menu order; the alerts item joins when that feature exists.
MAIN_ITEMS: list[tuple[str, str]] = [
    ("kyr:topic:right-now", N_("⚠️ What to do now")),
    ("report:start", N_("📣 Report what you see")),
    ("alerts:home", N_("🔔 Alerts")),
    ("kyr:list", N_("Know your rights")),
    ("kyr:topic:resources", N_("Resources")),
    ("rumour:ask", N_("❓ Is this alert real?")),
    ("lang:pick", N_("Language / Idioma")),
    ("help:show", N_("Help")),
    ("desk:start", N_("Talk to a person")),           # the case desk (issue 16)
    ("det:start", N_("Was someone detained?")),
]


def main_menu(ctx: Context) -> Menu:
    return Menu(tuple(Button(bid, ctx.t(label)) for bid, label in MAIN_ITEMS),
                title=ctx.t("Menu"))


def main_menu_reply(ctx: Context, intro: str | None = None) -> list[Reply]:
    text = intro or ctx.t("What would you like to do? Choose an option.")
    return [Reply(text, main_menu(ctx), replace=True)]


@router.command("menu", "inicio")
async def show_menu(ctx: Context, msg: Incoming) -> list[Reply]:
    """Shows the main menu."""
    ctx.session.clear()
    return main_menu_reply(ctx)


@router.keyword("menu", "menú", "inicio", "main menu", "menu principal", "volver", "back")
async def menu_word(ctx: Context, msg: Incoming) -> list[Reply]:
    """Typing "menu" opens the main menu."""
    ctx.session.clear()
    return main_menu_reply(ctx)


@router.button("menu:main")
async def menu_button(ctx: Context, msg: Incoming) -> list[Reply]:
    """The Menu button opens the main menu from anywhere."""
    ctx.session.clear()
    return main_menu_reply(ctx)


@router.command("ayuda", "help")
async def show_help(ctx: Context, msg: Incoming) -> list[Reply]:
    """Explains what the bot does and which commands exist."""
    return [Reply(help_text(ctx), main_menu(ctx))]


@router.button("help:show")
async def help_button(ctx: Context, msg: Incoming) -> list[Reply]:
    """The Help menu item."""
    return [Reply(help_text(ctx), main_menu(ctx), replace=True)]


def help_text(ctx: Context) -> str:
    return ctx.t(
        "{org} helps you know your rights.\n\n"
        "• Choose an option from the menu, or type a question such as \"warrant\".\n"
        "• /report sends an anonymous report of what you see.\n"
        "• /menu shows the menu at any time.\n"
        "• /cancel stops what you are doing.\n"
        "• /language changes the language.\n"
        "• /persona: talk to a person, anonymously.\n\n"
        "In an emergency call the hotline: {hotline}",
        org=ctx.config.resources.org_name, hotline=shown(ctx.config.resources.hotline, ctx.t),
    )


@router.command("cancelar", "cancel")
async def cancel(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """Stops the current step and goes back to the menu."""
    if ctx.user.locale is None:
        ctx.session.clear()
        return None     # no language yet: the fallback answers with the welcome
    had_step = ctx.session.state is not None
    ctx.session.clear()
    intro = ctx.t("Cancelled. Nothing was saved.") if had_step \
        else ctx.t("There was nothing to cancel.")
    return main_menu_reply(ctx, intro + "\n\n" + ctx.t("What would you like to do?"))
