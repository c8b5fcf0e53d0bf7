"""WhatsApp identities: a person may come with a wa_id (phone number), a BSUID, or both.

Meta is rolling out business-scoped user ids (BSUIDs, "US.1349…"): people who adopt a username
arrive with a BSUID only. One `Address.chat_id` carries both, so both get sealed together:

- both known → a small JSON object `{"wa_id": …, "bsuid": …}`;
- one known  → that id as a plain string (the form moderators are written in, in the config).

The pseudonym is made from the wa_id when there is one, else from the BSUID, and sending prefers
the wa_id. No pywa import here: the App uses this without loading the WhatsApp client.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

CHANNEL = "whatsapp"
_PHONE_CHARS = re.compile(r"[\s().+-]")


@dataclass(frozen=True, slots=True)
class WaIdentity:
    wa_id: str | None = None
    bsuid: str | None = None

    def __repr__(self) -> str:
        return "WaIdentity(<redacted>)"

    @property
    def key(self) -> str:
        """What the pseudonym is computed from: the wa_id, else the BSUID."""
        return self.wa_id or self.bsuid or ""


def _phone_digits(value: str) -> str | None:
    """'+1 (828) 555-0142' → '18285550142'; None when it is not a phone number."""
    digits = _PHONE_CHARS.sub("", value)
    return digits if digits.isdigit() else None


def encode(wa_id: str | None, bsuid: str | None) -> str:
    """The opaque chat id for an Address."""
    wa_id, bsuid = wa_id or None, bsuid or None
    if wa_id and bsuid:
        return json.dumps({"wa_id": wa_id, "bsuid": bsuid}, separators=(",", ":"),
                          sort_keys=True)
    if not (wa_id or bsuid):
        raise ValueError("a WhatsApp address needs a wa_id or a BSUID")
    return wa_id or bsuid or ""


def decode(chat_id: str) -> WaIdentity:
    """Inverse of `encode`; a bare phone number (any punctuation) is a wa_id."""
    text = chat_id.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return WaIdentity()
        if not isinstance(data, dict):
            return WaIdentity()
        wa_id, bsuid = data.get("wa_id"), data.get("bsuid")
        return WaIdentity(wa_id if isinstance(wa_id, str) and wa_id else None,
                          bsuid if isinstance(bsuid, str) and bsuid else None)
    digits = _phone_digits(text)
    if digits:
        return WaIdentity(wa_id=digits)
    return WaIdentity(bsuid=text) if text else WaIdentity()


def person_key(chat_id: str) -> str:
    """The id a WhatsApp pseudonym is made from (normalised, so '+1 828…' matches '1828…')."""
    return decode(chat_id).key or chat_id
