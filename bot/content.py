"""Know Your Rights pages: Markdown files with TOML front matter, one per slug and language.

Pages are plain text (every channel shows them as typed), filled with `{placeholders}` from the
`[resources]` config, given a footer (hotline and its hours, review date, "not legal advice") and
cut into parts that fit the channel: by default the smallest, a WhatsApp message that carries
buttons (1024). Sources are shown on their own, behind a "Sources" button. The last part always
carries some of the page's own text with the footer, never the footer alone.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import ResourcesConfig
from bot.i18n import LOCALES, Translate
from bot.placeholders import hotline_line, shown

# WhatsApp's interactive body limit is the smallest of all channels; keep a margin for the
# "(1/3)" part marker and the title line.
PART_LIMIT = 1024
_TITLE_MARGIN = 120
# The most a page part may be on channels with long messages (Telegram's 4096, with a margin).
LONG_PART_LIMIT = 4000
PLACEHOLDERS = ("hotline", "hotline_hours", "crisis_line", "legal_aid", "distribution_sites",
                "org_name")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class ContentError(Exception):
    pass


@dataclass(frozen=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True)
class Page:
    slug: str
    locale: str
    title: str
    label: str
    summary: str
    order: int
    reviewed: dt.date
    reviewer: str
    body: str
    keywords: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()
    path: Path = field(default=Path(), compare=False)


def default_content_dir() -> Path:
    """bot/_content inside an installed wheel, else content/ beside the source checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "_content"
    return packaged if packaged.is_dir() else here.parent / "content"


def split_front_matter(text: str, path: Path) -> tuple[dict[str, object], str]:
    if not text.startswith("+++"):
        raise ContentError(f"{path}: no front matter (a +++ block at the top)")
    try:
        _, head, body = text.split("+++", 2)
    except ValueError:
        raise ContentError(f"{path}: front matter is not closed with +++") from None
    try:
        meta = tomllib.loads(head)
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{path}: front matter is not valid TOML ({exc})") from None
    return meta, body.strip()


def parse_page(path: Path, locale: str) -> Page:
    meta, body = split_front_matter(path.read_text(encoding="utf-8"), path)
    problems = []
    for key, kind in (("title", str), ("label", str), ("order", int), ("reviewed", dt.date),
                      ("reviewer", str)):
        if not isinstance(meta.get(key), kind):
            problems.append(f"{key} missing or not a {kind.__name__}")
    sources = []
    raw_sources = meta.get("sources", [])
    if not isinstance(raw_sources, list):
        problems.append("sources must be a list of [[sources]] tables")
        raw_sources = []
    for i, src in enumerate(raw_sources):
        if not isinstance(src, dict) or not isinstance(src.get("title"), str) \
                or not isinstance(src.get("url"), str):
            problems.append(f"sources[{i}] needs title and url")
            continue
        sources.append(Source(src["title"], src["url"]))
    keywords = meta.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        problems.append("keywords must be a list of strings")
        keywords = []
    if problems:
        raise ContentError(f"{path}: " + "; ".join(problems))
    return Page(
        slug=path.stem, locale=locale, title=str(meta["title"]), label=str(meta["label"]),
        summary=str(meta.get("summary", "")), order=int(str(meta["order"])),
        reviewed=meta["reviewed"],  # type: ignore[arg-type]
        reviewer=str(meta["reviewer"]), body=body, keywords=tuple(keywords),
        sources=tuple(sources), path=path,
    )


