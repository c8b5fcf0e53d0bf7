"""`python -m bot.search_eval`: the top-3 hit rate of typed-question search, per language.

Reads the question set (tests/data/search_questions.toml: [question, "slug|slug"] per line),
searches each question and counts a hit when an expected page is among the first three.
Questions whose pages do not exist in the content folder are counted apart ("pending"), so the
figure is honest before a new page is merged.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import ResourcesConfig
from bot.content import Content, default_content_dir
from bot.i18n import LOCALES
from bot.search import TopicIndex

QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "data" / "search_questions.toml"


@dataclass
class Score:
    locale: str
    hits: int = 0
    total: int = 0
    misses: list[tuple[str, str, list[str]]] = field(default_factory=list)
    pending: list[tuple[str, str]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.hits / self.total if self.total else 0.0


def load_questions(path: Path = QUESTIONS) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {locale: [(str(q), tuple(str(s).split("|"))) for q, s in data.get(locale, [])]
            for locale in LOCALES}


def evaluate(content: Content, questions: dict[str, list[tuple[str, tuple[str, ...]]]]
             ) -> list[Score]:
    index = TopicIndex(content)
    scores = []
    for locale, items in questions.items():
        score = Score(locale)
        known = {p.slug for p in content.pages(locale)}
        for question, slugs in items:
            if not known.intersection(slugs):
                score.pending.append((question, "|".join(slugs)))
                continue
            found = [hit.slug for hit in index.search(question)]
            score.total += 1
            if set(found).intersection(slugs):
                score.hits += 1
            else:
                score.misses.append((question, "|".join(slugs), found))
        scores.append(score)
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.search_eval", description=__doc__)
    parser.add_argument("--content-dir", help="folder with kyr_es/ and kyr_en/")
    parser.add_argument("--questions", default=str(QUESTIONS))
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    content = Content.load(Path(args.content_dir or default_content_dir()), ResourcesConfig())
    for score in evaluate(content, load_questions(Path(args.questions))):
        print(f"{score.locale}: top-3 hit rate {score.rate:.1%} ({score.hits}/{score.total}), "
              f"{len(score.pending)} pending (their page does not exist yet)")
        if args.verbose:
            for question, expected, found in score.misses:
                print(f"  miss: {question!r} → {found} (expected {expected})")
            for question, expected in score.pending:
                print(f"  pending: {question!r} (expected {expected})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
