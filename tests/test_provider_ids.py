"""Platform message ids in the outbox: kept as keyed hashes (a WhatsApp id carries the phone
number), still matched by status webhooks, and rows written before the change still work."""

from __future__ import annotations

from alerts import outbox, publish
from alerts.delivery_events import OutboxDeliveryEvents
from bot.messages import Address, Reply, SendResult
from compa_testkit.fakes.graph_api import wamid
from compa_testkit.harness import Harness, RecordingChannel
from tests.fanout_support import REGION, chat_ids, seed_subscribers

NUMBER = "16505551234"


class WhatsAppLike(RecordingChannel):
    """Answers like the Graph API: a message id that embeds the recipient's number."""

    async def send(self, address: Address, reply: Reply) -> SendResult:
        return SendResult(ok=True, provider_id=wamid(NUMBER, 1))


async def test_ids_are_hashed_and_status_webhooks_still_find_them(harness: Harness) -> None:
    harness.app.channels["telegram"] = WhatsAppLike("telegram")
    await seed_subscribers(harness.app, chat_ids(1))
    await publish.create(harness.app, region=REGION, kind="raid", note="", actor="mod",
                         preverified=True)
    await harness.deliver()
    [row] = await harness.app.db.fetchall("SELECT provider_id, status FROM deliveries")
    assert row[0] == outbox.provider_key(harness.app.privacy, wamid(NUMBER, 1))
    assert NUMBER not in row[0] and "wamid" not in row[0]
    # A later "failed" status for that id reaches the row.
    await OutboxDeliveryEvents(harness.app).on_status(wamid(NUMBER, 1), "failed", 131026)
    assert (await harness.app.db.fetchone("SELECT status FROM deliveries"))[0] == "failed"


async def test_rows_from_before_the_change_still_match(harness: Harness) -> None:
    harness.app.channels["telegram"] = WhatsAppLike("telegram")
    await seed_subscribers(harness.app, chat_ids(1))
    await publish.create(harness.app, region=REGION, kind="raid", note="", actor="mod",
                         preverified=True)
    await harness.deliver()
    await harness.app.db.execute("UPDATE deliveries SET provider_id = ?", (wamid(NUMBER, 1),))
    await OutboxDeliveryEvents(harness.app).on_status(wamid(NUMBER, 1), "unsubscribed", 131050)
    assert (await harness.app.db.fetchone("SELECT status FROM deliveries"))[0] == "unsubscribed"


async def test_a_progress_message_id_from_before_sealing_is_still_read(harness: Harness) -> None:
    from alerts import progress

    mod = harness.person("mod1")
    await mod.say("hola")
    out = await publish.create(harness.app, region=REGION, kind="raid", note="", actor="mod",
                               preverified=True, progress_to=mod.address)
    await harness.app.db.execute("UPDATE alerts SET progress_message = 'console-7'")
    await progress.report(harness.app, [out.alert_id], force=True)
    assert "Alerta #1 terminada" in mod.inbox[-1].text or "Alert #1 finished" in mod.inbox[-1].text
    [row] = await harness.app.db.fetchall("SELECT progress_message FROM alerts")
    assert isinstance(row[0], bytes) and b"console" not in row[0]   # sealed from now on
