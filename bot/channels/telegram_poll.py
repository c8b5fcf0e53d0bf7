"""Long polling that confirms an update to Telegram only once it has been handled.

PTB's Updater confirms a batch (the next getUpdates' `offset` goes past it) as soon as it has
put the batch in its queue, and once more when it stops: a process killed meanwhile loses the
updates it was handling. Here one batch is fetched (at most `limit`), handled side by side,
and only then does the next getUpdates carry the offset past it. A kill leaves Telegram
holding the batch; after the restart it comes again, and what had been handled before the
kill is dropped by the durable dedup (`channels/durable.py`). Nothing is queued on
our side, so no report step is ever written down to be handled later (CONTRIBUTING, "Webhooks,
durably"). The cost: a batch's slowest update holds back the next batch (seconds at most,
bounded by the request timeout); a deployment that needs more uses the webhook.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.error import TelegramError, TimedOut
from telegram.ext import ExtBot

log = logging.getLogger("bot.channels.telegram")

MAX_PAUSE = 30.0        # the longest pause between two failed getUpdates
STOP_GRACE = 10.0       # seconds a stop lets the batch under way finish


class Poller:
    def __init__(self, bot: ExtBot[None], handle: Callable[[list[Update]], Awaitable[None]], *,
                 timeout: int, allowed: list[str], read_timeout: float, limit: int,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._bot = bot
        self._handle = handle
        self._timeout = timeout
        self._allowed = allowed
        self._read_timeout = read_timeout
        self._limit = limit
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None
        self._batch: asyncio.Task[None] | None = None
        self.offset: int | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stops asking; the batch under way is let finish (bounded), and is not confirmed:
        Telegram gives it again at the next start, where the dedup drops what was done."""
        if self._task is None:
            return
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
        if self._batch is not None:
            await asyncio.wait({self._batch}, timeout=STOP_GRACE)

    async def _run(self) -> None:
        pause = 1.0
        while True:
            try:
                raw = await self._bot._post(
                    "getUpdates", {"offset": self.offset, "timeout": self._timeout,
                                   "limit": self._limit, "allowed_updates": self._allowed},
                    read_timeout=self._timeout + self._read_timeout)
            except TimedOut:
                continue                    # a long poll the network cut: ask again
            except TelegramError as exc:
                log.warning("telegram: getUpdates failed (%s); trying again in %.0f s",
                            type(exc).__name__, pause)
                await self._sleep(pause)
                pause = min(pause * 2, MAX_PAUSE)
                continue
            pause = 1.0
            if isinstance(raw, list) and raw:
                await self._handle_batch(raw)

    async def _handle_batch(self, raw: list[object]) -> None:
        updates, last = [], None
        for item in raw:
            if not isinstance(item, dict) or type(item.get("update_id")) is not int:
                continue
            update_id: int = item["update_id"]
            last = update_id if last is None else max(last, update_id)
            try:
                updates.append(Update.de_json(item, self._bot))
            except Exception:
                log.warning("telegram: an update could not be read and was skipped")
        if updates:
            self._batch = asyncio.ensure_future(self._handle(updates))
            # Shielded: a stop lets the batch finish instead of cutting a reply in half.
            await asyncio.shield(self._batch)
            self._batch = None
        if last is not None:
            self.offset = last + 1          # confirmed by the next getUpdates
