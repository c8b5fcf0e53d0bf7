"""The case desk keeps nobody: canaries, the grace-period purge, /olvidarme, held broadcasts,
and the "¿Detuvieron a alguien?" guide, which never asks for a name or an A-number."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from bot.logs import setup_logging
from compa_testkit.harness import Harness, make_config
from tests import canary
from tests.publish_support import two_person_alert
from tests.test_desk import code_in, open_case
from tests.test_privacy_canary import assert_clean

DAY = 86400


async def test_no_canary_of_a_case_is_at_rest_or_in_the_logs(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data_dir = tmp_path / "data"
    stream = io.StringIO()
    handler = setup_logging("DEBUG", stream)
    caplog.set_level(logging.DEBUG)
    try:
        async with Harness.open(data_dir, make_config(data_dir)) as h:
            person, helper = h.person(canary.NAME), h.person("help1")
            await person.start_in("es")
            code = await open_case(person, "detained",
                                   f"soy {canary.FULL_NAME}, llamen al {canary.PHONE}")
            news = helper.inbox[-1].text
            assert canary.PHONE not in news and "[…]" in news     # scrubbed for the helper
            assert canary.NAME not in news and "console" not in news
            await person.say(f"mi otro número {canary.PHONE}")
            await helper.say(f"/tomar {code}")
            assert canary.PHONE not in helper.last.text
            await helper.say(f"/responder {code} Gracias {canary.FULL_NAME}")
            await helper.say(f"/nota {code} {canary.FULL_NAME} parece urgente")
            for name, blob in canary.files_under(data_dir).items():
                assert_clean(blob, name)          # sealed while open, WAL included
            await helper.say(f"/cerrar {code} resuelto {canary.FULL_NAME}")
            # Past the grace period: the link and the transcript are gone.
            await h.app.services.desk.tick(h.clock.now() + 8 * DAY)
            row = await h.app.db.fetchone("SELECT * FROM cases")
            assert row is not None
            assert (row["pid"], row["code"], row["helper"], row["started"]) == (None,) * 4
            assert (row["topic"], row["outcome"]) == ("detained", "resolved")
            assert row["opened"] % 3600 == 0 and row["closed"] % 3600 == 0
            assert await h.app.db.fetchall("SELECT id FROM case_messages") == []
            await h.app.db.checkpoint()
        for name, blob in canary.files_under(data_dir).items():
            assert_clean(blob, name)
    finally:
        logging.getLogger().removeHandler(handler)
    assert_clean(stream.getvalue().encode(), "log output")
    assert_clean(caplog.text.encode(), "log records")


async def test_within_the_grace_period_the_transcript_stays(tmp_path: Path) -> None:
    async with Harness.open(tmp_path) as h:
        ana, helper = h.person("ana"), h.person("help1")
        await ana.start_in("es")
        code = await open_case(ana)
        await helper.say(f"/cerrar {code} resuelto")
        await h.app.services.desk.tick(h.clock.now() + 6 * DAY)
        row = await h.app.db.fetchone("SELECT pid, code FROM cases")
        assert row is not None and row["pid"] is not None and row["code"] == code
        assert await h.app.db.fetchall("SELECT id FROM case_messages")


async def test_forget_me_closes_and_purges_at_once(tmp_path: Path) -> None:
    async with Harness.open(tmp_path) as h:
        ana, helper = h.person("ana"), h.person("help1")
        await ana.start_in("es")
        code = await open_case(ana)
        await ana.say("/olvidarme")
        assert "conversaciones con una persona" in ana.last.text
        await ana.press("account:forget:yes")
        assert await h.app.db.fetchall("SELECT id FROM case_messages") == []
        row = await h.app.db.fetchone("SELECT pid, code, status, outcome FROM cases")
        assert row is not None and tuple(row) == (None, None, "closed", "forgotten")
        await helper.say(f"/tomar {code}")
        assert "No hay un caso abierto" in helper.last.text


async def test_digests_and_notices_wait_for_the_case_but_alerts_do_not(tmp_path: Path) -> None:
    async with Harness.open(tmp_path) as h:
        ana, carl, helper = h.person("ana"), h.person("carl"), h.person("help1")
        for chat in (ana, carl):
            await chat.start_in("es")
            await chat.say("/alertas")
            await chat.press("alerts:regions:0")
            await chat.say("buncombe")
        code = await open_case(ana)
        await h.app.alerts.schedule_notice(h.clock.now(), None, "aviso de prueba",
                                           "test notice", "admin", preverified=True)
        assert await h.app.alerts.send_due_notices() == 2
        await h.deliver()
        assert "aviso de prueba" in carl.inbox[-1].text
        assert all("aviso de prueba" not in r.text for r in ana.inbox)
        # A verified alert still reaches her while the case is open.
        mod1, mod2 = h.person("mod1"), h.person("mod2")
        for mod in (mod1, mod2):
            await mod.start_in("en")
        await two_person_alert(mod1, mod2, "/alerta buncombe checkpoint carretera 19")
        await h.deliver()
        assert "🚨" in ana.inbox[-1].text and "aviso de prueba" not in ana.inbox[-1].text
        # Closing releases what was held.
        await helper.say(f"/cerrar {code} resuelto")
        await h.deliver()
        assert any("aviso de prueba" in r.text for r in ana.inbox)


async def test_the_detained_guide_never_asks_who(tmp_path: Path) -> None:
    async with Harness.open(tmp_path) as h:
        ana = h.person("ana")
        await ana.start_in("es")
        await ana.press("det:start")
        texts, ids = [ana.last.text], set(ana.button_ids())
        while "det:next" in ana.button_ids():
            await ana.press("det:next")
            texts.append(ana.last.text)
            ids |= set(ana.button_ids())
        assert len(texts) == 7
        joined = "\n".join(texts)
        for expected in ("locator.ice.gov", "1-888-351-4024", "abogado", "desconocidos",
                         "niños", "(example)"):
            assert expected in joined
        assert "kyr:topic:family-plan" in ids          # children: the family plan page
        assert "¿Quiere hablar con una persona?" in ana.last.text
        before = await h.app.db.fetchall("SELECT id FROM cases")
        assert before == []
        await ana.press("desk:topic:detained")
        await ana.press("desk:county:skip")
        await ana.say("mi esposo")
        code = code_in(ana.last.text)
        row = await h.app.db.fetchone("SELECT topic FROM cases WHERE code = ?", (code,))
        assert row is not None and row[0] == "detained"
        await h.app.run_desk()
