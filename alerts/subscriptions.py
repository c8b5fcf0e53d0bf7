"""Who wants alerts for which regions, how (immediate or daily digest) and when not (quiet
hours). The SQL is here, in plain sight."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.store import Database, deliveries


@dataclass
class Subscription:
    regions: list[str] = field(default_factory=list)
    mode: str = "immediate"
    quiet_start: int | None = None
    quiet_end: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.regions)


async def get(db: Database, pid: str) -> Subscription:
    row = await db.fetchone(
        "SELECT mode, quiet_start, quiet_end FROM subscribers WHERE pid = ?", (pid,))
    if row is None:
        return Subscription()
    regions = await db.fetchall(
        "SELECT region FROM subscription_regions WHERE pid = ? ORDER BY region", (pid,))
    return Subscription([r[0] for r in regions], row[0], row[1], row[2])


async def save(db: Database, pid: str, sub: Subscription) -> None:
    """Replaces the person's subscription; no regions means unsubscribed."""
    async with db.write() as conn:
        if not sub.regions:
            await conn.execute("DELETE FROM subscribers WHERE pid = ?", (pid,))
            return
        await conn.execute(
            "INSERT INTO subscribers (pid, mode, quiet_start, quiet_end) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(pid) DO UPDATE SET mode = excluded.mode,"
            " quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end",
            (pid, sub.mode, sub.quiet_start, sub.quiet_end))
        await conn.execute("DELETE FROM subscription_regions WHERE pid = ?", (pid,))
        await conn.executemany(
            "INSERT INTO subscription_regions (pid, region) VALUES (?, ?)",
            [(pid, region) for region in sorted(set(sub.regions))])


async def unsubscribe(db: Database, pid: str) -> bool:
    """Stops every alert for the person; True when they had a subscription."""
    async with db.write() as conn:
        cur = await conn.execute("DELETE FROM subscribers WHERE pid = ?", (pid,))
        await deliveries.unsubscribe_in(conn, pid)
        return cur.rowcount > 0


async def count_by_channel(db: Database, region: str) -> dict[str, int]:
    """How many people an alert for `region` would reach now, per channel."""
    rows = await db.fetchall(
        "SELECT u.channel, COUNT(*) FROM subscription_regions s"
        " JOIN subscribers p ON p.pid = s.pid JOIN users u ON u.pid = s.pid"
        " WHERE s.region = ? AND p.mode = 'immediate' GROUP BY u.channel ORDER BY u.channel",
        (region,))
    return {r[0]: int(r[1]) for r in rows}

