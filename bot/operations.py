"""Facts an operator needs while the bot runs (for /estado and /metrics): version, uptime,
outbox depth, the last backup, the webhook's health, moderators outside WhatsApp's window.
Counts and times, and the config's own labels of the moderators outside the window (digit runs
masked, as a migrated label is a phone number); nothing from the database about anyone."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import secret

if TYPE_CHECKING:
    from bot.app import App

STARTED = time.time()
WINDOW_SECONDS = 24 * 3600
_LONG_DIGITS = re.compile(r"\d{5,}")


def wrong_user(data_dir: Path) -> str | None:
    """Why this process must not open the database: root touching the bot's database leaves
    root-owned -wal/-shm files the bot cannot open any more. None when it is fine."""
    try:
        owner = data_dir.stat().st_uid
    except OSError:
        return None
    if os.geteuid() == 0 and owner != 0:
        return (f"{data_dir} belongs to another user: run this as the bot's user (e.g. "
                "`sudo -u compa …`), not as root, or the bot may no longer open its database")
    return None


def version() -> str:
    try:
        return metadata.version("compa")
    except metadata.PackageNotFoundError:
        return "unknown"


def label(name: str) -> str:
    """A moderator's config label to show: digit runs masked (a migrated label is a number)."""
    return _LONG_DIGITS.sub(lambda m: "…" + m.group()[-2:], name)


@dataclass(frozen=True)
class StatusFacts:
    version: str
    uptime_seconds: float
    outbox_depth: int
    last_backup: float | None
    webhook: str                    # "unused", "ok", or what is wrong (no URL, no token)
    webhook_pending: int
    moderators_out_of_window: int
    whatsapp_moderators: int
    moderators_out_names: tuple[str, ...] = ()   # config labels, shown to admins only
    moderator_template: bool = False             # channels.whatsapp.moderator_templates set


async def moderators_out_of_window(app: App, now: float) -> tuple[list[str], int]:
    """(the names, from the config, of the WhatsApp moderators who have not written in 24
    hours, how many moderators use WhatsApp)."""
    from bot.messages import Address
    from bot.store import ops

    if not app.config.channels.whatsapp.enabled:
        return [], 0
    people = [p for p in app.config.moderators if p.whatsapp]
    out = []
    for person in people:
        last = await ops.last_inbound(app.db, app.pid_for(Address("whatsapp", person.whatsapp)))
        if last is None or last + WINDOW_SECONDS <= now:
            out.append(label(person.name))
    return out, len(people)


async def webhook_health(app: App, now: float) -> tuple[str, int]:
    """What Telegram's getWebhookInfo says (only in webhook mode)."""
    tg = app.config.channels.telegram
    token = secret(tg.token_env)
    if not tg.enabled or tg.mode != "webhook":
        return "unused", 0
    if token is None:
        return "no token", 0
    from bot.channels.health import telegram_webhook

    probe = await telegram_webhook(tg, token, now)
    pending = int(probe.facts.get("pending", 0))
    if probe.problems:
        return "; ".join(p.removeprefix("telegram: ") for p in probe.problems), pending
    return "ok", pending


async def status_facts(app: App) -> StatusFacts:
    from bot.backup import last_run
    from bot.store import ops

    now = app.clock.now()
    webhook, pending = await webhook_health(app, now)
    out, total = await moderators_out_of_window(app, now)
    return StatusFacts(version=version(), uptime_seconds=max(0.0, time.time() - STARTED),
                       outbox_depth=await ops.outbox_depth(app.db),
                       last_backup=await last_run(app.db), webhook=webhook,
                       webhook_pending=pending, moderators_out_of_window=len(out),
                       whatsapp_moderators=total, moderators_out_names=tuple(out),
                       moderator_template=bool(app.config.channels.whatsapp.moderator_templates))
