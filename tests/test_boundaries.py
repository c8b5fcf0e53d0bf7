"""Only bot/channels may import platform libraries: handlers and the core stay channel-neutral."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLATFORM = {"telegram", "pywa", "pywa_async"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_platform_libraries_are_imported_only_by_channels() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("bot", "handlers", "alerts")
        for path in (ROOT / package).rglob("*.py")
        if "channels" not in path.relative_to(ROOT).parts and _imports(path) & PLATFORM
    ]
    assert offenders == []
    assert "telegram" in _imports(ROOT / "bot" / "channels" / "telegram.py")
