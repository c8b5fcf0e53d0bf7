"""¿Detuvieron a alguien? A guided flow, step by step; it never asks for a name or A-number.

Calm and notes → the ICE locator → the ICE detention line → a lawyer and free help → never pay
strangers → children and the family plan → "Do you want to talk to a person?" (a case with
topic "detained", see handlers/desk.py).
"""

from __future__ import annotations

from bot.context import Context
from bot.flow import Flow
from bot.messages import Button, Incoming, Menu, Reply
from bot.router import Router

router = Router("detained")


def _not_mine(msg: Incoming) -> bool:
    return msg.button_id is not None and not msg.button_id.startswith("det:")


flow = Flow("det", router, passes=_not_mine)


def _nav(ctx: Context) -> Menu:
    return Menu((Button("det:next", ctx.t("Next ▶")), Button("menu:main", ctx.t("Menu"))))


def ask_calm(ctx: Context) -> tuple[str, Menu]:
    return (ctx.t("1/6 · Breathe. You are not alone and there are things you can do.\n\n"
                  "Write down, on paper, what you know: where and when it happened, who took "
                  "the person (ICE, police, sheriff), and if you have them, their full name as on "
                  "their papers, date and country of birth and A-number. Keep it with you; do "
                  "not send it to me: I do not need it."), _nav(ctx))


def ask_locator(ctx: Context) -> tuple[str, Menu]:
    return (ctx.t("2/6 · The ICE Online Detainee Locator: locator.ice.gov\n\n"
                  "It needs the A-number (9 digits; add zeros at the front) and country of birth, "
                  "or the exact name and country of birth. It only finds adults, and a new "
                  "arrest or a transfer can take hours or days to appear: if you do not find "
                  "them, try again later."), _nav(ctx))


def ask_line(ctx: Context) -> tuple[str, Menu]:
    desk = ctx.config.desk
    return (ctx.t("3/6 · The ICE detention information line: {line} ({hours}). There are "
                  "operators in Spanish. They may ask for the same facts as the locator.",
                  line=desk.ice_line, hours=desk.ice_line_hours), _nav(ctx))


def ask_lawyer(ctx: Context) -> tuple[str, Menu]:
    res = ctx.config.resources
    help_lines = "\n".join(f"• {line}" for line in ctx.config.desk.legal_help)
    return (ctx.t("4/6 · Call a lawyer as soon as you know where the person is, and before "
                  "they sign anything. The government does not pay for an immigration lawyer, "
                  "but there is free help:\n{resources}\n• Legal aid: {legal_aid}\n\n"
                  "Only a licensed lawyer or an accredited representative may give immigration "
                  "advice: never a notario.",
                  resources=help_lines, legal_aid=res.legal_aid), _nav(ctx))


def ask_strangers(ctx: Context) -> tuple[str, Menu]:
    return (ctx.t("5/6 · Do not pay strangers who call or write offering to get the person "
                  "out. That is a common fraud. Bonds are paid only to ICE, and a lawyer can "
                  "tell you how."), _nav(ctx))


def ask_children(ctx: Context) -> tuple[str, Menu]:
    return (ctx.t("6/6 · If there are children: make sure a trusted adult is with them and "
                  "that their school knows who picks them up. Keep originals of documents in a "
                  "safe place. The family safety plan explains what to prepare."),
            Menu((Button("kyr:topic:family-plan", ctx.t("Family safety plan")),
                  Button("det:next", ctx.t("Next ▶")), Button("menu:main", ctx.t("Menu")))))


def ask_person(ctx: Context) -> tuple[str, Menu]:
    return (ctx.t("Do you want to talk to a person? We will not ask for the name or the "
                  "A-number of the person who was detained."),
            Menu((Button("desk:topic:detained", ctx.t("Yes, talk to a person")),
                  Button("menu:main", ctx.t("No, back to the menu")))))


@router.button("det:start")
async def start(ctx: Context, msg: Incoming) -> list[Reply]:
    """"Was someone detained?": the first step."""
    ctx.session.clear()
    return flow.ask(ctx, flow.first)


@router.command("detenido", "detenida", "detained")
async def start_command(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """/detenido: the same guide."""
    return await start(ctx, msg)


async def _next(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """Next: the following step. Anything else passes on (a typed question finds topics)."""
    step = flow.current(ctx)
    if msg.button_id != "det:next" or step is None or step == "person":
        return None
    return flow.advance(ctx, step)


for _name, _question in (("calm", ask_calm), ("locator", ask_locator), ("line", ask_line),
                         ("lawyer", ask_lawyer), ("strangers", ask_strangers),
                         ("children", ask_children), ("person", ask_person)):
    flow.step(_name, _question)(_next)
