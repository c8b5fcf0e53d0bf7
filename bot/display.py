"""Showing untrusted words (a reporter's details) to moderators without letting them pass for
the bot's own: invisible and direction-changing characters removed, links defanged
(`hxxps://evil[.]example`), and one line only, so a reporter cannot write a fake status line.

handlers/cards.py puts the result between « » after a label; quote marks inside are swapped
for ‹ › so the quote cannot be closed early.
"""

from __future__ import annotations

import re
import unicodedata

_SCHEME = re.compile(r"\b(h)(tt)(ps?)(:)", re.IGNORECASE)
# A host name: labels joined by dots, ending in a top-level domain of letters ("evil.example",
# "t.me", "www.x.org"). Dots in numbers ("3.5") are left alone.
_HOST = re.compile(r"\b(?:[\w-]+\.)+[a-z]{2,}\b", re.IGNORECASE)


def _visible(ch: str) -> bool:
    """False for format characters (bidi overrides and isolates, zero-width spaces and joiners,
    BOM), controls and line/paragraph separators."""
    return unicodedata.category(ch) not in ("Cf", "Cc", "Zl", "Zp", "Co", "Cs", "Cn")


def defang(text: str) -> str:
    """`https://evil.example/x` → `hxxps://evil[.]example/x`: readable, never a link."""
    text = _SCHEME.sub(lambda m: m.group(1) + "xx" + m.group(3) + m.group(4), text)
    return _HOST.sub(lambda m: m.group(0).replace(".", "[.]"), text)


def untrusted(text: str) -> str:
    """What a moderator may be shown of someone else's words."""
    clean = "".join(ch if _visible(ch) else " " for ch in text)
    clean = " ".join(clean.split())
    return defang(clean).replace("«", "‹").replace("»", "›")
