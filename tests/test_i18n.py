"""Catalogs: compiled in memory, complete, placeholders intact; Spanish really is Spanish."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from bot.i18n import I18n, fold
from bot.i18n_check import check

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "bot" / "locale"


def test_spanish_catalog_is_loaded_not_null() -> None:
    t = I18n().translator("es")
    assert t("Know your rights") == "Conozca sus derechos"
    assert I18n().translator("en")("Know your rights") == "Know your rights"


def test_negotiate() -> None:
    i18n = I18n()
    assert i18n.negotiate("es-MX") == "es"
    assert i18n.negotiate("en_US") == "en"
    assert i18n.negotiate("fr") == "es"
    assert i18n.negotiate(None, "en") == "en"


def test_no_compiled_catalogs_in_the_tree() -> None:
    assert not list(LOCALE_DIR.rglob("*.mo"))


def test_committed_catalogs_are_complete_and_fresh(tmp_path: Path) -> None:
    pot = tmp_path / "fresh.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F",
         str(ROOT / "babel.cfg"), "-k", "t", "-k", "N_", "-k", "tn:1,2", "--no-location",
         "--omit-header", "-o", str(pot), "bot", "handlers", "alerts"],
        cwd=ROOT, check=True)
    assert check(LOCALE_DIR, pot) == []


def _catalogs(tmp_path: Path, es: dict[str, str]) -> tuple[Path, Path]:
    for locale in ("es", "en"):
        cat = Catalog(locale=locale)
        for msgid, msgstr in es.items():
            cat.add(msgid, msgstr if locale == "es" else msgid,
                    flags=("fuzzy",) if msgstr.startswith("FUZZY") else ())
        folder = tmp_path / locale / "LC_MESSAGES"
        folder.mkdir(parents=True)
        with (folder / "messages.po").open("wb") as fh:
            write_po(fh, cat)
    pot = Catalog()
    for msgid in es:
        pot.add(msgid)
    with (tmp_path / "messages.pot").open("wb") as fh:
        write_po(fh, pot)
    return tmp_path, tmp_path / "messages.pot"


def test_check_catches_untranslated_fuzzy_and_placeholder_drift(tmp_path: Path) -> None:
    locale_dir, pot = _catalogs(tmp_path, {
        "Hello {name}": "Hola {nombre}",
        "Menu": "",
        "Help": "FUZZY Ayuda",
        "Fine {n}": "Bien {n}",
    })
    problems = "\n".join(check(locale_dir, pot))
    assert "'Hello {name}': placeholders differ" in problems
    assert "'Menu': untranslated" in problems
    assert "'Help': fuzzy" in problems
    assert "Fine" not in problems


def test_check_catches_stale_catalogs(tmp_path: Path) -> None:
    locale_dir, _ = _catalogs(tmp_path, {"Old": "Viejo"})
    fresh = Catalog()
    fresh.add("New")
    with (tmp_path / "fresh.pot").open("wb") as fh:
        write_po(fh, fresh)
    problems = "\n".join(check(locale_dir, tmp_path / "fresh.pot"))
    assert "missing 'New'" in problems and "obsolete 'Old'" in problems


def test_fold() -> None:
    assert fold("¡Menú  Principal!") == "menu principal"
    assert fold("ÓRDEN") == "orden"
