"""Issue 12's authorization and integrity matrix: nothing reaches a subscriber on one
person's word, a confirmation is bound to what was previewed, and rows written into the
database without the keys are neither counted nor sent, and are reported.

People: Ana (publisher on Telegram *and* WhatsApp: one person), Beto (publisher on Telegram),
Vera (verifier on the console, so the room has someone to tell). Subscribers on the three
channels. Every broadcast kind is proposed by Ana, refused when Ana confirms it on either of
her channels, and goes out only when Beto confirms it.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts import subscriptions as subs
from alerts.integrity import check_and_report
from bot.app import DB_FILE
from bot.channels import whatsapp_ids
from compa_testkit.harness import Harness, make_config
from tests.publish_support import confirm_button
from tests.report_helpers import file_report

ANA_WA = "18285550001"
CHANNELS = ("console", "telegram", "whatsapp")
PEOPLE = [
    {"name": "Ana", "role": "publisher", "telegram": "101", "whatsapp": "+1 (828) 555-0001"},
    {"name": "Beto", "role": "publisher", "telegram": "102"},
    {"name": "Vera", "role": "verifier", "console": "vera"},
]


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    config = make_config(tmp_path / "data", moderators=PEOPLE)
    async with Harness.open(tmp_path / "data", config, channels=CHANNELS) as harness:
        yield harness


class Cast:
    def __init__(self, h: Harness) -> None:
        self.h = h
        self.ana_tg = h.person("101", "telegram")
        self.ana_wa = h.person(whatsapp_ids.encode(ANA_WA, None), "whatsapp")
        self.beto = h.person("102", "telegram")
        self.vera = h.person("vera")
        self.subscribers = [h.person("bea"), h.person("301", "telegram"),
                            h.person(whatsapp_ids.encode("16505550111", None), "whatsapp")]

    async def start(self) -> None:
        for chat in (self.ana_tg, self.ana_wa, self.beto, self.vera, *self.subscribers):
            await chat.start_in("en")
        for chat in self.subscribers:
            await subs.save(self.h.app.db, self.h.app.pid_for(chat.address),
                            subs.Subscription(["buncombe"]))

    def received(self) -> list[int]:
        """How many broadcasts each subscriber has received (anything with a marker)."""
        marks = ("🚨", "🔄", "✅", "❌", "📢")
        return [sum(1 for r in chat.inbox if r.text.startswith(marks))
                for chat in self.subscribers]


@pytest.fixture
async def cast(h: Harness) -> Cast:
    people = Cast(h)
    await people.start()
    return people


async def published_alert(cast: Cast) -> None:
    """Alert #1, proposed by Ana and confirmed by Beto, delivered to the three subscribers."""
    await cast.ana_tg.say("/alerta buncombe reten near the bridge")
    await cast.beto.press(confirm_button(cast.ana_tg))
    assert "confirmed and on its way" in cast.beto.last.text
    await cast.h.deliver()
    assert cast.received() == [1, 1, 1]


PROPOSALS = {
    "alert": "/alerta buncombe reten two vans on Patton",
    "update": "/actualizar 1 the vans left towards Asheville",
    "all_clear": "/despejado 1",
    "retraction": "/retirar 1",
    "notice": "/aviso 2030-01-01 10:00 buncombe Taller de derechos || Know your rights workshop",
}


async def propose(cast: Cast, kind: str, via: str = "telegram") -> str:
    """Ana proposes one broadcast of `kind` (on `via`); returns the confirm button from her
    preview."""
    ana = cast.ana_tg if via == "telegram" else cast.ana_wa
    if kind == "report":
        reporter = cast.h.person("ana-reporter")
        await reporter.start_in("es")
        number = await file_report(reporter)
        await cast.ana_tg.say(f"/verify {number}")
        await cast.beto.say(f"/verify {number}")
        # The draft's preview goes to the room (Vera): a publisher proposes it.
        await ana.press(confirm_button(cast.vera, "pub:send:"))
    else:
        if kind != "alert" and kind != "notice":
            await published_alert(cast)
        await ana.say(PROPOSALS[kind])
    assert "preview" in ana.text, ana.text
    return confirm_button(ana, "pub:nok:" if kind == "notice" else "pub:ok:")


