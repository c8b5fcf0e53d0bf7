"""The WhatsApp channel (Cloud API) on pywa_async: webhooks in, Graph API calls out.

Incoming: our own route on the shared web app checks the signature on the raw body (403),
parses and splits it (400 when malformed), drops Meta's retries by message id, answers 200 at
once and hands each single update to pywa in the background, in order per person. pywa builds
the typed update and calls us; we turn it into an `Incoming` and run it through the App.

Outgoing: `whatsapp_render` shapes each reply within Meta's limits; messages go through pywa's
Graph API client, whose base URL is fixed, so an httpx transport rewrites each request to
`api_base_url` (a proxy, or the fake server in tests). `send()` (alerts, moderator cards)
respects the 24-hour window: free-form inside it, the configured template outside it, else
a `window_closed` outcome. It never raises for platform errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Any

import httpx
from pywa_async import errors as wa_errors
from pywa_async import handlers as wa_handlers
from pywa_async.client import WhatsApp
from pywa_async.utils import UserIdentifier
from starlette.routing import BaseRoute

from bot.app import App, menu_of
from bot.channels import whatsapp_render as render
from bot.channels.base import WHATSAPP_LIMITS, DeliveryEvents, Limits, StatusOutcome
from bot.channels.durable import DurableInbox
from bot.channels.whatsapp_case import case_template
from bot.channels.whatsapp_delivery import (
    STOPPED_MARKETING,
    CountingDeliveryEvents,
    backoff,
    classify_status,
    send_result,
)
from bot.channels.whatsapp_ids import CHANNEL, WaIdentity, decode, encode
from bot.channels.whatsapp_inbox import WebhookInbox
from bot.channels.whatsapp_incoming import choice_from_text, to_incoming
from bot.channels.whatsapp_webhook import SingleUpdate
from bot.channels.whatsapp_window import recipient_window
from bot.config import ConfigError, WhatsAppConfig, WhatsAppTemplate, secret
from bot.i18n import N_
from bot.messages import Address, Incoming, Media, Menu, Reply, SendOutcome, SendResult

log = logging.getLogger(__name__)

GRAPH_HOST = "graph.facebook.com"
LIST_BUTTON = N_("Options")
MAX_MEDIA_BYTES = 5 * 1024 * 1024
MEMORY = 10_000            # people whose last menu / rate-limit streak we remember
PUSH_MEMORY = 5_000        # pushed messages kept (in memory) for a template retry


# Graph API requests in flight at once. httpcore scans every pooled connection for every
# queued request whenever a request starts or ends: with its default 100 connections and
# requests queued behind them that is quadratic, and it took 60-70 % of the bot's CPU in
# `make bench BENCH=raidnight` (docs/BENCHMARKS.md). The excess waits on a semaphore instead.
GRAPH_IN_FLIGHT = 32


class RewriteTransport(httpx.AsyncBaseTransport):
    """Sends Graph API requests to `base_url` instead (pywa ignores a client base URL), at
    most GRAPH_IN_FLIGHT at a time."""

    def __init__(self, base_url: str, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._base = httpx.URL(base_url.rstrip("/"))
        self._inner = inner or httpx.AsyncHTTPTransport(limits=httpx.Limits(
            max_connections=2 * GRAPH_IN_FLIGHT, max_keepalive_connections=GRAPH_IN_FLIGHT))
        self._slots = asyncio.Semaphore(GRAPH_IN_FLIGHT)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == GRAPH_HOST:
            request.url = request.url.copy_with(
                scheme=self._base.scheme, host=self._base.host, port=self._base.port,
                path=self._base.path.rstrip("/") + request.url.path)
            request.headers["Host"] = request.url.netloc.decode("ascii")
        async with self._slots:
            return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class _Lru(OrderedDict[str, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: str, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


@dataclass(frozen=True)
class _Posted:
    """One Graph API call: the message id, or the error code (None: network or timeout)."""

    ok: bool
    provider_id: str | None = None
    code: int | None = None


@dataclass
class _Push:
    """A message sent by `send()`, remembered so a late 131047 can go out as the template."""

    address: Address
    reply: Reply
    pid: str
    resent: bool = False


class WhatsAppChannel:
    name = CHANNEL
    limits: Limits = WHATSAPP_LIMITS

    def __init__(self, app: App, config: WhatsAppConfig, token: str, app_secret: str,
                 verify_token: str, events: DeliveryEvents | None = None) -> None:
        self.app = app
        self.config = config
        self.events: DeliveryEvents = events or CountingDeliveryEvents()
        self._session = httpx.AsyncClient(transport=RewriteTransport(config.api_base_url),
                                          timeout=httpx.Timeout(20.0, connect=10.0))
        # Signatures, the handshake and dedup are ours (WebhookInbox): pywa only parses.
        self.wa = WhatsApp(phone_id=config.phone_number_id, token=token, session=self._session,
                           validate_updates=False, skip_duplicate_updates=False,
                           user_identifier_priority=(UserIdentifier.WA_ID, UserIdentifier.BSUID,
                                                     UserIdentifier.PARENT_BSUID))
        # pywa types its callbacks for the sync client; ours are the async client's.
        callbacks: list[Any] = [self._on_message, self._on_button, self._on_selection,
                                self._on_status]
        self.wa.add_handlers(
            wa_handlers.MessageHandler(callbacks[0]),
            wa_handlers.CallbackButtonHandler(callbacks[1]),
            wa_handlers.CallbackSelectionHandler(callbacks[2]),
            wa_handlers.MessageStatusHandler(callbacks[3]),
        )
        self.inbox = WebhookInbox(config.webhook_path, app_secret, verify_token,
                                  self._handle_update,
                                  DurableInbox(app.db, app.privacy, app.clock, CHANNEL),
                                  self._may_be_report)
        self._handled: set[str] = set()
        self._menus = _Lru(MEMORY)
        self._rate_hits = _Lru(MEMORY)
        self._closed = _Lru(MEMORY)       # pids Meta told us are outside the window
        self._pushed = _Lru(PUSH_MEMORY)
        self._in_flight: Counter[str] = Counter()  # sends under way, per person
        self._flight = asyncio.Condition()

    # --- lifecycle ----------------------------------------------------------------------

    def web_routes(self) -> list[BaseRoute]:
        return self.inbox.routes()

    @property
    def stats(self) -> dict[str, int]:
        return self.inbox.stats

    async def start(self) -> None:
        # What was acknowledged before a stop or a crash is handled now (the runner has
        # registered this channel for the replies).
        await self.inbox.resume()
        log.info("whatsapp: webhook at %s", self.config.webhook_path)

    async def stop(self) -> None:
        await self.inbox.stop()
        await self._session.aclose()

    async def idle(self) -> None:
        """Waits until every update received so far has been handled (tests)."""
        await self.inbox.idle()

    async def _handle_update(self, update: SingleUpdate) -> bool:
        """pywa parses the update and calls one of the `_on_*` callbacks below."""
        await self.wa.webhook_update_handler(update.body)
        if update.key in self._handled:
            self._handled.discard(update.key)
            return True
        return False

    def _may_be_report(self, update: SingleUpdate) -> bool:
        """True when a message could be a step of a report (or start one): it is handled
        before Meta gets its 200 and never waits in the inbound queue, so no row ever ties
        this person to a report's content (CONTRIBUTING, "Webhooks, durably")."""
        if not update.key.startswith("m:"):
            return False                        # statuses and account updates
        try:
            value = json.loads(update.body)["entry"][0]["changes"][0]["value"]
            msg, contact = value["messages"][0], value["contacts"][0]
        except (ValueError, KeyError, IndexError, TypeError):
            return True                         # unreadable: the careful answer
        kind = msg.get("type")
        if kind not in ("text", "interactive", "button", "reaction"):
            return True                         # photos, locations, files: report material
        if kind == "text" and str((msg.get("text") or {}).get("body", "")).lstrip() \
                .lower().startswith(("/report", "report")):
            return True
        if "report:" in json.dumps(msg.get("interactive") or msg.get("button") or {}):
            return True
        wa_id, bsuid = contact.get("wa_id"), contact.get("user_id")
        try:
            address = Address(CHANNEL, encode(wa_id if isinstance(wa_id, str) else None,
                                              bsuid if isinstance(bsuid, str) and bsuid
                                              else None))
        except ValueError:
            return True
        menu: Menu | None = self._menus.get(self.app.pid_for(address))
        # The last menu this person saw was a report step (or its thank-you): mid-report.
        return menu is not None and any(b.id.startswith("report:") for b in menu.buttons)

    # --- incoming ------------------------------------------------------------------------

    async def _on_message(self, _: Any, msg: Any) -> None:
        self._handled.add("m:" + msg.id)
        if msg.reaction is not None:
            return  # an emoji on one of our messages needs no answer
        address = self._address_of(msg.from_user)
        pid = self.app.pid_for(address)
        incoming = to_incoming(address, msg)
        if incoming.text and incoming.location is None and incoming.media is None:
            button_id = choice_from_text(self._menus.get(pid), incoming.text)
            if button_id is not None:
                incoming = Incoming(address, button_id=button_id,
                                    message_id=incoming.message_id)
        await self._process(pid, incoming)

    async def _on_button(self, _: Any, cb: Any) -> None:
        self._handled.add("m:" + cb.id)
        await self._press(cb.from_user, cb.id, str(cb.data))

    async def _on_selection(self, _: Any, sel: Any) -> None:
        self._handled.add("m:" + sel.id)
        await self._press(sel.from_user, sel.id, str(sel.data))

    async def _press(self, user: Any, message_id: str, data: str) -> None:
        address = self._address_of(user)
        await self._process(self.app.pid_for(address),
                            Incoming(address, button_id=data[:256], message_id=message_id))

    async def _process(self, pid: str, incoming: Incoming) -> None:
        self._closed.pop(pid, None)  # they wrote: the window is open again
        await self.app.process(incoming)

    @staticmethod
    def _address_of(user: Any) -> Address:
        return Address(CHANNEL, encode(user.wa_id, user.bsuid))

    # --- outgoing ------------------------------------------------------------------------

    async def respond(self, msg: Incoming, replies: list[Reply]) -> None:
        """Answers within the window the person just opened; failures are logged, not raised."""
        pid = self.app.pid_for(msg.address)
        identity = decode(msg.address.chat_id)
        locale = (await recipient_window(self.app, pid, self.app.clock.now())).locale
        for reply in replies:
            for payload in await self._payloads(reply, locale):
                posted = await self._post(identity, payload)
                if not posted.ok:
                    log.warning("whatsapp: reply not sent (%s)", send_result(posted.code).error)
                    break
        self._remember_menu(pid, menu_of(replies))

    async def send(self, address: Address, reply: Reply) -> SendResult:
        """Pushes one message: free-form in the window, else the template, else skipped."""
        identity = decode(address.chat_id)
        if not identity.key:
            return SendResult.failed("bad_address", permanent=True)
        pid = self.app.pid_for(address)
        self._in_flight[pid] += 1
        try:
            return await self._push(address, reply, identity, pid)
        finally:
            self._in_flight[pid] -= 1
            if not self._in_flight[pid]:
                del self._in_flight[pid]
            async with self._flight:
                self._flight.notify_all()

    async def _push(self, address: Address, reply: Reply, identity: WaIdentity,
                    pid: str) -> SendResult:
        window = await recipient_window(self.app, pid, self.app.clock.now())
        if window.open and pid not in self._closed:
            result = await self._send_free(identity, reply, window.locale, pid)
            if result.outcome is not SendOutcome.WINDOW_CLOSED:
                if result.ok and result.provider_id:
                    self._pushed.put(result.provider_id, _Push(address, reply, pid))
                    self._remember_menu(pid, reply.menu)
                return result
            self._closed.put(pid, True)
        return await self._send_template(identity, reply, window.locale, pid)

    async def _payloads(self, reply: Reply, locale: str | None) -> list[dict[str, Any]]:
        """The messages for a reply; a photo is uploaded first and sent as an image."""
        if reply.photo is None:
            return render.render(reply, self._list_button(locale))
        media_id = await self._upload(reply.photo)
        return [render.image(media_id, reply.text)] if media_id else []

    async def _upload(self, data: bytes) -> str | None:
        try:
            media = await self.wa.upload_media(media=data, mime_type="image/jpeg",
                                               filename="photo.jpg")
        except (wa_errors.WhatsAppError, httpx.HTTPError, ValueError, KeyError, TypeError):
            log.warning("whatsapp: photo upload failed")
            return None
        return str(media.id)

    async def _send_free(self, identity: WaIdentity, reply: Reply, locale: str | None,
                         pid: str) -> SendResult:
        provider_id = None
        payloads = await self._payloads(reply, locale)
        if not payloads:
            return SendResult.failed("photo upload failed")
        for payload in payloads:
            posted = await self._post(identity, payload)
            if not posted.ok:
                return await self._failed(pid, posted.code)
            provider_id = posted.provider_id
        return SendResult.sent(provider_id)

    async def _send_template(self, identity: WaIdentity, reply: Reply, locale: str | None,
                             pid: str) -> SendResult:
        if reply.template == "case":    # the case desk's own template (whatsapp_case.py)
            payload = case_template(self.app.config, locale)
        else:
            spec = self.template_for(locale, staff=reply.staff)
            if spec is None or reply.photo is not None:   # a picture cannot travel in a template
                return SendResult.window_closed()
            payload = render.template(spec, reply, self.app.config.resources)
        if payload is None:
            return SendResult.window_closed()
        posted = await self._post(identity, payload)
        if not posted.ok:
            return await self._failed(pid, posted.code)
        return SendResult.sent(posted.provider_id, template=payload["template"]["name"])

    def template_for(self, locale: str | None, *, staff: bool = False
                     ) -> WhatsAppTemplate | None:
        """The approved template for `locale`: moderator traffic has its own, never the
        alerts' (which says the message is a verified alert)."""
        templates = self.config.moderator_templates if staff else self.config.templates
        for candidate in (locale, self.app.config.bot.default_locale, *templates):
            if candidate and candidate in templates:
                return templates[candidate]
        return None

    async def _failed(self, pid: str, code: int | None) -> SendResult:
        attempt = self._rate_hits.get(pid, 0) + 1
        result = send_result(code, attempt)
        if result.retry_after is not None:
            self._rate_hits.put(pid, attempt)
        if code == STOPPED_MARKETING:
            await self.events.on_unsubscribe(pid)
        return result

    async def _post(self, identity: WaIdentity, payload: dict[str, Any]) -> _Posted:
        """Sends one message to the wa_id (preferred) or the BSUID; never raises."""
        to, recipient = (identity.wa_id, None) if identity.wa_id else (None, identity.bsuid)
        try:
            res = await self.wa.api.send_message(
                sender=self.config.phone_number_id, to=to, recipient=recipient,
                recipient_type="individual", typ=payload["type"],
                msg=payload[payload["type"]])
            return _Posted(ok=True, provider_id=str(res["messages"][0]["id"]))
        except wa_errors.WhatsAppError as exc:
            return _Posted(ok=False, code=_int_or_none(exc.code))
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError):
            return _Posted(ok=False)

    def _list_button(self, locale: str | None) -> str:
        return self.app.i18n.translator(locale or self.app.config.bot.default_locale)(
            LIST_BUTTON)

    def _remember_menu(self, pid: str, menu: Menu | None) -> None:
        """A typed "2" picks from the last menu; a message without one ends that."""
        if menu is None:
            self._menus.pop(pid, None)
        else:
            self._menus.put(pid, menu)

    # --- statuses and media --------------------------------------------------------------

    async def _on_status(self, _: Any, status: Any) -> None:
        self._handled.add(f"s:{status.id}:{status.status}")
        code = _int_or_none(status.error.code) if status.error is not None else None
        verdict = classify_status(str(status.status), code)
        user = status.from_user
        # A status names its recipient; without any id it can only be matched by message id.
        pid = self.app.pid_for(self._address_of(user)) if user.wa_id or user.bsuid else ""
        if pid and self._in_flight.get(pid):
            # Meta can report on a message before our send of it has seen the response:
            # let sends to this person finish so the message id is known.
            async with self._flight:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._flight.wait_for(lambda: not self._in_flight.get(pid)), 30)
        push: _Push | None = self._pushed.get(status.id)
        pid = push.pid if push else pid
        if not pid:
            await self.events.on_status(status.id, verdict.outcome, code)
            return
        retry_after = None
        if verdict.outcome == StatusOutcome.SKIPPED_WINDOW:
            self._closed.put(pid, True)
            resent = await self._resend_as_template(push) if push else None
            if resent is not None:
                await self.events.on_status(status.id, StatusOutcome.RESENT_TEMPLATE, code,
                                            resent_as=resent)
                return
        elif verdict.outcome == StatusOutcome.UNSUBSCRIBED:
            await self.events.on_unsubscribe(pid)
        elif verdict.rate_limited and code is not None:
            attempt = self._rate_hits.get(pid, 0) + 1
            self._rate_hits.put(pid, attempt)
            retry_after = backoff(code, attempt)
        elif verdict.outcome in (StatusOutcome.DELIVERED, StatusOutcome.READ):
            self._rate_hits.pop(pid, None)  # got through: the next rate limit starts over
        await self.events.on_status(status.id, verdict.outcome, code, retry_after=retry_after)

    async def _resend_as_template(self, push: _Push) -> str | None:
        if push.resent:
            return None
        push.resent = True
        window = await recipient_window(self.app, push.pid, self.app.clock.now())
        result = await self._send_template(decode(push.address.chat_id), push.reply,
                                           window.locale, push.pid)
        return result.provider_id if result.ok else None

    async def fetch_media(self, media: Media) -> bytes | None:
        """Downloads a photo a person sent (None when too big or unavailable)."""
        try:
            info = await self.wa.get_media_url(media.ref)
            if int(info.file_size or 0) > MAX_MEDIA_BYTES:
                return None
            data: bytes = await self.wa.get_media_bytes(info.url)
        except (wa_errors.WhatsAppError, httpx.HTTPError, ValueError, KeyError):
            log.warning("whatsapp: media download failed")
            return None
        return data if len(data) <= MAX_MEDIA_BYTES else None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def build(app: App, options: object = None) -> WhatsAppChannel:
    cfg = app.config.channels.whatsapp
    values = {key: secret(getattr(cfg, key)) for key in
              ("token_env", "app_secret_env", "verify_token_env")}
    missing = [f"environment variable {getattr(cfg, k)} is not set" for k, v in values.items()
               if v is None]
    if missing:
        raise ConfigError(missing)
    return WhatsAppChannel(app, cfg, token=values["token_env"] or "",
                           app_secret=values["app_secret_env"] or "",
                           verify_token=values["verify_token_env"] or "")
