"""The case desk's tables: cases (who only while open + grace) and their sealed messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.clock import coarse_hour
from bot.store.db import Database

OPEN = ("queued", "assigned")
# `deliveries.next_attempt` of a digest or notice held for someone with an open case
# (released when the case closes; the dispatcher skips what expired meanwhile).
HELD = 4_102_444_800          # 2100-01-01
OPEN_CASE_PIDS = "SELECT pid FROM cases WHERE pid IS NOT NULL AND status IN ('queued', 'assigned')"


@dataclass(frozen=True)
class CaseRow:
    id: int
    code: str
    topic: str
    locale: str
    county: str | None
    status: str
    pid: str | None
    helper: str | None
    started: float
    waiting: float | None
    assigned: float | None
    reminded: bool
    first_reply_min: int | None
    thread: str | None = None       # the case's topic in the helpers' Telegram forum


def _row(r: Any) -> CaseRow:
    return CaseRow(int(r["id"]), str(r["code"]), str(r["topic"]), str(r["locale"]), r["county"],
                   str(r["status"]), r["pid"], r["helper"], float(r["started"] or 0),
                   r["waiting"], r["assigned"], bool(r["reminded"]), r["first_reply_min"],
                   r["thread"])


async def create(db: Database, code: str, topic: str, locale: str, county: str | None,
                 pid: str, now: float) -> int | None:
    """A new queued case; None when the code is taken (the caller draws another)."""
    async with db.write() as conn:
        cur = await conn.execute(
            "INSERT OR IGNORE INTO cases (code, topic, locale, county, status, pid, opened,"
            " started, waiting) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?)",
            (code, topic, locale, county, pid, coarse_hour(now), now, now))
        return cur.lastrowid if cur.rowcount == 1 else None


async def by_code(db: Database, code: str) -> CaseRow | None:
    row = await db.fetchone("SELECT * FROM cases WHERE code = ?", (code,))
    return _row(row) if row is not None else None


async def set_thread(db: Database, case_id: int, thread: str) -> None:
    await db.execute("UPDATE cases SET thread = ? WHERE id = ?", (thread, case_id))


async def by_thread(db: Database, thread: str) -> CaseRow | None:
    row = await db.fetchone("SELECT * FROM cases WHERE thread = ? AND status != 'closed'",
                            (thread,))
    return _row(row) if row is not None else None


async def open_for(db: Database, pid: str) -> CaseRow | None:
    row = await db.fetchone(
        "SELECT * FROM cases WHERE pid = ? AND status IN ('queued', 'assigned')"
        " ORDER BY id DESC LIMIT 1", (pid,))
    return _row(row) if row is not None else None


async def last_closed(db: Database, pid: str) -> CaseRow | None:
    row = await db.fetchone(
        "SELECT * FROM cases WHERE pid = ? AND status = 'closed' ORDER BY id DESC LIMIT 1",
        (pid,))
    return _row(row) if row is not None else None


async def open_cases(db: Database) -> list[CaseRow]:
    rows = await db.fetchall(
        "SELECT * FROM cases WHERE status IN ('queued', 'assigned') ORDER BY id")
    return [_row(r) for r in rows]


async def add_message(conn: aiosqlite.Connection, case_id: int, author: str, sealed: bytes,
                      now: float) -> None:
    await conn.execute(
        "INSERT INTO case_messages (case_id, author, body_sealed, at) VALUES (?, ?, ?, ?)",
        (case_id, author, sealed, int(now // 60 * 60)))


async def messages(db: Database, case_id: int) -> list[tuple[int, str, bytes]]:
    rows = await db.fetchall(
        "SELECT id, author, body_sealed FROM case_messages WHERE case_id = ? ORDER BY id",
        (case_id,))
    return [(int(r[0]), str(r[1]), bytes(r[2])) for r in rows]


async def person_wrote(db: Database, case_id: int, sealed: bytes, now: float) -> None:
    async with db.write() as conn:
        await add_message(conn, case_id, "person", sealed, now)
        await conn.execute("UPDATE cases SET waiting = COALESCE(waiting, ?) WHERE id = ?",
                           (now, case_id))


async def helper_wrote(db: Database, case: CaseRow, sealed: bytes, now: float,
                       helper: str) -> None:
    """A reply: stored, the wait ends, and the case is the helper's if nobody had it."""
    first = case.first_reply_min is None
    async with db.write() as conn:
        await add_message(conn, case.id, "helper", sealed, now)
        await conn.execute(
            "UPDATE cases SET waiting = NULL, reminded = 0, status = 'assigned',"
            " helper = COALESCE(helper, ?), assigned = COALESCE(assigned, ?),"
            " first_reply_min = CASE WHEN ? THEN ? ELSE first_reply_min END WHERE id = ?",
            (helper, now, first, round((now - case.started) / 60), case.id))


async def note(db: Database, case_id: int, sealed: bytes, now: float) -> None:
    async with db.write() as conn:
        await add_message(conn, case_id, "note", sealed, now)