async def go_out(cast: Cast, kind: str, rewind: bool = False) -> None:
    """Whatever is due: notices at their time (the clock back after, with `rewind`, so the
    notice can still be confirmed), then the fan-out."""
    if kind == "notice":
        start = datetime.fromtimestamp(cast.h.clock.now(), UTC)
        cast.h.clock.advance(5 * 365 * 24 * 3600)
        await cast.h.app.alerts.send_due_notices()
        await cast.h.deliver()
        if rewind:
            cast.h.clock.set(start)
    cast.h.clock.advance(5)
    await cast.h.deliver()


@pytest.mark.parametrize("via", ["telegram", "whatsapp"])
@pytest.mark.parametrize("kind", ["alert", "report", "update", "all_clear", "retraction",
                                  "notice"])
async def test_one_person_alone_cannot_broadcast(cast: Cast, kind: str, via: str) -> None:
    button = await propose(cast, kind, via)
    before = cast.received()
    number, code = button.split(":")[2:]
    command = "/confirmaraviso" if kind == "notice" else "/confirmar"
    # Ana confirming her own proposal: by button on Telegram, by button and by command on
    # WhatsApp (the same person on her other channel).
    await cast.ana_tg.press(button)
    assert "You proposed" in cast.ana_tg.last.text, cast.ana_tg.last.text
    await cast.ana_wa.press(button)
    assert "You proposed" in cast.ana_wa.last.text, cast.ana_wa.last.text
    await cast.ana_wa.say(f"{command} {number} {code}")
    assert "You proposed" in cast.ana_wa.last.text
    # A subscriber (no role) cannot confirm either: refused by the router.
    await cast.subscribers[0].press(button)
    assert "only the volunteers who publish" in cast.subscribers[0].last.text
    await go_out(cast, kind, rewind=True)
    assert cast.received() == before, "a broadcast went out on one person's word"
    # The second person: now it reaches every subscriber, on every channel.
    await cast.beto.press(button)
    assert "confirmed and on its way" in cast.beto.last.text \
        or "scheduled for" in cast.beto.last.text, cast.beto.last.text
    await go_out(cast, kind)
    assert cast.received() == [n + 1 for n in before]


async def test_a_stale_confirmation_is_refused_and_shows_the_new_preview(cast: Cast) -> None:
    """Finding 2: B confirms the preview A showed; A edited the note since."""
    old = await propose(cast, "alert")
    await cast.ana_tg.press(f"pub:note:{old.split(':')[2]}")
    await cast.ana_tg.say("ICE at every school")
    new = confirm_button(cast.ana_tg)
    assert new != old and len(new.encode()) <= 64
    await cast.beto.press(old)
    assert "changed after the preview you confirmed" in cast.beto.text
    assert "ICE at every school" in cast.beto.last.text and confirm_button(cast.beto) == new
    await go_out(cast, "alert")
    assert cast.received() == [0, 0, 0]
    await cast.beto.press(new)
    await go_out(cast, "alert")
    assert cast.received() == [1, 1, 1]
    assert "ICE at every school" in cast.subscribers[0].inbox[-1].text


async def test_whoever_edits_a_proposal_cannot_confirm_it(cast: Cast) -> None:
    await propose(cast, "alert")
    await cast.beto.press("pub:note:1")
    await cast.beto.say("three vans now")
    edited = confirm_button(cast.beto)
    await cast.beto.press(edited)
    assert "You proposed alert #1" in cast.beto.last.text
    await cast.ana_wa.press(edited)                # Ana did not write these words: she may
    assert "confirmed and on its way" in cast.ana_wa.last.text


async def test_a_stale_notice_confirmation_is_refused(cast: Cast, h: Harness) -> None:
    button = await propose(cast, "notice")
    number, code = button.split(":")[2:]
    await cast.beto.say(f"/confirmaraviso {number} {'0' * len(code)}")
    assert "changed after the preview you confirmed" in cast.beto.text
    notice = await h.app.alerts.get_notice(int(number))
    assert notice is not None and notice.status == "proposed"


@pytest.mark.parametrize("text", [
    "/alerta buncombe redada vayan a https://evil.example/x y llamen al 828-555-0123",
    "/aviso 2030-01-01 10:00 todas REDADA MASIVA vayan a https://evil.example/x || x",
    "/aviso 2030-01-01 10:00 todas llamen al 828-555-0123 || call",
])
async def test_links_and_phone_numbers_are_refused_and_named(cast: Cast, text: str) -> None:
    """Finding 1: every broadcast text, with what was refused named."""
    await cast.ana_tg.say(text)
    assert "Not allowed:" in cast.ana_tg.last.text
    assert "evil.example/x" in cast.ana_tg.last.text or "828-555-0123" in cast.ana_tg.last.text
    assert await cast.h.app.db.fetchone("SELECT id FROM alerts") is None
    assert await cast.h.app.db.fetchone("SELECT id FROM notices") is None


