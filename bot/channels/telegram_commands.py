"""Telegram's "/" command menu: the commands people can use, per language, and the staff's
only in the moderators' chats (the room and each moderator's private chat).

Telegram shows the list registered for the most specific scope and the user's app language:
`setMyCommands` with `language_code` "es" and "en", plus one without a language (the
deployment's default) for everyone else; a `BotCommandScopeChat` list replaces the public one
in a moderator's chat, so it repeats the public commands before the staff ones. Names must be
`[a-z0-9_]{1,32}`; each is also a route of the dispatcher (tests/test_telegram_commands.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram import BotCommand, BotCommandScope, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import ExtBot

from alerts.models import Role
from alerts.moderators import roles_on
from bot.config import Config
from bot.i18n import N_, I18n

log = logging.getLogger(__name__)

LANGUAGES = ("es", "en")
# (Spanish name, English name, description): the public commands, in menu order.
PUBLIC: tuple[tuple[str, str, str], ...] = (
    ("menu", "menu", N_("Main menu")),
    ("reportar", "report", N_("Report what you see, anonymously")),
    ("alertas", "alerts", N_("Alerts for your area")),
    ("idioma", "language", N_("Change the language")),
    ("ayuda", "help", N_("Help")),
    ("cancelar", "cancel", N_("Stop what you are doing")),
    ("olvidarme", "forget_me", N_("Delete everything stored about you")),
)
# The staff's, with the role each needs (the dispatcher refuses anyone below it anyway).
STAFF: tuple[tuple[str, str, str, Role], ...] = (
    ("pendientes", "pending", N_("Reports waiting for a decision"), Role.VERIFIER),
    ("verificar", "verify", N_("Confirm report N"), Role.VERIFIER),
    ("descartar", "reject", N_("Reject report N, with a reason"), Role.VERIFIER),
    ("liberar", "release", N_("Release reports held during a flood"), Role.VERIFIER),
    ("alerta", "alert", N_("A direct alert: region, kind, note"), Role.PUBLISHER),
    ("actualizar", "update", N_("Update alert N"), Role.PUBLISHER),
    ("despejado", "allclear", N_("All clear for alert N"), Role.PUBLISHER),
    ("retirar", "retract", N_("False alarm: retract alert N"), Role.PUBLISHER),
    ("aviso", "notice", N_("Schedule a community notice"), Role.PUBLISHER),
    ("avisos", "notices", N_("Scheduled notices"), Role.PUBLISHER),
    ("estado", "status", N_("How the bot is doing"), Role.ADMIN),
)


def commands(i18n: I18n, locale: str, role: Role = Role.PERSON) -> list[BotCommand]:
    """The menu of one language for someone with `role`."""
    t: Callable[..., str] = i18n.translator(locale)
    index = 0 if locale == "es" else 1
    out = [BotCommand(names[index], t(names[2])) for names in PUBLIC]
    out += [BotCommand((es, en)[index], t(text)) for es, en, text, needs in STAFF
            if role.at_least(needs)]
    return out


def staff_chats(config: Config) -> dict[int, Role]:
    """The chats where staff commands show: the moderators' room (verifier and publisher
    commands) and each Telegram moderator's private chat (their role's)."""
    chats: dict[int, Role] = {}
    room = config.channels.telegram.moderators_chat_id
    if room.lstrip("-").isdigit():
        chats[int(room)] = Role.PUBLISHER
    for chat, role in roles_on(config, "telegram").items():
        if chat.lstrip("-").isdigit():
            chats[int(chat)] = role
    return chats


async def register(bot: ExtBot[None], config: Config, i18n: I18n) -> int:
    """Sets every list; returns how many calls Telegram accepted. A refused list is logged,
    never fatal: the bot works without its menu."""
    default = config.bot.default_locale
    calls: list[tuple[list[BotCommand], BotCommandScope, str | None]] = []
    for locale in LANGUAGES:
        calls.append((commands(i18n, locale), BotCommandScopeDefault(), locale))
    calls.append((commands(i18n, default), BotCommandScopeDefault(), None))
    for chat, role in staff_chats(config).items():
        chat_scope = BotCommandScopeChat(chat)
        for locale in LANGUAGES:
            calls.append((commands(i18n, locale, role), chat_scope, locale))
        calls.append((commands(i18n, default, role), chat_scope, None))
    done = 0
    for menu, scope, language in calls:
        try:
            await bot.set_my_commands(menu, scope=scope, language_code=language)
            done += 1
        except TelegramError as exc:
            log.warning("telegram: command menu not set (%s)", type(exc).__name__)
    return done
