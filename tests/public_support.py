"""Helpers for the public page, feeds and rumour-check tests: alerts published directly."""

from __future__ import annotations

from alerts.status import MessageType
from bot.app import App


async def published(app: App, region: str = "buncombe", kind: str = "checkpoint",
                    note: str = "", drill: bool = False) -> tuple[int, str]:
    """A verified alert as if two people had confirmed it: (its number, its public code)."""
    done = await app.alerts.create(region=region, kind=kind, note=note, actor="pub1",
                                   preverified=True)
    if drill:
        await app.db.execute("UPDATE alerts SET drill = 1 WHERE id = ?", (done.alert_id,))
    row = await app.db.fetchone("SELECT public_code FROM alerts WHERE id = ?", (done.alert_id,))
    assert row is not None and row["public_code"]
    return done.alert_id, str(row["public_code"])


async def follow(app: App, alert_id: int, type_: MessageType, note: str = "") -> None:
    await app.alerts.follow_up(alert_id, type_, note, actor="pub1", preverified=True)
