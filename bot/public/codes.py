"""Public alert codes: short, random, and easy to read aloud or type from a screenshot.

Crockford's base32 alphabet (no I, L, O or U), five signs: 32**5 ≈ 33.5 million codes, so a
made-up code in a rumour almost never lands on a real alert. What people type is normalised
(O → 0, I and L → 1, spaces and dashes dropped), so a misread sign still finds the alert.
"""

from __future__ import annotations

import re
import secrets

from bot.i18n import Translate

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 5
_TYPO = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
# A code written after its label, as the alert shows it ("Código: 7Q3KM", "Code: 7Q3KM").
LABELLED = re.compile(r"(?:c[oó]digo|code)\s*[:#]?\s*([0-9A-Za-z]{5})\b", re.IGNORECASE)
_BARE = re.compile(r"^[0-9A-Za-z]{5}$")


def new_code() -> str:
    """Five random signs with at least one digit and one letter, so that a code typed alone
    is never a word ("HELLO") or a ZIP code ("28801")."""
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        if any(c.isdigit() for c in code) and any(c.isalpha() for c in code):
            return code


def normalize(text: str) -> str | None:
    """The code in `text` written alone ("7q3km", "7Q3-KM"), or None."""
    compact = re.sub(r"[\s\-.]", "", text.strip()).upper().translate(_TYPO)
    if len(compact) != LENGTH or any(c not in ALPHABET for c in compact):
        return None
    return compact


def find_code(text: str) -> str | None:
    """A code labelled in a pasted alert, or a message that is only a code (letters and
    digits both: a plain word like "hello" or a ZIP code is not a code)."""
    found = LABELLED.search(text)
    if found is not None:
        return normalize(found.group(1))
    stripped = text.strip()
    if _BARE.match(stripped) and any(c.isdigit() for c in stripped) \
            and any(c.isalpha() for c in stripped):
        return normalize(stripped)
    return None


def page_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/alerta/{code}"


def code_line(t: Translate, code: str | None, base_url: str) -> str:
    """The last paragraph of a broadcast alert: its code, and its page when there is one."""
    if not code:
        return ""
    line = t("🔎 Code: {code} (to check that an alert is real, send its code to this bot)",
             code=code)
    if base_url:
        line += "\n" + page_url(base_url, code)
    return "\n\n" + line
