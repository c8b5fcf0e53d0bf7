"""The flood breaker is per region (issue 12, finding 7): a flood in one county does not hide a
report in another; moderators hear how many are held where (never what they say) every 15
minutes; /liberar releases them."""

from __future__ import annotations

from pathlib import Path

from alerts.flood import post_held_summary
from alerts.limits import FloodBreaker
from compa_testkit.harness import Harness, make_config
from tests.report_helpers import file_report, ready

SECRET = "canary-flood-9d2e"


def test_the_breaker_counts_each_region_alone() -> None:
    breaker = FloodBreaker(per_hour=20)
    changes = [breaker.record("buncombe", 100.0 + i) for i in range(21)]
    assert changes[-1] is True and changes[:-1] == [None] * 20
    assert breaker.tripped("buncombe") and not breaker.tripped("swain")
    assert breaker.record("swain", 200.0) is None and not breaker.tripped("swain")
    assert breaker.holding == {"buncombe"}
    breaker.reset({"buncombe"})
    assert not breaker.tripped("buncombe") and breaker.record("buncombe", 300.0) is None


async def test_a_flood_in_one_county_does_not_hide_a_report_in_another(tmp_path: Path) -> None:
    """Finding 7: 7 accounts × 3 reports in one county, then a genuine report elsewhere
    30 minutes later reaches the moderators with its own card."""
    config = make_config(tmp_path)      # 20 reports per hour and region, 3 per person
    async with Harness.open(tmp_path, config) as harness:
        flooders = await ready(harness, *(f"f{i}" for i in range(7)))
        genuine, mod1 = await ready(harness, "genuine", "mod1")
        for chat in flooders:
            for _ in range(3):
                await file_report(chat, region="buncombe", details=SECRET)
        held = await harness.app.reports.held()
        assert held == [("buncombe", 1)]
        harness.clock.advance(30 * 60)
        number = await file_report(genuine, region="swain", kind="raid")
        card = mod1.inbox[-1]
        assert f"#{number}" in card.text and "Swain" in card.text
        assert card.menu is not None and card.menu.buttons[0].id == f"mod:ok:{number}"
        report = await harness.app.reports.report(number)
        assert report is not None and report.status.value == "pending"


async def test_held_reports_are_summarised_without_content_and_released(tmp_path: Path) -> None:
    config = make_config(tmp_path, reports={"flood_reports_per_hour": 1})
    async with Harness.open(tmp_path, config) as harness:
        a, b, c, mod1, mod2 = await ready(harness, "a", "b", "c", "mod1", "mod2")
        for chat, region in ((a, "buncombe"), (b, "buncombe"), (c, "buncombe")):
            await file_report(chat, region=region, details=SECRET)
        await file_report(a, region="swain", details=SECRET)
        await file_report(b, region="swain", details=SECRET)
        assert await harness.app.reports.held() == [("buncombe", 2), ("swain", 1)]
        assert await post_held_summary(harness.app)
        summary = mod2.inbox[-1].text
        assert ": 3 (" in summary and "Buncombe 2, " in summary and "Swain 1)" in summary
        assert SECRET not in summary
        # Someone who is not a moderator cannot release them.
        await a.say("/release all")
        assert "only for the volunteers" in a.last.text
        assert len(await harness.app.reports.held()) == 2
        # Without a region, the command says what is held.
        await mod1.say("/release")
        assert "Held now: Buncombe County 2, Swain County 1." in mod1.last.text
        await mod1.say("/liberar buncombe")
        assert "Released held reports: 2." in mod1.replies[0].text
        assert await harness.app.reports.held() == [("swain", 1)]
        assert any("Buncombe" in r.text and r.menu is not None for r in mod2.inbox[-2:])
        # The region counts afresh: the next report there gets a card of its own.
        await file_report(c, region="buncombe")
        statuses = [r[0] for r in await harness.app.db.fetchall(
            "SELECT status FROM reports WHERE region = 'buncombe' ORDER BY id")]
        assert statuses == ["pending"] * 4
        await mod1.say("/release all")
        assert await harness.app.reports.held() == []
        assert not await post_held_summary(harness.app)     # nothing held: nothing sent
        actions = [r[0] for r in await harness.app.db.fetchall(
            "SELECT subject FROM audit WHERE action = 'release'")]
        assert actions == ["region:buncombe reports=2", "region:all reports=1"]
