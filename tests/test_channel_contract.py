"""The channel contract in types (issue 14): the outcome a channel sets decides what the
dispatcher does, never the words of an error; optional abilities are declared protocols; the
alerts code never reaches the composition root; the channel base depends on value types only."""

from __future__ import annotations

import ast
from pathlib import Path

from alerts import subscriptions as subs
from bot.channels.base import CanEdit, FetchesMedia, ServesWeb
from bot.channels.console import ConsoleChannel
from bot.messages import Address, Reply, SendResult
from compa_testkit.harness import Harness

ROOT = Path(__file__).resolve().parent.parent


def _modules_imported(path: Path) -> set[str]:
    """Every module a file imports, at any level (function bodies, TYPE_CHECKING blocks)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_alerts_module_imports_the_composition_root() -> None:
    offenders = [p.name for p in (ROOT / "alerts").rglob("*.py")
                 if any(m == "bot.app" or m.startswith("bot.app.")
                        for m in _modules_imported(p))]
    assert offenders == []


def test_the_store_does_not_import_the_domain() -> None:
    offenders = [p.name for p in (ROOT / "bot" / "store").rglob("*.py")
                 if any(m.split(".")[0] in ("alerts", "handlers") for m in _modules_imported(p))]
    assert offenders == []


def test_channel_base_depends_on_the_value_types_only() -> None:
    ours = {m for m in _modules_imported(ROOT / "bot" / "channels" / "base.py")
            if m.split(".")[0] in ("bot", "alerts", "handlers")}
    assert {m.rsplit(".", 1)[0] if m.count(".") > 1 else m for m in ours} == {"bot.messages"}


def test_the_import_walk_sees_hidden_imports(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                     "    from bot.app import App\ndef f():\n    import bot.app\n")
    assert "bot.app" in _modules_imported(probe)


def test_abilities_are_declared_not_probed() -> None:
    assert not issubclass(ConsoleChannel, CanEdit)
    assert not issubclass(ConsoleChannel, FetchesMedia)
    assert not issubclass(ConsoleChannel, ServesWeb)
    from bot.channels.telegram import TelegramChannel

    assert issubclass(TelegramChannel, CanEdit) and issubclass(TelegramChannel, FetchesMedia)
    assert issubclass(TelegramChannel, ServesWeb)


async def test_the_outcome_decides_not_the_words(harness: Harness) -> None:
    """A failure whose text says "blocked" is a failure; a BLOCKED outcome with any text
    unsubscribes the person."""
    channel = harness.channels["console"]
    pids = {}
    for name in ("says-blocked", "is-blocked"):
        person = harness.person(name)
        await person.start_in("es")
        pids[name] = harness.app.pid_for(person.address)
        await subs.save(harness.app.db, pids[name], subs.Subscription(["buncombe"]))
    channel.fail["says-blocked"] = SendResult.failed("Forbidden: bot was blocked by the user",
                                                     permanent=True)
    channel.fail["is-blocked"] = SendResult.blocked("code 42")
    await harness.app.alerts.create(region="buncombe", kind="raid", note="", actor="mod",
                                    preverified=True)
    await harness.deliver()
    rows = dict(await harness.app.db.fetchall("SELECT pid, status FROM deliveries"))
    assert rows == {pids["says-blocked"]: "failed", pids["is-blocked"]: "unsubscribed"}
    assert (await subs.get(harness.app.db, pids["says-blocked"])).active
    assert not (await subs.get(harness.app.db, pids["is-blocked"])).active


async def test_the_core_edits_only_where_a_channel_can(harness: Harness) -> None:
    assert await harness.app.edit(Address("console", "ana"), "1", Reply("x")) is None
