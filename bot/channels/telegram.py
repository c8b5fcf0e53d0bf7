"""The Telegram channel (python-telegram-bot 22): long polling, or a webhook on our web server.

PTB does the HTTP; long polling is ours (telegram_poll.py: a batch is confirmed only once
handled), and handled update ids are kept durably as keyed hashes (durable.py). One
`TypeHandler` hands every update to `telegram_codec.classify`, and what comes out goes through
`App.process` like any console line.
Callback queries are always answered, alongside processing (the spinner stops even if a
handler fails); a menu reply to a press edits the pressed message in place (`Reply.replace`).
Groups other than the moderators' room get one line and are left. `send` never raises for
platform errors: it returns a `SendResult` the alert dispatcher can act on.

Nothing here logs a chat id, a name or a text; PTB's and httpx's own loggers are turned down by
bot/logs.py (httpx would log URLs with the bot token).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hmac
import json
import logging
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from telegram import CallbackQuery, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import ApplicationBuilder, ContextTypes, ExtBot, TypeHandler

from bot.channels import telegram_commands, telegram_forum
from bot.channels.base import TELEGRAM_LIMITS, Limits, MediaError, PlatformUnreachable
from bot.channels.durable import DurableInbox
from bot.channels.telegram_codec import ALLOWED_UPDATES, BotIdentity, Leave, classify, render
from bot.channels.telegram_http import AiohttpRequest
from bot.channels.telegram_poll import Poller
from bot.channels.web import read_body
from bot.config import ConfigError, TelegramConfig, secret
from bot.i18n import N_
from bot.messages import Address, Incoming, Media, Reply, SendResult

if TYPE_CHECKING:
    from bot.app import App
    from bot.runner import RunOptions

# RetryAfter.retry_after as a timedelta; PTB reads this when the attribute is used.
os.environ.setdefault("PTB_TIMEDELTA", "1")

log = logging.getLogger(__name__)
T = TypeVar("T")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_WEBHOOK_PATH = "/telegram/webhook"
POLL_TIMEOUT = 30              # seconds one getUpdates long poll stays open
REQUEST_TIMEOUT = 15.0         # seconds for any other Bot API call
CONCURRENT_UPDATES = 32        # App.handle serialises each person; others need not wait
# Every update in progress may have its answer and a press's answer in flight (Telegram is
# 100-300 ms away, so fewer would queue them); more would only lengthen the scan httpcore
# makes of the whole pool on every request (PTB's default pool is 256).
CONNECTION_POOL = 2 * CONCURRENT_UPDATES
MAX_REPLY_WAIT = 10.0          # longest flood-control pause worth making an answer wait for
MAX_STARTUP_PAUSE = 30.0       # the longest pause between two tries of an unreachable Bot API
MAX_DOWNLOAD = 20 * 1024 * 1024  # the Bot API's getFile limit
MAX_BODY = 1_000_000
CAPTION_LIMIT = 1024           # a photo caption
REMEMBERED_UPDATES = 4096
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

REFUSAL = N_("I only talk in private chats. Please write to me directly.")
REFUSAL_TO_MODERATOR = N_(
    "This group is not the moderators' room, so I am leaving. To make it the room, set "
    "channels.telegram.moderators_chat_id = \"{chat_id}\" and restart me.")


class _Recent:
    """A bounded set of recently seen keys (update ids, chats left)."""

    def __init__(self, size: int) -> None:
        self._keys: OrderedDict[object, None] = OrderedDict()
        self._size = size

    def add(self, key: object) -> bool:
        """True the first time a key is seen."""
        if key in self._keys:
            return False
        self._keys[key] = None
        if len(self._keys) > self._size:
            self._keys.popitem(last=False)
        return True


def retry_seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def send_failure(exc: TelegramError) -> SendResult:
    """What a failed send means for the dispatcher: wait, retry later, or give up."""
    if isinstance(exc, RetryAfter):
        return SendResult.wait(retry_seconds(exc), "flood control")
    if isinstance(exc, Forbidden):  # blocked, deactivated, removed from the group
        return SendResult.blocked(exc.message)
    if isinstance(exc, ChatMigrated):
        return SendResult.failed("group moved to a supergroup", permanent=True)
    if isinstance(exc, BadRequest):  # chat not found, text refused: retrying cannot help
        return SendResult.failed(exc.message, permanent=True)
    # Timeouts, network errors, 5xx, and a token problem that is ours to fix, not theirs.
    return SendResult.failed(f"{type(exc).__name__}: {exc.message}")


def chat_number(address: Address) -> int | None:
    text = address.chat_id
    return int(text) if text.lstrip("-").isdigit() else None


class TelegramChannel:
    name = "telegram"
    limits: Limits = TELEGRAM_LIMITS

    def __init__(self, app: App, config: TelegramConfig, token: str, *, polling: bool,
                 webhook_secret: str | None = None, timeout: float = REQUEST_TIMEOUT,
                 poll_timeout: int = POLL_TIMEOUT) -> None:
        self.app = app
        self.config = config
        self.polling = polling
        self.webhook_path = urlsplit(config.webhook_url).path or DEFAULT_WEBHOOK_PATH
        self._secret = (webhook_secret or "").encode()
        base = config.api_base_url.rstrip("/")
        # Every call goes through aiohttp (bot/channels/telegram_http.py says why).
        builder = (ApplicationBuilder().token(token)
                   .base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
                   .concurrent_updates(CONCURRENT_UPDATES))
        self._requests = [AiohttpRequest(connection_pool_size=CONNECTION_POOL, timeout=timeout)]
        builder = builder.request(self._requests[0])
        if polling:
            self._requests.append(AiohttpRequest(connection_pool_size=1, timeout=timeout))
            builder = builder.get_updates_request(self._requests[1])
        # Our own long polling (telegram_poll.py): PTB's Updater confirms before handling.
        self.application = builder.updater(None).build()
        self._poller = Poller(self.bot, self._process_batch,
                              timeout=poll_timeout, allowed=list(ALLOWED_UPDATES),
                              read_timeout=timeout, limit=CONCURRENT_UPDATES,
                              sleep=self._pause) if polling else None
        # Handled update ids, as keyed hashes with an expiry: a re-delivery after a restart
        # (the webhook's, or a batch polling had not confirmed) is dropped.
        self._durable = DurableInbox(app.db, app.privacy, app.clock, self.name)
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        # Flood-control pauses go through here, so tests can watch them instead of waiting.
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._seen = _Recent(REMEMBERED_UPDATES)
        self._left = _Recent(256)
        self._me: BotIdentity | None = None
        self._initialized = False
        self._accepting = False

    @property
    def bot(self) -> ExtBot[None]:
        return self.application.bot

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self._close_requests()  # else aiohttp warns of unclosed sessions at exit
            raise
        log.info("telegram: %s", "long polling" if self.polling else "webhook registered")

    async def _initialize(self) -> None:
        """getMe, retried with growing pauses while the Bot API cannot be reached (the
        network is not up yet at boot); a refusal (token, request) is not retried."""
        waited, pause = 0.0, 1.0
        host = urlsplit(self.config.api_base_url).netloc
        while True:
            try:
                await self.application.initialize()
                return
            except NetworkError as exc:
                if isinstance(exc, BadRequest):
                    raise
                if waited >= self.config.startup_patience_seconds:
                    raise PlatformUnreachable(
                        f"telegram: cannot reach the Bot API at {host} ({type(exc).__name__}) "
                        f"after {waited:.0f} s of retrying: check the network or the proxy; "
                        "the configuration is not at fault") from None
                pause = min(pause, self.config.startup_patience_seconds - waited)
                log.warning("telegram: cannot reach the Bot API at %s (%s, the network?); "
                            "trying again in %.0f s", host, type(exc).__name__, pause)
                await self.sleep(pause)
                waited += pause
                pause = min(pause * 2, MAX_STARTUP_PAUSE)

    async def _close_requests(self) -> None:
        for request in self._requests:
            await request.shutdown()

    async def _start(self) -> None:
        try:
            await self._initialize()
            self._initialized = True
            self._me = BotIdentity(self.bot.id, self.bot.username)
            await telegram_commands.register(self.bot, self.app.config, self.app.i18n)
            await self.application.start()
            if self._poller is not None:
                # Any webhook goes first: `compa run --polling` undoes one.
                await self.bot.delete_webhook()
                self._poller.start()
            else:
                self._accepting = True
                await self.bot.set_webhook(self.config.webhook_url,
                                           secret_token=self._secret.decode(),
                                           allowed_updates=list(ALLOWED_UPDATES))
        except InvalidToken:
            raise ConfigError([f"channels.telegram.token_env: the Bot API refused the token "
                               f"in ${self.config.token_env}"]) from None
        except BadRequest as exc:
            raise ConfigError([f"channels.telegram: the Bot API refused to start "
                               f"({exc.message})"]) from None
        except TelegramError as exc:
            raise ConfigError([f"channels.telegram.api_base_url: the Bot API failed at start "
                               f"({type(exc).__name__}: {exc.message})"]) from None

    async def stop(self) -> None:
        self._accepting = False
        app = self.application
        if self._poller is not None:
            await self._poller.stop()
        if app.running:
            await app.stop()
        if self._initialized:
            self._initialized = False
            await app.shutdown()
        await self._close_requests()

    # -- incoming --------------------------------------------------------------------------

    def web_routes(self) -> list[BaseRoute]:
        if self.polling:
            return []
        return [Route(self.webhook_path, self._webhook, methods=["POST"])]

    async def _webhook(self, request: Request) -> Response:
        """Telegram's POST: secret first (constant time), then the body, then handling."""
        given = request.headers.get(SECRET_HEADER, "").encode("latin-1")
        if not self._secret or not hmac.compare_digest(given, self._secret):
            return Response(status_code=403)
        if not self._accepting:
            return Response(status_code=503)  # Telegram retries later
        body = await read_body(request, MAX_BODY)
        if body is None:
            return Response(status_code=413)
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or type(data.get("update_id")) is not int:
                raise ValueError("not an update")
            update = Update.de_json(data, self.bot)
        except Exception:
            return Response(status_code=400)
        # Answered once handled, not once queued: a process killed meanwhile leaves Telegram
        # to deliver the update again instead of losing it (the answer is at least once).
        if not await self._handled_before(update):
            await self.application.process_update(update)
        return Response(status_code=200)

    async def _process_batch(self, updates: list[Update]) -> None:
        """One getUpdates answer: what was not handled before a restart, side by side."""
        fresh = [update for update in updates if not await self._handled_before(update)]
        # Started in order with no await between: App.handle takes each person's lock at once.
        await asyncio.gather(*(self.application.process_update(u) for u in fresh),
                             return_exceptions=True)

    async def _handled_before(self, update: Update) -> bool:
        """Handled before a restart (the update id, a counter of the bot's with no chat in
        it, is looked up as a keyed hash)."""
        return await self._durable.seen(str(update.update_id))

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not self._seen.add(update.update_id):
            return  # Telegram redelivers when an answer was slow; handle each update once
        # Checked durably by the caller (`_handled_before`): no await here before processing.
        key = str(update.update_id)
        try:
            await self._handle(update)
        except Exception:
            await self._durable.done(key, None)  # logged; it would fail the same way again
            raise
        await self._durable.done(key, None)

    async def _handle(self, update: Update) -> None:
        assert self._me is not None
        event = classify(update, self._me, self.config.moderators_chat_id,
                         forum=self.app.config.desk.telegram_forum_chat_id)
        query = update.callback_query
        # The press is answered alongside, so the spinner stops at once while processing
        # starts in this very step: App.handle takes the person's lock before any await, which
        # keeps one person's messages in order even with concurrent updates.
        answering = asyncio.ensure_future(self._answer(query)) if query is not None else None
        try:
            if isinstance(event, Leave):
                await self._leave(event)
            elif event is not None:
                log.debug("telegram: %r", event)
                await self.app.process(event)
        finally:
            if answering is not None:
                await answering

    async def _pause(self, seconds: float) -> None:
        await self.sleep(seconds)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        log.error("telegram: update failed (%s)", type(error).__name__,
                  exc_info=(type(error), error, error.__traceback__) if error else None)

    async def _answer(self, query: CallbackQuery) -> None:
        try:
            await query.answer()
        except TelegramError as exc:
            log.info("telegram: callback query not answered (%s)", type(exc).__name__)

    async def _leave(self, event: Leave) -> None:
        if not self._left.add(event.chat_id):
            return
        chat = int(event.chat_id)
        if event.notify:
            i18n = self.app.i18n
            t = i18n.translator(i18n.negotiate(event.locale_hint,
                                               self.app.config.bot.default_locale))
            moderator = event.by is not None \
                and self.app.role_for(self.name, event.by) != "person"
            text = t(REFUSAL_TO_MODERATOR, chat_id=event.chat_id) if moderator else t(REFUSAL)
            await self._quietly(self.bot.send_message(chat, text))
        await self._quietly(self.bot.leave_chat(chat))
        log.info("telegram: left a group that is not the moderators' room")

    @staticmethod
    async def _quietly(call: Awaitable[object]) -> None:
        try:
            await call
        except TelegramError as exc:
            log.info("telegram: call failed (%s)", type(exc).__name__)

    async def download(self, media: Media) -> bytes:
        """The bytes of a photo a person sent (getFile, then the file URL)."""
        if media.data is not None:
            return media.data
        try:
            tg_file = await self.bot.get_file(media.ref)
            if tg_file.file_size and tg_file.file_size > MAX_DOWNLOAD:
                raise MediaError("file too large")
            return bytes(await tg_file.download_as_bytearray())
        except TelegramError as exc:
            raise MediaError(type(exc).__name__) from exc

    async def fetch_media(self, media: Media) -> bytes | None:
        """A photo for a report (what handlers ask every channel for); None when Telegram
        will not hand it over."""
        try:
            return await self.download(media)
        except MediaError as exc:
            log.info("telegram: photo not received (%s)", exc)
            return None

    # -- outgoing --------------------------------------------------------------------------

    async def respond(self, msg: Incoming, replies: list[Reply]) -> None:
        """Answers in the chat; a first reply marked `replace` edits the pressed menu."""
        if msg.thread is not None:      # in a case's forum topic: answer in the topic
            for reply in replies:
                await self.send(Address(self.name, f"{msg.address.chat_id}/{msg.thread}"), reply)
            return
        chat = int(msg.address.chat_id)
        pressed = msg.message_id if msg.button_id is not None else None
        try:
            for i, reply in enumerate(replies):
                if reply.photo is not None:
                    await self._patiently(functools.partial(self._send_photo, chat, reply))
                    continue
                parts = render(reply)
                if i == 0 and reply.replace and pressed and pressed.isdigit() \
                        and len(parts) == 1 and await self._edit(chat, int(pressed), *parts[0]):
                    continue
                for text, markup in parts:
                    await self._patiently(functools.partial(self._send, chat, text, markup))
        except Forbidden:
            log.info("telegram: reply not delivered (the person blocked the bot)")
        except TelegramError as exc:
            log.warning("telegram: reply not delivered (%s)", type(exc).__name__)

    async def send(self, address: Address, reply: Reply) -> SendResult:
        """Pushes one message (alerts, moderator cards); never raises for platform errors.

        A text longer than one Telegram message goes out in parts; if a later part fails, the
        result is that failure (a retry repeats the earlier parts: alerts are kept short).
        """
        chat, thread = telegram_forum.split(address)
        if chat is None:
            return SendResult.failed("not a Telegram chat id", permanent=True)
        if reply.photo is not None:
            try:
                sent = await self._send_photo(chat, reply)
            except TelegramError as exc:
                return send_failure(exc)
            return SendResult.sent(str(sent.message_id))
        topic = {"message_thread_id": thread} if thread is not None else {}
        parts = render(reply)
        if not parts:
            return SendResult.failed("empty message", permanent=True)
        try:
            for text, markup in parts:
                # The raw API answer through PTB's own request path (errors, retry_after and
                # all): an alert needs only the message id back, and building PTB's Message
                # object for each of thousands of sends was a tenth of the CPU at 1,000/s.
                # `_post` is internal to PTB; the version is pinned below 23.
                answer = await self.bot._post(
                    "sendMessage", {"chat_id": chat, "text": text, "reply_markup": markup,
                                    "link_preview_options": NO_PREVIEW, **topic})
        except TelegramError as exc:
            return send_failure(exc)
        message_id = answer.get("message_id") if isinstance(answer, dict) else None
        return SendResult.sent(str(message_id) if message_id else None)

    async def create_topic(self, name: str) -> str | None:
        """A case's topic in the helpers' forum (bot/channels/telegram_forum.py)."""
        forum = self.app.config.desk.telegram_forum_chat_id
        return await telegram_forum.create_topic(self.bot, forum, name)

    async def edit(self, address: Address, provider_id: str, reply: Reply) -> SendResult:
        """Rewrites a message sent earlier (the publisher's progress: "sent 600 / 1,234")."""
        chat = chat_number(address)
        parts = render(reply)
        if chat is None or not provider_id.isdigit() or len(parts) != 1:
            return SendResult.failed("cannot edit", permanent=True)
        try:
            done = await self._edit(chat, int(provider_id), *parts[0])
        except TelegramError as exc:
            return send_failure(exc)
        if not done:
            return SendResult.failed("message can no longer be edited", permanent=True)
        return SendResult.sent(provider_id)

    async def _send_photo(self, chat: int, reply: Reply) -> Message:
        """A picture with its caption (a report's stripped photo, for moderators)."""
        assert reply.photo is not None
        return await self.bot.send_photo(chat, photo=reply.photo,
                                         caption=reply.text[:CAPTION_LIMIT] or None)

    async def _send(self, chat: int, text: str, markup: InlineKeyboardMarkup | None) -> Message:
        return await self.bot.send_message(chat, text, reply_markup=markup,
                                           link_preview_options=NO_PREVIEW)

    async def _edit(self, chat: int, message_id: int, text: str,
                    markup: InlineKeyboardMarkup | None) -> bool:
        """Edits a menu in place; False when Telegram will not (too old, deleted)."""
        edit = functools.partial(self.bot.edit_message_text, text, chat_id=chat,
                                 message_id=message_id, reply_markup=markup,
                                 link_preview_options=NO_PREVIEW)
        try:
            await self._patiently(edit)
        except BadRequest as exc:
            # Pressing the button of the menu already shown: the message is as it should be.
            return "not modified" in exc.message
        return True

    async def _patiently(self, call: Callable[[], Awaitable[T]]) -> T:
        """One call, retried once after a short flood-control pause; a person is waiting."""
        try:
            return await call()
        except RetryAfter as exc:
            wait = retry_seconds(exc)
            if wait > MAX_REPLY_WAIT:
                raise
            log.info("telegram: flood control, answering in %.0f s", wait)
            await self.sleep(wait)
            return await call()


def build(app: App, options: RunOptions) -> TelegramChannel:
    """The channel `compa run` starts; `--polling` overrides a configured webhook."""
    config = app.config.channels.telegram
    polling = bool(options.polling) or config.mode == "polling"
    token = secret(config.token_env)
    if token is None:  # checked when the config was read; the environment changed since
        raise ConfigError([f"channels.telegram.token_env: ${config.token_env} is not set"])
    # Without a secret every webhook post is refused (403): safe, and config requires one.
    hook_secret = None if polling else secret(config.webhook_secret_env)
    return TelegramChannel(app, config, token, polling=polling, webhook_secret=hook_secret)
