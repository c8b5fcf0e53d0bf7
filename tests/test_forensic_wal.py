"""The seized live server: copies of the data folder of a running `compa run` (and of one
killed with SIGKILL), read frame by frame like a forensic examiner (tests/forensics.py).

Many people use the bot at once through the fake Bot API: some write reports, others only
read. While they do, the data folder is copied file by file several times, as `cp` would do
it; at the end the process is killed mid-traffic and the folder copied again. Every copy is
read without SQLite: every frame of the write-ahead log (all salt generations, stale frames
too), the -shm file, and the free pages of the main file. The test fails if any report can be
paired with any pseudonym by frame adjacency, by its commit, by the commits around it, or by
time; and with the keys, if a paired pseudonym would have named its sender.

Set FORENSIC_CODE_ROOT to another checkout to attack that code instead (the "before" figures
in PRIVACY.md were measured that way); FORENSIC_REPORTERS sets the crowd size.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.app import DB_FILE
from bot.channels.identity import person_key
from bot.messages import Address
from bot.privacy import Privacy, load_keys
from compa_testkit.fakes.telegram_api import TOKEN, FakeTelegram, Sent
from compa_testkit.harness import REAL_RESOURCES_TOML
from compa_testkit.patience import PATIENCE
from compa_testkit.telegram_kit import TgPerson
from tests import forensics

REPORTERS = int(os.environ.get("FORENSIC_REPORTERS", "36"))
QUIET = REPORTERS
WITHIN = PATIENCE   # only a hang reaches it (compa_testkit.patience)
FILES = (DB_FILE, DB_FILE + "-wal", DB_FILE + "-shm")


@dataclass
class Copy:
    when: str
    files: dict[str, bytes]


@dataclass
class Crowd:
    fake: FakeTelegram
    data_dir: Path
    proc: asyncio.subprocess.Process
    log: Path
    copies: list[Copy] = field(default_factory=list)
    reports: dict[int, int] = field(default_factory=dict)   # report id → reporter's chat id
    turns: int = 0

    def copy(self, when: str) -> None:
        """The data folder as `cp` would take it: one file after the other, no lock."""
        files = {}
        for name in FILES:
            with contextlib.suppress(FileNotFoundError):
                files[name] = (self.data_dir / name).read_bytes()
        self.copies.append(Copy(when, files))

    async def turn(self, person: TgPerson, update: dict[str, object]) -> list[Sent]:
        before = len(person.sent)
        await self.fake.push(self.fake.update(**update))
        await self.fake.wait_sent(person.chat_id, before + 1, within=WITHIN)
        self.turns += 1
        if self.turns % 25 == 0:
            await asyncio.to_thread(self.copy, f"live, after {self.turns} turns")
        return person.sent[before:]

    async def say(self, person: TgPerson, text: str) -> list[Sent]:
        return await self.turn(person, {"message": person.message(text)})

    async def press(self, person: TgPerson, data: str) -> list[Sent]:
        query = self.fake.callback(person.chat_id, person._showing(data), data,
                                   sender=person.user)
        return await self.turn(person, {"callback_query": query})

    async def greet(self, person: TgPerson) -> None:
        await self.say(person, "/start")
        await self.press(person, "lang:set:es")

    async def reporter(self, person: TgPerson) -> None:
        await self.greet(person)
        await self.say(person, "/reportar")
        for data in ("report:kind:checkpoint", "report:region:buncombe", "report:seen:now",
                     "report:agents:3-5", "report:vehicles:1-2", "report:details:skip"):
            await self.press(person, data)
        [thanks] = await self.press(person, "report:send")
        followup = next(d for d in thanks.data if d.startswith("report:followup:"))
        self.reports[int(followup.split(":")[2])] = person.chat_id

    async def quiet(self, person: TgPerson) -> None:
        await self.greet(person)
        await self.say(person, "derechos")
        await self.say(person, "/alertas")


async def _start(tmp_path: Path, fake: FakeTelegram) -> tuple[Path, asyncio.subprocess.Process]:
    data_dir = tmp_path / "data"
    config = tmp_path / "config.toml"
    config.write_text(f"""
[bot]
data_dir = "{data_dir}"
log_level = "WARNING"

[channels.console]
enabled = false

[channels.telegram]
enabled = true
api_base_url = "{fake.url}"

[reports]
max_per_person_per_hour = 100
flood_reports_per_hour = 100000

