"""The composition root's jobs really run under APScheduler: a job given as a lambda that
returns a coroutine is awaited, not handed to a thread where its coroutine is dropped (which
left the integrity, audit-head, held-report and field-dispatch timers silent in production)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from apscheduler.triggers.date import DateTrigger

from alerts.schedule import Job, Scheduler
from compa_testkit.harness import Harness
from compa_testkit.patience import PATIENCE


async def test_a_lambda_job_is_awaited_by_the_real_scheduler(harness: Harness) -> None:
    ran = asyncio.Event()

    async def probe() -> None:
        ran.set()

    job = Job("probe", DateTrigger(run_date=datetime.now(UTC)), lambda: probe())
    scheduler = Scheduler(harness.app.alerts, [job])
    await scheduler.start()
    try:
        await asyncio.wait_for(ran.wait(), PATIENCE)
    finally:
        await scheduler.stop()
    assert ran.is_set()


def test_every_job_of_the_app_is_a_coroutine_when_called(harness: Harness) -> None:
    """What App.jobs() hands over returns awaitables (so `_awaited` has something to await)."""
    for job in harness.app.jobs():
        result = job.run()
        assert asyncio.iscoroutine(result), job.id
        result.close()
