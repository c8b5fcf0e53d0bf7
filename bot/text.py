"""Text helpers shared by the channels and the content: splitting long text to fit."""

from __future__ import annotations

from bot.content import paginate


def split_text(text: str, limit: int) -> list[str]:
    """Splits on paragraph boundaries, then lines, then words; each part ≤ limit."""
    return [text] if len(text) <= limit else paginate(text, limit)
