"""Platform message ids in the outbox: kept as keyed hashes (a WhatsApp id carries the phone
number) and still matched by status webhooks; the progress message id is sealed."""

from __future__ import annotations

from alerts.delivery_events import OutboxDeliveryEvents
from bot.channels.base import StatusOutcome
from bot.messages import Address, Reply, SendResult
from compa_testkit.fakes.graph_api import wamid
from compa_testkit.harness import Harness, RecordingChannel
from tests.fanout_support import REGION, chat_ids, seed_subscribers

NUMBER = "16505551234"


class WhatsAppLike(RecordingChannel):
    """Answers like the Graph API: a message id that embeds the recipient's number."""

    async def send(self, address: Address, reply: Reply) -> SendResult:
        return SendResult.sent(wamid(NUMBER, 1))


async def test_ids_are_hashed_and_status_webhooks_still_find_them(harness: Harness) -> None:
    harness.app.channels["telegram"] = WhatsAppLike("telegram")
    await seed_subscribers(harness.app, chat_ids(1))
    await harness.app.alerts.create(region=REGION, kind="raid", note="", actor="mod",
                                    preverified=True)
    await harness.deliver()
    [row] = await harness.app.db.fetchall("SELECT provider_id, status FROM deliveries")
    assert row[0] == harness.app.alerts.provider_key(wamid(NUMBER, 1))
    assert NUMBER not in row[0] and "wamid" not in row[0]
    # A later "failed" status for that id reaches the row.
    await OutboxDeliveryEvents(harness.app.alerts).on_status(
        wamid(NUMBER, 1), StatusOutcome.FAILED, 131026)
    assert (await harness.app.db.fetchone("SELECT status FROM deliveries"))[0] == "failed"


async def test_a_stopped_status_unsubscribes_the_delivery(harness: Harness) -> None:
    harness.app.channels["telegram"] = WhatsAppLike("telegram")
    await seed_subscribers(harness.app, chat_ids(1))
    await harness.app.alerts.create(region=REGION, kind="raid", note="", actor="mod",
                                    preverified=True)
    await harness.deliver()
    await OutboxDeliveryEvents(harness.app.alerts).on_status(
        wamid(NUMBER, 1), StatusOutcome.UNSUBSCRIBED, 131050)
    assert (await harness.app.db.fetchone("SELECT status FROM deliveries"))[0] == "unsubscribed"


async def test_the_progress_message_id_is_sealed(harness: Harness) -> None:
    harness.app.channels["telegram"] = WhatsAppLike("telegram")
    await seed_subscribers(harness.app, chat_ids(1))
    mod = harness.person("mod1")
    await mod.say("hola")
    await harness.app.alerts.create(region=REGION, kind="raid", note="", actor="mod",
                                    preverified=True, progress_to=mod.address)
    await harness.deliver()
    assert mod.inbox[-1].text.startswith("Alerta #1 terminada: 1 enviadas")
    [row] = await harness.app.db.fetchall("SELECT progress_message FROM alerts")
    assert isinstance(row[0], bytes) and b"console" not in row[0]