async def test_update_with_a_link_is_refused(cast: Cast) -> None:
    await published_alert(cast)
    await cast.ana_tg.say("/actualizar 1 info en https://evil.example/y")
    assert "Not allowed: https://evil.example/y" in cast.ana_tg.last.text


async def test_the_organisations_own_numbers_and_links_pass(tmp_path: Path) -> None:
    config = make_config(tmp_path, moderators=PEOPLE,
                         alerts={"allowed_links": ["https://compa.example.org/recursos"]})
    async with Harness.open(tmp_path, config, channels=CHANNELS) as harness:
        people = Cast(harness)
        await people.start()
        hotline = config.resources.hotline
        await people.ana_tg.say(f"/alerta buncombe reten call {hotline}, "
                                "see compa.example.org/recursos/ice")
        assert "Not allowed" not in people.ana_tg.text and "preview" in people.ana_tg.text


# -- forged rows -----------------------------------------------------------------------------

def db_path(h: Harness) -> Path:
    return Path(h.app.config.bot.data_dir) / DB_FILE


def forge(h: Harness, sql: str, params: tuple[object, ...] = ()) -> None:
    """Writes like an attacker with the database file and without the keys."""
    with sqlite3.connect(db_path(h)) as conn:
        conn.execute(sql, params)


async def reported(cast: Cast, h: Harness, subject: str) -> None:
    """The integrity check found `subject`, audited it and told the room."""
    findings = await check_and_report(h.app)
    assert subject in {f.subject for f in findings}, findings
    rows = await h.app.db.fetchall("SELECT subject FROM audit WHERE action = 'integrity:forged'")
    assert any(str(r[0]).startswith(subject) for r in rows)
    assert "Integrity check" in cast.vera.inbox[-1].text


async def test_a_forged_verification_is_not_counted(cast: Cast, h: Harness) -> None:
    """Finding 4a: a row with a random moderator plus one real /verificar verifies nothing."""
    reporter = h.person("ana-reporter")
    await reporter.start_in("es")
    number = await file_report(reporter)
    forge(h, "INSERT INTO verifications (incident, moderator, decision, note_sealed, at)"
             " VALUES (?, ?, 'confirm', x'0011', 0)", (number, secrets.token_hex(32)))
    await cast.ana_tg.say(f"/verify {number}")
    assert "1/2" in cast.ana_tg.text, cast.ana_tg.text       # the forged vote is not shown
    report = await h.app.reports.report(number)
    assert report is not None and report.status == "pending"
    await reported(cast, h, f"verification:incident {number}")
    await cast.beto.say(f"/verify {number}")       # a real second person: verified
    report = await h.app.reports.report(number)
    assert report is not None and report.status == "verified"


async def test_a_decision_forged_in_a_real_moderators_name_is_replaced(
        cast: Cast, h: Harness) -> None:
    reporter = h.person("ana-reporter")
    await reporter.start_in("es")
    number = await file_report(reporter)
    beto_key = h.app.moderator_key(cast.beto.address)
    forge(h, "INSERT INTO verifications (incident, moderator, decision, at)"
             " VALUES (?, ?, 'confirm', 0)", (number, beto_key))
    await cast.ana_tg.say(f"/verify {number}")
    report = await h.app.reports.report(number)
    assert report is not None and report.status == "pending"     # the forged one did not count
    await cast.beto.say(f"/verify {number}")                      # Beto's own replaces it
    report = await h.app.reports.report(number)
    assert report is not None and report.status == "verified"
    rows = await h.app.db.fetchall("SELECT subject FROM audit WHERE action = 'integrity:forged'")
    assert [r[0] for r in rows] == [f"verification:report {number}"]


