"""The question set (tests/data/search_questions.toml): 100+ typed questions per language, and
the top-3 hit rate search must keep on them."""

from __future__ import annotations

from bot.config import ResourcesConfig
from bot.content import Content, default_content_dir
from bot.search_eval import QUESTIONS, evaluate, load_questions, main

THRESHOLD = 0.95
NEW_SLUGS = {"court", "bond", "sensitive-places", "school", "registration", "287g", "documents"}


def test_at_least_a_hundred_questions_per_language() -> None:
    questions = load_questions()
    assert len(questions["es"]) >= 100 and len(questions["en"]) >= 100


def test_every_expected_slug_is_a_page_or_an_announced_new_topic() -> None:
    content = Content.load(default_content_dir(), ResourcesConfig())
    known = {p.slug for p in content.pages("es")} | NEW_SLUGS
    for locale, items in load_questions().items():
        for question, slugs in items:
            assert set(slugs) <= known, (locale, question, slugs)


def test_top_three_hit_rate_per_language() -> None:
    content = Content.load(default_content_dir(), ResourcesConfig())
    for score in evaluate(content, load_questions()):
        assert score.total >= 100, score.locale
        assert score.rate >= THRESHOLD, (score.locale, f"{score.rate:.1%}", score.misses)


def test_the_command_prints_the_figures(capsys: object) -> None:
    assert main(["--questions", str(QUESTIONS)]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert out.startswith("es: top-3 hit rate ")
    assert "\nen: top-3 hit rate " in out
