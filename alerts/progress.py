"""What the publishing moderator sees: one progress message, edited in place where the channel
can ("sent 600 / 1,234"), then the final count."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from babel.numbers import format_decimal

from alerts import outbox
from alerts.status import OPEN_DELIVERY
from bot.messages import Address, Reply

if TYPE_CHECKING:
    from bot.app import App


def summary(counts: dict[str, int]) -> dict[str, int]:
    skipped = counts.get("skipped_window", 0) + counts.get("skipped_expired", 0)
    return {
        "total": sum(counts.values()),
        "sent": counts.get("sent", 0),
        "failed": counts.get("failed", 0),
        "skipped": skipped,
        "unsubscribed": counts.get("unsubscribed", 0),
        "cancelled": counts.get("cancelled", 0),
        "open": sum(counts.get(str(s), 0) for s in OPEN_DELIVERY),
    }


async def report(app: App, alert_ids: Iterable[int], force: bool = False) -> None:
    now = app.clock.now()
    every = app.config.alerts.progress_every_seconds
    for alert_id in sorted(alert_ids):
        row = await app.db.fetchone(
            "SELECT id, created_by, progress_to_sealed, progress_message, progress_updated"
            " FROM alerts WHERE id = ?", (alert_id,))
        if row is None or row["progress_to_sealed"] is None:
            continue
        numbers = summary(await outbox.counts(app.db, alert_id))
        done = numbers["open"] == 0
        last = row["progress_updated"]
        if not done and not force and last is not None and now - last < every:
            continue
        locale = await _locale(app, row["created_by"])
        t = app.i18n.translator(locale)
        fmt = {k: format_decimal(v, locale=locale) for k, v in numbers.items()}
        if done:
            text = t("Alert #{n} finished: {sent} sent, {failed} failed, {skipped} skipped "
                     "(WhatsApp window or expired), {unsubscribed} unsubscribed.",
                     n=alert_id, **{k: fmt[k] for k in ("sent", "failed", "skipped",
                                                        "unsubscribed")})
        else:
            text = t("Alert #{n}: sent {sent} / {total}", n=alert_id, sent=fmt["sent"],
                     total=fmt["total"])
        address = _address(app, bytes(row["progress_to_sealed"]))
        # The message id is sealed like the address: a WhatsApp id carries the phone number.
        context = f"progress-message:{alert_id}"
        stored = row["progress_message"]
        # A plain string was written before ids were sealed (an alert going out during the
        # upgrade): still usable.
        previous = stored if stored is None or isinstance(stored, str) \
            else app.privacy.unseal_text(bytes(stored), context)
        provider_id = await _show(app, address, text, previous)
        await app.db.execute(
            "UPDATE alerts SET progress_message = ?, progress_updated = ?,"
            " progress_to_sealed = CASE WHEN ? THEN NULL ELSE progress_to_sealed END"
            " WHERE id = ?",
            (app.privacy.seal_text(provider_id, context) if provider_id else None, now,
             int(done), alert_id))


async def _show(app: App, address: Address, text: str, previous: str | None) -> str | None:
    channel = app.channels.get(address.channel)
    edit = getattr(channel, "edit", None)
    if previous and callable(edit):
        result = await edit(address, previous, Reply(text))
        if result.ok:
            return previous
    result = await app.send(address, Reply(text))
    return result.provider_id if result.ok else previous


def _address(app: App, sealed: bytes) -> Address:
    channel, _, chat_id = app.privacy.unseal_text(sealed, "progress").partition(":")
    return Address(channel, chat_id)


def seal_address(app: App, address: Address) -> bytes:
    return app.privacy.seal_text(f"{address.channel}:{address.chat_id}", "progress")


async def _locale(app: App, pid: str | None) -> str:
    if pid:
        row = await app.db.fetchone("SELECT locale FROM users WHERE pid = ?", (pid,))
        if row is not None and row["locale"]:
            return str(row["locale"])
    return app.config.bot.default_locale
