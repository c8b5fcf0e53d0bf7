"""Read-only counts for operators (doctor, /metrics, /estado): never a row about one person."""

from __future__ import annotations

from bot.store.db import Database

OPEN_STATUSES = ("pending", "claimed", "retry")


async def outbox_depth(db: Database) -> int:
    """Deliveries not yet carried out (pending, claimed or waiting to retry)."""
    row = await db.fetchone(
        "SELECT COUNT(*) FROM deliveries WHERE status IN (?, ?, ?)", OPEN_STATUSES)
    return int(row[0]) if row else 0


async def deliveries_by_status(db: Database) -> dict[str, int]:
    rows = await db.fetchall("SELECT status, COUNT(*) FROM deliveries GROUP BY status")
    return {str(r[0]): int(r[1]) for r in rows}


async def delivery_errors(db: Database) -> dict[str, int]:
    """Failed or retried deliveries by the platform's error code (the error text's first
    word: an HTTP status or a Graph API code), never by person."""
    rows = await db.fetchall(
        "SELECT error, COUNT(*) FROM deliveries WHERE error IS NOT NULL GROUP BY error")
    out: dict[str, int] = {}
    for error, count in rows:
        out[error_code(str(error))] = out.get(error_code(str(error)), 0) + int(count)
    return out


def error_code(error: str) -> str:
    """A short, bounded label for an error text: its leading number if any, else its kind."""
    head = error.strip().split(maxsplit=1)[0] if error.strip() else ""
    digits = head.strip("(#):,")
    if digits.isdigit() and len(digits) <= 6:
        return digits
    lowered = error.lower()
    for word in ("forbidden", "blocked", "rate limited", "timeout", "timed out", "not found",
                 "flood", "retry", "network", "bad request", "window"):
        if word in lowered:
            return word.replace(" ", "_")
    return "other"


async def reports_by_status(db: Database) -> dict[str, int]:
    rows = await db.fetchall("SELECT status, COUNT(*) FROM reports GROUP BY status")
    return {str(r[0]): int(r[1]) for r in rows}


async def any_sealed_address(db: Database) -> tuple[str, bytes] | None:
    """One user's channel and sealed address: enough to tell whether the keys match."""
    row = await db.fetchone("SELECT channel, address_sealed FROM users LIMIT 1")
    return (str(row[0]), bytes(row[1])) if row else None


async def last_inbound(db: Database, pid: str) -> int | None:
    row = await db.fetchone("SELECT last_inbound FROM users WHERE pid = ?", (pid,))
    return int(row[0]) if row else None


async def alerts_in_fanout(db: Database) -> int:
    """Alerts (and follow-ups, digests, notices) whose deliveries are still going out."""
    row = await db.fetchone(
        "SELECT COUNT(DISTINCT alert_id) FROM deliveries WHERE status IN (?, ?, ?)",
        OPEN_STATUSES)
    return int(row[0]) if row else 0
