"""The issue's "done when", on the real console channel with piped lines: @ana reports a
checkpoint in Buncombe, @mod1 and @mod2 confirm it, @ana cannot, and nothing in the database
links the report to ana."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

from bot.app import DB_FILE
from bot.clock import FakeClock
from bot.privacy import Privacy, load_keys
from bot.runner import RunOptions, run
from compa_testkit.harness import make_config

SCRIPT = """\
@ana hola
1
/reportar
1
buncombe
1
2
2
Frente a la gasolinera de Patton Ave
1
@mod1 1
@mod1 1
@ana /verificar 1
@mod2 /pendientes
@mod2 1
@mod2 1
@ana /verificar 1
"""


async def test_ana_reports_two_moderators_verify_and_nothing_links_ana(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    config = make_config(data_dir, channels={"console": {"moderators": ["mod1", "mod2"]}})
    out = io.StringIO()
    code = await run(config, RunOptions(console=True, stdin=io.StringIO(SCRIPT), stdout=out,
                                        clock=FakeClock()))
    assert code == 0
    transcript = out.getvalue()
    blocks = transcript.split("\n\n")
    assert "Condado de Buncombe" in transcript
    assert "Gracias. Su reporte se envió" in transcript
    # Both moderators got the card, each in their own console chat.
    assert "[→ mod1] 🚨 Reporte n.º 1: Retén o punto de control" in transcript
    assert "[→ mod2] 🚨 Reporte n.º 1: Retén o punto de control" in transcript
    assert "Confirmado 1/2 por un voluntario" in transcript
    assert "Usted ya dio su decisión sobre el reporte n.º 1." in transcript
    assert "✅ Verificado por 2 voluntarios." in transcript
    refusals = [b for b in blocks if "solo para los voluntarios que verifican" in b]
    assert len(refusals) == 2

    with sqlite3.connect(data_dir / DB_FILE) as db:
        assert db.execute("SELECT status, region, kind FROM reports").fetchall() == [
            ("verified", "buncombe", "checkpoint")]
        votes = db.execute("SELECT moderator, decision FROM verifications").fetchall()
        keys = load_keys(data_dir / "keys.toml", "COMPA_PEPPER", "COMPA_SEAL_KEY", create=False)
        privacy = Privacy(keys)
        ana = privacy.pseudonym("console", "ana")
        # Votes are keyed by the person (migrated console entries are named "console mod1").
        mods = {privacy.mac("moderator", f"console {m}") for m in ("mod1", "mod2")}
        assert {v[0] for v in votes} == mods and {v[1] for v in votes} == {"confirm"}
        assert db.execute("SELECT count(*) FROM users WHERE pid = ?", (ana,)).fetchone() == (1,)
        # Outside ana's own user row, nothing names her: no table, no column, no value.
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            if table == "users":
                continue
            for row in db.execute(f"SELECT * FROM {table}"):
                values = [v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row]
                assert not any(ana in v or v == "ana" for v in values), table
        assert db.execute("SELECT count(*) FROM followups").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM sessions WHERE pid = ?", (ana,)).fetchone() \
            == (0,)
