"""KYR content: complete in both languages, reachable, and `compa content check` catches
each kind of mistake."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import pytest

from bot.config import DistributionSite, ResourcesConfig
from bot.content import PART_LIMIT, Content, default_content_dir, paginate
from bot.content_check import check_content
from bot.i18n import I18n
from bot.search import TopicIndex

ROOT = Path(__file__).resolve().parent.parent
CONTENT = default_content_dir()
TOPICS = ["silence", "door", "at-home", "in-public", "car-checkpoints", "287g", "work", "detained",
          "bond", "court", "no-false-docs", "documents", "red-card", "witness",
          "sensitive-places", "family-plan", "school", "find-detained", "notario",
          "constitution", "citizens", "daca-tps", "registration"]
TODAY = dt.date(2026, 12, 1)


REAL = ResourcesConfig(hotline="(828) 012-3400", crisis_line="(828) 012-3401",
                       legal_aid="(828) 012-3402",
                       hotline_hours={"es": "todos los días", "en": "every day"})


def test_shipped_content_passes_the_check() -> None:
    report = check_content(CONTENT, REAL, today=TODAY)
    assert report.errors == []
    assert report.warnings == []


def test_all_topics_resources_and_right_now_in_both_languages() -> None:
    content = Content.load(CONTENT, ResourcesConfig())
    for locale in ("es", "en"):
        assert [p.slug for p in content.topics(locale)] == TOPICS
        assert content.page(locale, "resources") is not None
        assert content.page(locale, "right-now") is not None


def test_every_page_pair_has_the_same_shape() -> None:
    content = Content.load(CONTENT, ResourcesConfig())
    for es in content.pages("es"):
        en = content.page("en", es.slug)
        assert en is not None
        assert es.order == en.order, es.slug
        assert es.body.count("• ") == en.body.count("• "), es.slug
        assert es.body.count("{") == en.body.count("{"), es.slug
        assert [s.url for s in es.sources] == [s.url for s in en.sources] or es.sources
        assert es.reviewer == "pending legal review"


@pytest.mark.parametrize("locale", ["es", "en"])
def test_every_topic_is_found_by_its_own_label(locale: str) -> None:
    content = Content.load(CONTENT, ResourcesConfig())
    index = TopicIndex(content)
    for page in content.pages(locale):
        assert page.slug in [h.slug for h in index.search(page.label)], page.label


@pytest.mark.parametrize("locale", ["es", "en"])
def test_every_rendered_part_fits_and_carries_the_footer(locale: str) -> None:
    content = Content.load(CONTENT, ResourcesConfig())
    t = I18n().translator(locale)
    for page in content.pages(locale):
        parts = content.render(page, t)
        assert all(len(p) <= PART_LIMIT for p in parts), page.slug
        joined = "\n".join(parts)
        assert "{" not in joined, page.slug
        assert f"(828) 555-0100 {t('(example number)')}" in joined
        assert t("This is not legal advice.") in parts[-1]
        assert "https://" not in parts[-1] or "https://" in page.body, page.slug


# --- safety first, whole pages, same shape in both languages (issue 15) ----------------------

# The advice that prevents harm, per page and language: it must be in the first message a person
# gets (the first part as paged for the smallest channel), never behind "More".
KYR_SAFETY_FIRST: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "right-now": (("no abra", "no se resista", "silencio", "no firme"),
                  ("do not open", "do not resist", "silent", "do not sign")),
    "door": (("no abra", "no se resista", "silencio", "no firme", "firmó un juez"),
             ("do not open", "do not resist", "silent", "do not sign", "judge signed")),
    "at-home": (("no abra", "no se resista", "silencio", "no firme"),
                ("do not open", "do not resist", "silent", "do not sign")),
    "in-public": (("no corra", "no se resista", "silencio", "no firme"),
                  ("do not run", "resist", "silent", "do not sign")),
    "car-checkpoints": (("no corra ni se resista", "silencio", "no firme", "papeles falsos"),
                        ("do not run or resist", "silent", "do not sign", "false papers")),
    "287g": (("silencio", "no mienta", "no firme"), ("silent", "do not lie", "do not sign")),
    "work": (("no corra", "silencio", "no firme"), ("do not run", "silent", "do not sign")),
    "detained": (("silencio", "no firme"), ("silent", "do not sign")),
    "bond": (("nunca pague", "no firme"), ("never pay", "do not sign")),
    "court": (("nunca falte", "plan", "silencio", "no firme"),
                       ("never miss", "plan", "silent", "do not sign")),
    "silence": (("guardar silencio",), ("remain silent",)),
    "no-false-docs": (("no mienta",), ("do not lie",)),
    "documents": (("nunca lleve ni muestre papeles falsos",),
                  ("never carry or show false papers",)),
    "red-card": (("no abra", "no se resista"), ("do not open", "do not resist")),
    "witness": (("distancia segura", "no se meta"), ("safe distance", "do not interfere")),
    "sensitive-places": (("silencio", "no se resista", "no firme"),
                            ("silent", "do not resist", "do not sign")),
    "notario": (("nunca firme",), ("never sign",)),
    "constitution": (("silencio", "no se resista", "no firme"),
                     ("silent", "do not resist", "do not sign")),
    "citizens": (("silencio",), ("silent",)),
    "registration": (("abogado", "antes de registrarse"), ("lawyer", "before you register")),
}
KYR_NEW_TOPICS = ("court", "bond", "sensitive-places", "school", "registration",
                  "287g", "documents")


def _kyr_parts_and_paragraph_places(locale: str) -> dict[str, tuple[list[str], list[int]]]:
    """Each page's rendered parts, and for each body paragraph the index of the part holding it."""
    content = Content.load(CONTENT, ResourcesConfig())
    t = I18n().translator(locale)
    out = {}
    for page in content.pages(locale):
        parts = content.render(page, t)
        # Each paragraph is known by its text up to its first placeholder.
        heads = [p.split("{")[0].strip()[:60] for p in page.body.split("\n\n")]
        places = [next(i for i, part in enumerate(parts) if head in part)
                  for head in heads if head]
        out[page.slug] = (parts, places)
    return out


