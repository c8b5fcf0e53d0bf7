"""Topic search for typed questions: "me paró la policía", "warrant", "notario".

Accent-, case- and plural-insensitive, in both languages at once (people mix them), tolerant of
small misspellings. Each page's front-matter `keywords` carry its synonyms; titles, labels and
summaries count too, with less weight. Small and predictable on purpose: 18 pages need no index
server, and a moderator can see why a page matched by reading its keywords.
"""

from __future__ import annotations

import difflib
import math
from collections import defaultdict
from dataclasses import dataclass

from bot.content import Content
from bot.i18n import LOCALES, fold

# Words that carry no topic on their own, in both languages.
STOPWORDS = frozenset(fold(w) for w in (
    "a", "al", "algo", "como", "con", "cual", "cuando", "de", "del", "donde", "el", "ella",
    "ellos", "en", "es", "esta", "este", "esto", "estoy", "hay", "la", "las", "le", "les", "lo",
    "los", "me", "mi", "mis", "muy", "no", "nos", "o", "para", "pero", "por", "que", "qué", "se",
    "si", "sin", "su", "sus", "te", "tengo", "tiene", "un", "una", "uno", "y", "ya", "yo",
    "usted", "ustedes", "puedo", "puede", "hacer", "hago", "debo", "quiero", "necesito", "saber",
    "ayuda", "i", "me", "my", "we", "our", "you", "your", "he", "she", "they", "them", "is",
    "are", "was", "were", "be", "been", "am", "the", "an", "and", "or", "of", "to", "in", "on",
    "at", "for", "with", "what", "how", "do", "does", "did", "can", "could", "should", "would",
    "if", "it", "this", "that", "there", "have", "has", "had", "my", "about", "from", "need",
    "want", "know", "help", "please",
))

KEYWORD_PHRASE = 6.0   # the whole keyword appears in the question
KEYWORD_WORD = 3.0     # one word of a keyword
TITLE_WORD = 1.5       # a word of the title, label or summary
FUZZY_FACTOR = 0.7     # a misspelt match counts a bit less
MIN_SCORE = 4.0


def stem(word: str) -> str:
    """A very small plural folder: ordenes → orden, warrants → warrant, policias → policia."""
    for suffix in ("es", "s"):
        if len(word) > 4 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def words(text: str) -> list[str]:
    return [stem(w) for w in fold(text).split() if w not in STOPWORDS and len(w) > 1]


@dataclass(frozen=True)
class Hit:
    slug: str
    score: float


class TopicIndex:
    def __init__(self, content: Content) -> None:
        self._phrases: dict[str, set[str]] = defaultdict(set)   # folded keyword → slugs
        self._weights: dict[str, dict[str, float]] = defaultdict(dict)  # word → slug → weight
        for locale in LOCALES:
            for page in content.pages(locale):
                for keyword in page.keywords:
                    kw_words = words(keyword)
                    if kw_words:
                        self._phrases[" ".join(kw_words)].add(page.slug)
                    for w in kw_words:
                        self._add(w, page.slug, KEYWORD_WORD)
                for w in words(f"{page.title} {page.label} {page.summary}"):
                    self._add(w, page.slug, TITLE_WORD)
        self._vocabulary = list(self._weights)
        # Rarer words say more: "trabajo" (one page) beats "papeles" (four pages).
        slugs = {slug for by_slug in self._weights.values() for slug in by_slug}
        total = max(len(slugs), 1)
        self._idf = {w: 1.0 + math.log(total / len(by_slug))
                     for w, by_slug in self._weights.items()}

    def _add(self, word: str, slug: str, weight: float) -> None:
        current = self._weights[word].get(slug, 0.0)
        self._weights[word][slug] = max(current, weight)

    def search(self, query: str, limit: int = 3) -> list[Hit]:
        q_words = words(query)
        if not q_words:
            return []
        scores: dict[str, float] = defaultdict(float)
        joined = f" {' '.join(q_words)} "
        for phrase, slugs in self._phrases.items():
            if " " in phrase and f" {phrase} " in joined:
                for slug in slugs:
                    scores[slug] += KEYWORD_PHRASE
        for word in q_words:
            for known, factor in self._lookup(word):
                idf = self._idf[known]
                for slug, weight in self._weights[known].items():
                    scores[slug] += weight * factor * idf
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        return [Hit(slug, score) for slug, score in ranked[:limit] if score >= MIN_SCORE]

    def _lookup(self, word: str) -> list[tuple[str, float]]:
        """The indexed words a query word stands for: itself, else near spellings."""
        if word in self._weights:
            return [(word, 1.0)]
        if len(word) < 4:
            return []
        close = difflib.get_close_matches(word, self._vocabulary, n=1, cutoff=0.8)
        if close:
            return [(close[0], FUZZY_FACTOR)]
        # "silent" → "silence", "deportan" → "deportar": a shared stem of five letters.
        if len(word) >= 5:
            return [(w, FUZZY_FACTOR) for w in self._vocabulary
                    if len(w) >= 5 and w[:5] == word[:5]][:3]
        return []