async def test_a_forged_published_alert_is_not_sent_and_is_reported(
        cast: Cast, h: Harness) -> None:
    """Finding 4b: an alerts row 'published' plus deliveries, inserted without the keys."""
    now = int(h.clock.now())
    forge(h, "INSERT INTO alerts (id, type, region, kind, critical, status, created, published,"
             " expires, created_by, confirmed_by, mac, confirm_mac) VALUES (77, 'alert',"
             " 'buncombe', 'raid', 1, 'published', ?, ?, ?, 'a', 'b', 'x', 'y')",
          (now, now, now + 3600))
    forge(h, "INSERT INTO deliveries (alert_id, pid, channel, status, next_attempt)"
             " SELECT 77, pid, channel, 'pending', 0 FROM users")
    await h.deliver()
    assert cast.received() == [0, 0, 0]
    rows = await h.app.db.fetchall("SELECT DISTINCT status, error FROM deliveries")
    assert [tuple(r) for r in rows] == [("failed", "integrity")]
    await reported(cast, h, "alert:77")
    alert = await h.app.alerts.get(77)
    assert alert is not None and alert.status == "rejected"


async def test_a_proposal_flipped_to_published_is_not_sent(cast: Cast, h: Harness) -> None:
    """The real proposal's MAC holds, but nobody confirmed it: no confirmation MAC."""
    await propose(cast, "alert")
    forge(h, "UPDATE alerts SET status = 'published', published = created,"
             " confirmed_by = 'someone' WHERE id = 1")
    forge(h, "INSERT INTO deliveries (alert_id, pid, channel, status, next_attempt)"
             " SELECT 1, pid, channel, 'pending', 0 FROM subscribers JOIN users USING (pid)")
    await h.deliver()
    assert cast.received() == [0, 0, 0]
    await reported(cast, h, "alert:1")


async def test_a_forged_notice_is_not_sent_and_is_reported(cast: Cast, h: Harness) -> None:
    forge(h, "INSERT INTO notices (id, run_at, regions, text_es_sealed, text_en_sealed, status,"
             " created_by, confirmed_by) VALUES (9, 0, '*', x'00', x'00', 'scheduled', 'a', 'b')")
    assert await h.app.alerts.send_due_notices() == 0
    await h.deliver()
    assert cast.received() == [0, 0, 0]
    await reported(cast, h, "notice:9")


async def test_a_real_notice_flipped_to_scheduled_is_not_sent(cast: Cast, h: Harness) -> None:
    button = await propose(cast, "notice")
    number = int(button.split(":")[2])
    forge(h, "UPDATE notices SET status = 'scheduled', confirmed_by = 'x' WHERE id = ?",
          (number,))
    await go_out(cast, "notice")
    assert cast.received() == [0, 0, 0]
    await reported(cast, h, f"notice:{number}")


async def test_a_cancelled_notice_set_back_to_scheduled_is_not_sent(
        cast: Cast, h: Harness) -> None:
    button = await propose(cast, "notice")
    await cast.beto.press(button)
    number = int(button.split(":")[2])
    await cast.beto.say(f"/cancelaraviso {number}")
    forge(h, "UPDATE notices SET status = 'scheduled' WHERE id = ?", (number,))
    await go_out(cast, "notice")
    assert cast.received() == [0, 0, 0]
    await reported(cast, h, f"notice:{number}")


async def test_honest_rows_pass_the_integrity_check(cast: Cast, h: Harness) -> None:
    """Every row Compa writes itself (alerts, follow-ups, notices, digests, decisions)."""
    await published_alert(cast)
    await cast.ana_tg.say("/actualizar 1 still there")
    await cast.beto.press(confirm_button(cast.ana_tg))
    await propose(cast, "notice")
    await cast.beto.press(confirm_button(cast.ana_tg, "pub:nok:"))
    reporter = h.person("ana-reporter")
    await reporter.start_in("es")
    number = await file_report(reporter)
    await cast.ana_tg.say(f"/verify {number}")
    await cast.beto.say(f"/verify {number}")           # verified: a draft alert
    await h.app.alerts.run_digest(h.clock.now())
    assert await check_and_report(h.app) == []


def test_button_ids_fit_telegram(tmp_path: Path) -> None:
    """The longest confirm button: a 12-digit id and the code, under 64 bytes."""
    assert len(f"pub:nok:{'9' * 12}:{'f' * 10}".encode()) <= 64


