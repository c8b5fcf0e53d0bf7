"""Page parts: one message where the channel allows it, sources behind a "Sources" button, and
a last part that always carries some of the page with the footer, never the footer alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channels.base import WHATSAPP_LIMITS
from bot.config import ResourcesConfig
from bot.content import (
    LONG_PART_LIMIT,
    PART_LIMIT,
    Content,
    default_content_dir,
    paginate_with_footer,
)
from bot.i18n import I18n
from compa_testkit.harness import Harness

CONTENT = Content.load(default_content_dir(), ResourcesConfig())
FOOTER = "📞 Hotline: 1\n\nReviewed 2026-11-24.\n\nThis is not legal advice."


@pytest.mark.parametrize("locale", ["es", "en"])
@pytest.mark.parametrize("limit", [PART_LIMIT, LONG_PART_LIMIT])
def test_no_last_part_is_only_the_footer(locale: str, limit: int) -> None:
    t = I18n().translator(locale)
    hotline = t("📞 Hotline: {hotline}", hotline="")
    for page in CONTENT.pages(locale):
        parts = CONTENT.render(page, t, limit)
        assert all(len(p) <= limit for p in parts), page.slug
        last = parts[-1].split("\n\n", 1)[1]            # without the title line
        own_text = last[:last.index(hotline)].strip()
        assert len(own_text) >= 40, (page.slug, last)
        assert t("This is not legal advice.") in parts[-1]
        assert not any(s.url in "\n".join(parts) for s in page.sources
                       if s.url not in page.body), page.slug


@pytest.mark.parametrize("locale", ["es", "en"])
def test_pages_fit_one_message_on_long_channels(locale: str) -> None:
    t = I18n().translator(locale)
    for page in CONTENT.pages(locale):
        assert len(CONTENT.render(page, t, LONG_PART_LIMIT)) == 1, page.slug


@given(st.lists(st.text(alphabet="abc \n", min_size=1, max_size=400), min_size=1,
                max_size=8))
def test_paging_with_a_footer_never_leaves_it_alone(paragraphs: list[str]) -> None:
    body = "\n\n".join(p.strip() or "x" for p in paragraphs)
    parts = paginate_with_footer(body, FOOTER, 300)
    assert all(len(p) <= 300 for p in parts)
    assert parts[-1].endswith(FOOTER)
    assert parts[-1] != FOOTER
    assert parts[-1][:-len(FOOTER)].strip()


def test_paging_moves_the_end_of_the_page_to_the_footer() -> None:
    body = "\n\n".join(["a" * 100, "b" * 100, "c" * 120])
    parts = paginate_with_footer(body, "F" * 100, 330)
    assert parts == ["a" * 100 + "\n\n" + "b" * 100, "c" * 120 + "\n\n" + "F" * 100]
    # A last paragraph too long to share a part with the footer: its last line moves.
    parts = paginate_with_footer("x" * 50 + "\n\n" + "a" * 100 + "\n" + "b" * 120, "F" * 100, 300)
    assert parts == ["x" * 50 + "\n\n" + "a" * 100, "b" * 120 + "\n\n" + "F" * 100]


async def test_page_sources_are_behind_a_button(harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.start_in("es")
    await ana.press("kyr:topic:detained")
    assert len(ana.replies) == 1
    assert "(1/" not in ana.last.text.splitlines()[0]       # one message on the console
    assert "https://" not in ana.last.text
    assert ana.button_ids()[0] == "kyr:sources:detained"
    assert ana.labels()[0] == "Fuentes"
    await ana.press("kyr:sources:detained")
    assert "Fuentes:" in ana.last.text
    assert "https://www.justice.gov/eoir/list-pro-bono-legal-service-providers" in ana.last.text
    assert ana.button_ids()[0] == "kyr:topic:detained"


async def test_on_whatsapp_sources_come_after_the_last_part(harness: Harness) -> None:
    harness.channels["console"].limits = WHATSAPP_LIMITS
    bob = harness.person("bob")
    await bob.start_in("en")
    await bob.press("kyr:topic:door")
    seen = []
    while True:
        seen.append(bob.last.text)
        assert len(bob.last.text) <= PART_LIMIT
        assert len(bob.button_ids()) <= 3                   # WhatsApp reply buttons
        if "More" not in bob.labels():
            break
        await bob.choose("More")
    assert bob.button_ids()[0] == "kyr:sources:door"
    assert "This is not legal advice." in seen[-1]


async def test_forged_sources_button_gets_a_kind_answer(harness: Harness) -> None:
    ana = harness.person("ana")
    await ana.start_in("es")
    await ana.press("kyr:sources:nope")
    assert ana.last.text.startswith("Esa opción ya no está disponible")
    assert "kyr:list" in ana.button_ids()
