"""The seized database: what someone who takes the data folder (and the logs) can learn.

One Compa process serves three channels at once: Telegram and WhatsApp through their real
adapters against the local fake platforms, and the console through the chat harness. People
type their names and phone numbers, report with a shared location, details and a photo carrying
GPS EXIF, ask to be told the outcome, subscribe; one leaves a report half written; moderators
verify and publish an alert that fans out to every channel; one person asks to be forgotten.

Level 1, without the keys (they live outside the data folder): no chat id, phone number,
username, name, coordinate or typed text in the database file, its WAL, or the logs, in plain,
digits-only, hex, base64 (any alignment), UTF-16 or as binary numbers.

Level 2, with the keys: nothing joins a report to a person. No column can; every time on a
report is rounded to the hour, as are people's; the follow-up handle is gone once the outcome
is sent; the forgotten person's pseudonym is nowhere; rate-limit state is not on disk.

Live and killed: the same, on copies of the folder of a running `compa run` (one taken while a
report is half written) and of the folder a SIGKILL leaves behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import signal
import sqlite3
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.moderators import room
from bot.app import DB_FILE, App
from bot.channels.whatsapp import WhatsAppChannel
from bot.clock import FakeClock
from bot.logs import setup_logging
from bot.messages import Address
from bot.privacy import Privacy, load_keys
from bot.runner import Runner, RunOptions
from compa_testkit.fakes.graph_api import FakeGraphAPI
from compa_testkit.fakes.telegram_api import TOKEN, FakeTelegram
from compa_testkit.harness import Harness, RecordingChannel, make_config
from compa_testkit.patience import PATIENCE
from compa_testkit.telegram_kit import TgPerson
from tests import canary
from tests.publish_support import confirm_button
from tests.report_helpers import photo_with_metadata
from tests.whatsapp_support import APP_SECRET, set_secrets

pytestmark = pytest.mark.heavy  # all three channels end to end, then the files searched

# Ana writes on Telegram, Bea on WhatsApp, Carl on the console.
ANA_ID, ANA_NAME, ANA_USER = 7_412_345_678, "Juana Canaria", "juana_canaria77"
ANA_PHONE, ANA_LAT, ANA_LON = "828-555-0142", 35.61237, -82.53419
BEA_WA, BEA_NAME = "5215512349876", "Beatriz Centinela"
BEA_PHONE, BEA_LAT, BEA_LON = "+52 55 8765 4321", 35.59871, -82.55462
CARL, CARL_NAME, CARL_PHONE = "carl-7c1e", "Carlos Vigía", "(828) 555-0199"
ANA_DETAILS = "zorro morado frente a la iglesia"
BEA_DETAILS = "colibri azul en la gasolinera"
CARL_DRAFT = "tortuga verde junto al puente"
DANI, DANI_NAME, DANI_PHONE = "dani-4b2f", "Daniela Farola", "(828) 555-0177"
DANI_CASE = "mapache gris en la corte"
HELPER_ANSWER = "lechuza blanca responde"
NOTE = "cerca del mercado"
EXIF = "exif-7f3a-canary"

TEXTS = [ANA_NAME, ANA_USER, ANA_PHONE, BEA_NAME, BEA_PHONE, CARL, CARL_NAME, CARL_PHONE,
         ANA_DETAILS, BEA_DETAILS, CARL_DRAFT, DANI, DANI_NAME, DANI_PHONE,
         DANI_CASE, HELPER_ANSWER, NOTE, EXIF, str(ANA_ID), BEA_WA]
COORDINATES = [ANA_LAT, ANA_LON, BEA_LAT, BEA_LON]
NUMBERS = [ANA_ID, int(BEA_WA), int("8285550142"), int("528765 4321".replace(" ", ""))]


def markers() -> list[str]:
    coords = [f"{c}" for c in COORDINATES] + [f"{abs(c)}" for c in COORDINATES]
    return TEXTS + coords


def binary_forms() -> dict[str, bytes]:
    """Numbers as SQLite or struct would store them: big-endian 6/8-byte integers, doubles."""
    forms = {}
    for number in NUMBERS:
        forms[f"{number} as int64"] = struct.pack(">q", number)
        forms[f"{number} as int48"] = struct.pack(">q", number)[2:]
        forms[f"{number} as little-endian int64"] = struct.pack("<q", number)
    for value in COORDINATES:
        for order in "<>":
            forms[f"{value} as {order}double"] = struct.pack(f"{order}d", value)
    return forms


def leaks(blobs: dict[str, bytes]) -> list[str]:
    found = canary.find_markers(blobs, markers())
    for where, blob in blobs.items():
        found += [f"{where}: {name}" for name, form in binary_forms().items() if form in blob]
    return found


def test_the_search_finds_what_it_looks_for() -> None:
    import base64

    from compa_testkit.fakes.graph_api import wamid

    assert leaks({"x": wamid(BEA_WA, 7).encode()})               # a number inside a wamid
    assert leaks({"x": base64.b64encode(b"..." + ANA_NAME.encode())})
    assert leaks({"x": b"tel 8285550142"})
    assert leaks({"x": struct.pack(">q", ANA_ID)[2:]})
    assert leaks({"x": struct.pack("<d", BEA_LAT)})
    assert leaks({"x": CARL_DRAFT.upper().encode()})
    assert not leaks({"x": b"nothing to see here"})


@dataclass
class World:
    app: App
    runner: Runner
    clock: FakeClock
    tg: FakeTelegram
    wa: FakeGraphAPI
    harness: Harness
    data_dir: Path
    log: io.StringIO

    @property
    def whatsapp(self) -> WhatsAppChannel:
        channel = self.app.channels["whatsapp"]
        assert isinstance(channel, WhatsAppChannel)
        return channel

    async def settle(self) -> None:
        """Until neither WhatsApp side has work in flight."""
        while self.whatsapp.inbox.busy or self.wa._tasks:
            await self.wa.idle()
            await self.whatsapp.idle()

    async def outbox_empty(self) -> None:
        """Until every delivery has its outcome recorded (the dispatcher runs in the
        background: there is no event to wait on); a hang fails after PATIENCE."""
        async def poll() -> None:
            while True:
                if not await self.app.db.fetchall("SELECT id FROM deliveries WHERE status"
                                                  " IN ('pending', 'claimed', 'retry')"):
                    return
                await asyncio.sleep(0.01)

        await asyncio.wait_for(poll(), PATIENCE)

    def files(self) -> dict[str, bytes]:
        return canary.files_under(self.data_dir)


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                caplog: pytest.LogCaptureFixture) -> AsyncIterator[World]:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    set_secrets(monkeypatch)
    # Not on the hour, so that a time rounded to the minute cannot pass for one rounded to it.
    clock = FakeClock(datetime(2026, 11, 24, 12, 17, 23, tzinfo=UTC).timestamp())
    stream = io.StringIO()
    handler = setup_logging("DEBUG", stream)
    caplog.set_level(logging.DEBUG)
    data_dir = tmp_path / "data"
    async with contextlib.AsyncExitStack() as stack:
        stack.callback(logging.getLogger().removeHandler, handler)
        tg = await stack.enter_async_context(FakeTelegram())
        wa = FakeGraphAPI(clock, app_secret=APP_SECRET)
        await wa.start()
        stack.push_async_callback(wa.stop)
        config = make_config(
            data_dir,
            bot={"log_level": "DEBUG"},
            # The keys are not in the folder someone would take.
            privacy={"keys_file": str(tmp_path / "secrets" / "keys.toml")},
            # flood_reports_per_hour=1: the second report trips the flood breaker (audited).
            reports={"allow_photos": True, "flood_reports_per_hour": 1},
            channels={"console": {"enabled": False},
                      "telegram": {"enabled": True, "api_base_url": tg.url},
                      "whatsapp": {"enabled": True, "phone_number_id": wa.phone_id,
                                   "api_base_url": wa.url}},
            web={"port": 0})
        app = await App.create(config, clock=clock)
        stack.push_async_callback(app.close)
        runner = Runner(app, RunOptions(console=False, polling=True, clock=clock))
        stack.push_async_callback(runner.stop)
        await runner.start()
        assert runner.web is not None
        wa.webhook_url = runner.web.url + config.channels.whatsapp.webhook_path
        harness = Harness(app, clock)
        console = RecordingChannel("console")
        harness.channels["console"] = console
        app.channels["console"] = console
        world = World(app, runner, clock, tg, wa, harness, data_dir, stream)
        yield world
        await world.settle()


async def scan_level_one(world: World, caplog: pytest.LogCaptureFixture, when: str) -> None:
    blobs = {f"{when}: {name}": data for name, data in world.files().items()}
    assert any(name.endswith(DB_FILE + "-wal") for name in blobs)  # the WAL is looked at too
    blobs[f"{when}: log output"] = world.log.getvalue().encode()
    blobs[f"{when}: log records"] = caplog.text.encode()
    assert leaks(blobs) == []


async def telegram_session(world: World) -> TgPerson:
    ana = TgPerson(world.tg, ANA_ID, "es", name=ANA_NAME, username=ANA_USER)
    await ana.say("/start")
    await ana.choose("Español")
    await ana.say(f"me llamo {ANA_NAME}, mi número es {ANA_PHONE}")
    await ana.say("/reportar")
    await ana.press("report:kind:raid")
    [county] = await ana.send(ana.message(location={"latitude": ANA_LAT,
                                                     "longitude": ANA_LON}))
    assert "Condado de Buncombe" in county.text
    await ana.press("report:seen:now")
    await ana.press("report:agents:6-10")
    await ana.press("report:vehicles:3-5")
    await ana.say(f"{ANA_DETAILS}, soy {ANA_NAME}, llamen al {ANA_PHONE}")
    [received] = await ana.send(world.tg.photo_message(ANA_ID, photo_with_metadata(EXIF),
                                                       sender=ana.user))
    assert "Foto recibida" in received.text
    [thanks] = await ana.press("report:send")
    followup = next(d for d in thanks.data if d.startswith("report:followup:"))
    await ana.press(followup)
    await ana.say("/alertas")
    await ana.press("alerts:regions:0")
    await ana.say("buncombe")
    return ana


async def whatsapp_session(world: World) -> None:
    bea = world.wa.person(BEA_WA, None, BEA_NAME)
    bea.settle = world.settle
    await bea.says("hola")
    await bea.presses("lang:set:es")
    await bea.says(f"Soy {BEA_NAME}, mi teléfono {BEA_PHONE}")
    await bea.says("/reportar")
    await bea.presses("report:kind:checkpoint")
    [county] = await bea.shares_location(BEA_LAT, BEA_LON)
    assert "Condado de Buncombe" in county.text
    await bea.presses("report:seen:now")
    await bea.presses("report:agents:3-5")
    await bea.presses("report:vehicles:1-2")
    await bea.says(f"{BEA_DETAILS}, {BEA_NAME} {BEA_PHONE}")
    [received] = await bea.sends_image(photo_with_metadata(EXIF))
    assert "Foto recibida" in received.text
    [thanks] = await bea.presses("report:send")
    assert "Gracias" in thanks.text
    await bea.says("/alertas")
    await bea.presses("alerts:regions:0")
    await bea.says("buncombe")


async def console_session(world: World) -> None:
    carl = world.harness.person(CARL)
    await carl.start_in("es")
    await carl.say(f"{CARL_NAME} {CARL_PHONE}")
    await carl.say("/alertas")
    await carl.press("alerts:regions:0")
    await carl.say("buncombe")
    # A report left half written: the draft stays in Carl's (sealed) session.
    for button in ("report:start", "report:kind:checkpoint", "report:region:buncombe",
                   "report:seen:now", "report:agents:1-2", "report:vehicles:1-2"):
        await carl.press(button)
    await carl.say(CARL_DRAFT)
    assert "report:photo:skip" in carl.button_ids()
    # Dani asks for a person: her words are sealed in the case, her number scrubbed.
    dani = world.harness.person(DANI)
    await dani.start_in("es")
    await dani.press("desk:start")
    await dani.press("desk:topic:detained")
    await dani.press("desk:county:skip")
    await dani.say(f"{DANI_CASE}, soy {DANI_NAME}, {DANI_PHONE}")
    helper = world.harness.person("help1")
    await helper.say("/casos")
    code = helper.last.text.split("\n")[1].split(" ")[0]
    await helper.say(f"/tomar {code}")
    assert DANI_CASE in helper.last.text and DANI_PHONE not in helper.last.text
    await helper.say(f"/responder {code} {HELPER_ANSWER}")
    assert HELPER_ANSWER in dani.inbox[-1].text


async def test_a_seized_database_gives_away_nobody(world: World,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    harness = world.harness
    ana = await telegram_session(world)
    # What WhatsApp acknowledges before handling waits, sealed, in the inbound queue: a
    # report's steps never do (they are acknowledged after handling).
    queued: list[bytes] = []
    durable = world.whatsapp.inbox._durable
    assert durable is not None
    queue = durable.queue

    async def spy(key: str, sender: str, body: bytes) -> int:
        queued.append(body)
        return await queue(key, sender, body)

    durable.queue = spy  # type: ignore[method-assign]
    await whatsapp_session(world)
    assert len(queued) >= 2                       # "hola", the language… went through it
    for body in queued:
        for step in (b"report:", b'"image"', b'"location"', BEA_DETAILS.encode(),
                     b"/reportar"):
            assert step not in body, step
    assert await db_rows(world, "SELECT count(*) FROM inbound") == [(0,)]
    await console_session(world)
    await scan_level_one(world, caplog, "mid-session")

    # Two moderators verify the incident (both reports joined it); Ana is told the outcome.
    mod1, mod2 = harness.person("mod1"), harness.person("mod2")
    await mod1.say("/pendientes")
    await mod1.press("mod:ok:1")
    told = len(ana.sent)
    await mod2.press("mod:ok:1")
    await world.tg.wait_sent(ANA_ID, told + 1)
    assert "confirmaron" in ana.last.text
    # The alert, with a typed note, fans out to all three channels.
    await mod1.press("pub:note:1")
    await mod1.say(NOTE)
    await mod1.press("pub:send:1")                  # mod1 proposes, mod2 confirms
    await mod2.press(confirm_button(mod1))
    await harness.deliver()
    await asyncio.wait_for(world.outbox_empty(), 10)   # the runner's dispatcher may hold some
    await world.settle()
    assert "🚨 Redada" in ana.last.text
    assert "🚨 Redada" in world.wa.to(BEA_WA)[-1].text
    assert "🚨 Redada" in harness.person(CARL).inbox[-1].text
    # Ana asks to be forgotten.
    await ana.say("/olvidarme")
    await ana.press("account:forget:yes")
    await world.settle()
    await scan_level_one(world, caplog, "after the fan-out")
    await level_two(world, Address("telegram", str(ANA_ID)))


async def db_rows(world: World, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in await world.app.db.fetchall(sql)]


async def level_two(world: World, forgotten: Address) -> None:
    app = world.app
    db = app.db
    # No column of a report's tables can hold a person.
    columns = {table: [r[1] for r in await db.fetchall(f"PRAGMA table_info({table})")]
               for table in ("reports", "report_photos", "verifications")}
    assert columns["reports"] == ["id", "incident", "region", "kind", "seen", "agents",
                                  "vehicles", "details_sealed", "status", "received", "decided"]
    assert columns["report_photos"] == ["report_id", "photo_sealed"]
    moderators = {r[0] for r in await db.fetchall("SELECT pid FROM users WHERE role != 'person'")}
    deciders = {r[0] for r in await db.fetchall("SELECT moderator FROM verifications")}
    # Decisions are keyed by the person (the same on every channel), never by a user's pid.
    people = {app.reports.roster.person_of(pid) for pid in moderators}
    everyone = {r[0] for r in await db.fetchall("SELECT pid FROM users")}
    assert deciders and deciders <= people and deciders.isdisjoint(everyone)
    # Every time on a report is rounded to the hour, as every time kept about a person is:
    # nothing finer can line a report up with someone's activity.
    report_times = [t for row in await db.fetchall("SELECT received, decided FROM reports")
                    for t in row if t is not None]
    people_times = [t for row in await db.fetchall("SELECT created, last_inbound FROM users")
                    for t in row]
    assert report_times and all(t % 3600 == 0 for t in report_times + people_times)
    flood = await db.fetchall("SELECT at FROM audit WHERE action LIKE 'flood:%'")
    assert flood and all(r[0] % 3600 == 0 for r in flood)
    # Finer times exist about people (a session's minute, a delivery's second, a refusal in
    # the audit log): none of them is shared with a report.
    finer = [t for row in await db.fetchall(
        "SELECT updated FROM sessions UNION ALL SELECT next_attempt FROM deliveries"
        " UNION ALL SELECT at FROM audit WHERE actor LIKE 'person:%'") for t in row]
    assert finer
    report_moments = set(report_times) | {r[0] for r in flood}
    assert not set(finer) & report_moments
    # Where each moderator's card went (the console moderators here are outside the room, so
    # none is kept): the chat's pseudonym and a sealed message id, never more.
    columns = [r[1] for r in await db.fetchall("PRAGMA table_info(card_messages)")]
    assert columns == ["report_id", "chat_key", "message_sealed"]
    card_chats = {r[0] for r in await db.fetchall("SELECT chat_key FROM card_messages")}
    assert card_chats <= {app.pid_for(a) for a in room(app.config)}
    # The follow-up handle went with the outcome.
    assert await db.fetchall("SELECT id FROM followups") == []
    # What a report keeps, read with the keys: the scrubbed details and a clean photo.
    for report_id, sealed in await db.fetchall("SELECT id, details_sealed FROM reports"):
        details = app.privacy.unseal_text(bytes(sealed), f"report:{report_id}")
        assert not canary.find_markers({"details": details.encode()},
                                        [ANA_PHONE, BEA_PHONE, str(ANA_ID), BEA_WA, ANA_USER])
        photo = await app.reports.photo(report_id)
        assert photo is not None and EXIF.encode() not in photo and b"GPS" not in photo
    # The forgotten person's pseudonym is nowhere, in any table.
    pid = app.pid_for(forgotten)
    with contextlib.closing(sqlite3.connect(world.data_dir / DB_FILE)) as conn:
        assert pid not in "\n".join(conn.iterdump())
    # Nor in the raw bytes: the WAL's old pages went with a checkpoint.
    assert [name for name, blob in world.files().items() if pid.encode() in blob] == []
    # Rate-limit state lives in memory only: today's keyed tags are in no file.
    tags = list(app.reports.limiter._hits)
    assert tags
    files = world.files()
    assert not [t for t in tags for blob in files.values() if t.encode() in blob]
    tables = {r[0] for r in await db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"users", "sessions", "reports", "sqlite_sequence", "report_photos",
                      "verifications", "followups", "audit", "audit_anchor", "subscribers",
                      "subscription_regions", "alerts", "deliveries", "notices", "key_check",
                      "schedule_runs", "card_messages", "cases", "case_messages",
                      # Issue 17: tests/test_privacy_canary_rrn.py checks these three.
                      "roster", "dispatches", "dispatch_pings",
                      # Issue 13: the alert numbers and the durable WhatsApp inbox.
                      "sequences", "inbound", "handled_updates"}
    # Handled WhatsApp updates are remembered as keyed hashes with an hour, nothing else;
    # the queue is empty once everything is handled.
    assert await db.fetchall("SELECT * FROM inbound") == []
    handled = await db.fetchall("SELECT key, expires FROM handled_updates")
    assert handled and all(len(k) == 32 and int(k, 16) >= 0 and e % 3600 == 0
                           for k, e in handled)
    await cases_level_two(world)


async def cases_level_two(world: World) -> None:
    """A case: no column for an address or a name; the words sealed; after the grace period
    only topic, county, outcome and durations remain, and nothing joins it to Dani."""
    app, db = world.app, world.app.db
    columns = [r[1] for r in await db.fetchall("PRAGMA table_info(cases)")]
    assert not {"address", "name", "phone", "chat_id", "username"} & set(columns)
    [case] = await db.fetchall("SELECT * FROM cases")
    dani = app.pid_for(Address("console", DANI))
    assert case["pid"] == dani and case["opened"] % 3600 == 0      # linked while open
    for message_id, case_id, sealed in await db.fetchall(
            "SELECT id, case_id, body_sealed FROM case_messages"):
        text = app.privacy.unseal_text(bytes(sealed), f"case:{case_id}")
        assert DANI_PHONE not in text and message_id
    helper = world.harness.person("help1")
    await helper.say(f"/cerrar {case['code']} referido")
    await app.services.desk.tick(world.clock.now() + (app.config.desk.grace_days + 1) * 86400)
    [kept] = await db.fetchall("SELECT * FROM cases")
    assert {k: kept[k] for k in ("pid", "code", "helper", "started", "waiting", "assigned")} \
        == dict.fromkeys(("pid", "code", "helper", "started", "waiting", "assigned"))
    assert (kept["topic"], kept["outcome"]) == ("detained", "referred")
    assert await db.fetchall("SELECT id FROM case_messages") == []
    with contextlib.closing(sqlite3.connect(world.data_dir / DB_FILE)) as conn:
        assert dani not in "\n".join(line for line in conn.iterdump() if "cases" in line)




async def test_a_live_server_copied_and_killed_gives_away_nobody(tmp_path: Path) -> None:
    """Levels 1 and 2 on copies of a running `compa run` (mid-report and after), and of the
    folder left by SIGKILL: no marker in any file, no draft on disk, no report beside anyone.
    The full crowd version of this attack is tests/test_forensic_wal.py."""
    from tests import forensics
    from tests.test_forensic_wal import Crowd, _start

    async with FakeTelegram() as fake:
        data_dir, proc = await _start(tmp_path, fake)
        crowd = Crowd(fake, data_dir, proc, tmp_path / "compa.log")
        try:
            ana = TgPerson(fake, ANA_ID, "es", name=ANA_NAME, username=ANA_USER)
            others = [TgPerson(fake, 810_000 + n, "es", name=f"O{n}") for n in range(6)]
            await asyncio.gather(*(crowd.quiet(p) for p in others))
            await crowd.greet(ana)
            await crowd.say(ana, f"me llamo {ANA_NAME}, mi número es {ANA_PHONE}")
            await crowd.say(ana, "/reportar")
            for data in ("report:kind:raid", "report:region:buncombe", "report:seen:now",
                         "report:agents:6-10", "report:vehicles:3-5"):
                await crowd.press(ana, data)
            await crowd.say(ana, f"{ANA_DETAILS}, llamen al {ANA_PHONE}")
            crowd.copy("mid-report")
            [thanks] = await crowd.press(ana, "report:send")
            assert any(d.startswith("report:followup:") for d in thanks.data)
            crowd.copy("after the report")
            await asyncio.gather(*(crowd.say(p, "/alertas") for p in others))
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            crowd.copy("after SIGKILL")
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    blobs = {f"{c.when}: {name}": data for c in crowd.copies for name, data in c.files.items()}
    assert any(name.endswith("-wal") and data for name, data in blobs.items())
    assert leaks(blobs) == []
    # With the keys: the draft was never on disk, and nothing pairs the report with anyone.
    keys = load_keys(data_dir / "keys.toml", "NO_PEPPER_ENV", "NO_SEAL_ENV", create=False)
    ana_pid = Privacy(keys).pseudonym("telegram", str(ANA_ID))
    mid = crowd.copies[0].files
    assert ana_pid.encode() in mid[DB_FILE] + mid.get(DB_FILE + "-wal", b"")  # she is known
    for copy in crowd.copies:
        db, wal = copy.files[DB_FILE], copy.files.get(DB_FILE + "-wal", b"")
        users = forensics.pseudonyms_in(db, wal)
        assert forensics.read_wal(wal, set(users), db).links == [], copy.when
        sessions = [page for page in _pages(db) + [f.data for f in forensics.wal_frames(wal)[1]]
                    if b"report:" in page]
        assert sessions == [], f"{copy.when}: a report step reached the disk"
        assert all(int(u[6]) % (6 * 3600) == 0 and int(u[5]) % 86400 == 0
                   for u in users.values()), copy.when


def _pages(db: bytes) -> list[bytes]:
    size = int.from_bytes(db[16:18], "big") if db else 0
    return [db[n * size:(n + 1) * size] for n in range(len(db) // size)] if size else []
