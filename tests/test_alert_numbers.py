"""Alert numbers: alerts have their own public sequence. Digests, follow-ups and notices do not
use up numbers, follow-ups name their alert's number, and an upgraded database keeps the
numbers its alerts went out under."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from alerts import subscriptions as subs
from bot.app import DB_FILE
from bot.store import Database
from compa_testkit.harness import Harness, make_config
from tests.data.upgrade import make_release_db as release
from tests.publish_support import second_confirms
from tests.report_helpers import ready
from tests.test_upgrade import FIXTURE


async def test_alerts_are_numbered_1_2_3_whatever_else_goes_out(harness: Harness) -> None:
    bea, mod1, mod2 = await ready(harness, "bea", "mod1", "mod2", locale="es")
    await subs.save(harness.app.db, harness.app.pid_for(bea.address),
                    subs.Subscription(["buncombe"]))
    # A digest runs before anything else on a fresh install: it takes no number.
    await harness.app.alerts.run_digest()
    await mod1.say("/alerta buncombe reten cerca del puente")
    await second_confirms(mod2)
    assert "Alerta #1: ya tiene las dos confirmaciones y va en camino" in mod2.last.text
    await harness.deliver()
    assert "Alerta #1. Envíe BAJA" in bea.inbox[-1].text
    await mod1.say("/actualizar 1 los agentes siguen ahí")
    await second_confirms(mod2)
    await mod1.say("/despejado 1")
    assert "alerta #1" in mod1.last.text and "#100000" not in mod1.last.text
    await second_confirms(mod2)
    harness.clock.advance(10)
    await harness.deliver()
    assert bea.inbox[-1].text.startswith("✅ Todo despejado: la alerta #1")
    # The update and the all clear took no number: the next alert is #2.
    await mod1.say("/alerta buncombe redada en la calle principal")
    assert "Vista previa de la alerta #2." in mod1.last.text
    await second_confirms(mod2)
    assert "Alerta #2: ya tiene las dos confirmaciones y va en camino" in mod2.last.text
    await mod1.say("/despejado 2")
    assert "la alerta #2" in mod1.last.text
    rows = await harness.app.db.fetchall("SELECT id FROM alerts WHERE type = 'alert'"
                                         " ORDER BY id")
    assert [r[0] for r in rows] == [1, 2]
    # Everything else is in the internal range, never shown as an alert number.
    others = await harness.app.db.fetchall("SELECT id, type FROM alerts WHERE type != 'alert'")
    assert {t for _, t in others} >= {"digest", "update", "all_clear"}
    assert all(i > 1_000_000_000 for i, _ in others)


async def test_an_unknown_or_internal_number_is_no_alert(harness: Harness) -> None:
    bea, mod1 = await ready(harness, "bea", "mod1", locale="en")
    await subs.save(harness.app.db, harness.app.pid_for(bea.address),
                    subs.Subscription(["buncombe"]))
    await harness.app.alerts.run_digest()
    digest = await harness.app.db.fetchone("SELECT id FROM alerts WHERE type = 'digest'")
    assert digest is not None
    await mod1.say(f"/despejado {digest[0]}")
    assert f"There is no published alert #{digest[0]}." in mod1.last.text


@pytest.fixture
def old_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o700)   # this release refuses a data folder others can read (issue 11)
    shutil.copy(FIXTURE, data / DB_FILE)
    monkeypatch.setenv("COMPA_PEPPER", release.PEPPER)
    monkeypatch.setenv("COMPA_SEAL_KEY", release.SEAL_KEY)
    return data


async def test_an_upgrade_keeps_the_numbers_already_shown(old_copy: Path) -> None:
    # The release numbered alerts 1 and 3 and gave its update #2.
    db = await Database.open(old_copy / DB_FILE)
    await db.close()
    async with Harness.open(old_copy, make_config(old_copy), channels=("console",)) as h:
        mod1, mod2 = h.person("mod1"), h.person("mod2")
        for chat in (mod1, mod2):
            await chat.start_in("en")
        kept = await h.app.db.fetchall("SELECT id, type FROM alerts ORDER BY id")
        assert [tuple(r) for r in kept][:4] == [(1, "alert"), (2, "update"), (3, "alert"),
                                                 (4, "alert")]
        await mod1.say("/despejado 3")        # alert #3 is still alert #3
        assert "All clear for alert #3: preview." in mod1.last.text
        await mod1.say("/alert buncombe reten near the bridge")
        # The next number comes after every row the release wrote: none is shown twice.
        assert "Alert #5 preview." in mod1.last.text
        follow = await h.app.db.fetchone("SELECT id FROM alerts WHERE type = 'all_clear'")
        assert follow is not None and follow[0] > 1_000_000_000
