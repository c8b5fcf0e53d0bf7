"""Moderator traffic on its way out: cards that are edited instead of multiplied, and sends a
WhatsApp window stopped, recorded.

A card (`Reply.card`) is remembered per chat (bot/store/cards.py: the chat's pseudonym and the
message id, sealed). A later card of the same report with an `update` line edits that message
where the channel can (Telegram); where it cannot (WhatsApp), the short line goes out instead
of a second card. A staff message a channel could not deliver because of WhatsApp's 24-hour
window (no moderators' template configured) is written to the audit log, and the log line says
on which other channels that person still gets it.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

from alerts.audit import SYSTEM
from alerts.moderators import room
from bot.channels.base import CanEdit, Channel
from bot.messages import Address, Incoming, Reply, SendOutcome, SendResult
from bot.store import cards as card_store

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)


def is_room(app: App, address: Address) -> bool:
    """Whether `address` is a moderator's chat or the moderators' group."""
    return address in room(app.config) or app.moderator_key(address) is not None


async def card_message(app: App, report_id: int, address: Address) -> str | None:
    """The id of the card of `report_id` last sent to `address`, if any."""
    key = app.pid_for(address)
    sealed = await card_store.message(app.db, report_id, key)
    return None if sealed is None else app.privacy.unseal_text(sealed, f"card:{report_id}:{key}")


async def settle_own(app: App, reply: Reply, msg: Incoming) -> Reply:
    """A card update for the chat that acted, when that chat already has the card: a press
    on Telegram edits the pressed card (the channel does it); otherwise the card is edited
    where the channel can, and the chat gets the short line instead of a second card."""
    address = msg.address
    if reply.card is None or reply.update is None or reply.to not in (None, address):
        return reply
    previous = await card_message(app, reply.card, address)
    if previous is None:
        return reply
    channel = app.channels.get(address.channel)
    if isinstance(channel, CanEdit):
        if reply.replace and msg.button_id is not None:
            return reply
        await channel.edit(address, previous, reply)
    return Reply(reply.update, to=reply.to, staff=True)


async def send_card(app: App, channel: Channel, address: Address, reply: Reply) -> SendResult:
    """Edits the chat's card in place, or sends the update line, or (the first time, or for a
    new report in the incident) a new card, remembered."""
    assert reply.card is not None
    previous = await card_message(app, reply.card, address)
    if previous is not None and reply.update is not None:
        if isinstance(channel, CanEdit):
            edited = await channel.edit(address, previous, reply)
            if edited.ok:
                return edited
        else:
            return await channel.send(address, Reply(reply.update, staff=True))
    result = await channel.send(address, reply)
    if result.ok and result.provider_id:
        key = app.pid_for(address)
        await card_store.remember(app.db, reply.card, key, app.privacy.seal_text(
            result.provider_id, f"card:{reply.card}:{key}"))
    return result


async def record_skip(app: App, address: Address, reply: Reply, result: SendResult) -> None:
    """A staff message the WhatsApp window stopped: audited, and where else the person is."""
    if not reply.staff or result.outcome is not SendOutcome.WINDOW_CLOSED:
        return
    subject = f"report:{reply.card}" if reply.card is not None else "moderator-message"
    await app.audit.append(SYSTEM, "skipped:window", subject, app.clock.now())
    person = app.reports.roster.moderator(address)
    elsewhere = sorted(c for c in (person.ids() if person else {}) if c != address.channel
                       and getattr(getattr(app.config.channels, c, None), "enabled", False))
    log.warning("%s: a moderator message was not sent (outside the 24-hour window and no "
                "moderators' template); that moderator is reached on: %s", address.channel,
                ", ".join(elsewhere) or "no other channel")


def as_staff(reply: Reply) -> Reply:
    return reply if reply.staff else dataclasses.replace(reply, staff=True)
