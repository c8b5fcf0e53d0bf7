"""A report is written alone in the write-ahead log (issue 11), checked at the worst moment:
a copy taken right after its commit, before the log is emptied again."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import DB_FILE
from compa_testkit.harness import Harness
from tests import forensics
from tests.report_helpers import file_report


async def test_a_copy_mid_write_holds_the_report_and_nobody_else(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    async with Harness.open(data_dir) as harness:
        db = harness.app.db
        people = [harness.person(f"p{n}") for n in range(5)]
        for person in people:
            await person.start_in("es")
        wal_copies: list[bytes] = []
        truncate = db._truncate_wal

        async def copy_then_truncate() -> None:
            wal_copies.append((data_dir / (DB_FILE + "-wal")).read_bytes())
            await truncate()

        monkeypatch.setattr(db, "_truncate_wal", copy_then_truncate)
        report_id = await file_report(people[2])
        assert len(wal_copies) == 2
        # What follows the report in the log (the moderators' cards, issue 13) is theirs.
        after = (data_dir / (DB_FILE + "-wal")).read_bytes()
        main = (data_dir / DB_FILE).read_bytes()
    pids = set(forensics.pseudonyms_in(main, wal_copies[0]))
    assert len(pids) >= 5
    before, during = wal_copies
    # Just before: the people's writes were in the log (what the emptying removes).
    assert forensics.read_wal(before, pids, main).frames > 0
    # Just after the commit: the report, and not one person's frame around it.
    reading = forensics.read_wal(during, pids, main)
    assert report_id in reading.reports
    assert reading.links == []
    _, frames = forensics.wal_frames(during)
    assert not [f for f in frames if any(p.encode() in f.data for p in pids)]
    _, later = forensics.wal_frames(after)
    assert not [f for f in later if any(p.encode() in f.data for p in pids)]


async def test_freed_pages_of_the_main_file_keep_nothing(tmp_path: Path) -> None:
    from bot.store import users as user_store

    data_dir = tmp_path / "data"
    async with Harness.open(data_dir) as harness:
        app = harness.app
        pids = [app.pid_for(harness.person(f"gone{n}").address) for n in range(400)]
        for pid in pids:
            await user_store.touch(app.db, pid, "console", b"\x01" * 40, harness.clock.now(),
                                   "person")
        assert await app.db.checkpoint()
        for pid in pids:
            await user_store.delete(app.db, pid)     # what /olvidarme does
        assert await app.db.checkpoint()
        main = (data_dir / DB_FILE).read_bytes()
    free = forensics.free_pages(main)
    assert free, "the deletions freed no page: nothing was tested"
    assert all(forensics.leftovers(page, trunk).strip(b"\0") == b"" for _, page, trunk in free)
    assert not [pid for pid in pids if pid.encode() in main]
