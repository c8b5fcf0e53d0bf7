"""Issue 17, the last two parts, on the console with the fake clock: reports are grouped by
kind and county (one incident, one dispatch, "N independent reports" on the card), and when
nobody takes a report the publishers may warn people with an alert clearly labelled
unconfirmed, under the same two-person rule as every broadcast."""

from __future__ import annotations

from pathlib import Path

from alerts import subscriptions as subs
from bot.store import public as public_store
from compa_testkit.harness import Chat, Harness
from tests.publish_support import confirm_button, second_confirms
from tests.report_helpers import file_report
from tests.test_rrn import _config, _ids, _pings, _shift, _tick


def _card(chat: Chat, report: int) -> str:
    """The newest card of report #N this moderator received (Spanish: the default)."""
    return next(r.text for r in reversed(chat.inbox) if f"Reporte n.º {report}:" in r.text)


async def _subscribe(h: Harness, name: str, locale: str) -> Chat:
    chat = h.person(name)
    await chat.start_in(locale)
    await subs.save(h.app.db, h.app.pid_for(chat.address), subs.Subscription(["buncombe"]))
    return chat


async def test_same_kind_same_county_is_one_incident_and_one_dispatch(tmp_path: Path) -> None:
    async with Harness.open(tmp_path, _config(tmp_path)) as h:
        c1 = h.person("campo1")
        await _shift(c1, ["buncombe"], "always")
        ana, bea, cruz = h.person("ana"), h.person("bea"), h.person("cruz")
        for chat in (ana, bea, cruz):
            await chat.start_in("es")
        raid1 = await file_report(ana, "buncombe", kind="raid")
        h.clock.advance(5 * 60)
        raid2 = await file_report(bea, "buncombe", kind="raid")
        checkpoint = await file_report(cruz, "buncombe", kind="checkpoint")
        # Two incidents: the raids together, the checkpoint on its own.
        first, second, third = [await h.app.reports.incident(r) for r in (raid1, raid2,
                                                                             checkpoint)]
        assert first is not None and second is not None and third is not None
        assert first.id == second.id == raid1 and len(second.reports) == 2
        assert third.id == checkpoint and len(third.reports) == 1
        mod1 = h.person("mod1")
        assert "2 reportes independientes" in _card(mod1, raid1)
        assert "reportes independientes" not in _card(mod1, checkpoint)
        # One dispatch covers both raids; the checkpoint has its own.
        rows = await h.app.db.fetchall(
            "SELECT incident, kind, reports FROM dispatches ORDER BY incident")
        assert [tuple(r) for r in rows] == [(raid1, "raid", 2), (checkpoint, "checkpoint", 1)]
        pinged = [_ids(p)[0] for p in _pings(c1)]
        assert pinged == [f"rrn:go15:{raid1}", f"rrn:go15:{raid1}", f"rrn:go15:{checkpoint}"]
        assert "2 reportes independientes" in _pings(c1)[1].text
        # One claim covers the grouped raids: the claimant reads both reports.
        await c1.press(f"rrn:go15:{raid1}")
        assert "2 reportes independientes" in c1.text, c1.text


async def test_publish_as_unconfirmed_goes_through_two_publishers(tmp_path: Path) -> None:
    async with Harness.open(tmp_path, _config(tmp_path)) as h:
        c1 = h.person("campo1")
        await _shift(c1, ["buncombe"], "always")
        bea, carl = await _subscribe(h, "bea", "es"), await _subscribe(h, "carl", "en")
        ana = h.person("ana")
        await ana.start_in("es")
        report = await file_report(ana, "buncombe")
        h.clock.advance(10 * 60)
        await _tick(h)                        # the backup counties (nobody on call there)
        h.clock.advance(10 * 60)
        sent = await _tick(h)                 # the moderators: no field verifier
        assert {a.chat_id for a, _ in sent} == {"mod1", "mod2", "mod3"}
        assert f"rrnpub:{report}" in _ids(sent[0][1])
        # Only publishers may choose it: a field verifier and a plain verifier are refused.
        mod1, mod2, mod3 = h.person("mod1"), h.person("mod2"), h.person("mod3")
        await c1.press(f"rrnpub:{report}")
        await mod3.press(f"rrnpub:{report}")
        assert "solo los voluntarios que publican" in mod3.text, mod3.text
        assert await h.app.db.fetchall("SELECT id FROM alerts") == []
        # A publisher's choice is a PROPOSAL, labelled in both languages.
        await mod2.press(f"rrnpub:{report}")
        preview = mod2.last.text
        assert "— ES —\n⚠️ SIN CONFIRMAR" in preview and "— EN —\n⚠️ UNCONFIRMED" in preview
        assert "Verificado por voluntarios" not in preview
        assert "Verified by volunteers" not in preview
        rows = await h.app.db.fetchall("SELECT id, status, unconfirmed, report_id FROM alerts")
        assert [tuple(r) for r in rows] == [(1, "awaiting_confirmation", 1, report)]
        # One person alone cannot send it; pressing again makes no second alert.
        await mod2.press(confirm_button(mod2))
        assert "otra persona que publica debe confirmarla" in mod2.text, mod2.text
        await mod1.press(f"rrnpub:{report}")
        assert len(await h.app.db.fetchall("SELECT id FROM alerts")) == 1
        assert await h.deliver() == 0
        assert not any("🚨" in r.text for r in bea.inbox + carl.inbox)
        # A second publisher confirms the exact words: subscribers read the label.
        await second_confirms(mod1)
        row = await h.app.db.fetchone("SELECT status, confirmed_by FROM alerts WHERE id = 1")
        assert row is not None and row[0] == "published" and row[1] is not None
        await h.deliver()
        es, en = bea.inbox[-1].text, carl.inbox[-1].text
        assert es.startswith("⚠️ SIN CONFIRMAR") and "Aún sin confirmar" in es, es
        assert en.startswith("⚠️ UNCONFIRMED") and "Not confirmed yet" in en, en
        assert "Verificado" not in es and "Verified" not in en
        assert "Código" not in es and "Code:" not in en     # not on the verified pages
        # The verified alerts' public pages do not list it.
        assert await public_store.since(h.app.db, 0) == []
        # The label is under the row's MAC: flipping it without the keys is caught.
        published = await h.app.alerts.get(1)
        assert published is not None and h.app.alerts.send_problem(published) is None
        await h.app.db.execute("UPDATE alerts SET unconfirmed = 0 WHERE id = 1")
        flipped = await h.app.alerts.get(1)
        assert flipped is not None and not flipped.unconfirmed
        assert h.app.alerts.send_problem(flipped) == "mac"
