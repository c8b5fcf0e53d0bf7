"""Issue 17's tables under the seized-database rules: the roster, dispatches and pings keep
no name, chat id, typed text or position; a dispatch that ended keeps hour-rounded times and
minutes, never who; a field verifier who is forgotten leaves no roster row."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from compa_testkit.harness import Harness, make_config
from tests import canary
from tests.report_helpers import file_report

FIELD_ID = f"campo-{canary.NAME}"
PLATE = "ZXQ-4821"


async def test_roster_and_dispatch_keep_no_marker(tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    config = make_config(tmp_path, moderation={"roles": {"console": {
        "mod1": "admin", "mod2": "publisher", FIELD_ID: "field"}}})
    async with Harness.open(tmp_path, config) as h:
        field = h.person(FIELD_ID)
        await field.say("/turno")
        await field.say(f"Buncombe, {canary.FULL_NAME}")     # not a county: refused
        await field.press("turno:c:buncombe")
        await field.press("turno:done")
        await field.say(f"{canary.FULL_NAME} {canary.PHONE}")  # not hours: refused
        await field.press("turno:h:always")
        await field.press("turno:m:foot")
        await field.press("turno:done")
        ana = h.person("ana")
        await ana.start_in("es")
        report = await file_report(ana, "buncombe")
        h.clock.advance(7 * 60 + 13)
        await field.press(f"rrn:go15:{report}")
        await field.press(f"rrn:out:{report}")
        for step, value in (("result", "confirmed"), ("agents", "yes"), ("vehicles", "yes"),
                            ("police", "unsure"), ("place", "home")):
            await field.press(f"fout:{step}:{value}")
        await field.say(f"{canary.FULL_NAME} llamó al {canary.PHONE}, placa {PLATE}")
        assert PLATE not in h.person("mod1").inbox[-1].text
        db = h.app.db
        ended = await db.fetchall("SELECT * FROM dispatches")
        assert len(ended) == 1 and ended[0]["status"] == "ended"
        # The report's arrival is kept to the hour; so is its dispatch's start.
        assert ended[0]["started"] % 3600 == 0
        assert ended[0]["claim_minutes"] == 7
        assert await db.fetchall("SELECT * FROM dispatch_pings") == []
        pid = h.app.pid_for(field.address)
        columns = [tuple(r) for r in ended]
        assert not any(pid in str(v) for row in columns for v in row)
        await field.say("/olvidarme")
        await field.press("account:forget:yes")
        assert await db.fetchall("SELECT * FROM roster") == []
        await h.app.db.checkpoint()
    blobs = canary.files_under(tmp_path)
    blobs["logs"] = caplog.text.encode()
    assert canary.find_markers(blobs, [canary.NAME, canary.PHONE, canary.FULL_NAME,
                                       PLATE]) == []