@pytest.mark.parametrize("locale", ["es", "en"])
def test_kyr_safety_advice_is_in_the_first_part(locale: str) -> None:
    pages = _kyr_parts_and_paragraph_places(locale)
    assert set(KYR_SAFETY_FIRST) <= set(pages)
    for slug, phrases in KYR_SAFETY_FIRST.items():
        first = pages[slug][0][0].lower()
        for phrase in phrases[0 if locale == "es" else 1]:
            assert phrase in first, f"{slug} ({locale}): {phrase!r} is not in the first part"


@pytest.mark.parametrize("locale", ["es", "en"])
def test_kyr_last_part_is_never_only_the_footer(locale: str) -> None:
    for slug, (parts, places) in _kyr_parts_and_paragraph_places(locale).items():
        # The page's last paragraph (what to do next) travels with the footer.
        assert places[-1] == len(parts) - 1, f"{slug} ({locale}): last part is only the footer"


def test_kyr_both_languages_split_the_same_way() -> None:
    es, en = _kyr_parts_and_paragraph_places("es"), _kyr_parts_and_paragraph_places("en")
    assert set(es) == set(en)
    for slug in es:
        assert len(es[slug][0]) == len(en[slug][0]), slug
        assert es[slug][1] == en[slug][1], slug


def test_kyr_most_pages_fit_one_message() -> None:
    for locale in ("es", "en"):
        pages = _kyr_parts_and_paragraph_places(locale)
        long_pages = sorted(slug for slug, (parts, _) in pages.items() if len(parts) > 1)
        # The door page (how to read a warrant, the 2025 memo) and the car page (checkpoints,
        # the jail laws) need a second message; every other page is one message.
        assert long_pages == ["car-checkpoints", "door"], (locale, long_pages)


def test_kyr_pages_never_state_a_phone_number_or_hours_of_their_own() -> None:
    # The hotline and its hours come from config; a page that typed them would show a stale or
    # sample number as real.
    content = Content.load(CONTENT, ResourcesConfig())
    for locale in ("es", "en"):
        for page in content.pages(locale):
            body = page.body.lower()
            for bad in ("555", "24/7", "24 horas", "24 hours", "a cualquier hora", "any time"):
                assert bad not in body, f"{page.path}: {bad!r}"
            assert "{hotline}" in page.body, page.path


def test_kyr_new_topics_are_dated_sourced_searchable_and_pending_review() -> None:
    content = Content.load(CONTENT, ResourcesConfig())
    for slug in KYR_NEW_TOPICS:
        for locale in ("es", "en"):
            page = content.page(locale, slug)
            assert page is not None, (slug, locale)
            assert page.reviewer == "pending legal review"
            assert page.reviewed >= dt.date(2026, 12, 1)
            assert page.sources and all(s.url.startswith("https://") for s in page.sources)
            assert len(page.keywords) >= 8, (slug, locale)
        assert slug in [p.slug for p in content.topics("es")]


