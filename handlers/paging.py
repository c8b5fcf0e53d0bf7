"""The one paged menu: topics, counties in a report, regions to subscribe to.

A menu shows at most ten buttons, so long lists come in pages: the page's items, then a
"more" button to the next page and a "back" (or "first") button, then the fixed ones (Menu,
Cancel, Done). Page buttons are `<nav>:<page>`; a page number out of range shows the nearest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.messages import Button, Menu

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]      # the ones on this page
    number: int             # 0-based, clamped
    count: int              # how many pages (at least 1)

    @classmethod
    def of(cls, items: Sequence[T], number: int, per_page: int) -> Page[T]:
        count = max(1, -(-len(items) // per_page))
        number = min(max(number, 0), count - 1)
        return cls(items[number * per_page:(number + 1) * per_page], number, count)

    @property
    def title(self) -> str:
        """"(2/3)" for titles (the words around it are the caller's, translated)."""
        return f"({self.number + 1}/{self.count})"


def paged_menu(page: Page[T], button: Callable[[T], Button], *, nav: str, more: str,
               back: str | None = None, first: str | None = None,
               tail: Sequence[Button] = (), title: str | None = None) -> Menu:
    """The page's buttons, "more" (next page), then "back" (previous page) or, on the last
    page only, "first" (page one), then `tail`. Labels arrive translated."""
    buttons = [button(item) for item in page.items]
    if page.number + 1 < page.count:
        buttons.append(Button(f"{nav}:{page.number + 1}", more))
    if page.number > 0 and back is not None:
        buttons.append(Button(f"{nav}:{page.number - 1}", back))
    elif page.number > 0 and first is not None and page.number + 1 == page.count:
        buttons.append(Button(f"{nav}:0", first))
    return Menu((*buttons, *tail), title=title)
