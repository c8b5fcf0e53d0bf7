"""One delivery that cannot be prepared (a sealed address that does not open) is failed with its
reason and never holds back the others (issue 12, finding 6); `max_attempts` holds in claim()."""

from __future__ import annotations

import io
from pathlib import Path

from alerts import subscriptions as subs
from bot.app import App
from bot.messages import Address
from bot.runner import RunOptions, run
from bot.store import deliveries
from bot.store import users as user_store
from compa_testkit.harness import Harness, make_config

PEOPLE = ("ana", "bea", "poisoned", "dan", "eva")


async def seed(app: App, names: tuple[str, ...] = PEOPLE) -> dict[str, str]:
    """Console subscribers of Buncombe; the one called "poisoned" has an address sealed with
    another context, so it cannot be opened for delivery."""
    pids = {}
    for name in names:
        pid = app.pid_for(Address("console", name))
        context = "address:elsewhere" if name == "poisoned" else "address:console"
        await user_store.touch(app.db, pid, "console", app.privacy.seal_text(name, context),
                               app.clock.now(), "person")
        await subs.save(app.db, pid, subs.Subscription(["buncombe"]))
        pids[name] = pid
    return pids


async def statuses(app: App) -> dict[str, tuple[str, str | None]]:
    rows = await app.db.fetchall("SELECT pid, status, error FROM deliveries")
    return {str(r[0]): (str(r[1]), r[2]) for r in rows}


async def test_a_poisoned_delivery_does_not_delay_the_others(harness: Harness) -> None:
    pids = await seed(harness.app)
    await harness.app.alerts.create(region="buncombe", kind="raid", note="", actor="mod",
                                    preverified=True)
    handled = await harness.app.delivery_dispatcher().drain_once()  # one round, no raise
    assert handled == len(PEOPLE)
    got = await statuses(harness.app)
    assert got.pop(pids["poisoned"]) == ("failed", "error: InvalidTag")
    assert set(got.values()) == {("sent", None)}
    received = harness.channels["console"].inbox
    assert sorted(received) == ["ana", "bea", "dan", "eva"]
    # Failed once is final: the next round claims nothing.
    assert await harness.app.delivery_dispatcher().drain_once() == 0


async def test_a_claim_that_keeps_coming_back_stops_at_max_attempts(harness: Harness) -> None:
    pids = await seed(harness.app, ("ana", "bea"))
    await harness.app.alerts.create(region="buncombe", kind="raid", note="", actor="mod",
                                    preverified=True)
    limit = harness.app.config.alerts.max_attempts
    # Ana's delivery was claimed `limit` times by processes that died before recording it.
    await harness.app.db.execute(
        "UPDATE deliveries SET status = 'claimed', attempts = ?, lease_until = ? WHERE pid = ?",
        (limit, harness.clock.now() - 1, pids["ana"]))
    claimed = await deliveries.claim(harness.app.db, harness.clock.now(), 30, 10,
                                     ("console",), limit)
    assert [c.pid for c in claimed] == [pids["bea"]]
    got = await statuses(harness.app)
    assert got[pids["ana"]] == ("failed", "out of attempts")


async def test_the_console_run_delivers_around_a_poisoned_row_and_exits_cleanly(
        tmp_path: Path) -> None:
    config = make_config(tmp_path / "data")
    app = await App.create(config)
    try:
        await seed(app)
        await app.alerts.create(region="buncombe", kind="raid", note="", actor="mod",
                                preverified=True)
    finally:
        await app.close()
    stdout = io.StringIO()
    assert await run(config, RunOptions(stdin=io.StringIO(""), stdout=stdout)) == 0
    for name in ("ana", "bea", "dan", "eva"):
        assert f"[→ {name}] 🚨" in stdout.getvalue()
    assert "poisoned" not in stdout.getvalue()
    app = await App.create(config)
    try:
        got = await statuses(app)
        assert sorted(s for s, _ in got.values()) == ["failed", "sent", "sent", "sent", "sent"]
    finally:
        await app.close()


async def test_a_progress_destination_that_does_not_open_is_given_up(harness: Harness) -> None:
    await seed(harness.app, ("ana",))
    out = await harness.app.alerts.create(region="buncombe", kind="raid", note="",
                                          actor="mod", preverified=True,
                                          progress_to=Address("console", "mod1"))
    await harness.app.db.execute("UPDATE alerts SET progress_to_sealed = x'00112233'")
    assert await harness.app.delivery_dispatcher().drain() == 1   # no raise
    assert sorted(harness.channels["console"].inbox) == ["ana"]
    alert = await harness.app.alerts.get(out.alert_id)
    assert alert is not None and alert.progress_to_sealed is None
