"""A report question answered after its draft is gone (expired, or lost in a restart).

Drafts live only in memory (bot/store/sessions.Ephemeral): nothing about a report being
written reaches the disk, so a restart loses it. The person is told so, kindly, instead of
getting the generic "I did not understand".
"""

from __future__ import annotations

from bot.context import Context
from bot.messages import Button, Incoming, Menu, Reply
from bot.router import Result, Router
from handlers.menu import main_menu_reply

router = Router("report_lost")


@router.button("report")
async def draft_lost(ctx: Context, msg: Incoming) -> Result:
    """A button of a report that is no longer open: says so and offers to start again."""
    if ctx.session.state is not None and ctx.session.state.startswith("report:"):
        return None  # a report is open: its own step answers
    if ctx.arg.startswith("followup"):
        return None  # a stale "tell me the outcome": the fallback answers it
    if ctx.arg == "cancel":
        return main_menu_reply(ctx, ctx.t("Cancelled. Nothing was sent or saved."))
    return [Reply(ctx.t("That report is no longer open. If you had not pressed Send yet, it "
                        "was not sent: to protect you, an unfinished report is kept only for a "
                        "short time and never saved, so it is lost if the service restarts. "
                        "You can start again."),
                  Menu((Button("report:start", ctx.t("📣 Report what you see")),
                        Button("menu:main", ctx.t("Menu")))))]
