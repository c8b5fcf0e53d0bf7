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
TOPICS = ["silence", "door", "at-home", "in-public", "car-checkpoints", "work", "detained",
          "no-false-docs", "red-card", "witness", "family-plan", "find-detained", "notario",
          "constitution", "citizens", "daca-tps"]
TODAY = dt.date(2026, 11, 24)


def test_shipped_content_passes_the_check() -> None:
    report = check_content(CONTENT, today=TODAY)
    assert report.errors == []
    assert report.warnings == []


def test_all_sixteen_topics_resources_and_right_now_in_both_languages() -> None:
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
        assert "(828) 555-0100" in joined
        assert t("This is not legal advice.") in parts[-1]


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
                                      'title = "' + "Very long title " * 20), "over the 1024"),
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
    report = check_content(CONTENT, today=TODAY + dt.timedelta(days=91))
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
