"""The last stage: a kind answer and a way back, never silence."""

from __future__ import annotations

from bot.context import Context
from bot.messages import Incoming, Reply
from bot.router import Router
from handlers.menu import main_menu, main_menu_reply

router = Router("fallback")


@router.fallback()
async def anything_else(ctx: Context, msg: Incoming) -> list[Reply]:
    """Unknown commands, stale or forged buttons, stickers, empty text: explain, show the menu."""
    if ctx.user.locale is None:
        from handlers.start import welcome

        return welcome(ctx, msg)
    if msg.button_id is not None:
        text = ctx.t("That option is no longer available. Here is the menu.")
    elif msg.command is not None:
        text = ctx.t("I do not know that command. Here is what I can do:")
    elif msg.location is not None:
        text = ctx.t("Thank you. I only use a location when you send a report.")
    elif msg.media is not None:
        text = ctx.t("I cannot read photos or files here. Please choose an option.")
    elif not msg.text.strip():
        text = ctx.t("I can only read text messages. Please choose an option.")
    else:
        text = ctx.t("Sorry, I did not understand. Please choose an option.")
    ctx.session.clear()
    return [Reply(text, main_menu(ctx))] if msg.button_id is None else main_menu_reply(ctx, text)
