"""Babel catalogs, compiled in memory at start-up, and `t()`.

msgids are the English source strings; `bot/locale/{es,en}/LC_MESSAGES/messages.po` translate
them (English too, so a wording change needs no code change). No .mo file is committed: the .po
files are compiled into memory at start-up (~10 ms). `N_()` marks strings defined at import
time (menu labels) for extraction; they are translated when shown.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("es", "en")
DEFAULT_LOCALE = "es"
LOCALE_DIR = Path(__file__).parent / "locale"


class Translate(Protocol):
    def __call__(self, message: str, /, **kwargs: Any) -> str: ...


def N_(message: str) -> str:
    """Marks a string for extraction without translating it now."""
    return message


def _compile(po_path: Path, locale: str) -> Translations:
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(fp=buf, domain="messages")


class I18n:
    def __init__(self, locale_dir: Path = LOCALE_DIR) -> None:
        self._translations: dict[str, Translations] = {}
        for locale in LOCALES:
            po = locale_dir / locale / "LC_MESSAGES" / "messages.po"
            if not po.exists():
                raise FileNotFoundError(f"missing catalog {po}")
            self._translations[locale] = _compile(po, locale)

    def negotiate(self, hint: str | None, default: str = DEFAULT_LOCALE) -> str:
        """'es-MX' → 'es'; anything we do not speak → the default."""
        if hint:
            base = hint.replace("_", "-").split("-", 1)[0].lower()
            if base in self._translations:
                return base
        return default

    def translator(self, locale: str) -> Translate:
        tr = self._translations.get(locale) or self._translations[DEFAULT_LOCALE]

        def t(message: str, /, **kwargs: Any) -> str:
            text = tr.gettext(message)
            return text.format(**kwargs) if kwargs else text

        return t

    def plural(self, locale: str) -> Callable[..., str]:
        tr = self._translations.get(locale) or self._translations[DEFAULT_LOCALE]

        def tn(singular: str, plural: str, n: int, /, **kwargs: Any) -> str:
            return tr.ngettext(singular, plural, n).format(n=n, **kwargs)

        return tn


def fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form for matching what people type."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = []
    for ch in decomposed:
        if unicodedata.combining(ch):
            continue
        kept.append(ch if ch.isalnum() else " ")
    return " ".join("".join(kept).split())
