"""Telegram ↔ Compa values: an `Update` becomes an `Incoming` (or a group to leave), a `Reply`
becomes message parts with an inline keyboard.

Pure functions over python-telegram-bot objects: no I/O, so the rules (which group messages are
ours, how text is split) are tested without a server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ChatType

from bot.channels.base import TELEGRAM_LIMITS, shorten
from bot.messages import Address, Incoming, Location, Media, Menu, Reply
from bot.text import split_text

CHANNEL = "telegram"
GROUP_TYPES = (ChatType.GROUP, ChatType.SUPERGROUP)
# Only what Compa reads; Telegram then never sends edits, polls, reactions or channel posts.
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
_JOINED = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR)


@dataclass(frozen=True)
class Leave:
    """A group or channel that is not the moderators' room: refuse in one line, then leave."""

    chat_id: str
    locale_hint: str | None
    by: str | None        # the person who spoke or added the bot (None: unknown)
    notify: bool          # False for channels, where a line would go to every subscriber


@dataclass(frozen=True)
class BotIdentity:
    id: int
    username: str


def classify(update: Update, me: BotIdentity, room: str, forum: str = ""
             ) -> Incoming | Leave | None:
    """What an update means for Compa; None for updates that need nothing (chatter, leaving)."""
    chat = update.effective_chat
    sender = update.effective_user
    if chat is None or (sender is not None and sender.is_bot and sender.id != me.id):
        return None
    if chat.type == ChatType.PRIVATE or str(chat.id) in (room, forum):
        if update.callback_query is not None:
            return _from_press(update, chat.type != ChatType.PRIVATE)
        if update.message is not None:
            return _from_message(update.message, me, str(chat.id) == forum)
        return None
    member = update.my_chat_member
    if member is not None and member.new_chat_member.status not in _JOINED:
        return None  # we were removed or left: nothing to say, nowhere to say it
    return Leave(str(chat.id), sender.language_code if sender else None,
                 str(sender.id) if sender else None, notify=chat.type != ChatType.CHANNEL)


def _from_press(update: Update, group: bool) -> Incoming | None:
    query = update.callback_query
    if query is None or query.message is None or not query.data:
        return None
    user = query.from_user
    return Incoming(
        Address(CHANNEL, str(query.message.chat.id)),
        button_id=query.data,
        locale_hint=user.language_code,
        message_id=str(query.message.message_id),
        user_id=str(user.id) if group else None,
        is_group=group,
    )


def _from_message(message: Message, me: BotIdentity, forum: bool = False) -> Incoming | None:
    user = message.from_user
    if user is None:
        return None
    group = message.chat.type in GROUP_TYPES
    text = message.text or message.caption or ""
    if not isinstance(text, str):  # PTB does not check field types
        text = ""
    # In a case's topic of the helpers' forum every message is for the person (issue 16).
    thread = str(message.message_thread_id) if forum and message.is_topic_message \
        and message.message_thread_id is not None else None
    if group and thread is None:
        # In the moderators' room only what is meant for the bot counts, not the chatter.
        if not _addressed(message, text, me):
            return None
        text = re.sub(rf"@{re.escape(me.username)}\b", "", text, flags=re.I).strip()
    location = message.location
    return Incoming(
        Address(CHANNEL, str(message.chat.id)),
        text=text,
        locale_hint=user.language_code,
        message_id=str(message.message_id),
        location=Location(location.latitude, location.longitude) if location else None,
        media=_media(message),
        user_id=str(user.id) if group else None,
        is_group=group,
        thread=thread,
    )


def _addressed(message: Message, text: str, me: BotIdentity) -> bool:
    replied = message.reply_to_message
    if replied is not None and _is(replied.from_user, me):
        return True
    if text.startswith("/"):
        _, _, target = text.split(maxsplit=1)[0].partition("@")
        return not target or target.casefold() == me.username.casefold()
    return f"@{me.username}".casefold() in text.casefold()


def _is(user: User | None, me: BotIdentity) -> bool:
    return user is not None and user.id == me.id


def _media(message: Message) -> Media | None:
    if message.photo:
        # Telegram sends every size, smallest first; the largest is the one worth reading.
        return Media("photo", ref=message.photo[-1].file_id, mime="image/jpeg")
    document = message.document
    if document is not None and (document.mime_type or "").startswith("image/"):
        return Media("photo", ref=document.file_id, mime=document.mime_type or "")
    return None


# -- outgoing ------------------------------------------------------------------------------

def utf16_len(text: str) -> int:
    """Telegram counts message length in UTF-16 code units (an emoji can count twice)."""
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, limit: int = TELEGRAM_LIMITS.text) -> list[str]:
    """Splits on paragraph boundaries so every part is within Telegram's limit."""
    parts: list[str] = []
    for part in split_text(text, limit):
        size, pieces = limit, [part]
        while (longest := max(utf16_len(p) for p in pieces)) > limit:
            # Astral characters count twice; half the limit in characters always fits.
            size = max(size - (longest - limit), limit // 2)
            pieces = split_text(part, size)
        parts.extend(p for p in pieces if p.strip())
    return parts


def keyboard(menu: Menu) -> InlineKeyboardMarkup:
    """One button per row: labels (topic names) are long and read best full width."""
    limit = TELEGRAM_LIMITS.button_label
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(shorten(b.label, limit, "telegram button"), callback_data=b.id)]
        for b in menu.buttons
    ])


def render(reply: Reply) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """Message parts for one reply; the keyboard rides on the last part."""
    text = reply.text.strip()
    menu = reply.menu
    if menu is not None and menu.title and menu.title not in text:
        # Telegram has no widget title; a first line keeps "Know your rights (2/3)" visible.
        text = f"{menu.title}\n\n{text}" if text else menu.title
    if not text:
        if menu is None:
            return []
        text = "…"
    parts = fit(text)
    markup = keyboard(menu) if menu is not None else None
    return [(part, None) for part in parts[:-1]] + [(parts[-1], markup)]
