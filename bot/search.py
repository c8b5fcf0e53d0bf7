"""Topic search for typed questions, as people type them: "me paro la policia", "xq se llevaron
a mi papa", "how much is bond", "lo del 287g".

Each language has its own index, built from that language's pages with its Snowball stemmer
(busco = buscar, llevaron = llevó, lawyers = lawyer). A question is looked up in both indexes
(people mix languages), but a misspelt word is matched only within the language the question
is written in, so "ayer" never becomes "lawyer". Stop words carry nothing and general words
("ayuda", "help") little. Pages rank by their front-matter `keywords` first, then their
headings (title, label, summary, lines ending in ":"), then the body. Small and predictable
on purpose: a moderator can see why a page matched by reading its keywords.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import snowballstemmer

from bot.content import Content
from bot.i18n import LOCALES, fold
from bot.search_words import ABBREVIATIONS, LANGUAGE_STOPWORDS, STOPWORDS, WEAK_WORDS

KEYWORD_PHRASE = 6.0   # every word of a keyword of two or more words is in the question
KEYWORD_WORD = 3.0     # one word of a keyword
HEADING_WORD = 2.0     # a word of the title, label, summary or a heading line
BODY_WORD = 0.8        # a word of the body
FUZZY_FACTOR = 0.7     # a misspelt match counts a bit less
WEAK_FACTOR = 0.3      # "ayuda", "help": a little, unless the question has nothing else
OTHER_LANGUAGE = 1.0   # the weaker language's score, added to the stronger one's
MIN_SCORE = 4.0
FUZZY_CUTOFF = 0.8
CLOSEST_CUTOFF = 0.7
_STEMMERS = {"es": "spanish", "en": "english"}
_STEM_CACHE_SIZE = 20_000
_JOINED_CODE = re.compile(r"\b(\d{3}) ([a-z])\b")   # "287(g)" folds to "287 g": one word


def tokens(text: str) -> list[str]:
    """Folded words with abbreviations spelled out: "q hago xq" → que, hago, porque."""
    out: list[str] = []
    for word in _JOINED_CODE.sub(r"\1\2", fold(text)).split():
        out.extend(ABBREVIATIONS.get(word, word).split())
    return out


@dataclass(frozen=True)
class Hit:
    slug: str
    score: float


class _LanguageIndex:
    """One language's pages: stem → page → weight, keyword phrases, and the vocabulary."""

    def __init__(self, locale: str, content: Content) -> None:
        self.locale = locale
        self.stemmer: Any = snowballstemmer.stemmer(_STEMMERS[locale])
        self.weights: dict[str, dict[str, float]] = defaultdict(dict)
        self.phrases: list[tuple[frozenset[str], str]] = []
        self.raw: dict[str, str] = {}                      # folded word → its stem
        self._stem_cache: dict[str, str] = {}
        for page in content.pages(locale):
            for keyword in page.keywords:
                stems = self._add(keyword, page.slug, KEYWORD_WORD)
                if len(stems) >= 2:
                    self.phrases.append((frozenset(stems), page.slug))
            for name in (page.title, page.label):
                stems = self._stems(name)
                if len(stems) >= 2:
                    self.phrases.append((frozenset(stems), page.slug))
            headings = [page.title, page.label, page.summary]
            headings += [line for line in page.body.splitlines() if line.rstrip().endswith(":")]
            self._add(" ".join(headings), page.slug, HEADING_WORD)
            self._add(re.sub(r"\{[^{}]*\}", " ", page.body), page.slug, BODY_WORD)
        self.stems = list(self.weights)
        self.words = list(self.raw)
        total = max(len(content.pages(locale)), 1)
        # Rarer words say more: "fianza" (one page) beats "agentes" (ten pages). A word counts
        # where it is a keyword or heading; only a word found in bodies alone counts bodies.
        self.idf = {}
        for stem, by_slug in self.weights.items():
            strong = sum(1 for weight in by_slug.values() if weight > BODY_WORD)
            self.idf[stem] = 1.0 + math.log(total / (strong or len(by_slug)))

    def stem(self, word: str) -> str:
        stem = self._stem_cache.get(word)
        if stem is None:
            stem = str(self.stemmer.stemWord(word))
            if len(self._stem_cache) < _STEM_CACHE_SIZE:     # typed words must not grow it
                self._stem_cache[word] = stem
        return stem

    def _stems(self, text: str) -> list[str]:
        return [self.stem(w) for w in tokens(text) if w not in STOPWORDS and len(w) > 1]

    def _add(self, text: str, slug: str, weight: float) -> list[str]:
        stems = []
        for word in tokens(text):
            if word in STOPWORDS or len(word) < 2:
                continue
            stem = self.stem(word)
            self.raw.setdefault(word, stem)
            stems.append(stem)
            self.weights[stem][slug] = max(self.weights[stem].get(slug, 0.0), weight)
        return stems

    def evidence(self, words: list[str]) -> int:
        """How many of the question's words this language knows (stop words included)."""
        return sum(1 for w in words if w in LANGUAGE_STOPWORDS[self.locale] or w in self.raw)

    def lookup(self, word: str, fuzzy: float | None) -> list[tuple[str, float]]:
        """The indexed stems a question word stands for: its own, else near spellings."""
        stem = self.stem(word)
        if stem in self.weights:
            return [(stem, 1.0)]
        if fuzzy is None or len(word) < 4:
            return []
        close = difflib.get_close_matches(word, self.words, n=1, cutoff=fuzzy)
        if close:
            return [(self.raw[close[0]], FUZZY_FACTOR)]
        close = difflib.get_close_matches(stem, self.stems, n=1, cutoff=fuzzy)
        return [(close[0], FUZZY_FACTOR)] if len(stem) >= 4 and close else []

    def score(self, words: list[str], fuzzy: float | None) -> dict[str, float]:
        scores: dict[str, float] = defaultdict(float)
        all_weak = all(w in WEAK_WORDS for w in words)
        seen: dict[str, float] = {}
        for word in words:
            factor = 1.0 if all_weak or word not in WEAK_WORDS else WEAK_FACTOR
            for stem, match in self.lookup(word, fuzzy):
                seen[stem] = max(seen.get(stem, 0.0), factor * match)
        for stem, factor in seen.items():
            for slug, weight in self.weights[stem].items():
                scores[slug] += weight * factor * self.idf[stem]
        bonus: dict[str, float] = defaultdict(float)
        for phrase, slug in self.phrases:
            if phrase <= seen.keys():
                bonus[slug] = min(bonus[slug] + KEYWORD_PHRASE, 2 * KEYWORD_PHRASE)
        for slug, extra in bonus.items():
            scores[slug] += extra
        return scores


