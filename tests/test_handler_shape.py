"""The shape handlers keep: services through Context, no import cycles, one paged menu."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.messages import Button
from handlers.paging import Page, paged_menu

ROOT = Path(__file__).resolve().parent.parent


def _handler_imports() -> dict[str, set[str]]:
    """handlers.x → the handlers modules it imports (anywhere: top level, in functions)."""
    graph: dict[str, set[str]] = {}
    for path in (ROOT / "handlers").glob("*.py"):
        name = "handlers" if path.stem == "__init__" else f"handlers.{path.stem}"
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "handlers":
                    deps |= {f"handlers.{a.name}" for a in node.names}
                elif node.module.startswith("handlers."):
                    deps.add(node.module)
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("handlers.")}
        graph[name] = deps - {name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    for start in graph:
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for dep in graph.get(node, set()):
                if dep == start:
                    return path
                if dep not in path and dep != "handlers":
                    stack.append((dep, [*path, dep]))
    return None


def test_no_import_cycles_between_handler_modules() -> None:
    graph = _handler_imports()
    assert len(graph) >= 10
    assert _cycle(graph) is None


def test_the_cycle_check_would_see_one() -> None:
    assert _cycle({"handlers.a": {"handlers.b"}, "handlers.b": {"handlers.a"}}) is not None


def test_handlers_reach_services_through_context_only() -> None:
    for path in (ROOT / "handlers").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                # `ctx.config.channels` is configuration; any other `.channels` is not.
                config = isinstance(node.value, ast.Attribute) and node.value.attr == "config"
                assert node.attr not in ("app", "db") and (node.attr != "channels" or config), \
                    f"{path.name}:{node.lineno} reaches .{node.attr}"
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("bot.app", "bot.store", "bot.channels")), \
                    f"{path.name} imports {node.module}"


def _menu(count: int, page: int, **kwargs: str) -> list[str]:
    items = Page.of([f"i{n}" for n in range(count)], page, 3)
    menu = paged_menu(items, lambda item: Button(f"x:pick:{item}", item), nav="x:list",
                      more="More", tail=(Button("menu:main", "Menu"),), **kwargs)
    return [b.id for b in menu.buttons]


def test_paged_menu_pages_and_navigation() -> None:
    assert _menu(7, 0, back="Back") == ["x:pick:i0", "x:pick:i1", "x:pick:i2", "x:list:1",
                                        "menu:main"]
    assert _menu(7, 1, back="Back") == ["x:pick:i3", "x:pick:i4", "x:pick:i5", "x:list:2",
                                        "x:list:0", "menu:main"]
    assert _menu(7, 2, back="Back") == ["x:pick:i6", "x:list:1", "menu:main"]
    # "first" instead of "back": only on the last page, and back to page one.
    assert _menu(7, 1, first="First")[-2:] == ["x:list:2", "menu:main"]
    assert _menu(7, 2, first="First") == ["x:pick:i6", "x:list:0", "menu:main"]
    # Out of range pages show the nearest one; one page has no navigation.
    assert _menu(7, 99, back="Back") == _menu(7, 2, back="Back")
    assert _menu(7, -5, back="Back") == _menu(7, 0, back="Back")
    assert _menu(2, 0, back="Back") == ["x:pick:i0", "x:pick:i1", "menu:main"]
    assert Page.of([], 0, 3).count == 1 and Page.of(list(range(7)), 1, 3).title == "(2/3)"
