"""The attack by time (issue 11): one reporter among quiet people, on a quiet day.

An examiner with the database ranks every person by how well their stored times fit a
report's time: the closer, the likelier the sender. The reporter must not stand out: many
people must fit the report at least as well as the reporter does. Times stored next to a
report (its alert, the moderators' decisions, the audit log) must be no finer than the
report's own, or they would date it more finely.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.app import DB_FILE
from compa_testkit.harness import Harness
from tests.report_helpers import file_report

QUIET = 40
DAY = datetime(2026, 11, 24, tzinfo=UTC).timestamp()
REPORTER_AT = DAY + 14 * 3600 + 10 * 60    # 14:10 UTC


def _granularity(values: list[int]) -> int:
    return next(s for s in (86400, 6 * 3600, 3600, 60, 1) if all(v % s == 0 for v in values))


def _crowd(db: Path, received: int, reporter: str) -> tuple[int, int]:
    """(people fitting the report at least as well as the reporter, people in all)."""
    # `created` is never later than `last_inbound`: the last activity is the sharper evidence.
    with sqlite3.connect(db) as conn:
        columns = {
            "last_inbound": conn.execute(
                "SELECT pid, last_inbound FROM users WHERE role = 'person'").fetchall(),
            "session": conn.execute("SELECT pid, updated FROM sessions").fetchall(),
        }
    distance: dict[str, float] = {}
    for rows in columns.values():
        step = _granularity([int(t) for _, t in rows]) if rows else 1
        for pid, t in rows:
            # 0 when the report's hour falls in the block the stored time stands for.
            d = 0.0 if t <= received < t + max(step, 3600) else float(abs(received - t))
            distance[pid] = min(distance.get(pid, float("inf")), d)
    mine = distance[reporter]
    return sum(1 for d in distance.values() if d <= mine), len(distance)


async def test_the_reporter_does_not_stand_out_by_time(tmp_path: Path) -> None:
    rng = random.Random(11)
    quiet = sorted((DAY + rng.uniform(0, 24 * 3600), f"q{n}") for n in range(QUIET))
    async with Harness.open(tmp_path / "data") as harness:
        clock = harness.clock
        reported = False
        for when, name in [*quiet, (REPORTER_AT, "reporter")]:
            if not reported and when > REPORTER_AT:
                reported = True
            clock.set(datetime.fromtimestamp(when, UTC))
            person = harness.person(name)
            await person.start_in("es")
            if name == "reporter":
                clock.advance(120)
                report_id = await file_report(person)
        # Later that day the moderators decide and publish: their times sit next to the report.
        clock.set(datetime.fromtimestamp(DAY + 15 * 3600 + 7 * 60 + 13, UTC))
        mod1, mod2 = harness.person("mod1"), harness.person("mod2")
        await mod1.say("/pendientes")
        await mod1.press(f"mod:ok:{report_id}")
        clock.advance(97)
        await mod2.press(f"mod:ok:{report_id}")
        await mod1.press(f"pub:send:{report_id}")
        reporter_pid = harness.app.pid_for(harness.person("reporter").address)
        db = harness.app.db
        [(received,)] = await db.fetchall("SELECT received FROM reports")
        adjacent = await db.fetchall(
            "SELECT created FROM alerts WHERE report_id IS NOT NULL"
            " UNION ALL SELECT at FROM verifications UNION ALL SELECT at FROM audit")
        await db.checkpoint()
        crowd, people = _crowd(tmp_path / "data" / DB_FILE, int(received), reporter_pid)
    print(f"\ntime attack: {crowd} of {people} people fit report {report_id} at least as well"
          " as its sender")
    # The reporter ties with everyone who wrote in the same six-hour block (about a quarter
    # of a day's people); nobody is ranked strictly closer, and neither is the reporter.
    assert crowd >= people // 8, (crowd, people)
    assert len(adjacent) >= 3
    assert all(int(t) % 3600 == 0 for (t,) in adjacent), adjacent