class TopicIndex:
    def __init__(self, content: Content) -> None:
        self._indexes = [_LanguageIndex(locale, content) for locale in LOCALES]

    def search(self, query: str, limit: int = 3) -> list[Hit]:
        """The best pages for a typed question, strongest first; [] when none is close."""
        ranked = self._rank(query, FUZZY_CUTOFF)
        return [hit for hit in ranked[:limit] if hit.score >= MIN_SCORE]

    def closest(self, query: str, limit: int = 3) -> list[Hit]:
        """The nearest pages even when none matches well (looser spelling, any score)."""
        return self._rank(query, CLOSEST_CUTOFF)[:limit]

    def _rank(self, query: str, cutoff: float) -> list[Hit]:
        words = [w for w in tokens(query[:500]) if w not in STOPWORDS and len(w) > 1]
        if not words:
            return []
        every = tokens(query[:500])
        evidence = {ix.locale: ix.evidence(every) for ix in self._indexes}
        best = max(evidence.values())
        per_language = [ix.score(words, cutoff if evidence[ix.locale] == best else None)
                        for ix in self._indexes]
        combined: dict[str, float] = {}
        for slug in {s for scores in per_language for s in scores}:
            values = sorted((scores.get(slug, 0.0) for scores in per_language), reverse=True)
            combined[slug] = values[0] + OTHER_LANGUAGE * sum(values[1:])
        ranked = sorted(combined.items(), key=lambda kv: (-kv[1], kv[0]))
        return [Hit(slug, round(score, 2)) for slug, score in ranked if score > 0]
