"""Subscribers for the fan-out reliability tests, made with the real store code: a pseudonym,
a sealed Telegram address, a language and a subscription each, as if they had used the menu."""

from __future__ import annotations

from alerts import subscriptions as subs
from bot.app import App
from bot.messages import Address
from bot.store import users as user_store

CHAT_BASE = 7_100_000_000   # Telegram user ids of this size are real (and need 6+ bytes)
REGION = "buncombe"


def chat_ids(count: int) -> list[int]:
    return [CHAT_BASE + i for i in range(count)]


async def seed_subscribers(app: App, chats: list[int], region: str = REGION,
                           locale: str = "es") -> dict[int, str]:
    """Creates one Telegram subscriber per chat id; returns chat id → pseudonym."""
    now = app.clock.now()
    pids = {}
    for chat in chats:
        address = Address("telegram", str(chat))
        pid = app.pid_for(address)
        sealed = app.privacy.seal_text(str(chat), "address:telegram")
        await user_store.touch(app.db, pid, "telegram", sealed, now, "person")
        await user_store.set_locale(app.db, pid, locale)
        await subs.save(app.db, pid, subs.Subscription([region]))
        pids[chat] = pid
    return pids
