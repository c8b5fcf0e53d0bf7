"""Architecture rules that code review alone would not keep (CONTRIBUTING, "Architecture").

Every module of `bot`, `handlers` and `alerts` is parsed with `ast` and every import is read:
top-level, inside functions, under `if TYPE_CHECKING:`, relative or absolute. The directions:

- platform and transport libraries are imported only in `bot/channels/`;
- handlers never see a channel (no `handlers` → `bot.channels`);
- the store is the bottom layer: no `bot.store` → the domain (`alerts`, `handlers`) or the
  composition root;
- the domain does not reach back into the composition root (no `alerts` → `bot.app`,
  `bot.runner`);
- handler modules do not import each other in a circle.

A violation is reported as one line: "<rule>: <importer> -> <imported>".
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "alerts")

# The platforms' client libraries and the HTTP/web stack they ride on (CONTRIBUTING: "Only
# bot/channels/ may import platform libraries"; the web server is channels/web.py).
PLATFORM_LIBS = frozenset({"telegram", "pywa", "pywa_async", "httpx", "httpcore", "aiohttp",
                           "starlette", "uvicorn"})
COMPOSITION_ROOT = ("bot.app", "bot.runner")
DOMAIN = ("alerts", "handlers")


@dataclass(frozen=True)
class Import:
    importer: str       # dotted module name, e.g. "alerts.dispatcher"
    imported: str       # dotted name as written, resolved if relative, e.g. "bot.app.App"
    line: int


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path = ROOT) -> Iterator[Import]:
    """Every import in the file, wherever it stands (function bodies, TYPE_CHECKING blocks)."""
    name = module_name(path, root)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            # `from bot import app` imports the module bot.app: keep the names, so a rule
            # about bot.app sees it; a name that is not a module only adds a harmless suffix.
            for alias in node.names:
                yield Import(name, f"{module}.{alias.name}", node.lineno)


def our_files(root: Path = ROOT) -> list[Path]:
    return [path for package in PACKAGES for path in sorted((root / package).rglob("*.py"))]


def all_imports(root: Path = ROOT) -> list[Import]:
    return [imp for path in our_files(root) for imp in imports_of(path, root)]


def within(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def imported_module(imp: Import, modules: set[str]) -> str | None:
    """The module of ours that an import loads (longest known prefix), if any."""
    parts = imp.imported.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def direction_violations(imports: list[Import], modules: set[str]) -> set[str]:
    found = set()
    for imp in imports:
        top = imp.imported.split(".")[0]
        target = imported_module(imp, modules) or imp.imported
        if top in PLATFORM_LIBS and not within(imp.importer, "bot.channels"):
            found.add(f"platform library outside bot/channels: {imp.importer} -> {top}")
        if within(imp.importer, "handlers") and within(target, "bot.channels"):
            found.add(f"handler -> channel: {imp.importer} -> {target}")
        if within(imp.importer, "bot.store") and within(target, *DOMAIN, *COMPOSITION_ROOT):
            found.add(f"store -> domain or composition root: {imp.importer} -> {target}")
        if within(imp.importer, "alerts") and within(target, *COMPOSITION_ROOT):
            found.add(f"alerts -> composition root: {imp.importer} -> {target}")
    return found


def cycle_violations(imports: list[Import], ours: set[str], package: str = "handlers"
                     ) -> set[str]:
    """Every import edge that lies on a circle among the modules of `package`."""
    modules = {name for name in ours if within(name, package)}
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for imp in imports:
        if imp.importer not in modules or imp.importer == package:
            continue   # the package's __init__ lists its modules; that is not a circle
        target = imported_module(imp, modules)
        if target is not None and target != imp.importer and target != package:
            edges[imp.importer].add(target)

    def reaches(start: str, goal: str) -> bool:
        seen, stack = set(), [start]
        while stack:
            node = stack.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                stack.extend(edges[node])
        return False

    return {f"handler import cycle: {a} -> {b}"
            for a, targets in edges.items() for b in targets if reaches(b, a)}


def violations(root: Path = ROOT) -> set[str]:
    imports = all_imports(root)
    modules = {module_name(path, root) for path in our_files(root)}
    return direction_violations(imports, modules) | cycle_violations(imports, modules)


def test_imports_follow_the_architecture() -> None:
    new = sorted(violations())
    assert not new, "imports against CONTRIBUTING's directions:\n" + "\n".join(new)


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for package in PACKAGES:
        (tmp_path / package).mkdir(exist_ok=True)
    return tmp_path


def test_the_check_sees_every_kind_of_import(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "bot/__init__.py": "",
        "bot/app.py": "",
        "bot/runner.py": "",
        "bot/store/__init__.py": "",
        "bot/store/things.py": "def f():\n    from alerts import publish\n",
        "bot/clock.py": "import telegram.ext\n",
        "bot/channels/__init__.py": "",
        "bot/channels/web.py": "import starlette\nfrom pywa_async import WhatsApp\n",
        "handlers/__init__.py": "from handlers import a, b\n",
        "handlers/a.py": "from .b import x\nfrom bot.channels.telegram import TelegramChannel\n",
        "bot/channels/telegram.py": "",
        "handlers/b.py": "def g():\n    import handlers.a\n",
        "handlers/c.py": "from handlers.a import y\n",
        "alerts/__init__.py": "",
        "alerts/publish.py": "",
        "alerts/x.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                        "    from bot.app import App\n"),
        "alerts/y.py": "from bot import runner\n",
    })
    assert violations(root) == {
        "platform library outside bot/channels: bot.clock -> telegram",
        "store -> domain or composition root: bot.store.things -> alerts.publish",
        "handler -> channel: handlers.a -> bot.channels.telegram",
        "handler import cycle: handlers.a -> handlers.b",
        "handler import cycle: handlers.b -> handlers.a",
                "alerts -> composition root: alerts.x -> bot.app",
        "alerts -> composition root: alerts.y -> bot.runner",
    }


def test_a_clean_tree_has_no_violations(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "bot/channels/telegram.py": "import telegram\nfrom bot.app import App\n",
        "bot/app.py": "import alerts.publish\nimport handlers\n",
        "handlers/__init__.py": "from handlers import a, b\n",
        "handlers/a.py": "from handlers.b import x\nfrom alerts.publish import confirm\n",
        "handlers/b.py": "from bot.store import users\n",
        "alerts/publish.py": "from bot.store.db import Database\n",
    })
    assert violations(root) == set()


def test_bench_and_the_testkit_do_not_import_tests() -> None:
    """The benchmarks and the shared fakes stand on their own (`compa_testkit`), not on tests/."""
    offenders = sorted(
        f"{imp.importer} -> {imp.imported}"
        for package in ("bench", "compa_testkit")
        for path in sorted((ROOT / package).rglob("*.py"))
        for imp in imports_of(path)
        if within(imp.imported, "tests"))
    assert offenders == []
