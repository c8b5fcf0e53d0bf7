"""Issue 17, the Rapid Response Network on the console with the fake clock: the roster and
on-call windows, the ping (county, kind, how long ago only), first claim wins, the details
reach only the claimant, backup, the check-in alarm, the outcome counting as one verification
under the two-person rule, escalation timings, and the admins' figures."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from alerts.rrn import timers
from alerts.rrn.roster import PRESETS, Week, parse_week
from alerts.rrn.service import FieldDesk
from bot.app import DB_FILE
from bot.clock import FakeClock
from bot.messages import Address, Reply
from bot.runner import RunOptions, run
from compa_testkit.harness import Chat, Harness, make_config
from tests.report_helpers import file_report

DETAILS = "Cerca de la gasolinera de Patton Ave"


def _config(tmp_path: Path, **rrn: Any) -> Any:
    roles = {"mod1": "admin", "mod2": "publisher", "campo1": "field", "campo2": "field",
             "campo3": "field"}
    return make_config(tmp_path, moderation={"roles": {"console": roles}},
                       rrn={"claim_minutes": 10, **rrn})


async def _shift(chat: Chat, counties: list[str], hours: str) -> None:
    """/turno by buttons (or typed hours)."""
    await chat.say("/turno")
    for county in counties:
        await chat.press(f"turno:c:{county}")
    await chat.press("turno:done")
    if hours in PRESETS:
        await chat.press(f"turno:h:{hours}")
    else:
        await chat.say(hours)
    await chat.press("turno:m:car")
    await chat.press("turno:s:legal")
    await chat.press("turno:done")
    assert "Saved" in chat.text or "Guardado" in chat.text, chat.text


def _pings(chat: Chat) -> list[Reply]:
    return [r for r in chat.inbox if r.menu and any(b.id.startswith("rrn:go15:")
                                                    for b in r.menu.buttons)]


def _ids(reply: Reply) -> list[str]:
    return [b.id for b in reply.menu.buttons] if reply.menu else []


async def _tick(h: Harness) -> list[tuple[Address, Reply]]:
    out = await timers.messages(h.app)
    for address, reply in out:
        await h.app.send(address, reply)
    return out


def test_weekly_patterns_read_spanish_and_english() -> None:
    week = parse_week("lun-vie 18-23; Sáb 8-20")
    assert week is not None and 18 in week and 23 not in week and 5 * 24 + 8 in week
    assert parse_week("mon-fri 18-23") == week.__class__.of([(0, 4, 18, 23)])
    assert parse_week("dom 22-6") == Week.of([(6, 6, 22, 6)])   # wraps into Monday
    assert 0 in Week.of([(6, 6, 22, 6)]) and 6 not in Week.of([(6, 6, 22, 6)])
    assert parse_week("24/7") == PRESETS["always"]
    for bad in ("", "hola", "lun 25-3", "lun-vie", "xyz 1-2"):
        assert parse_week(bad) is None, bad
    assert Week.decode(week.encode()) == week


async def test_report_to_field_check_to_published_alert(tmp_path: Path) -> None:
    async with Harness.open(tmp_path, _config(tmp_path)) as h:
        c1, c2, c3 = h.person("campo1"), h.person("campo2"), h.person("campo3")
        await _shift(c1, ["buncombe"], "always")
        await _shift(c2, ["buncombe", "madison"], "lun-vie 18-23")   # off call at 07:00 Tue
        await _shift(c3, ["yancey"], "always")
        # campo2 is off call by the pattern, on call with the override.
        await c2.say("/disponible 2")
        assert "09:00" in c2.text, c2.text
        ana = h.person("ana")
        await ana.start_in("es")
        report = await file_report(ana, "buncombe", details=DETAILS)
        # Both on-call Buncombe verifiers are pinged; Yancey's is not.
        (p1,), (p2,) = _pings(c1), _pings(c2)
        assert _pings(c3) == []
        for ping in (p1, p2):
            assert "Buncombe" in ping.text and "gasolinera" not in ping.text
            assert "3–5" not in ping.text and "3-5" not in ping.text
            assert _ids(ping) == [f"rrn:{a}:{report}" for a in ("go15", "go30", "far", "no")]
        # The moderators' card does not go to field verifiers.
        assert not any("Reporte #" in r.text or "Report #" in r.text for r in c1.inbox)
        h.clock.advance(120)
        # First claim wins: campo2 gets the details; campo1 is told it is assigned.
        await c2.press(f"rrn:go15:{report}")
        assert "gasolinera" in c2.text and f"rrn:out:{report}" in c2.button_ids(), c2.text
        assigned = c1.inbox[-1]
        assert "gasolinera" not in assigned.text and "Asignado" in assigned.text
        mod1 = h.person("mod1")
        assert "en camino" in mod1.inbox[-1].text or "on the way" in mod1.inbox[-1].text
        # A second press by campo2 is answered with the state; campo1 joins as backup.
        await c1.press(f"rrn:go30:{report}")
        assert "gasolinera" in c1.text and "apoyo" in c1.text.lower(), c1.text
        await c3.press(f"rrn:go15:{report}")   # never pinged
        assert "gasolinera" not in c3.text
        # The check-in: campo2 at claim + 15 + 20 min, campo1 at claim + 30 + 20.
        h.clock.advance(35 * 60)
        sent = await _tick(h)
        assert [a.chat_id for a, _ in sent] == ["campo2"], sent
        assert f"rrn:ok:{report}" in _ids(sent[0][1])
        await c2.press(f"rrn:ok:{report}")
        assert "03:" in c2.text or "02:" in c2.text or ":" in c2.text
        await c2.press(f"rrn:left:{report}")      # ends campo2's timer
        assert f"rrn:out:{report}" in c2.button_ids()
        h.clock.advance(16 * 60)   # campo1's check-in is asked (no grace passed yet)
        assert [a.chat_id for a, _ in await _tick(h)] == ["campo1"]
        h.clock.advance(11 * 60)   # …and not answered within the grace: admins only
        alarms = await _tick(h)
        assert [a.chat_id for a, _ in alarms] == ["mod1"]
        assert "#" + str(report) in alarms[0][1].text and "campo1" not in alarms[0][1].text
        # The admin asks again: campo1 gets "¿Está bien?" and a new grace period.
        await mod1.press(f"rrnadm:ask:{report}")
        assert "¿Está bien?" in c1.inbox[-1].text and f"rrn:ok:{report}" in _ids(c1.inbox[-1])
        await c1.press(f"rrn:ok:{report}")
        await mod1.press(f"rrnadm:ask:{report}")
        assert "Ya nadie" in mod1.text, mod1.text
        # The outcome form; the note is scrubbed; it counts as one confirmation.
        await c2.press(f"rrn:out:{report}")
        for step, value in (("result", "confirmed"), ("agents", "yes"), ("vehicles", "yes"),
                            ("police", "no"), ("place", "public")):
            await c2.press(f"fout:{step}:{value}")
        await c2.say("Dos camionetas, llamen al 828-555-0199")
        assert "Gracias" in c2.text or "Thank" in c2.text
        card = mod1.inbox[-1].text
        assert "1/2" in card and "Verificación en campo" in card, card
        assert "555-0199" not in card
        raw = (tmp_path / "compa.sqlite3").read_bytes()
        assert b"camionetas" not in raw and b"0199" not in raw
        # One moderator's confirmation completes the two-person rule: a draft to publish.
        mod2 = h.person("mod2")
        await mod2.press(f"mod:ok:{report}")
        assert any(b.startswith("pub:send:") for r in mod2.replies for b in _ids(r)), mod2.text
        pub = next(b for r in mod2.replies for b in _ids(r) if b.startswith("pub:send:"))
        await mod2.press(pub)
        row = await h.app.db.fetchone("SELECT status FROM alerts WHERE report_id = ?",
                                      (report,))
        assert row is not None and row[0] != "draft"
        # The dispatch log keeps minutes, not people.
        figures = await h.app.services.rrn.figures(0)
        assert figures == [("buncombe", "ended", 2, 64, "confirmed")]
        assert await h.app.db.fetchall("SELECT * FROM dispatch_pings") == []


async def test_nobody_claims_backup_then_moderators_choose(tmp_path: Path) -> None:
    async with Harness.open(tmp_path, _config(tmp_path)) as h:
        c1, c3 = h.person("campo1"), h.person("campo3")
        await _shift(c1, ["buncombe"], "always")
        await _shift(c3, ["henderson"], "always")   # Buncombe's nearest backup county
        ana = h.person("ana")
        await ana.start_in("es")
        report = await file_report(ana, "buncombe")
        assert len(_pings(c1)) == 1 and _pings(c3) == []
        h.clock.advance(9 * 60)
        assert await _tick(h) == []
        h.clock.advance(60)
        sent = await _tick(h)
        assert [a.chat_id for a, _ in sent] == ["campo3"]
        assert "respaldo" in sent[0][1].text or "backup" in sent[0][1].text
        assert await _tick(h) == []   # once per step
        # A new report on the same incident restarts the escalation.
        bea = h.person("bea")
        await bea.start_in("es")
        h.clock.advance(5 * 60)
        await file_report(bea, "buncombe")      # same kind, same county: same incident
        assert "2 reportes independientes" in _pings(c1)[-1].text
        h.clock.advance(9 * 60)
        assert await _tick(h) == []
        h.clock.advance(60)
        again = await _tick(h)    # the restarted escalation asks the backup again
        assert [a.chat_id for a, _ in again] == ["campo3"]
        assert "2 reportes independientes" in again[0][1].text
        h.clock.advance(10 * 60)
        sent = await _tick(h)
        assert {a.chat_id for a, _ in sent} == {"mod1", "mod2", "mod3"}
        assert "Sin verificador" in sent[0][1].text
        assert _ids(sent[0][1]) == [f"rrnmod:wait:{report}", f"rrnpub:{report}",
                                    f"rrnmod:close:{report}"]
        # Field verifiers may not choose for the moderators.
        await c1.press(f"rrnmod:close:{report}")
        assert "solo para" in c1.text or "only for" in c1.text
        # "Keep waiting" starts the escalation over: backups, then the moderators again.
        mod1 = h.person("mod1")
        await mod1.press(f"rrnmod:wait:{report}")
        assert "Seguimos esperando" in mod1.text, mod1.text
        h.clock.advance(10 * 60)
        assert [a.chat_id for a, _ in await _tick(h)] == ["campo3"]
        h.clock.advance(10 * 60)
        assert {a.chat_id for a, _ in await _tick(h)} == {"mod1", "mod2", "mod3"}
        await mod1.press(f"rrnmod:close:{report}")
        incident = await h.app.reports.incident(report)
        assert incident is not None and str(incident.status) == "unverified"
        await c1.press(f"rrn:go15:{report}")
        assert "terminó" in c1.text or "ended" in c1.text


async def test_coverage_shows_gaps_and_is_for_admins(tmp_path: Path) -> None:
    async with Harness.open(tmp_path, _config(tmp_path)) as h:
        c1 = h.person("campo1")
        await _shift(c1, ["buncombe"], "lun-vie 18-24")
        await c1.say("/cobertura")
        assert "administradores" in c1.text or "administrators" in c1.text
        mod1 = h.person("mod1")
        await mod1.say("/cobertura")
        line = next(x for x in mod1.text.splitlines() if "Buncombe" in x)
        assert "1" in line and "00–18" in line and "Sáb, Dom 00–24" in line, line
        assert any("Madison" in x and "nadie" in x for x in mod1.text.splitlines())
        assert "De guardia ahora mismo: nadie" in mod1.text     # 07:00 on a Tuesday
        await mod1.say("/despacho")
        assert "Despachos en los últimos 7 días: 0" in mod1.text
        # One report nobody takes: counted, by county, without anyone's name.
        ana = h.person("ana")
        await ana.start_in("es")
        await c1.say("/disponible")
        await file_report(ana, "buncombe")
        await mod1.say("/despacho")
        assert "Despachos en los últimos 7 días: 1" in mod1.text
        assert "Nunca tomados, por condado: Condado de Buncombe 1" in mod1.text, mod1.text
        await mod1.say("/cobertura")
        assert "De guardia ahora mismo: Condado de Buncombe 1" in mod1.text


@pytest.mark.parametrize("command", ["/turno", "/disponible", "/nodisponible"])
async def test_people_cannot_use_the_roster(tmp_path: Path, command: str) -> None:
    async with Harness.open(tmp_path, _config(tmp_path)) as h:
        eve = h.person("eve")
        await eve.start_in("es")
        await eve.say(command)
        assert "verificadores de campo" in eve.text, eve.text
        assert await h.app.db.fetchall("SELECT * FROM roster") == []


README_SCRIPT = """\
@campo1 /turno
buncombe
Listo
1
1
Listo
@ana hola
1
/reportar
1
4
1
2
2
Cerca del puente
1
@campo1 1
1
1
1
1
2
2
Dos camionetas
@mod2 1
@mod2 1
"""


async def test_the_readme_walkthrough_on_the_console(tmp_path: Path) -> None:
    """The README's round on the real console channel, with the default console roles."""
    data_dir = tmp_path / "data"
    config = make_config(data_dir, channels={"console": {"moderators": ["mod1", "mod2"]}})
    out = io.StringIO()
    code = await run(config, RunOptions(console=True, stdin=io.StringIO(README_SCRIPT),
                                        stdout=out, clock=FakeClock()))
    assert code == 0
    transcript = out.getvalue()
    ping = next(b for b in transcript.split("\n\n") if b.startswith("[→ campo1]"))
    assert "Condado de Buncombe" in ping and "puente" not in ping and "Voy (≤15 min)" in ping
    assert "Usted tomó el reporte #1." in transcript
    assert "Verificación en campo: ✅ Confirmado" in transcript
    assert "Confirmado 1/2 por un voluntario" in transcript
    assert "✅ Verificado por 2 voluntarios." in transcript
    assert "[→ campo1] 🚨 Reporte" not in transcript      # no card for a field verifier
    with sqlite3.connect(data_dir / DB_FILE) as db:
        assert db.execute("SELECT status FROM reports").fetchall() == [("verified",)]
        assert db.execute("SELECT count(*) FROM alerts WHERE status != 'draft'").fetchone() \
            == (1,)


