"""Know Your Rights: the topic list, the pages (in parts), their sources, and typed-question
search (which always offers a way to reach a person)."""

from __future__ import annotations

from bot.content import LONG_PART_LIMIT, PART_LIMIT, SPECIAL_SLUGS
from bot.context import Context
from bot.messages import Button, Incoming, Menu, Reply
from bot.placeholders import hotline_line
from bot.router import Router
from handlers.paging import Page, paged_menu

router = Router("kyr")

TOPICS_PER_PAGE = 7  # seven topics + More + Previous + Menu = the 10-button limit


def topics_menu(ctx: Context, page: int = 0) -> tuple[str, Menu]:
    topics = Page.of(ctx.content.topics(ctx.locale), page, TOPICS_PER_PAGE)
    title = ctx.t("Know your rights") + (f" {topics.title}" if topics.count > 1 else "")
    menu = paged_menu(topics, lambda p: Button(f"kyr:topic:{p.slug}", p.label, p.summary or None),
                      nav="kyr:list", more=ctx.t("More topics"), back=ctx.t("Previous topics"),
                      tail=(Button("menu:main", ctx.t("Menu")),), title=title)
    return ctx.t("Choose a topic:"), menu


@router.button("kyr:list")
async def list_topics(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """Shows the list of topics (in pages of seven)."""
    if ctx.arg and not ctx.arg.isdigit():
        return None
    text, menu = topics_menu(ctx, int(ctx.arg or 0))
    return [Reply(text, menu, replace=True)]


def part_limit(ctx: Context, msg: Incoming) -> int:
    """The longest page part this person's channel shows with buttons (WhatsApp: 1024)."""
    limit = ctx.button_text_limit(msg)
    if limit is None:
        return PART_LIMIT
    return max(PART_LIMIT, min(limit, LONG_PART_LIMIT))


@router.button("kyr:topic")
async def show_topic(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """Shows one part of a topic page with More (or Sources) / Back / Menu."""
    slug, _, part_text = ctx.arg.partition(":")
    page = ctx.content.page(ctx.locale, slug)
    if page is None or (part_text and not part_text.isdigit()):
        return None
    parts = ctx.content.render(page, ctx.t, part_limit(ctx, msg))
    part = int(part_text or 0)
    if part >= len(parts):
        return None
    buttons = []
    if part + 1 < len(parts):
        buttons.append(Button(f"kyr:topic:{slug}:{part + 1}", ctx.t("More")))
    elif page.sources:
        buttons.append(Button(f"kyr:sources:{slug}", ctx.t("Sources")))
    buttons += _back_buttons(ctx, slug)
    return [Reply(parts[part], Menu(tuple(buttons)))]


@router.button("kyr:sources")
async def show_sources(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """Shows where a page's facts come from, with links."""
    page = ctx.content.page(ctx.locale, ctx.arg)
    if page is None or not page.sources:
        return None
    buttons = [Button(f"kyr:topic:{page.slug}", ctx.t("Back to the page")),
               *_back_buttons(ctx, page.slug)]
    return [Reply(ctx.content.sources_text(page, ctx.t), Menu(tuple(buttons)))]


def _back_buttons(ctx: Context, slug: str) -> list[Button]:
    buttons = []
    if slug not in SPECIAL_SLUGS:
        topics = [p.slug for p in ctx.content.topics(ctx.locale)]
        index = topics.index(slug) if slug in topics else 0
        buttons.append(Button(f"kyr:list:{index // TOPICS_PER_PAGE}", ctx.t("Back to topics")))
    buttons.append(Button("menu:main", ctx.t("Menu")))
    return buttons


def _looks_like_question(ctx: Context, msg: Incoming) -> bool:
    return msg.button_id is None and len(msg.text.strip()) >= 3 and ctx.user.locale is not None


@router.text(_looks_like_question)
async def search_topics(ctx: Context, msg: Incoming) -> list[Reply]:
    """A typed question: the best matching topics as buttons, else the closest ones and a way
    to reach a person (never the whole list)."""
    text = msg.text[:500]
    hits = ctx.search.search(text)
    found = bool(hits)
    if not found:
        hits = ctx.search.closest(text)
    pages = [p for p in (ctx.content.page(ctx.locale, h.slug) for h in hits) if p is not None]
    buttons = [Button(f"kyr:topic:{p.slug}", p.label, p.summary or None) for p in pages]
    if found:
        buttons += [Button("kyr:list", ctx.t("All topics")), Button("menu:main", ctx.t("Menu"))]
        return [Reply(ctx.t("These topics may help:"), Menu(tuple(buttons)))]
    intro = ctx.t("I did not find a topic for that.")
    if pages:
        intro += " " + ctx.t("These are the closest:")
    text = intro + "\n\n" + ctx.t(
        "To talk to a person, call the hotline: {hotline}",
        hotline=hotline_line(ctx.config.resources, ctx.t, ctx.locale))
    buttons += [Button("help:person", ctx.t("Talk to a person")),
                Button("kyr:list", ctx.t("All topics")), Button("menu:main", ctx.t("Menu"))]
    return [Reply(text, Menu(tuple(buttons)))]

