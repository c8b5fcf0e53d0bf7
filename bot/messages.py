"""Channel-neutral value types: what a person did (`Incoming`) and what the bot says (`Reply`).

Nothing here is platform-typed; channels translate to and from these at their boundary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

BUTTON_ID_MAX_BYTES = 64
_BUTTON_ID = re.compile(r"^[a-z0-9_-]+(:[A-Za-z0-9_.-]+)+$")


@dataclass(frozen=True, slots=True)
class Address:
    """One chat on one channel. `chat_id` is opaque: a Telegram id, a wa_id, a console name."""

    channel: str
    chat_id: str

    def __repr__(self) -> str:
        # Addresses identify people: keep them out of tracebacks and log lines.
        return f"Address({self.channel!r}, <redacted>)"


@dataclass(frozen=True, slots=True)
class Location:
    """A shared location. Mapped to a region in memory and then dropped, never stored."""

    latitude: float
    longitude: float

    def __repr__(self) -> str:
        return "Location(<redacted>)"


@dataclass(frozen=True, slots=True)
class Media:
    """A photo or other file a person sent. `data` is filled only when a handler asks for it."""

    kind: str
    ref: str = ""
    mime: str = ""
    data: bytes | None = None

    def __repr__(self) -> str:
        return f"Media({self.kind!r}, {len(self.data or b'')} bytes)"


@dataclass(frozen=True, slots=True)
class Incoming:
    """What a person did: typed text, pressed a button, shared a location or a photo.

    `user_id` is the sender when it differs from the chat (a person in a group chat).
    """

    address: Address
    text: str = ""
    button_id: str | None = None
    locale_hint: str | None = None
    message_id: str | None = None
    location: Location | None = None
    media: Media | None = None
    user_id: str | None = None
    is_group: bool = False
    # A topic of the helpers' Telegram forum (one per case, issue 16); None elsewhere.
    thread: str | None = None

    @property
    def actor(self) -> str:
        """The opaque id of the person acting (the sender in a group, else the chat)."""
        return self.user_id if self.user_id is not None else self.address.chat_id

    @property
    def command(self) -> str | None:
        """`/Start@CompaBot arg` → "start"; None when the text is not a command."""
        text = self.text.strip()
        if self.button_id is not None or not text.startswith("/") or len(text) < 2:
            return None
        word = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower()
        return word or None

    @property
    def args(self) -> str:
        """The text after a command, stripped."""
        parts = self.text.strip().split(maxsplit=1)
        return parts[1].strip() if self.command and len(parts) == 2 else ""

    def __repr__(self) -> str:
        kind = "button" if self.button_id else "command" if self.command else "text"
        return f"Incoming({self.address.channel}, {kind}, {len(self.text)} chars)"


@dataclass(frozen=True, slots=True)
class Button:
    """A choice. `id` is `area:action[:arg]`, ASCII, ≤ 64 bytes; handlers match on ids only."""

    id: str
    label: str
    description: str | None = None

    def __post_init__(self) -> None:
        if len(self.id.encode()) > BUTTON_ID_MAX_BYTES or not _BUTTON_ID.match(self.id):
            raise ValueError(f"bad button id {self.id!r}")


@dataclass(frozen=True, slots=True)
class Menu:
    """One to ten choices; each channel picks the widget that fits."""

    buttons: tuple[Button, ...]
    title: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= len(self.buttons) <= 10:
            raise ValueError(f"a menu has 1 to 10 buttons, not {len(self.buttons)}")


@dataclass(frozen=True, slots=True)
class Reply:
    """One outgoing message. `to=None` answers the sender; an Address sends elsewhere.

    `replace=True` hints that this message replaces the menu the person pressed (Telegram edits
    it in place); channels that cannot edit send a new message.

    Moderator traffic is `staff`: on WhatsApp outside the 24-hour window it may only go out
    under the moderators' template, never the alerts' one. `card` is the report whose card
    this is: the App remembers where each chat's card went; with `update` set, a later card
    edits that message where the channel can, and elsewhere the short `update` line is sent
    instead of a second card. `photo` (bytes, already stripped) goes out as a picture with
    `text` as its caption.
    """

    text: str
    menu: Menu | None = None
    to: Address | None = None
    replace: bool = False
    staff: bool = False
    card: int | None = None
    update: str | None = None
    photo: bytes | None = field(default=None, repr=False)
    # Which WhatsApp template carries it outside the 24-hour window: None, the channel's
    # alert template; "case", the case desk's "you have an answer" template (issue 16).
    template: str | None = None


class SendOutcome(StrEnum):
    """What became of one send, decided once by the channel that made it (never by words)."""

    SENT = "sent"
    RETRY_AFTER = "retry_after"      # the platform asked us to wait `retry_after` seconds
    BLOCKED = "blocked"              # the person blocked us or stopped our messages: stop all
    WINDOW_CLOSED = "window_closed"  # outside WhatsApp's 24-hour window, and no template
    FAILED = "failed"                # not sent: `permanent` says whether retrying may help


@dataclass(frozen=True, slots=True)
class SendResult:
    """What a channel's `send` returned, for the alert dispatcher's retry decision.

    Build one with the class methods; `error` is a short reason for logs and the outbox only.
    """

    outcome: SendOutcome
    provider_id: str | None = None
    retry_after: float | None = None
    permanent: bool = False
    error: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome is SendOutcome.SENT

    @classmethod
    def sent(cls, provider_id: str | None = None, **extra: str) -> SendResult:
        return cls(SendOutcome.SENT, provider_id=provider_id, extra=extra)

    @classmethod
    def wait(cls, seconds: float, error: str = "rate limited") -> SendResult:
        return cls(SendOutcome.RETRY_AFTER, retry_after=seconds, error=error)

    @classmethod
    def blocked(cls, error: str = "blocked") -> SendResult:
        return cls(SendOutcome.BLOCKED, permanent=True, error=error)

    @classmethod
    def window_closed(cls) -> SendResult:
        return cls(SendOutcome.WINDOW_CLOSED, permanent=True, error="window closed")

    @classmethod
    def failed(cls, error: str, *, permanent: bool = False) -> SendResult:
        return cls(SendOutcome.FAILED, permanent=permanent, error=error)

# Ids in commands and button data: ASCII digits only. "²" passes str.isdigit() and then makes
# int() raise; "١٢" and "１２" are digits to int() too. None of them is an id we gave out.
_ID = re.compile(r"#?([0-9]{1,12})")


def parse_id(text: str) -> int | None:
    """"12" or "#12" → 12; anything else (other digits, signs, 13+ digits) → None."""
    match = _ID.fullmatch(text.strip())
    return int(match.group(1)) if match else None


def foreign_digits(text: str) -> bool:
    """Whether `text` has digits other than 0-9 (superscripts, other scripts, full width)."""
    return any(c.isdigit() and not ("0" <= c <= "9") for c in text)
