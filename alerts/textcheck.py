"""What a broadcast text may carry: region and time, the organisation's own links and phone
numbers, nothing else that reaches out (no other links, phone numbers, e-mails, plates).

One check for every broadcast (alert notes, updates, all-clears, retractions, notices), with a
refusal that names what was refused, so the publisher knows what to remove.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from bot.config import Config
from bot.privacy import SCRUBBED, scrub_text

NOTE_MAX = 300
NOTICE_MAX = 1000
# Licence plates: 2-3 letters and 3-4 digits (ABC-1234, ABC 123, 123-ABC), at least six signs.
_PLATE = re.compile(r"\b(?:[A-Z]{2,3}[\s-]?\d{3,4}|\d{3,4}[\s-]?[A-Z]{2,3})\b", re.I)
# A link: with a scheme or www., or a bare domain with a dot and a 2+ letter ending
# (evil.example/x, bit.ly/abc); the path runs to the next space.
_LINK = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)\S+"
                   r"|\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b(?:/\S*)?", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_TRAILING = ".,;:!?)»\"'"


class PublishError(Exception):
    """A refusal the moderator should read. The message is an English msgid for t():
    `PublishError` is an extraction keyword (see the Makefile), so it reaches the catalogs."""

    def __init__(self, msgid: str, **kwargs: object) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.kwargs = kwargs


class Stale(PublishError):
    """A confirmation for a preview that has changed since: nothing went out."""


@dataclass(frozen=True)
class Allowed:
    """The organisation's own links (prefixes) and phone numbers (any spelling)."""

    links: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()

    @classmethod
    def of(cls, config: Config) -> Allowed:
        r = config.resources
        return cls(tuple(config.alerts.allowed_links),
                   tuple(p for p in (r.hotline, r.crisis_line, r.legal_aid) if p))


def _bare(link: str) -> str:
    link = link.lower().rstrip(_TRAILING)
    link = re.sub(r"^[a-z][a-z0-9+.-]*://", "", link)
    return link.removeprefix("www.")


def _link_allowed(link: str, allowed: Allowed) -> bool:
    """A host prefix (compa.org) allows that host only; a path prefix allows below it."""
    bare = _bare(link)
    for prefix in allowed.links:
        own = _bare(prefix).rstrip("/")
        if not own:
            continue
        if bare == own or bare.startswith(own + "/") or ("/" in own and bare.startswith(own)):
            return True
    return False


def _phone_pattern(phone: str) -> re.Pattern[str] | None:
    digits = [c for c in phone if c.isdigit()][-10:]
    if len(digits) < 7:
        return None
    sep = r"[\s().-]*"
    return re.compile(r"(?:\+?1" + sep + r")?\(?" + sep.join(digits) + r"\b")


def _removed(before: str, after: str) -> list[str]:
    """The pieces of `before` that scrubbing replaced (to name them in the refusal)."""
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    return [before[i1:i2].strip() for op, i1, i2, _, _ in matcher.get_opcodes()
            if op != "equal" and before[i1:i2].strip()]


def check_note(note: str, allowed: Allowed = Allowed(), max_chars: int = NOTE_MAX) -> str:
    """The text, whitespace tidied, or a `PublishError` naming what is not allowed in it."""
    note = " ".join(note.split())
    if len(note) > max_chars:
        raise PublishError("The text is too long (at most {max} characters).", max=max_chars)
    emails = _EMAIL.findall(note)
    if emails:
        raise PublishError("Broadcasts carry no phone numbers, e-mails or long numbers except "
                           "the organisation's own. Not allowed: {what}. Please remove it.",
                           what=", ".join(emails)[:200])
    links = [m.group().rstrip(_TRAILING) for m in _LINK.finditer(note)]
    refused = [link for link in links if not _link_allowed(link, allowed)]
    if refused:
        raise PublishError("Broadcasts carry no links except the organisation's own. Not "
                           "allowed: {what}. Please remove it.", what=", ".join(refused)[:200])
    rest = _LINK.sub(" ", note)
    for phone in allowed.phones:
        pattern = _phone_pattern(phone)
        if pattern is not None:
            rest = pattern.sub(" ", rest)
    scrubbed = scrub_text(rest)
    if scrubbed != rest:
        what = ", ".join(p for p in _removed(rest, scrubbed) if p) or SCRUBBED
        raise PublishError("Broadcasts carry no phone numbers, e-mails or long numbers except "
                           "the organisation's own. Not allowed: {what}. Please remove it.",
                           what=what[:200])
    plate = _PLATE.search(rest)
    if plate:
        raise PublishError("The text looks like it has a licence plate ({what}). Broadcasts "
                           "never carry plates or names: please remove it.", what=plate.group())
    return note
