"""Retention: the purge with a fake clock, at start-up and as a service function."""

from __future__ import annotations

from pathlib import Path

from alerts.retention import purge
from bot.app import App
from bot.clock import FakeClock
from compa_testkit.harness import Harness, make_config
from tests.report_helpers import file_report, followup_button, ready

HOUR, DAY = 3600, 86_400


async def _statuses(harness: Harness) -> dict[int, str]:
    rows = await harness.app.db.fetchall("SELECT id, status FROM reports")
    return {int(r[0]): str(r[1]) for r in rows}


async def _purge(harness: Harness) -> None:
    app = harness.app
    await purge(app.db, app.audit, app.config, harness.clock.now())


async def test_undecided_reports_go_after_72_hours(harness: Harness) -> None:
    ana, bob = await ready(harness, "ana", "bob")
    old = await file_report(ana, region="ashe")
    harness.clock.advance(2 * DAY)
    young = await file_report(bob, region="yancey")
    harness.clock.advance(DAY + HOUR)
    await _purge(harness)
    assert await _statuses(harness) == {young: "pending"}
    assert old not in await _statuses(harness)


async def test_an_incident_is_kept_while_its_newest_report_is_young(harness: Harness) -> None:
    ana, bob = await ready(harness, "ana", "bob")
    first = await file_report(ana, region="burke")            # received 12:00
    harness.clock.advance(70 * 60)
    second = await file_report(bob, region="burke")           # received 13:00, same incident
    harness.clock.advance(72 * HOUR - 40 * 60)                # the first alone is too old
    await _purge(harness)
    assert set(await _statuses(harness)) == {first, second}
    harness.clock.advance(HOUR)
    await _purge(harness)
    assert await _statuses(harness) == {}


async def test_decided_reports_go_after_30_days_with_their_decisions(harness: Harness) -> None:
    ana, mod1, mod2 = await ready(harness, "ana", "mod1", "mod2")
    number = await file_report(ana)
    await mod1.press(f"mod:ok:{number}")
    await mod2.press(f"mod:ok:{number}")
    harness.clock.advance(29 * DAY)
    await _purge(harness)
    assert await _statuses(harness) == {number: "verified"}
    harness.clock.advance(2 * DAY)
    await _purge(harness)
    assert await _statuses(harness) == {}
    assert await harness.app.db.fetchall("SELECT * FROM verifications") == []


async def test_followup_handles_expire_after_24_hours(harness: Harness) -> None:
    ana, mod1 = await ready(harness, "ana", "mod1")
    number = await file_report(ana)
    await ana.press(followup_button(ana))
    harness.clock.advance(23 * HOUR)
    await _purge(harness)
    assert len(await harness.app.db.fetchall("SELECT * FROM followups")) == 1
    harness.clock.advance(3 * HOUR)
    # Even before the purge runs, an expired handle is not used.
    before = len(ana.inbox)
    await mod1.press(f"mod:false:{number}")
    assert len(ana.inbox) == before
    assert await harness.app.db.fetchall("SELECT * FROM followups") == []


async def test_followups_expired_are_purged(harness: Harness) -> None:
    (ana,) = await ready(harness, "ana")
    await file_report(ana)
    await ana.press(followup_button(ana))
    harness.clock.advance(26 * HOUR)
    await _purge(harness)
    assert await harness.app.db.fetchall("SELECT * FROM followups") == []
    report = await harness.app.reports.report(1)
    assert report is not None          # the report itself stays until its own limit


async def test_audit_entries_go_after_180_days_and_the_purge_is_audited(
        harness: Harness) -> None:
    ana, mod1 = await ready(harness, "ana", "mod1")
    number = await file_report(ana)
    await mod1.press(f"mod:unver:{number}")
    harness.clock.advance(181 * DAY)
    await _purge(harness)
    rows = await harness.app.db.fetchall("SELECT actor, action FROM audit")
    assert [(r[0], r[1]) for r in rows] == [("system", "retention:purge")]
    assert (await harness.app.audit.verify()).ok


async def test_configured_limits_are_used(tmp_path: Path) -> None:
    config = make_config(tmp_path, retention={"undecided_report_hours": 2})
    async with Harness.open(tmp_path, config) as harness:
        (ana,) = await ready(harness, "ana")
        await file_report(ana)
        harness.clock.advance(3 * HOUR)
        await _purge(harness)
        assert await _statuses(harness) == {}


async def test_purge_runs_at_start_up(tmp_path: Path) -> None:
    clock = FakeClock()        # starts where the harness clock starts
    config = make_config(tmp_path)
    async with Harness.open(tmp_path, config) as harness:
        (ana,) = await ready(harness, "ana")
        await file_report(ana)
    clock.advance(4 * DAY)
    app = await App.create(config, clock=clock)
    try:
        assert await app.db.fetchall("SELECT * FROM reports") == []
        assert await app.db.fetchall("SELECT * FROM sessions") == []
    finally:
        await app.close()