async def test_the_documented_whatsapp_config_publishes_with_the_admin(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding 3 through the real runner, web server and pywa: `moderators = ["+1 (828)
    555-0001", …]` with `18285550001 = "admin"` in the roles is one person, an admin, who
    confirms a publisher's proposal; her own proposal needs the other person."""
    import asyncio

    from bot.messages import Address
    from compa_testkit.patience import PATIENCE
    from tests.whatsapp_support import whatsapp_env

    async with whatsapp_env(
            tmp_path, monkeypatch,
            whatsapp={"moderators": ["+1 (828) 555-0001", "+1 (828) 555-0002"]},
            sections={"moderation": {"roles": {"whatsapp": {
                "18285550001": "admin", "18285550002": "publisher"}}}}) as env:
        admin = env.person("18285550001", None, "Admin")
        pablo = env.person("18285550002", None, "Pablo")
        sub = env.person("16505550111", None, "Sub")
        for person in (sub, admin, pablo):
            await person.says("hola")                 # WhatsApp: each opens their window
        address = Address("whatsapp", whatsapp_ids.encode("16505550111", None))
        await subs.save(env.app.db, env.app.pid_for(address), subs.Subscription(["buncombe"]))
        await pablo.says("/alerta buncombe reten cerca del puente")
        preview = next(m.text for m in reversed(admin.inbox) if "/confirmar" in m.text)
        command = preview[preview.index("/confirmar"):].split(")")[0]
        await pablo.says(command)                     # the proposer: refused
        assert "propuso la alerta" in pablo.inbox[-1].text
        assert not any("🚨" in m.text for m in sub.inbox)
        answer = await admin.says(command)            # the admin, a different person
        assert any("va en camino" in m.text for m in answer), answer

        async def delivered() -> None:
            while not any(m.text.startswith("🚨") for m in sub.inbox):
                await asyncio.sleep(0.01)             # the runner's dispatcher sends
                await env.settle()

        await asyncio.wait_for(delivered(), PATIENCE)
        assert "cerca del puente" in next(m.text for m in sub.inbox if m.text.startswith("🚨"))


def test_compa_audit_verify_names_forged_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Finding 4: `compa audit verify` no longer says ok over a forged 'published' alert."""
    import asyncio
    import time

    from bot.__main__ import main

    data = tmp_path / "data"
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'[bot]\ndata_dir = "{data}"\n')
    monkeypatch.setenv("COMPA_CONFIG", str(config_file))

    async def fill() -> None:
        async with Harness.open(data, make_config(data)) as harness:
            await harness.app.alerts.create(region="buncombe", kind="raid", note="",
                                            actor="a", preverified=True)

    asyncio.run(fill())
    assert main(["audit", "verify"]) == 0
    capsys.readouterr()
    with sqlite3.connect(data / DB_FILE) as conn:
        conn.execute("INSERT INTO alerts (id, type, region, kind, status, created, published,"
                     " expires) VALUES (77, 'alert', 'buncombe', 'raid', 'published', 0, 0, ?)",
                     (int(time.time()) + 3600,))
    assert main(["audit", "verify"]) == 1
    assert "row not written by Compa: alert:77 (no mac)" in capsys.readouterr().out


async def test_who_proposed_and_confirmed_is_stored_as_a_person_key_only(
        tmp_path: Path) -> None:
    """What the two-person rule stores (proposer, confirmer, MACs) names nobody: the
    moderators' configured names and numbers are in no file."""
    from tests import canary

    people = [dict(PEOPLE[0], name=canary.FULL_NAME, whatsapp="+1 " + canary.PHONE),
              *PEOPLE[1:]]
    config = make_config(tmp_path / "data", moderators=people)
    async with Harness.open(tmp_path / "data", config, channels=CHANNELS) as harness:
        cast = Cast(harness)
        cast.ana_wa = harness.person(whatsapp_ids.encode("1" + canary.PHONE.replace("-", ""),
                                                         None), "whatsapp")
        await cast.start()
        await cast.ana_wa.say("/alerta buncombe reten near the bridge")
        await cast.beto.press(confirm_button(cast.ana_wa))
        await cast.ana_wa.say(PROPOSALS["notice"])
        await cast.beto.press(confirm_button(cast.ana_wa, "pub:nok:"))
        await harness.deliver()
        assert cast.received() == [1, 1, 1]
        row = await harness.app.db.fetchone("SELECT created_by, confirmed_by FROM alerts"
                                            " WHERE id = 1")
        assert row is not None and row[0] == harness.app.moderator_key(cast.ana_wa.address)
    assert canary.find_markers(canary.files_under(tmp_path), [canary.FULL_NAME,
                                                              canary.PHONE]) == []
