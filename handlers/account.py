"""The person's own settings: language, and forgetting everything we keep about them."""

from __future__ import annotations

from bot.context import Context
from bot.i18n import N_, fold
from bot.messages import Button, Incoming, Menu, Reply
from bot.router import Router
from handlers.menu import main_menu_reply

router = Router("account")

_LANGUAGE_WORDS = {
    "es": {"espanol", "spanish", "castellano", "es"},
    "en": {"english", "ingles", "en"},
}


def language_from_text(text: str) -> str | None:
    folded = fold(text)
    for locale, words in _LANGUAGE_WORDS.items():
        if folded in words:
            return locale
    return None


# Each language's name in itself, whatever the current language.
LANGUAGE_NAMES = {"es": N_("Español"), "en": N_("English")}


def language_buttons(ctx: Context) -> tuple[Button, ...]:
    return tuple(Button(f"lang:set:{code}", ctx.i18n.translator(code)(name))
                 for code, name in LANGUAGE_NAMES.items())


def language_menu(ctx: Context) -> Menu:
    return Menu((*language_buttons(ctx), Button("menu:main", ctx.t("Back to menu"))))


@router.command("idioma", "language", "lang")
async def pick_language(ctx: Context, msg: Incoming) -> list[Reply]:
    """Offers the languages."""
    ctx.session.set("lang:choose")
    return [Reply(ctx.t("Choose your language:"), language_menu(ctx))]


@router.button("lang:pick")
async def pick_language_button(ctx: Context, msg: Incoming) -> list[Reply]:
    """The Language menu item."""
    ctx.session.set("lang:choose")
    return [Reply(ctx.t("Choose your language:"), language_menu(ctx), replace=True)]


@router.button("lang:set")
async def set_language(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """Stores the chosen language and shows the menu in it."""
    if ctx.arg not in ("es", "en"):
        return None
    return await apply_language(ctx, ctx.arg)


@router.step("lang")
async def typed_language(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """Typing "español" or "English" while choosing works as well as pressing."""
    locale = language_from_text(msg.text) if msg.button_id is None else None
    return await apply_language(ctx, locale) if locale else None


async def apply_language(ctx: Context, locale: str) -> list[Reply]:
    await ctx.users.set_locale(ctx.user.pid, locale)
    ctx.use_locale(locale)
    ctx.session.clear()
    return main_menu_reply(ctx, ctx.t("Done: I will write to you in English.")
                           + "\n\n" + ctx.t("What would you like to do?"))


@router.command("olvidarme", "forget-me", "forget_me", "forgetme", "olvidar")
async def ask_forget(ctx: Context, msg: Incoming) -> list[Reply]:
    """/olvidarme: says what will be deleted and asks to confirm."""
    ctx.session.set("account:forget")
    text = ctx.t("This deletes everything we keep about you: your alert subscriptions, your "
                 "language, where you are in a conversation, your conversations with a person, "
                 "and any \"tell me the outcome\" request. You will get no more alerts. Reports "
                 "you sent stay, but they were never linked to you. Delete everything?")
    return [Reply(text, Menu((Button("account:forget:yes", ctx.t("Yes, delete all")),
                              Button("account:forget:no", ctx.t("No, keep it")))))]


@router.button("account:forget")
async def confirm_forget(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """Deletes the person's data after the confirmation (only right after the question)."""
    if ctx.arg not in ("yes", "no") or ctx.session.state != "account:forget":
        return None
    ctx.session.clear()
    if ctx.arg == "no":
        return main_menu_reply(ctx, ctx.t("Nothing was deleted.") + "\n\n"
                               + ctx.t("What would you like to do?"))
    await ctx.reports.forget(msg.address)
    await ctx.desk.forget(ctx.user.pid, ctx.now)    # open or recent cases: closed, purged
    await ctx.users.forget(ctx.user.pid)
    text = ctx.t("Done: everything we kept about you is deleted, your alert subscriptions too. "
                 "If you write again, we start from the beginning.")
    if ctx.is_moderator:
        text += "\n\n" + ctx.t("As a moderator, your past decisions stay in the audit log.")
    return [Reply(text, replace=True)]