async def test_a_report_decided_before_anyone_claims_sends_nobody(tmp_path: Path) -> None:
    async with Harness.open(tmp_path, _config(tmp_path)) as h:
        c1 = h.person("campo1")
        await _shift(c1, ["buncombe"], "always")
        ana = h.person("ana")
        await ana.start_in("es")
        report = await file_report(ana, "buncombe", details=DETAILS)
        await h.person("mod1").press(f"mod:false:{report}")
        await c1.press(f"rrn:go15:{report}")
        assert "ya terminó" in c1.text and "gasolinera" not in c1.text, c1.text
        dispatch = await h.app.services.rrn.dispatch(report)
        assert dispatch is not None and (dispatch.status, dispatch.outcome) == ("ended",
                                                                               "decided")
        assert dispatch.claim_minutes is None


async def test_after_a_restart_the_escalation_starts_over(tmp_path: Path) -> None:
    """The exact start lives in memory only: a restarted process waits a whole step again
    (never escalates early), then goes on."""
    async with Harness.open(tmp_path, _config(tmp_path)) as h:
        await _shift(h.person("campo1"), ["buncombe"], "always")
        ana = h.person("ana")
        await ana.start_in("es")
        report = await file_report(ana, "buncombe")
        app = h.app
        restarted = FieldDesk(app.db, app.privacy, app.config, app.regions)
        h.clock.advance(15 * 60)
        assert (await restarted.tick(h.clock.now(), {})).backup == []
        h.clock.advance(10 * 60)
        [(dispatch, _)] = (await restarted.tick(h.clock.now(), {})).backup
        assert dispatch.incident == report and dispatch.started % 3600 == 0


