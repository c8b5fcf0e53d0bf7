"""Who a chat is: the stable id a person's pseudonym is computed from, per channel.

Channels whose chat ids carry more than that id: a WhatsApp chat id can hold both the wa_id
and the BSUID, and the pseudonym must not change with the pair.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.channels import whatsapp_ids
from bot.messages import Address

PERSON_KEYS: dict[str, Callable[[str], str]] = {
    whatsapp_ids.CHANNEL: whatsapp_ids.person_key,
}


def person_key(address: Address) -> str:
    """The stable id of the person at `address`, the one their pseudonym is computed from."""
    key_of = PERSON_KEYS.get(address.channel)
    return key_of(address.chat_id) if key_of is not None else address.chat_id
