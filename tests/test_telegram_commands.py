"""Telegram's "/" command menu: registered at start-up per language and per scope (the
staff's commands only in the moderators' chats), through `compa run`'s runner and PTB against
the fake Bot API, which validates each list as Telegram does."""

from __future__ import annotations

from pathlib import Path

from bot.channels.telegram_commands import PUBLIC, STAFF
from compa_testkit.fakes.telegram_api import FakeTelegram
from compa_testkit.telegram_kit import running
from handlers import ROUTERS

ROOM = "-1009990001"
MODERATOR = "5550009"


def names(fake: FakeTelegram, scope: str, language: str) -> list[str]:
    return [name for name, _ in fake.commands[(scope, language)]]


async def test_commands_per_language_and_scope(tmp_path: Path, tg_api: FakeTelegram) -> None:
    async with running(tmp_path, tg_api, moderators_chat_id=ROOM, moderators=[MODERATOR]):
        pass
    scopes = {scope for scope, _ in tg_api.commands}
    assert scopes == {"default", f"chat:{ROOM}", f"chat:{MODERATOR}"}
    es, en = names(tg_api, "default", "es"), names(tg_api, "default", "en")
    assert es[:3] == ["menu", "reportar", "alertas"] and "olvidarme" in es
    assert en[:3] == ["menu", "report", "alerts"] and "forget_me" in en
    assert names(tg_api, "default", "") == es            # the default locale (Spanish)
    described = dict(tg_api.commands[("default", "es")])
    assert described["reportar"] == "Reportar lo que ve, de forma anónima"
    assert dict(tg_api.commands[("default", "en")])["report"] == \
        "Report what you see, anonymously"
    # Everyone sees the public commands only; the staff's show in the moderators' chats.
    staff_es = {es_name for es_name, *_ in STAFF}
    assert not staff_es & set(es)
    room = names(tg_api, f"chat:{ROOM}", "es")
    assert room[:len(PUBLIC)] == es and {"pendientes", "verificar", "despejado"} <= set(room)
    assert "estado" not in room                           # admins only
    assert {"pending", "verify", "allclear"} <= set(names(tg_api, f"chat:{ROOM}", "en"))
    assert "pendientes" in names(tg_api, f"chat:{MODERATOR}", "es")


def test_every_listed_command_is_routed_with_the_role_it_shows_for() -> None:
    # The dispatcher tries the routers in order: the first one with the command answers it.
    routes = {}
    for router in ROUTERS:
        for route in router.routes():
            if route.kind == "command":
                routes.setdefault(route.key, route)
    for es_name, en_name, _ in PUBLIC:
        for name in (es_name, en_name):
            assert name in routes, name
            assert routes[name].access is None, name
    for es_name, en_name, _, role in STAFF:
        for name in (es_name, en_name):
            assert name in routes, name
            access = routes[name].access
            assert access is not None and access.role == role, name