class Content:
    """All pages of all languages, loaded once at start-up."""

    def __init__(self, pages: dict[str, dict[str, Page]], resources: ResourcesConfig) -> None:
        self._pages = pages
        self.resources = resources

    @classmethod
    def load(cls, root: Path, resources: ResourcesConfig) -> Content:
        pages: dict[str, dict[str, Page]] = {}
        for locale in LOCALES:
            folder = root / f"kyr_{locale}"
            if not folder.is_dir():
                raise ContentError(f"{folder}: missing content folder")
            pages[locale] = {p.stem: parse_page(p, locale) for p in sorted(folder.glob("*.md"))}
        return cls(pages, resources)

    def pages(self, locale: str) -> list[Page]:
        return sorted(self._pages.get(locale, {}).values(), key=lambda p: (p.order, p.slug))

    def page(self, locale: str, slug: str) -> Page | None:
        return self._pages.get(locale, {}).get(slug)

    def topics(self, locale: str) -> list[Page]:
        """Pages listed in the topic menu (the resources and right-now pages have their own
        main-menu entries)."""
        return [p for p in self.pages(locale) if p.slug not in SPECIAL_SLUGS]

    def fill(self, text: str, t: Translate, locale: str = "") -> str:
        values = placeholder_values(self.resources, t, locale)
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)

    def render(self, page: Page, t: Translate, limit: int = PART_LIMIT) -> list[str]:
        """The page as parts that each fit `limit`, footer included (sources apart)."""
        body = self.fill(page.body, t, page.locale)
        reviewer = t("pending legal review") if page.reviewer == "pending legal review" \
            else page.reviewer
        footer = "\n\n".join((
            t("📞 Hotline: {hotline}", hotline=hotline_line(self.resources, t, page.locale)),
            t("Reviewed {date} ({reviewer}).", date=page.reviewed.isoformat(),
              reviewer=reviewer),
            t("This is not legal advice.")))
        chunks = paginate_with_footer(body, footer, limit - _TITLE_MARGIN)
        if len(chunks) == 1:
            return [f"{page.title}\n\n{chunks[0]}"]
        return [f"{page.title} ({i}/{len(chunks)})\n\n{c}" for i, c in enumerate(chunks, 1)]

    def sources_text(self, page: Page, t: Translate) -> str:
        """The page's sources, one per line with its link ("" when it has none)."""
        if not page.sources:
            return ""
        return f"{page.title}\n\n" + t("Sources:") + "\n" + "\n".join(
            f"• {s.title}: {s.url}" for s in page.sources)


SPECIAL_SLUGS = ("resources", "right-now")


def placeholder_values(resources: ResourcesConfig, t: Translate,
                       locale: str = "") -> dict[str, str]:
    if resources.distribution_sites:
        sites = "\n".join(
            f"• {shown(s.name, t)}: {shown(s.place, t)}"
            + (f" ({shown(s.days, t)})" if s.days else "")
            for s in resources.distribution_sites
        )
    else:
        sites = t("No distribution sites are listed right now. Ask the hotline.")
    return {
        "hotline": shown(resources.hotline, t),
        "hotline_hours": resources.hours(locale),
        "crisis_line": shown(resources.crisis_line, t),
        "legal_aid": shown(resources.legal_aid, t),
        "distribution_sites": sites,
        "org_name": resources.org_name,
    }


def paginate_with_footer(body: str, footer: str, limit: int) -> list[str]:
    """Pages `body` and puts `footer` at the end, so that the last part never holds the footer
    alone: when the footer does not fit beside the last part, that part's last paragraph (else
    line, else word) moves over to the footer's part."""
    chunks = paginate(body, limit)
    if len(chunks[-1]) + 2 + len(footer) <= limit:
        chunks[-1] = f"{chunks[-1]}\n\n{footer}" if chunks[-1] else footer
        return chunks
    room = limit - 2 - len(footer)
    last = chunks.pop()
    for separator in ("\n\n", "\n", " "):
        units = last.split(separator)
        if len(units) > 1 and len(units[-1]) <= room:
            moved = units.pop()
            return [*chunks, separator.join(units), f"{moved}\n\n{footer}"]
    # A single word too long to share a part with the footer: cut it (never happens with
    # real pages, whose footer is a few hundred characters).
    cut = max(room, 1)
    return [*chunks, last[:-cut], f"{last[-cut:]}\n\n{footer}"] if len(last) > cut \
        else [*chunks, f"{last}\n\n{footer}"]


def paginate(text: str, limit: int) -> list[str]:
    """Splits on paragraph boundaries, then lines, then words, so each part is ≤ limit."""
    parts: list[str] = []
    current = ""
    for block in _pieces(text, limit):
        candidate = f"{current}\n\n{block}" if current else block
        if len(candidate) <= limit:
            current = candidate
        else:
            parts.append(current)
            current = block
    if current:
        parts.append(current)
    return parts or [""]


def _pieces(text: str, limit: int) -> list[str]:
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text.strip()):
        if len(para) <= limit:
            out.append(para)
            continue
        line_buf = ""
        for line in para.split("\n"):
            for word_chunk in _split_words(line, limit):
                candidate = f"{line_buf}\n{word_chunk}" if line_buf else word_chunk
                if len(candidate) <= limit:
                    line_buf = candidate
                else:
                    out.append(line_buf)
                    line_buf = word_chunk
        if line_buf:
            out.append(line_buf)
    return out


def _split_words(line: str, limit: int) -> list[str]:
    if len(line) <= limit:
        return [line]
    chunks, buf = [], ""
    for word in line.split(" "):
        while len(word) > limit:
            if buf:
                chunks.append(buf)
                buf = ""
            chunks.append(word[:limit])
            word = word[limit:]
        candidate = f"{buf} {word}" if buf else word
        if len(candidate) <= limit:
            buf = candidate
        else:
            chunks.append(buf)
            buf = word
    if buf:
        chunks.append(buf)
    return chunks
