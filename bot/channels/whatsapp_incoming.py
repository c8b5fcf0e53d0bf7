"""pywa's typed messages → `Incoming`, and typed numbers → the menu item they name.

Many people answer a list or buttons by typing "2" (or "2️⃣", or the label): the channel keeps
each person's last menu in memory and maps such text to that button.
"""

from __future__ import annotations

import re
from typing import Any

from bot.i18n import fold
from bot.messages import Address, Incoming, Location, Media, Menu

TEXT_LIMIT = 4096
_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")
_KEYCAP = re.compile("[\ufe0f\u20e3]")
# Message types that carry a file: kind for the handlers (a picture is a "photo" everywhere).
_MEDIA_KINDS = {"image": "photo", "video": "video", "audio": "audio", "document": "document",
                "sticker": "sticker"}


def to_incoming(address: Address, msg: Any) -> Incoming:
    """A pywa `Message` (text, image, location, other) → Incoming."""
    message_id = str(msg.id)
    if msg.location is not None:
        location = Location(float(msg.location.latitude), float(msg.location.longitude))
        return Incoming(address, location=location, message_id=message_id)
    kind = str(getattr(msg.type, "value", msg.type))
    if kind in _MEDIA_KINDS:
        media_obj = getattr(msg, kind, None)
        media = Media(_MEDIA_KINDS[kind], ref=str(getattr(media_obj, "id", "") or ""),
                      mime=str(getattr(media_obj, "mime_type", "") or ""))
        caption = str(msg.caption or "")[:TEXT_LIMIT]
        return Incoming(address, text=caption, media=media, message_id=message_id)
    # Contacts, orders, unsupported types: empty text, which the fallback answers kindly.
    return Incoming(address, text=str(msg.text or "")[:TEXT_LIMIT], message_id=message_id)


def choice_from_text(menu: Menu | None, text: str) -> str | None:
    """"2", "2.", "2️⃣" or a label typed out → that button's id; None otherwise."""
    if menu is None:
        return None
    match = _NUMBER.match(_KEYCAP.sub("", text))
    if match:
        index = int(match.group(1)) - 1
        return menu.buttons[index].id if 0 <= index < len(menu.buttons) else None
    folded = fold(text)
    if not folded:
        return None
    for button in menu.buttons:
        if fold(button.label) == folded:
            return button.id
    return None
