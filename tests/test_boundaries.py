"""Architecture rules that code review alone would not keep."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLATFORM_LIBS = ("telegram", "pywa", "pywa_async")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_channels_import_platform_libraries() -> None:
    offenders = []
    for package in ("bot", "handlers", "alerts"):
        for path in (ROOT / package).rglob("*.py"):
            if (ROOT / "bot" / "channels") in path.parents:
                continue
            bad = _imports(path) & set(PLATFORM_LIBS)
            if bad:
                offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


def test_the_boundary_check_would_see_an_offender(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import telegram.ext\nfrom pywa_async import WhatsApp\n")
    assert _imports(probe) >= {"telegram", "pywa_async"}


def test_handlers_do_not_touch_channels() -> None:
    for path in (ROOT / "handlers").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "bot.channels" not in text, f"{path.name} reaches into a channel"