async def test_a_claimed_dispatch_ends_once_decided_and_nobody_is_out(tmp_path: Path) -> None:
    async with Harness.open(tmp_path, _config(tmp_path)) as h:
        c1 = h.person("campo1")
        await _shift(c1, ["buncombe"], "always")
        ana = h.person("ana")
        await ana.start_in("es")
        report = await file_report(ana, "buncombe")
        await c1.press(f"rrn:go30:{report}")
        await h.person("mod1").press(f"mod:false:{report}")
        desk = h.app.services.rrn
        assert await _tick(h) == []
        found = await desk.dispatch(report)
        assert found is not None and found.status == "claimed"   # campo1 is still out
        await c1.press(f"rrn:left:{report}")
        await _tick(h)
        found = await desk.dispatch(report)
        assert found is not None and (found.status, found.outcome) == ("ended", "decided")


async def test_on_call_windows_and_overrides_decide_who_is_pinged(tmp_path: Path) -> None:
    """07:00 on a Tuesday (New York): the evening volunteer is off; at 19:00 on; /nodisponible
    takes the 24/7 one off until midnight, and the next morning they are back."""
    async with Harness.open(tmp_path, _config(tmp_path)) as h:
        day, evening = h.person("campo1"), h.person("campo2")
        await _shift(day, ["madison"], "always")
        await _shift(evening, ["madison"], "mar 18-23")
        await day.say("/nodisponible")
        assert "00:00" in day.text, day.text
        ana = h.person("ana")
        await ana.start_in("es")
        first = await file_report(ana, "madison")
        assert _pings(day) == [] and _pings(evening) == []
        await h.person("mod1").press(f"mod:false:{first}")
        h.clock.advance(12 * 3600)       # 19:00 Tuesday
        second = await file_report(ana, "madison", kind="raid")
        assert _pings(day) == [] and [_ids(p)[0] for p in _pings(evening)] == [
            f"rrn:go15:{second}"]
        await h.person("mod1").press(f"mod:false:{second}")
        h.clock.advance(6 * 3600)        # 01:00 Wednesday: the override is over
        third = await file_report(ana, "madison", kind="arrest")
        assert [_ids(p)[0] for p in _pings(day)] == [f"rrn:go15:{third}"]
        assert len(_pings(evening)) == 1
