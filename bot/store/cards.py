"""Where each chat's card of a report went: the chat's pseudonym and the platform's message id,
sealed (a WhatsApp message id carries the phone number). Rows go with the report (ON DELETE
CASCADE), so a purged report leaves nothing pointing at its cards."""

from __future__ import annotations

from bot.store.db import Database


async def message(db: Database, report_id: int, chat_key: str) -> bytes | None:
    row = await db.fetchone("SELECT message_sealed FROM card_messages WHERE report_id = ?"
                            " AND chat_key = ?", (report_id, chat_key))
    return bytes(row[0]) if row else None


async def remember(db: Database, report_id: int, chat_key: str, sealed: bytes) -> None:
    """The newest card in that chat (nothing when the report is already gone)."""
    await db.execute(
        "INSERT INTO card_messages (report_id, chat_key, message_sealed)"
        " SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM reports WHERE id = ?)"
        " ON CONFLICT (report_id, chat_key)"
        " DO UPDATE SET message_sealed = excluded.message_sealed",
        (report_id, chat_key, sealed, report_id))


async def forget(db: Database, chat_key: str) -> None:
    """A person asked to be forgotten: their chat's cards are no longer tracked."""
    await db.execute("DELETE FROM card_messages WHERE chat_key = ?", (chat_key,))