def test_resources_come_from_config() -> None:
    resources = ResourcesConfig(hotline="(828) 555-0199", crisis_line="(828) 555-0198",
                                legal_aid="(828) 555-0197", distribution_sites=(
                                    DistributionSite("Pantry", "1 Main St", "Sat 9-12"),))
    content = Content.load(CONTENT, resources)
    page = content.page("es", "resources")
    assert page is not None
    text = "\n".join(content.render(page, I18n().translator("es")))
    for value in ("(828) 555-0199", "(828) 555-0198", "(828) 555-0197", "Pantry: 1 Main St"):
        assert value in text


def test_paginate_respects_limit_and_paragraphs() -> None:
    text = "\n\n".join(["a" * 300, "b" * 300, "c " * 700, "d" * 2500])
    parts = paginate(text, 1000)
    assert all(len(p) <= 1000 for p in parts)
    assert parts[0] == "a" * 300 + "\n\n" + "b" * 300
    assert "".join(parts).replace("\n", "").replace(" ", "").count("d") == 2500


# --- broken fixtures: each makes the check fail and names the file ---------------------------

def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(CONTENT / "kyr_es", root / "kyr_es")
    shutil.copytree(CONTENT / "kyr_en", root / "kyr_en")
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BROKEN = {
    "slug in one language": (lambda r: (r / "kyr_es" / "solo.md").write_text(
        (r / "kyr_es" / "work.md").read_text()), "exists in es only"),
    "no front matter": (lambda r: (r / "kyr_en" / "work.md").write_text("just text"),
                        "no front matter"),
    "bad toml": (lambda r: _edit(r / "kyr_en" / "work.md", "order = 60", "order = "),
                 "not valid TOML"),
    "missing title": (lambda r: _edit(r / "kyr_es" / "work.md", 'title = "', 'titulo = "'),
                      "title missing"),
    "unknown placeholder": (lambda r: _edit(r / "kyr_es" / "work.md", "{hotline}",
                                            "{hotlines}"), "unknown placeholder {hotlines}"),
    "label too long": (lambda r: _edit(r / "kyr_en" / "work.md", 'label = "',
                                       'label = "A label far too long for lists '),
                       "label is"),
    "malformed link": (lambda r: _edit(r / "kyr_en" / "silence.md", 'url = "https://',
                                       'url = "htps//'), "malformed link"),
    # Paging cuts any body to size, so only what it cannot cut (the title line repeated on
    # every part) can overflow.
    "part too long": (lambda r: _edit(r / "kyr_en" / "work.md", 'title = "',
                                      'title = "' + "Very long title " * 40), "over the 1024"),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_check_fails_on_broken_fixture(tmp_path: Path, name: str) -> None:
    root = _copy(tmp_path)
    breaker, expected = BROKEN[name]
    breaker(root)
    report = check_content(root, today=TODAY)
    assert report.errors, name
    if expected:
        assert any(expected in e for e in report.errors), report.errors
    assert any(str(root) in e for e in report.errors)


def test_part_too_long_is_paged_not_flagged_when_it_can_be_split(tmp_path: Path) -> None:
    # A 1,200-character paragraph (and a 1,200-character "word") are split by paging.
    root = _copy(tmp_path)
    _edit(root / "kyr_en" / "work.md", "+++\n\n", "+++\n\n" + "word " * 240 + "\n\n"
          + "x" * 1200 + "\n\n")
    assert check_content(root, today=TODAY).errors == []


def test_old_review_is_a_warning_not_an_error(tmp_path: Path) -> None:
    report = check_content(CONTENT, REAL, today=TODAY + dt.timedelta(days=91))
    assert report.errors == []
    assert len(report.warnings) == 2 * (len(TOPICS) + 2)
    assert "please review again" in report.warnings[0]


def test_content_check_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                      ) -> None:
    from bot.__main__ import main

    assert main(["content", "check"]) == 0
    root = _copy(tmp_path)
    _edit(root / "kyr_es" / "work.md", "{hotline}", "{nope}")
    assert main(["content", "check", "--content-dir", str(root)]) == 1
    err = capsys.readouterr().err
    assert "work.md: unknown placeholder {nope}" in err


def test_wheel_ships_content_and_catalogs(tmp_path: Path) -> None:
    from hatchling.builders.wheel import WheelBuilder

    builder = WheelBuilder(str(ROOT))
    wheel = next(iter(builder.build(directory=str(tmp_path), versions=["standard"])))
    names = zipfile.ZipFile(wheel).namelist()
    assert "bot/_content/kyr_es/silence.md" in names
    assert "bot/_content/kyr_en/silence.md" in names
    assert "bot/locale/es/LC_MESSAGES/messages.po" in names
    assert "handlers/kyr.py" in names and "alerts/__init__.py" in names
    assert not any(n.endswith(".mo") for n in names)
    assert not any(n.startswith(("compa_testkit/", "tests/", "bench/")) for n in names)