async def claim(db: Database, case_id: int, helper: str, now: float) -> bool:
    changed = await db.execute(
        "UPDATE cases SET status = 'assigned', helper = ?, assigned = ? WHERE id = ?"
        " AND status IN ('queued', 'assigned')", (helper, now, case_id))
    return changed > 0


async def close(db: Database, case: CaseRow, outcome: str, now: float, grace_s: float
                ) -> None:
    """Closed: durations kept, the link kept for the grace period, held broadcasts released."""
    async with db.write() as conn:
        await conn.execute(
            "UPDATE cases SET status = 'closed', outcome = ?, closed = ?, close_min = ?,"
            " waiting = NULL, purge_after = ? WHERE id = ?",
            (outcome, coarse_hour(now), round((now - case.started) / 60), int(now + grace_s),
             case.id))
        if case.pid is not None:
            await conn.execute(
                "UPDATE deliveries SET next_attempt = ? WHERE pid = ? AND status = 'pending'"
                " AND next_attempt >= ?", (now, case.pid, HELD))


async def set_helped(db: Database, pid: str, answer: str) -> bool:
    changed = await db.execute(
        "UPDATE cases SET helped = ? WHERE id = (SELECT id FROM cases WHERE pid = ?"
        " AND status = 'closed' ORDER BY id DESC LIMIT 1)", (answer, pid))
    return changed > 0


async def requeue(db: Database, case_id: int) -> None:
    await db.execute("UPDATE cases SET status = 'queued', helper = NULL, assigned = NULL,"
                     " reminded = 0 WHERE id = ? AND status = 'assigned'", (case_id,))


async def mark_reminded(db: Database, case_id: int) -> None:
    await db.execute("UPDATE cases SET reminded = 1 WHERE id = ?", (case_id,))


async def purge(db: Database, now: float) -> int:
    """Past the grace period: the link, code, helper, exact times and transcript go."""
    async with db.write() as conn:
        due = "SELECT id FROM cases WHERE status = 'closed' AND code IS NOT NULL" \
              " AND purge_after <= ?"
        await conn.execute(f"DELETE FROM case_messages WHERE case_id IN ({due})", (int(now),))
        cur = await conn.execute(
            "UPDATE cases SET pid = NULL, code = NULL, helper = NULL, started = NULL,"
            " assigned = NULL, waiting = NULL, remind_at = NULL, thread = NULL"
            " WHERE status = 'closed'"
            " AND code IS NOT NULL AND purge_after <= ?", (int(now),))
        return cur.rowcount


async def forget(db: Database, pid: str, now: float) -> int:
    """`/olvidarme`: the person's cases are closed and purged at once."""
    async with db.write() as conn:
        mine = "SELECT id FROM cases WHERE pid = ?"
        await conn.execute(f"DELETE FROM case_messages WHERE case_id IN ({mine})", (pid,))
        await conn.execute(
            "UPDATE deliveries SET next_attempt = ? WHERE pid = ? AND next_attempt >= ?",
            (now, pid, HELD))
        cur = await conn.execute(
            "UPDATE cases SET status = 'closed', outcome = COALESCE(outcome, 'forgotten'),"
            " closed = COALESCE(closed, ?), pid = NULL, code = NULL, helper = NULL,"
            " started = NULL, assigned = NULL, waiting = NULL, remind_at = NULL,"
            " thread = NULL, purge_after = ?"
            " WHERE pid = ?", (coarse_hour(now), int(now), pid))
        return cur.rowcount


async def weekly(db: Database) -> list[Any]:
    """Per week (Monday, UTC) of opening: cases, replied, closed, helped, the durations."""
    return await db.fetchall(
        "SELECT date(opened, 'unixepoch', 'weekday 0', '-6 days') AS week, topic,"
        " first_reply_min, close_min, helped FROM cases ORDER BY opened")


async def set_reminder(db: Database, pid: str, at: float) -> bool:
    """A reminder to check the locator again, for the person's last closed case."""
    changed = await db.execute(
        "UPDATE cases SET remind_at = ? WHERE id = (SELECT id FROM cases WHERE pid = ?"
        " AND status = 'closed' ORDER BY id DESC LIMIT 1)", (int(at), pid))
    return changed > 0


async def due_reminders(db: Database, now: float) -> list[tuple[int, str, str]]:
    """(case id, pid, locale) of reminders due; each is cleared as it is taken."""
    rows = await db.fetchall(
        "SELECT id, pid, locale FROM cases WHERE remind_at <= ? AND pid IS NOT NULL",
        (int(now),))
    if rows:
        await db.execute("UPDATE cases SET remind_at = NULL WHERE remind_at <= ?", (int(now),))
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


async def address_of(db: Database, pid: str) -> tuple[str, bytes, str | None] | None:
    """The person's channel, sealed address and language (to answer them)."""
    row = await db.fetchone("SELECT channel, address_sealed, locale FROM users WHERE pid = ?",
                            (pid,))
    return (str(row[0]), bytes(row[1]), row[2]) if row is not None else None
