"""Know Your Rights: the topic list, the pages (in parts), and typed-question search."""

from __future__ import annotations

from bot.content import SPECIAL_SLUGS
from bot.context import Context
from bot.messages import Button, Incoming, Menu, Reply
from bot.router import Router

router = Router("kyr")

TOPICS_PER_PAGE = 7  # seven topics + More + Previous + Menu = the 10-button limit


def topics_menu(ctx: Context, page: int = 0) -> tuple[str, Menu]:
    topics = ctx.content.topics(ctx.locale)
    pages = max(1, -(-len(topics) // TOPICS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    chunk = topics[page * TOPICS_PER_PAGE:(page + 1) * TOPICS_PER_PAGE]
    buttons = [Button(f"kyr:topic:{p.slug}", p.label, p.summary or None) for p in chunk]
    if page + 1 < pages:
        buttons.append(Button(f"kyr:list:{page + 1}", ctx.t("More topics")))
    if page > 0:
        buttons.append(Button(f"kyr:list:{page - 1}", ctx.t("Previous topics")))
    buttons.append(Button("menu:main", ctx.t("Menu")))
    title = ctx.t("Know your rights")
    if pages > 1:
        title += f" ({page + 1}/{pages})"
    return ctx.t("Choose a topic:"), Menu(tuple(buttons), title=title)


@router.button("kyr:list")
async def list_topics(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """Shows the list of topics (in pages of seven)."""
    if ctx.arg and not ctx.arg.isdigit():
        return None
    text, menu = topics_menu(ctx, int(ctx.arg or 0))
    return [Reply(text, menu, replace=True)]


@router.button("kyr:topic")
async def show_topic(ctx: Context, msg: Incoming) -> list[Reply] | None:
    """Shows one part of a topic page with More / Back / Menu."""
    slug, _, part_text = ctx.arg.partition(":")
    page = ctx.content.page(ctx.locale, slug)
    if page is None or (part_text and not part_text.isdigit()):
        return None
    parts = ctx.content.render(page, ctx.t)
    part = int(part_text or 0)
    if part >= len(parts):
        return None
    buttons = []
    if part + 1 < len(parts):
        buttons.append(Button(f"kyr:topic:{slug}:{part + 1}", ctx.t("More")))
    if slug not in SPECIAL_SLUGS:
        topics = [p.slug for p in ctx.content.topics(ctx.locale)]
        index = topics.index(slug) if slug in topics else 0
        buttons.append(Button(f"kyr:list:{index // TOPICS_PER_PAGE}", ctx.t("Back to topics")))
    buttons.append(Button("menu:main", ctx.t("Menu")))
    return [Reply(parts[part], Menu(tuple(buttons)))]


def _looks_like_question(ctx: Context, msg: Incoming) -> bool:
    return msg.button_id is None and len(msg.text.strip()) >= 3 and ctx.user.locale is not None


@router.text(_looks_like_question)
async def search_topics(ctx: Context, msg: Incoming) -> list[Reply]:
    """A typed question: the best matching topics as buttons, else the topic list."""
    hits = ctx.app.search.search(msg.text[:500])
    pages = [p for p in (ctx.content.page(ctx.locale, h.slug) for h in hits) if p is not None]
    if not pages:
        _, menu = topics_menu(ctx)
        return [Reply(ctx.t("I did not find a topic for that. These are all the topics:"),
                      menu)]
    buttons = [Button(f"kyr:topic:{p.slug}", p.label, p.summary or None) for p in pages]
    buttons += [Button("kyr:list", ctx.t("All topics")), Button("menu:main", ctx.t("Menu"))]
    return [Reply(ctx.t("These topics may help:"), Menu(tuple(buttons)))]
