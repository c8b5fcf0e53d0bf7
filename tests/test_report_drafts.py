"""Report drafts live in memory only (issue 11): nothing keyed to the reporter is written
while a report is being made; a restart loses the draft and the person is told kindly."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.store.sessions import Ephemeral
from compa_testkit.harness import Harness

FLOW = ("report:start", "report:kind:raid", "report:region:buncombe", "report:seen:now",
        "report:agents:3-5", "report:vehicles:1-2")


async def _changes(harness: Harness) -> int:
    """Rows changed so far by the only connection that writes."""
    async with harness.app.db.writer.execute("SELECT total_changes()") as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def test_a_report_in_progress_writes_nothing(tmp_path: Path) -> None:
    async with Harness.open(tmp_path / "data") as harness:
        ana = harness.person("ana")
        harness.clock.set(datetime(2026, 11, 24, 17, 50, tzinfo=UTC))
        await ana.start_in("es")
        await ana.say("/alertas")
        await ana.press("alerts:regions:0")   # a step kept in the sessions table
        assert await harness.app.db.fetchall("SELECT state FROM sessions") != []
        before = await _changes(harness)
        for button in FLOW:
            await ana.press(button)
            # Past 18:00, a new block: outside a report this would update `users`.
            harness.clock.advance(150)
        await ana.say("Cerca de la escuela, llame al 828-555-0142")
        changed = await _changes(harness)
        assert changed == before + 1, "only the old step's row went, before the report"
        assert await harness.app.db.fetchall("SELECT pid FROM sessions") == []
        assert "report:send" in ana.button_ids()
        await ana.press("report:send")
        assert "Gracias" in ana.text
        assert await _changes(harness) > changed
        [(received,)] = await harness.app.db.fetchall("SELECT received FROM reports")
        [(last,)] = await harness.app.db.fetchall("SELECT last_inbound FROM users")
        assert received == datetime(2026, 11, 24, 18, tzinfo=UTC).timestamp()
        assert last == datetime(2026, 11, 24, 12, tzinfo=UTC).timestamp(), \
            "the flow's messages did not move last_inbound"
        assert len(harness.app.drafts) == 0


async def test_a_restart_loses_the_draft_and_says_so_kindly(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    async with Harness.open(data_dir) as harness:
        ana = harness.person("ana")
        await ana.start_in("es")
        for button in FLOW[:-1]:
            await ana.press(button)
        assert len(harness.app.drafts) == 1
    async with Harness.open(data_dir) as restarted:
        ana = restarted.person("ana")
        await ana.press("report:vehicles:1-2")
        assert "ya no está abierto" in ana.text
        assert "se pierde si el servicio se reinicia" in ana.text
        assert ana.button_ids() == ["report:start", "menu:main"]
        await ana.press("report:cancel")
        assert "No se envió ni se guardó nada" in ana.text
        await ana.press("report:start")
        assert "report:kind:raid" in ana.button_ids()


async def test_an_expired_draft_is_gone_and_explained(tmp_path: Path) -> None:
    async with Harness.open(tmp_path / "data") as harness:
        ana = harness.person("ana")
        await ana.start_in("en")
        for button in FLOW[:3]:
            await ana.press(button)
        harness.clock.advance(harness.app.config.bot.session_ttl_minutes * 60 + 1)
        await ana.press("report:seen:now")
        assert "no longer open" in ana.text
        await harness.app.purge()
        assert len(harness.app.drafts) == 0


def test_the_draft_store_is_bounded_and_expires() -> None:
    drafts = Ephemeral(max_entries=3)
    for n in range(4):
        drafts.save(f"p{n}", "report:kind", {"draft": {"n": n}}, now=100.0 + n)
    assert len(drafts) == 3
    assert drafts.load("p0", 104.0, 60) is None          # the oldest made room
    assert drafts.load("p3", 104.0, 60) == ("report:kind", {"draft": {"n": 3}})
    drafts.save("p1", "report:seen", {}, now=150.0)     # used again: the newest now
    assert drafts.purge_expired(200.0, 60) == 2           # p2 and p3 were idle too long
    assert drafts.load("p1", 200.0, 60) == ("report:seen", {})
    assert drafts.load("p1", 211.0, 60) is None


def test_drafts_with_photos_are_bounded_by_size() -> None:
    drafts = Ephemeral(max_entries=100, max_bytes=10_000)
    for n in range(5):
        drafts.save(f"p{n}", "report:photo", {"draft": {"photo": "x" * 4_000}}, now=float(n))
    assert len(drafts) == 2                               # 2 × ~4 kB fit in 10 kB
    assert drafts.load("p4", 5.0, 60) is not None and drafts.load("p0", 5.0, 60) is None
    drafts.clear("p4")
    drafts.clear("p3")
    drafts.save("big", "report:photo", {"draft": {"photo": "x" * 20_000}}, now=6.0)
    assert drafts.load("big", 6.0, 60) is not None        # the newest is always kept
