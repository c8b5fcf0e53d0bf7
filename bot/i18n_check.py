"""Catalog gate: `python -m bot.i18n_check LOCALE_DIR FRESH_POT`.

Fails (exit 1, one line per problem) when a catalog is stale against the freshly extracted
template, or an entry is untranslated, fuzzy, or has different `{placeholders}` than its msgid.
Fuzzy entries are dropped when compiling, so people would silently see the English text.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from bot.i18n import LOCALES

_PLACEHOLDER = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)[^{}]*\}")


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def check(locale_dir: Path, fresh_pot: Path) -> list[str]:
    problems = []
    with fresh_pot.open("rb") as fh:
        fresh = {m.id for m in read_po(fh) if m.id}
    with (locale_dir / "messages.pot").open("rb") as fh:
        committed = {m.id for m in read_po(fh) if m.id}
    for msgid in sorted(fresh - committed, key=str):
        problems.append(f"messages.pot: stale, missing {msgid!r} (run `make i18n`)")
    for msgid in sorted(committed - fresh, key=str):
        problems.append(f"messages.pot: stale, obsolete {msgid!r} (run `make i18n`)")
    for locale in LOCALES:
        po_path = locale_dir / locale / "LC_MESSAGES" / "messages.po"
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        ids = set()
        for msg in catalog:
            if not msg.id:
                continue
            ids.add(msg.id)
            where = f"{locale}: {msg.id!r}"
            singular = str(msg.id[0] if isinstance(msg.id, tuple) else msg.id)
            raw = msg.string if isinstance(msg.string, (tuple, list)) else (msg.string,)
            strings = [str(s or "") for s in raw]
            if msg.fuzzy:
                problems.append(f"{where}: fuzzy")
            if not all(strings):
                problems.append(f"{where}: untranslated")
                continue
            expected = placeholders(singular)
            if isinstance(msg.id, tuple):
                expected |= placeholders(str(msg.id[1]))
            for s in strings:
                if placeholders(s) - expected or (not isinstance(msg.id, tuple)
                                                  and placeholders(s) != expected):
                    problems.append(f"{where}: placeholders differ ({sorted(placeholders(s))}"
                                    f" vs {sorted(expected)})")
        for msgid in sorted(fresh - ids, key=str):
            problems.append(f"{locale}: missing {msgid!r} (run `make i18n`)")
        for msgid in sorted(ids - fresh, key=str):
            problems.append(f"{locale}: obsolete {msgid!r} (run `make i18n`)")
    return problems


def fill_english(locale_dir: Path) -> int:
    """msgids are English: new English entries start as their msgid (edit them freely)."""
    from babel.messages.pofile import write_po

    path = locale_dir / "en" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale="en")
    filled = 0
    for msg in catalog:
        if msg.id and not msg.string:
            msg.string = msg.id
            filled += 1
    with path.open("wb") as fh:
        write_po(fh, catalog, omit_header=True, no_location=True, width=99)
    return filled


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--fill-english":
        print(f"en: {fill_english(Path(argv[1]))} new entries filled from their msgid")
        return 0
    problems = check(Path(argv[0]), Path(argv[1]))
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print("catalogs: complete")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
