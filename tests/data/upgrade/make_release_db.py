"""Makes the upgrade fixture: a database written by a released Compa, with scripted data.

Run it against the release's code, not the working tree's (the fixture must be what that
release wrote):

    git archive cfffb2c | tar -x -C /tmp/compa-release
    PYTHONPATH=/tmp/compa-release .venv/bin/python tests/data/upgrade/make_release_db.py \\
        tests/data/upgrade/release-cfffb2c.sqlite3

The keys are fixed test keys (below), so tests/test_upgrade.py can read what was sealed.
Everything goes through the release's own services: people and subscriptions, reports filed
through the conversation, two moderators' decisions, alerts with deliveries in every outcome,
a follow-up, a scheduled notice, and the audit entries all of that wrote.
"""

from __future__ import annotations

import asyncio
import base64
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

PEPPER = base64.urlsafe_b64encode(bytes(range(32))).decode()
SEAL_KEY = base64.urlsafe_b64encode(bytes(range(32, 64))).decode()


async def build(out: Path) -> None:
    from alerts import publish, schedule
    from alerts import subscriptions as subs
    from alerts.models import Decision
    from alerts.status import MessageType
    from alerts.verification import decide
    from bot.app import DB_FILE
    from bot.messages import SendResult
    from tests.fanout_support import chat_ids, seed_subscribers
    from compa_testkit.harness import Harness, RecordingChannel, make_config
    from tests.report_helpers import file_report, followup_button

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        async with Harness.open(data, make_config(data), channels=()) as h:
            console, telegram = RecordingChannel("console"), RecordingChannel("telegram")
            h.channels["console"] = console
            h.app.channels.update(console=console, telegram=telegram)
            people = {"ana": "es", "bea": "es", "carl": "en", "dora": "en"}
            for name, locale in people.items():
                await h.person(name).start_in(locale)
            pid = {n: h.app.pid_for(h.person(n).address) for n in people}
            await subs.save(h.app.db, pid["ana"], subs.Subscription(["buncombe"]))
            await subs.save(h.app.db, pid["bea"], subs.Subscription(
                ["buncombe", "madison"], mode="digest"))
            await subs.save(h.app.db, pid["carl"], subs.Subscription(
                ["buncombe"], quiet_start=22, quiet_end=7))
            chats = chat_ids(6)
            await seed_subscribers(h.app, chats)
            telegram.fail[str(chats[0])] = SendResult(ok=False, permanent=True,
                                                      error="Forbidden: bot was blocked")
            telegram.fail[str(chats[1])] = SendResult(ok=False, permanent=True,
                                                      error="Bad Request: chat not found")

            first = await file_report(h.person("dora"), details="two vans near the bridge")
            h.clock.advance(3600)
            second = await file_report(h.person("carl"), region="madison", kind="raid")
            h.clock.advance(3600)
            third = await file_report(h.person("ana"), region="henderson")
            h.clock.advance(3 * 3600)
            await file_report(h.person("bea"), region="madison", kind="agents")   # pending
            await h.person("bea").press(followup_button(h.person("bea")))
            assert "I will tell you" in h.person("bea").text or "Le avisaré" in \
                h.person("bea").text, h.person("bea").text
            now = h.clock.now()
            for moderator in ("mod1", "mod2"):
                await decide(h.app.reports, moderator, first, Decision.CONFIRM, now)
            await decide(h.app.reports, "mod1", second, Decision.FALSE_ALARM, now,
                         note="it was a tow truck")
            await decide(h.app.reports, "mod2", second, Decision.FALSE_ALARM, now)
            await decide(h.app.reports, "mod1", third, Decision.UNVERIFIABLE, now)

            alert = await publish.create(h.app, region="buncombe", kind="checkpoint",
                                         note="Hwy 19 at exit 13", actor="mod1",
                                         preverified=True)
            await h.deliver()
            await publish.follow_up(h.app, alert.alert_id, MessageType.UPDATE,
                                    "still there", "mod2")
            await h.deliver()
            h.clock.advance(600)
            await publish.create(h.app, region="buncombe", kind="raid", note="",
                                 actor="mod1", preverified=True)      # left pending
            await publish.create(h.app, region="buncombe", kind="raid", note="", actor="mod2")
            await schedule.schedule_notice(h.app, h.clock.now() + 86400, ["buncombe"],
                                           "Taller el sábado", "Workshop on Saturday", "mod1")
            for actor, action, subject in (
                    ("mod1", "confirm", f"report:{first}"), ("mod2", "confirm", f"report:{first}"),
                    ("mod1", "false_alarm", f"report:{second}"),
                    ("mod1", "publish", f"alert:{alert.alert_id}"),
                    (h.app.audit.person(pid["ana"], now), "refused", "command:pending")):
                await h.app.audit.append(actor, action, subject, h.clock.now())
            await h.app.db.checkpoint()
        src = sqlite3.connect(data / DB_FILE)
        try:
            src.execute("PRAGMA journal_mode=DELETE")
            out.unlink(missing_ok=True)
            dst = sqlite3.connect(out)
            src.backup(dst)
            dst.execute("VACUUM")
            dst.close()
        finally:
            src.close()


def main() -> None:
    out = Path(sys.argv[1]).resolve()
    os.environ["COMPA_PEPPER"], os.environ["COMPA_SEAL_KEY"] = PEPPER, SEAL_KEY
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    asyncio.run(build(out))
    conn = sqlite3.connect(out)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    print(f"{out}: schema {version}")
    for table in tables:
        print(f"  {table}: {conn.execute(f'SELECT COUNT(*) FROM {table}').fetchone()[0]}")
    conn.close()


if __name__ == "__main__":
    main()
