"""`compa content check`: catches content mistakes before people see them.

Errors (exit 1) name the file and the problem: a slug in one language only, missing or
malformed front matter, an unknown placeholder, a page part or label that does not fit the
smallest channel limit, a malformed link, a problem in regions.toml, and an example resource
(a 555-01xx number, example.org, "Sample…") in a config file. Warnings (exit 0): a review older
than 90 days, the built-in example resources when no config file is given.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.channels.base import WHATSAPP_LIMITS
from bot.config import ResourcesConfig
from bot.content import PART_LIMIT, PLACEHOLDERS, Content, ContentError, Page, parse_page
from bot.i18n import LOCALES, I18n
from bot.placeholders import example_resources

REVIEW_MAX_AGE_DAYS = 90
_URL = re.compile(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?(/[^\s<>\"{}|\\^`]*)?$")
_URL_IN_TEXT = re.compile(r"https?://\S+")
_BRACES = re.compile(r"\{([^{}]*)\}")


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_content(root: Path, resources: ResourcesConfig | None = None,
                  today: dt.date | None = None, examples_are_errors: bool = False) -> Report:
    report = Report()
    today = today or dt.date.today()
    resources = resources or ResourcesConfig()
    examples = example_resources(resources)
    (report.errors if examples_are_errors else report.warnings).extend(examples)
    slugs: dict[str, set[str]] = {}
    pages: dict[str, dict[str, Page]] = {}
    for locale in LOCALES:
        folder = root / f"kyr_{locale}"
        if not folder.is_dir():
            report.errors.append(f"{folder}: missing folder")
            continue
        slugs[locale] = set()
        pages[locale] = {}
        for path in sorted(folder.glob("*.md")):
            slugs[locale].add(path.stem)
            try:
                page = parse_page(path, locale)
            except ContentError as exc:
                report.errors.append(str(exc))
                continue
            pages[locale][path.stem] = page
            _check_page(page, report, today)
    if len(slugs) == len(LOCALES):
        for locale in LOCALES:
            for other in LOCALES:
                for slug in sorted(slugs[locale] - slugs[other]):
                    report.errors.append(f"{root / f'kyr_{locale}' / (slug + '.md')}: slug "
                                         f"{slug!r} exists in {locale} only (no kyr_{other})")
    regions = root / "regions.toml"
    if regions.exists():
        from alerts.regions import Regions, RegionsError

        try:
            Regions.load(regions)
        except RegionsError as exc:
            report.errors.extend(exc.problems)
    i18n = I18n()
    content = Content(pages, resources)
    for locale, by_slug in pages.items():
        t = i18n.translator(locale)
        for page in by_slug.values():
            for i, part in enumerate(content.render(page, t), 1):
                if len(part) > PART_LIMIT:
                    report.errors.append(f"{page.path}: part {i} is {len(part)} characters, "
                                         f"over the {PART_LIMIT} limit after paging")
    return report


def _check_page(page: Page, report: Report, today: dt.date) -> None:
    where = str(page.path)
    if not re.fullmatch(r"[a-z0-9-]+", page.slug):
        report.errors.append(f"{where}: slug must be a-z, 0-9 and '-'")
    if len(page.label) > WHATSAPP_LIMITS.list_title:
        report.errors.append(f"{where}: label is {len(page.label)} characters, over "
                             f"{WHATSAPP_LIMITS.list_title}")
    if len(page.summary) > WHATSAPP_LIMITS.list_description:
        report.errors.append(f"{where}: summary is {len(page.summary)} characters, over "
                             f"{WHATSAPP_LIMITS.list_description}")
    for name in _BRACES.findall(page.body):
        if name not in PLACEHOLDERS:
            report.errors.append(f"{where}: unknown placeholder {{{name}}}")
    if page.body.count("{") != page.body.count("}"):
        report.errors.append(f"{where}: unbalanced curly braces")
    for source in page.sources:
        if not _URL.match(source.url):
            report.errors.append(f"{where}: malformed link {source.url!r}")
    for url in _URL_IN_TEXT.findall(page.body):
        if not _URL.match(url.rstrip(".,;:)")):
            report.errors.append(f"{where}: malformed link {url!r}")
    if not page.body.strip():
        report.errors.append(f"{where}: empty body")
    age = (today - page.reviewed).days
    if age > REVIEW_MAX_AGE_DAYS:
        report.warnings.append(f"{where}: reviewed {page.reviewed} ({age} days ago): "
                               "please review again")
