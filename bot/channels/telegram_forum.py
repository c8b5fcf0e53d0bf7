"""The helpers' Telegram forum (issue 16): one topic per case, created by the bot.

A case's news goes to its topic and a helper's message in the topic goes to the person
(handlers/casework.py). A topic is addressed as `Address("telegram", "<chat id>/<thread id>")`;
the topic's name is only the case code.
"""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import TelegramError

from bot.messages import Address

log = logging.getLogger(__name__)


def split(address: Address) -> tuple[int | None, int | None]:
    """`"-100123/45"` → (-100123, 45); a plain chat id → (id, None); else (None, None)."""
    chat, _, thread = address.chat_id.partition("/")
    if not chat.lstrip("-").isdigit() or (thread and not thread.isdigit()):
        return None, None
    return int(chat), int(thread) if thread else None


async def create_topic(bot: Bot, forum: str, name: str) -> str | None:
    """A new topic in the forum group; None when there is no forum or Telegram refuses."""
    if not forum.lstrip("-").isdigit():
        return None
    try:
        topic = await bot.create_forum_topic(int(forum), name)
    except TelegramError as exc:
        log.warning("telegram: could not create a case topic (%s)", type(exc).__name__)
        return None
    return str(topic.message_thread_id)
