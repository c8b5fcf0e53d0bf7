"""The WhatsApp webhook route on the shared web app: verify, check, split, dedup, queue.

The signature is checked on the raw body before anything is parsed (403), a malformed body
gets 400, Meta's retries of an update already handled are dropped (remembered durably, as
keyed hashes: `channels/durable.py`), and 200 goes back only for what is safe: an update
durably queued (sealed, deleted once handled) or already handled. Updates that may belong to
a report (`private`) are never queued: they are handled first and acknowledged after, so a
crash makes Meta re-deliver them instead. Each update is handled in the background, one
person's in the order they came. `idle()` waits for all of it (tests, shutdown).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections import Counter
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.durable import DurableInbox
from bot.channels.web import read_body
from bot.channels.whatsapp_webhook import (
    MAX_BODY_BYTES,
    SIGNATURE_HEADER,
    BadUpdate,
    Seen,
    SingleUpdate,
    signature_ok,
    split_checked,
)

log = logging.getLogger("bot.channels.whatsapp")

STOP_GRACE_SECONDS = 10.0
# Handles one update; returns False when nothing handled it (pywa dropped it).
UpdateHandler = Callable[[SingleUpdate], Awaitable[bool]]
# True when an update may belong to a report: acknowledged after handling, never queued.
Private = Callable[[SingleUpdate], bool]


class WebhookInbox:
    def __init__(self, path: str, app_secret: str, verify_token: str,
                 handle: UpdateHandler, durable: DurableInbox | None = None,
                 private: Private | None = None) -> None:
        self.path = path
        self._app_secret = app_secret
        self._verify_token = verify_token
        self._handle = handle
        self._durable = durable
        self._private = private or (lambda update: False)
        self._seen = Seen()
        # Updates taken on and not handled yet: each resolves once it is safe to answer 200
        # for it (durably queued, or handled).
        self._claims: dict[str, asyncio.Future[None]] = {}
        # People with a private update under way: their next updates are private too (the
        # menu that tells whether they are mid-report is not known until it is answered).
        self._private_senders: Counter[str] = Counter()
        self._tails: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.stats: dict[str, int] = {"duplicates": 0, "dropped": 0, "rejected": 0,
                                      "malformed": 0}

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
            updates, skipped = split_checked(body)
        except BadUpdate as exc:
            log.warning("whatsapp: malformed webhook body refused (%s)", exc)
            return PlainTextResponse("Bad Request", status_code=400)
        if skipped:
            # Signed, so Meta's (or a tester's): 200, or Meta would retry it for days.
            self.stats["malformed"] += len(skipped)
            log.warning("whatsapp: %d malformed update(s) skipped (%s)", len(skipped),
                        ", ".join(sorted(set(skipped))))
        safe = [await self._take(update) for update in updates]
        # Answer once every update is durable or handled; a crash before leaves Meta to
        # re-deliver, and the durable dedup drops what was handled already.
        try:
            await asyncio.gather(*(f for f in safe if f is not None))
        except (asyncio.CancelledError, RuntimeError):
            return PlainTextResponse("Service Unavailable", status_code=503)  # Meta retries
        return PlainTextResponse("ok")

    async def _take(self, update: SingleUpdate) -> asyncio.Future[None] | None:
        """Schedules a new update; returns what to wait for before answering 200."""
        claim = self._claims.get(update.key)
        if claim is not None:       # a re-delivery while the first is still under way
            self.stats["duplicates"] += 1
            return asyncio.shield(claim)
        if self._durable is None and not self._seen.add(update.key):
            self.stats["duplicates"] += 1
            return None
        claim = self._claims[update.key] = asyncio.get_running_loop().create_future()
        row_id = None
        try:
            private = self._private(update) or self._private_senders[update.sender] > 0
            if self._durable is not None and not private:
                # One write: queued, or None when it was handled before (a re-delivery).
                row_id = await self._durable.queue(update.key, update.sender, update.body)
                handled_before = row_id is None
            else:
                handled_before = self._durable is not None and \
                    await self._durable.seen(update.key)
            if handled_before:
                self.stats["duplicates"] += 1
                self._release(update.key)
                return None
            if row_id is not None:
                claim.set_result(None)
        except BaseException:
            self._release(update.key)
            raise
        if row_id is None:
            self._private_senders[update.sender] += 1
            claim.add_done_callback(lambda _: self._private_done(update.sender))
        self._schedule(update, row_id)
        return asyncio.shield(claim)

    def _private_done(self, sender: str) -> None:
        self._private_senders[sender] -= 1
        if self._private_senders[sender] <= 0:
            del self._private_senders[sender]

    def _release(self, key: str, handled: bool = True) -> None:
        """The update is finished with: answer 200 for it, or (stopped before it was
        handled and never queued) an error, so that Meta delivers it again."""
        claim = self._claims.pop(key, None)
        if claim is not None and not claim.done():
            if handled:
                claim.set_result(None)
            else:
                claim.set_exception(RuntimeError("stopped before the update was handled"))

    async def resume(self) -> None:
        """At start-up: handles what was acknowledged before the process stopped."""
        if self._durable is None:
            return
        backlog = await self._durable.backlog()
        if backlog:
            log.info("whatsapp: handling %d update(s) received before the restart",
                     len(backlog))
        for queued in backlog:
            update = SingleUpdate(queued.key, queued.sender, queued.body)
            if update.key in self._claims:
                continue
            claim = self._claims[update.key] = asyncio.get_running_loop().create_future()
            claim.set_result(None)
            self._schedule(update, queued.row_id)

    def _schedule(self, update: SingleUpdate, row_id: int | None = None) -> None:
        """Runs updates of one sender one after another, different senders side by side."""
        previous = self._tails.get(update.sender) if update.sender else None
        task = asyncio.create_task(self._run(update, previous, row_id))
        self._tasks.add(task)
        if update.sender:
            self._tails[update.sender] = task
        task.add_done_callback(lambda t: self._finished(update.sender, t))

    def _finished(self, sender: str, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if sender and self._tails.get(sender) is task:
            del self._tails[sender]

    async def _run(self, update: SingleUpdate, previous: asyncio.Task[None] | None,
                   row_id: int | None) -> None:
        if previous is not None:
            await asyncio.wait({previous})
        handled = False
        finished = False
        try:
            try:
                handled = await self._handle(update)
            except Exception:
                log.exception("whatsapp: update failed")
                handled = True  # logged; replaying it after a restart would fail the same way
            finished = True
            if self._durable is not None:
                await self._durable.done(update.key, row_id)
        finally:
            self._release(update.key, handled=finished)
        if not handled and not update.key.startswith("o:"):
            # pywa drops updates it cannot read (or meant for another phone number) with only
            # a debug line: make that visible.
            self.stats["dropped"] += 1
            log.warning("whatsapp: an update was not handled (%s)", update.key[:1])
