"""A local Telegram Bot API server for end-to-end tests and benchmarks.

    async with FakeTelegram() as tg:
        builder.base_url(tg.base_url).base_file_url(tg.file_url)
        await tg.push(tg.update(message=tg.message(CHAT, "/start")))
        sent = await tg.wait_sent(CHAT, 1)

It speaks the subset of the Bot API that Compa uses (getMe, getUpdates with real long polling,
sendMessage, editMessageText, answerCallbackQuery, setWebhook, deleteWebhook, getWebhookInfo,
leaveChat, getFile and the file download) and validates what the real server validates: text
length (in UTF-16 units, like Telegram) and emptiness, callback_data ≤ 64 bytes, keyboard shape,
known callback query ids, editable messages. Faults can be injected per method (429 with
retry_after, 403 blocked, 400, 500, slow answers held until released, and lost answers: a 504
from a gateway, the call dropped or carried out all the same), and an optional rate
limit (30/s overall, 1/s per chat) counts `rate_violations` for benchmarks. Every call is
logged with its arrival time and the status it got (`log`), and `on_call` lets a test act on a
call before it is carried out (hold it, refuse it, or kill the client mid fan-out). Crowds
(load tests, benchmarks) wait on `on_sent` listeners (see
`compa_testkit.telegram_kit.Answers`) and can start mid-conversation with `shown()`.

Updates stay queued until a later getUpdates confirms them with `offset`, as on Telegram, so a
long poll abandoned by a stopping client loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import re
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.channels.web import WebServer
from compa_testkit.patience import PATIENCE

DATA = Path(__file__).resolve().parent.parent / "data" / "telegram"
TOKEN = "123456:TEST-token_for-the-fake"
BOT_ID = 123456
BOT_USERNAME = "CompaTestBot"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
# Fields PTB sends as raw strings; every other form field is JSON-encoded (see TECH-NOTES).
STRING_FIELDS = {"text", "callback_query_id", "url", "secret_token", "file_id", "parse_mode",
                 "inline_message_id", "ip_address", "caption"}
SEND_METHODS = {"sendMessage", "editMessageText", "sendPhoto"}
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"ok": False, "error_code": self.status,
                                "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return JSONResponse(body, status_code=self.status)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Sent:
    """One successful sendMessage or editMessageText, as the chat saw it."""

    method: str
    chat_id: str
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None
    params: dict[str, Any]

    @property
    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    @property
    def labels(self) -> list[str]:
        return [b["text"] for b in self.buttons]

    @property
    def data(self) -> list[str]:
        return [b.get("callback_data", "") for b in self.buttons]

    def data_for(self, label_part: str) -> str:
        for button in self.buttons:
            if label_part.casefold() in button["text"].casefold():
                return str(button["callback_data"])
        raise AssertionError(f"no button like {label_part!r} in {self.labels}")


@dataclass
class Fault:
    status: int = 500
    description: str = "Internal Server Error"
    retry_after: int | None = None
    chat_id: str | None = None      # only calls for this chat (None: any)
    slow: bool = False              # hold the answer until release() instead of failing
    deliver: bool = False           # carry the call out all the same, then answer the error


@dataclass
class Call:
    """One API call as it reached the server: when (by the server's clock) and its answer."""

    method: str
    chat_id: str | None
    at: float
    status: int = 0                 # the HTTP status answered; 0 while held (or never)
    retry_after: int | None = None  # what a 429 asked for


@dataclass
class RateLimits:
    """Telegram's documented limits; `reject` answers 429 to a message past them."""

    overall_per_second: int = 30
    per_chat_per_second: int = 1
    reject: bool = True


@dataclass
class _Chat:
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


class FakeTelegram:
    def __init__(self, token: str = TOKEN, *, rate_limits: RateLimits | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.token = token
        self.rate_limits = rate_limits
        self.clock = clock
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.log: list[Call] = []
        # Awaited before each call is carried out; it may hold it or raise ApiError.
        self.on_call: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None
        self.sent: dict[str, list[Sent]] = defaultdict(list)
        self.callback_answers: list[dict[str, Any]] = []
        self.left_chats: list[str] = []
        # setMyCommands: (scope, language_code or "") → [(command, description)]; the scope
        # is "default", "all_private_chats"… or "chat:<id>".
        self.commands: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.blocked: set[str] = set()
        self.webhook: dict[str, Any] | None = None
        # (unix time, message) of the last failed webhook delivery, as getWebhookInfo says it.
        self.webhook_error: tuple[int, str] | None = None
        self.rate_violations = 0
        # Called with each successful send or edit as it arrives: benchmarks and load tests
        # wait per chat here instead of waking every waiter of `wait_until` on every call.
        self.on_sent: list[Callable[[Sent], None]] = []
        self.files: dict[str, tuple[str, bytes]] = {}
        self.photos: dict[str, bytes] = {}      # what the bot sent with sendPhoto, by file_id
        self.topics: dict[int, tuple[str, str]] = {}    # thread id → (forum chat, name)
        self._faults: dict[str, list[Fault]] = defaultdict(list)
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1000)
        self._chats: dict[str, _Chat] = defaultdict(_Chat)
        self._open_queries: set[str] = set()
        self._changed = asyncio.Condition()
        self._release = asyncio.Event()
        self._closing = False
        self._recent: deque[float] = deque()
        self._recent_per_chat: dict[str, deque[float]] = defaultdict(deque)
        self._server: WebServer | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = Starlette(routes=[
            Route("/bot{token}/{method}", self._api, methods=["GET", "POST"]),
            Route("/file/bot{token}/{path:path}", self._file, methods=["GET"]),
        ])
        self._server = WebServer(app, "127.0.0.1", 0)
        await self._server.start()

    async def stop(self) -> None:
        self._closing = True
        self._release.set()
        async with self._changed:
            self._changed.notify_all()
        if self._server is not None:
            await self._server.stop()

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        return self._server.url

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def file_url(self) -> str:
        return f"{self.url}/file/bot"

    # -- fault injection -------------------------------------------------------------------

    def fail(self, method: str, status: int = 500, description: str = "Internal Server Error",
             *, retry_after: int | None = None, chat_id: str | int | None = None,
             times: int = 1) -> None:
        """The next `times` calls of `method` (for `chat_id`, if given) answer this error."""
        chat = None if chat_id is None else str(chat_id)
        self._faults[method].extend(
            Fault(status, description, retry_after, chat) for _ in range(times))

    def flood(self, method: str, retry_after: int, **kwargs: Any) -> None:
        self.fail(method, 429, f"Too Many Requests: retry after {retry_after}",
                  retry_after=retry_after, **kwargs)

    def slow(self, method: str, *, times: int = 1) -> None:
        """The next `times` calls of `method` hang until `release()` (or the server stops)."""
        self._faults[method].extend(Fault(slow=True) for _ in range(times))

    def release(self) -> None:
        self._release.set()

    def lose_answer(self, method: str, *, chat_id: str | int | None = None,
                    deliver: bool = False, times: int = 1) -> None:
        """The next `times` calls get a 504 Gateway Timeout at once: the answer was lost on the
        way. The call was dropped (nothing done) or, with `deliver`, carried out all the same:
        the message arrives, but the client cannot know (the ambiguous failure). At once, not
        after a real client timeout, so no test depends on how fast the machine is; the
        adapter's mapping of a real timeout is tested with `slow()`."""
        chat = None if chat_id is None else str(chat_id)
        self._faults[method].extend(
            Fault(504, "Gateway Timeout", chat_id=chat, deliver=deliver) for _ in range(times))

    def accepted(self, method: str = "sendMessage") -> list[Call]:
        """The calls of `method` that were carried out (answered 200), in arrival order."""
        return [c for c in self.log if c.method == method and c.status == 200]

    def block(self, chat_id: str | int) -> None:
        """The person blocked the bot: every later message to them is refused with 403."""
        self.blocked.add(str(chat_id))

    # -- building updates (what people do) -------------------------------------------------

    @staticmethod
    def user(user_id: int, first_name: str = "Ana", language_code: str | None = "es",
             username: str | None = None) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        if username:
            user["username"] = username
        return user

    @staticmethod
    def chat(chat_id: int, chat_type: str = "private", title: str = "Room",
             first_name: str = "Ana") -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = first_name
        else:
            chat["title"] = title
        return chat

    def message(self, chat_id: int, text: str | None = None, *,
                sender: dict[str, Any] | None = None, chat_type: str = "private",
                **extra: Any) -> dict[str, Any]:
        """A message a person sent; a leading /command gets its bot_command entity."""
        sender = sender or self.user(chat_id)
        message: dict[str, Any] = {
            "message_id": next(self._ids), "date": int(time.time()),
            "chat": self.chat(chat_id, chat_type, first_name=sender["first_name"]),
            "from": sender, **extra,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                word = text.split(maxsplit=1)[0]
                message["entities"] = [{"type": "bot_command", "offset": 0,
                                        "length": utf16_len(word)}]
        return message

    def photo_message(self, chat_id: int, data: bytes, caption: str | None = None,
                      **kwargs: Any) -> dict[str, Any]:
        """A photo as Telegram sends it: several sizes, the largest last."""
        number = len(self.files) + 1
        file_id = f"AgACAgphoto{number}"
        self.files[file_id] = (f"photos/file_{number}.jpg", data)
        sizes = [
            {"file_id": f"AgACAgthumb{number}", "file_unique_id": f"t{number}", "width": 90,
             "height": 90, "file_size": 1000},
            {"file_id": file_id, "file_unique_id": f"u{number}", "width": 1280, "height": 960,
             "file_size": len(data)},
        ]
        extra: dict[str, Any] = {"photo": sizes}
        if caption:
            extra["caption"] = caption
        return self.message(chat_id, None, **extra, **kwargs)

    def callback(self, chat_id: int, message_id: int, data: str, *,
                 sender: dict[str, Any] | None = None, forged: bool = False) -> dict[str, Any]:
        """A press on a button of a message the bot sent (refused unless the button exists)."""
        message = self._chats[str(chat_id)].messages.get(message_id)
        assert message is not None, f"the bot sent no message {message_id} to this chat"
        buttons = [b for row in message.get("reply_markup", {}).get("inline_keyboard", [])
                   for b in row]
        assert forged or data in [b.get("callback_data") for b in buttons], \
            f"no button {data!r} on message {message_id}"
        query_id = f"q{next(self._ids)}"
        self._open_queries.add(query_id)
        return {"id": query_id, "from": sender or self.user(chat_id),
                "message": copy.deepcopy(message),
                "chat_instance": f"ci{chat_id}", "data": data}

    def member_update(self, chat_id: int, chat_type: str, added_by: dict[str, Any],
                      status: str = "member") -> dict[str, Any]:
        """my_chat_member: the bot's own membership in a chat changed."""
        bot = {"id": BOT_ID, "is_bot": True, "first_name": "Compa", "username": BOT_USERNAME}
        old = "left" if status in ("member", "administrator") else "member"
        return {"chat": self.chat(chat_id, chat_type), "from": added_by,
                "date": int(time.time()), "old_chat_member": {"status": old, "user": bot},
                "new_chat_member": {"status": status, "user": bot}}

    @staticmethod
    def recorded(name: str) -> dict[str, Any]:
        """A real Bot API update, as Telegram sent it (compa_testkit/data/telegram/NAME.json)."""
        data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
        return data

    def update(self, **payload: Any) -> dict[str, Any]:
        """Wraps one payload (message=…, callback_query=…) with a fresh update_id."""
        return {"update_id": next(self._update_ids), **payload}

    async def push(self, *updates: dict[str, Any]) -> None:
        """Queues updates for getUpdates (one answer carries them all) and wakes a long poll.
        A callback query's id becomes answerable, as Telegram makes it when it is pressed
        (real recorded updates carry their own ids: compa_testkit/data/telegram)."""
        for update in updates:
            query = update.get("callback_query")
            if isinstance(query, dict) and "id" in query:
                self._open_queries.add(str(query["id"]))
        self._updates.extend(updates)
        await self._notify()

    def remember(self, chat_id: int, text: str, reply_markup: dict[str, Any]) -> int:
        """A message the bot sent before the test began (its buttons can be pressed); no call
        is made or counted. Returns its message id."""
        state = self._chats[str(chat_id)]
        message_id = next(state.ids)
        state.messages[message_id] = {
            "message_id": message_id, "date": int(time.time()), "chat": self.chat(chat_id),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Compa",
                     "username": BOT_USERNAME},
            "text": text, "reply_markup": reply_markup}
        return message_id

    def shown(self, chat_id: int, text: str, callback_data: list[str]) -> int:
        """A message with these buttons, as if the bot had sent it before the test began
        (crowds that start mid-conversation); it is not counted in `sent`."""
        return self.remember(chat_id, text, {"inline_keyboard": [
            [{"text": data, "callback_data": data}] for data in callback_data]})

    def bot_message(self, chat_id: str | int, message_id: int) -> dict[str, Any]:
        return self._chats[str(chat_id)].messages[message_id]

    # -- waiting (tests) -------------------------------------------------------------------

    async def wait_until(self, predicate: Callable[[], bool],
                         within: float = PATIENCE) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), within)

    async def wait_sent(self, chat_id: str | int, count: int,
                        within: float = PATIENCE) -> list[Sent]:
        """Waits until this chat has seen `count` sends/edits; returns them all."""
        key = str(chat_id)
        await self.wait_until(lambda: len(self.sent[key]) >= count, within)
        return self.sent[key]

    def methods(self) -> list[str]:
        return [name for name, _ in self.calls]

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- the HTTP side ---------------------------------------------------------------------

    async def _api(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return ApiError(401, "Unauthorized").response()
        method = request.path_params["method"]
        params = await self._params(request)
        self.calls.append((method, params))
        chat = params.get("chat_id")
        call = Call(method, None if chat is None else str(chat), self.clock())
        self.log.append(call)
        try:
            if self.on_call is not None:
                await self.on_call(method, params)
            lost = await self._maybe_fault(method, params)
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            result = await handler(params)
        except ApiError as exc:
            call.status, call.retry_after = exc.status, exc.retry_after
            await self._notify()
            return exc.response()
        call.status = 200           # the platform did it …
        await self._notify()
        if lost is not None:        # … but the client hears only the error
            return lost.response()
        return JSONResponse({"ok": True, "result": result})

    async def _file(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return Response(status_code=401)
        for path, data in self.files.values():
            if path == request.path_params["path"]:
                return Response(data, media_type="image/jpeg")
        return Response(status_code=404)

    @staticmethod
    async def _params(request: Request) -> dict[str, Any]:
        if request.headers.get("content-type", "").startswith("application/json"):
            body = await request.body()
            return dict(json.loads(body)) if body else {}
        form = await request.form()
        params: dict[str, Any] = dict(request.query_params)
        for key, value in form.items():
            if not isinstance(value, str) or key in STRING_FIELDS:
                params[key] = value
                continue
            try:
                params[key] = json.loads(value)
            except ValueError:
                params[key] = value
        return params

    async def _maybe_fault(self, method: str, params: dict[str, Any]) -> ApiError | None:
        """Raises the call's fault; returns it instead when the call is carried out anyway."""
        chat = str(params.get("chat_id", ""))
        queue = self._faults.get(method, [])
        for i, fault in enumerate(queue):
            if fault.chat_id is None or fault.chat_id == chat:
                del queue[i]
                if fault.slow:
                    with contextlib.suppress(TimeoutError):  # release() or stop() end it
                        await asyncio.wait_for(self._release.wait(), PATIENCE)
                    return None
                error = ApiError(fault.status, fault.description, fault.retry_after)
                if fault.deliver:
                    return error
                raise error
        return None

    def _check_rate(self, chat: str) -> None:
        limits = self.rate_limits
        if limits is None:
            return
        now = self.clock()
        per_chat = self._recent_per_chat[chat]
        for window in (self._recent, per_chat):
            while window and now - window[0] >= 1.0:
                window.popleft()
        if len(self._recent) >= limits.overall_per_second \
                or len(per_chat) >= limits.per_chat_per_second:
            self.rate_violations += 1
            if limits.reject:
                raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        self._recent.append(now)
        per_chat.append(now)

    # -- methods ---------------------------------------------------------------------------

    async def _m_setMyCommands(self, params: dict[str, Any]) -> bool:
        """Validated as Telegram does: 1-100 commands, names [a-z0-9_]{1,32}, descriptions
        1-256 characters, a known scope, a two-letter language code or none."""
        given = params.get("commands")
        if not isinstance(given, list) or len(given) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100")
        menu = []
        for item in given:
            name = item.get("command", "") if isinstance(item, dict) else ""
            text = item.get("description", "") if isinstance(item, dict) else ""
            if not _COMMAND.match(str(name)) or not 1 <= len(str(text)) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            menu.append((str(name), str(text)))
        self.commands[(self._scope(params.get("scope")), self._language(params))] = menu
        return True

    async def _m_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        menu = self.commands.get((self._scope(params.get("scope")), self._language(params)), [])
        return [{"command": c, "description": d} for c, d in menu]

    @staticmethod
    def _scope(scope: Any) -> str:
        if scope is None:
            return "default"
        kinds = {"default", "all_private_chats", "all_group_chats", "all_chat_administrators",
                 "chat", "chat_administrators", "chat_member"}
        if not isinstance(scope, dict) or scope.get("type") not in kinds:
            raise ApiError(400, "Bad Request: unsupported scope")
        if scope["type"].startswith("chat"):
            if not isinstance(scope.get("chat_id"), int | str):
                raise ApiError(400, "Bad Request: chat_id is required")
            return f"{scope['type']}:{scope['chat_id']}"
        return str(scope["type"])

    @staticmethod
    def _language(params: dict[str, Any]) -> str:
        code = params.get("language_code") or ""
        if code and not re.fullmatch(r"[a-z]{2}", str(code)):
            raise ApiError(400, "Bad Request: language_code must be two letters")
        return str(code)

    async def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Compa", "username": BOT_USERNAME,
                "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}

    async def _m_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is "
                                "active; use deleteWebhook to delete the webhook first")
        offset = int(params.get("offset") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        allowed = params.get("allowed_updates") or []

        def ready() -> bool:
            return bool(self._pending(allowed)) or self._closing

        if not ready() and timeout > 0:
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait_for(ready), timeout)
        return self._pending(allowed)[:limit]

    def _pending(self, allowed: list[str]) -> list[dict[str, Any]]:
        if not allowed:
            return list(self._updates)
        return [u for u in self._updates if any(kind in u for kind in allowed)]

    async def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat_id(params)
        text = self._text(params)
        markup = self._markup(params)
        if chat in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat in self.left_chats:
            raise ApiError(403, "Forbidden: bot is not a member of the group chat")
        self._check_rate(chat)
        state = self._chats[chat]
        message_id = next(state.ids)
        chat_type = "private" if not chat.startswith("-") else "supergroup"
        message: dict[str, Any] = {
            "message_id": message_id, "date": int(time.time()),
            "chat": self.chat(int(chat), chat_type),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Compa",
                     "username": BOT_USERNAME},
            "text": text,
        }
        if markup:
            message["reply_markup"] = markup
        state.messages[message_id] = message
        self._record(Sent("sendMessage", chat, message_id, text, markup, params))
        return message

    async def _m_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        """A picture uploaded as multipart form data, with an optional caption (≤ 1024)."""
        chat = self._chat_id(params)
        upload = params.get("photo")
        if upload is None or isinstance(upload, str):
            raise ApiError(400, "Bad Request: there is no photo in the request")
        data = await upload.read()
        caption = str(params.get("caption") or "")
        if utf16_len(caption) > CAPTION_LIMIT:
            raise ApiError(400, "Bad Request: message caption is too long")
        if chat in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        self._check_rate(chat)
        state = self._chats[chat]
        message_id = next(state.ids)
        file_id = f"photo-{chat}-{message_id}"
        self.photos[file_id] = data
        message: dict[str, Any] = {
            "message_id": message_id, "date": int(time.time()),
            "chat": self.chat(int(chat), "private" if not chat.startswith("-") else "supergroup"),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Compa",
                     "username": BOT_USERNAME},
            "photo": [{"file_id": file_id, "file_unique_id": f"u-{file_id}", "width": 1,
                       "height": 1, "file_size": len(data)}],
        }
        if caption:
            message["caption"] = caption
        state.messages[message_id] = message
        self._record(Sent("sendPhoto", chat, message_id, caption, None, params))
        return message

    async def _m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat_id(params)
        text = self._text(params)
        markup = self._markup(params)
        message = self._chats[chat].messages.get(int(params.get("message_id") or 0))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if message["text"] == text and message.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified: specified new message "
                                "content and reply markup are exactly the same as a current "
                                "content and reply markup of the message")
        self._check_rate(chat)
        message["text"] = text
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        self._record(Sent("editMessageText", chat, message["message_id"], text, markup, params))
        return message

    def _record(self, sent: Sent) -> None:
        self.sent[sent.chat_id].append(sent)
        for listener in self.on_sent:
            listener(sent)

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_queries:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired "
                                "or query ID is invalid")
        if len(str(params.get("text") or "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._open_queries.discard(query_id)
        self.callback_answers.append(params)
        return True

    async def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET.match(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if url and not url.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for "
                                "webhook")
        self.webhook = {"url": url, "secret_token": secret,
                        "allowed_updates": params.get("allowed_updates")} if url else None
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        info = {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}
        if self.webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self.webhook_error
        return info

    async def _m_leaveChat(self, params: dict[str, Any]) -> bool:
        self.left_chats.append(self._chat_id(params))
        return True

    async def _m_createForumTopic(self, params: dict[str, Any]) -> dict[str, Any]:
        """A topic in a forum supergroup (the case desk's, issue 16); ids count from 100."""
        chat = self._chat_id(params)
        if not chat.startswith("-") or not str(params.get("name") or ""):
            raise ApiError(400, "Bad Request: the chat is not a forum")
        thread = 100 + len(self.topics)
        self.topics[thread] = (chat, str(params["name"]))
        return {"message_thread_id": thread, "name": str(params["name"]),
                "icon_color": 7322096}

    async def _m_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id") or "")
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, data = self.files[file_id]
        return {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_size": len(data),
                "file_path": path}

    # -- validation ------------------------------------------------------------------------

    @staticmethod
    def _chat_id(params: dict[str, Any]) -> str:
        chat = params.get("chat_id")
        if chat is None or chat == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if isinstance(chat, bool) or not isinstance(chat, int | str) \
                or not str(chat).lstrip("-").isdigit():
            raise ApiError(400, "Bad Request: chat not found")
        return str(chat)

    @staticmethod
    def _text(params: dict[str, Any]) -> str:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > TEXT_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        return text

    @staticmethod
    def _markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if sum(len(r) for r in rows) > 100 or any(len(r) > 8 for r in rows):
            raise ApiError(400, "Bad Request: too many inline keyboard buttons")
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not str(button.get("text") or "").strip():
                    raise ApiError(400, "Bad Request: can't parse inline keyboard button: "
                                        "Text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is None and "url" not in button:
                    raise ApiError(400, "Bad Request: can't parse inline keyboard button: "
                                        "Text buttons are unallowed in the inline keyboard")
                if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return dict(markup)
