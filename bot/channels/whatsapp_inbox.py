"""The WhatsApp webhook route on the shared web app: verify, check, split, dedup, queue.

The signature is checked on the raw body before anything is parsed (403), a malformed body
gets 400, Meta's retries of an update already seen are dropped, and 200 goes back at once:
each update is handled in the background, one person's updates in the order they came, so a
slow Graph API never makes Meta retry. `idle()` waits for all of it (tests, shutdown).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.web import read_body
from bot.channels.whatsapp_webhook import (
    MAX_BODY_BYTES,
    SIGNATURE_HEADER,
    BadUpdate,
    Seen,
    SingleUpdate,
    signature_ok,
    split,
)

log = logging.getLogger("bot.channels.whatsapp")

STOP_GRACE_SECONDS = 10.0
# Handles one update; returns False when nothing handled it (pywa dropped it).
UpdateHandler = Callable[[SingleUpdate], Awaitable[bool]]


class WebhookInbox:
    def __init__(self, path: str, app_secret: str, verify_token: str,
                 handle: UpdateHandler) -> None:
        self.path = path
        self._app_secret = app_secret
        self._verify_token = verify_token
        self._handle = handle
        self._seen = Seen()
        self._tails: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.stats: dict[str, int] = {"duplicates": 0, "dropped": 0, "rejected": 0}

    def routes(self) -> list[BaseRoute]:
        return [Route(self.path, self.verify, methods=["GET"]),
                Route(self.path, self.receive, methods=["POST"])]

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    async def idle(self) -> None:
        """Waits until every update received so far has been handled."""
        while self._tasks:
            await asyncio.gather(*set(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        """Lets updates in flight finish (bounded), then cancels the rest."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=STOP_GRACE_SECONDS)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def verify(self, request: Request) -> Response:
        """Meta's subscription handshake: echo the challenge when the verify token matches."""
        params = request.query_params
        token = params.get("hub.verify_token", "").encode()
        if params.get("hub.mode") == "subscribe" and self._verify_token and \
                hmac.compare_digest(token, self._verify_token.encode()):
            return PlainTextResponse(params.get("hub.challenge", ""))
        log.warning("whatsapp: webhook verification refused")
        return PlainTextResponse("Forbidden", status_code=403)

    async def receive(self, request: Request) -> Response:
        body = await read_body(request, MAX_BODY_BYTES)
        if body is None:
            return PlainTextResponse("Payload Too Large", status_code=413)
        if not signature_ok(body, request.headers.get(SIGNATURE_HEADER), self._app_secret):
            self.stats["rejected"] += 1
            log.warning("whatsapp: webhook with a missing or wrong signature refused")
            return PlainTextResponse("Forbidden", status_code=403)
        try:
            updates = split(body)
        except BadUpdate as exc:
            log.warning("whatsapp: malformed webhook body refused (%s)", exc)
            return PlainTextResponse("Bad Request", status_code=400)
        for update in updates:
            if self._seen.add(update.key):
                self._schedule(update)
            else:
                self.stats["duplicates"] += 1
        return PlainTextResponse("ok")

    def _schedule(self, update: SingleUpdate) -> None:
        """Runs updates of one sender one after another, different senders side by side."""
        previous = self._tails.get(update.sender) if update.sender else None
        task = asyncio.create_task(self._run(update, previous))
        self._tasks.add(task)
        if update.sender:
            self._tails[update.sender] = task
        task.add_done_callback(lambda t: self._finished(update.sender, t))

    def _finished(self, sender: str, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if sender and self._tails.get(sender) is task:
            del self._tails[sender]

    async def _run(self, update: SingleUpdate, previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            await asyncio.wait({previous})
        try:
            handled = await self._handle(update)
        except Exception:
            log.exception("whatsapp: update failed")
            return
        if not handled and not update.key.startswith("o:"):
            # pywa drops updates it cannot read (or meant for another phone number) with only
            # a debug line: make that visible.
            self.stats["dropped"] += 1
            log.warning("whatsapp: an update was not handled (%s)", update.key[:1])