# Public channels refuse example resources (bot/placeholders.py); 012 is no NANP exchange.
{REAL_RESOURCES_TOML}
""")
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "PTB_TIMEDELTA": "1", "PYTHONUTF8": "1"}
    for name in ("COMPA_CONFIG", "COMPA_DATA_DIR", "COMPA_PEPPER", "COMPA_SEAL_KEY"):
        env.pop(name, None)
    cwd = None
    root = os.environ.get("FORENSIC_CODE_ROOT")
    if root:
        env["PYTHONPATH"] = root
        cwd = root
    log = (tmp_path / "compa.log").open("ab")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), "run", "--polling",
        stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=cwd)
    log.close()
    return data_dir, proc


@pytest.fixture
async def crowd(tmp_path: Path) -> AsyncIterator[Crowd]:
    async with FakeTelegram() as fake:
        data_dir, proc = await _start(tmp_path, fake)
        try:
            yield Crowd(fake, data_dir, proc, tmp_path / "compa.log")
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


async def test_a_live_copy_pairs_no_report_with_anyone(crowd: Crowd) -> None:
    fake = crowd.fake
    people = [TgPerson(fake, 700_000 + n, "es", name=f"P{n}") for n in range(REPORTERS + QUIET)]
    reporters, quiet = people[:REPORTERS], people[REPORTERS:]
    first, second = reporters[:REPORTERS // 2], reporters[REPORTERS // 2:]
    # Wave one: half the reporters and half the quiet people at once, copies as it goes.
    await asyncio.gather(*(crowd.reporter(p) for p in first),
                         *(crowd.quiet(p) for p in quiet[:QUIET // 2]))
    crowd.copy("live, after wave one")
    # Wave two, killed mid-traffic once a third of its reports are in.
    target = len(crowd.reports) + len(second) // 3

    async def kill_when_due() -> None:
        await fake.wait_until(lambda: len(crowd.reports) >= target, within=WITHIN)
        crowd.proc.send_signal(signal.SIGKILL)
        await crowd.proc.wait()
        crowd.copy("after SIGKILL")

    wave = asyncio.gather(*(crowd.reporter(p) for p in second),
                          *(crowd.quiet(p) for p in quiet[QUIET // 2:]),
                          return_exceptions=True)
    await kill_when_due()
    wave.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await wave
    assert crowd.proc.returncode == -signal.SIGKILL
    assert len(crowd.reports) >= target

    keys = load_keys(crowd.data_dir / "keys.toml", "NO_PEPPER_ENV", "NO_SEAL_ENV", create=False)
    privacy = Privacy(keys)
    truth = {report_id: privacy.pseudonym("telegram", person_key(Address("telegram", str(c))))
             for report_id, c in crowd.reports.items()}
    figures = attack(crowd.copies, truth, privacy)
    print(f"\nforensic WAL replay over {len(crowd.copies)} copies: {figures}")
    assert figures["reports_in_copies"] > 0 and figures["wal_frames"] > 0, figures
    # Never on a fallback path: every report was alone in the log (Database.isolated_write).
    assert "could not be emptied" not in crowd.log.read_text()
    assert figures["links"] == 0, figures
    assert figures["named_with_keys"] == 0, figures
    assert figures["shm_hits"] == 0 and figures["free_page_bytes"] == 0, figures
    assert figures["smallest_time_crowd"] >= 10, figures


def attack(copies: list[Copy], truth: dict[int, str], privacy: Privacy) -> dict[str, int]:
    """What every copy gives away; `truth` (report id → sender's pseudonym) only scores it."""
    linked: set[int] = set()
    right: set[int] = set()
    exact: set[int] = set()
    named: set[int] = set()
    seen: set[int] = set()
    stored: set[int] = set()
    frames = 0
    figures = {"copies": len(copies), "reports": len(truth), "links": 0, "shm_hits": 0,
               "free_pages": 0, "free_page_bytes": 0}
    for copy in copies:
        db, wal = copy.files.get(DB_FILE, b""), copy.files.get(DB_FILE + "-wal", b"")
        users = forensics.pseudonyms_in(db, wal)
        reading = forensics.read_wal(wal, set(users), db)
        seen |= reading.reports
        frames += reading.frames
        stored |= set(_reports(db)) | set(_reports(wal))
        for link in reading.links:
            figures["links"] += 1
            linked.add(link.report_id)
            if truth.get(link.report_id) in link.pids:
                right.add(link.report_id)
                if len(link.pids) == 1 and link.by.endswith("its commit"):
                    exact.add(link.report_id)
            # With the keys, a paired pseudonym's row opens to its chat id.
            for pid in link.pids:
                sealed = users[pid][2]
                chat = privacy.unseal_text(bytes(sealed), f"address:{users[pid][1]}")
                if truth.get(link.report_id) == pid and chat:
                    named.add(link.report_id)
        shm = copy.files.get(DB_FILE + "-shm", b"")
        figures["shm_hits"] += sum(1 for pid in users if pid.encode() in shm)
        if db:
            figures["free_pages"] += len(forensics.free_pages(db))
            figures["free_page_bytes"] += sum(
                len(forensics.leftovers(page, trunk).strip(b"\0"))
                for _, page, trunk in forensics.free_pages(db))
    figures.update(wal_frames=frames, reports_in_copies=len(stored), reports_in_wal=len(seen),
                   reports_linked=len(linked), linked_right=len(right),
                   linked_exactly=len(exact), named_with_keys=len(named),
                   smallest_time_crowd=_time_crowd(copies[-1]))
    return figures


def _time_crowd(copy: Copy) -> int:
    """The fewest people whose stored times fit any one report's time (the attack by time)."""
    db, wal = copy.files.get(DB_FILE, b""), copy.files.get(DB_FILE + "-wal", b"")
    users = forensics.pseudonyms_in(db, wal)
    received = {r[9] for blob in (db, wal) for r in _reports(blob).values()}
    lasts = [int(u[6]) for u in users.values() if u[4] == "person"]
    if not received or not lasts:
        return 0
    step = next(s for s in (86400, 6 * 3600, 3600, 60, 1) if all(t % s == 0 for t in lasts))
    return min(sum(1 for t in lasts if t <= r < t + step) for r in received)


def _reports(blob: bytes) -> dict[int, list[object]]:
    found: dict[int, list[object]] = {}
    if blob[:16] == b"SQLite format 3\x00":
        size = int.from_bytes(blob[16:18], "big")
        for n in range(len(blob) // size):
            found.update(forensics.report_rows(blob[n * size:(n + 1) * size], n == 0))
    else:
        for f in forensics.wal_frames(blob)[1]:
            found.update(forensics.report_rows(f.data, f.page_no == 1))
    return found
