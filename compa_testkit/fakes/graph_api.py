"""A local WhatsApp Cloud API (Graph API) for end-to-end tests, on 127.0.0.1, port 0.

It does what Meta does that matters to us: checks the bearer token (190), validates message
limits (131009: 1–3 reply buttons with titles ≤ 20, lists ≤ 10 rows with titles ≤ 24 and
descriptions ≤ 72, interactive body ≤ 1024, header ≤ 60, text ≤ 4096), enforces the 24-hour
window per recipient (131047, at send time or later in a `failed` status webhook), rate limits
(130429 for the number, 131056 per person), checks templates, stores and serves media, and
records everything it accepted. It also plays the people: `FakePerson.says(...)` posts a
signed, real-shaped webhook (built from compa_testkit/data/whatsapp/) to the bot.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import itertools
import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.channels.web import WebServer
from bot.channels.whatsapp_webhook import SIGNATURE_HEADER, sign
from bot.clock import FakeClock
from compa_testkit.patience import PATIENCE

DATA = Path(__file__).resolve().parent.parent / "data" / "whatsapp"
WINDOW = 24 * 3600
_BAD_PARAM = re.compile(r"[\n\t]| {5,}")


def wamid(number: str, serial: int, inbound: bool = False) -> str:
    """A message id shaped like Meta's: base64 of a Thrift record that starts with the other
    party's number (`wamid.HBgL` + base64 of "16505551234"…). Stored or logged as it is, it
    carries that number."""
    tag = b"\x15\x02\x00\x12\x18\x14" if inbound else b"\x15\x02\x00\x11\x18\x12"
    body = f"{serial:0{20 if inbound else 18}X}".encode()
    record = b"\x1c\x18" + bytes([len(number)]) + number.encode() + tag + body + b"\x00"
    return "wamid." + base64.b64encode(record).decode()


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return data


@dataclass
class Sent:
    """One message the fake accepted."""

    id: str
    to: str                      # the wa_id or BSUID it was addressed to
    body: dict[str, Any]
    at: float

    @property
    def type(self) -> str:
        return str(self.body.get("type"))

    @property
    def interactive(self) -> dict[str, Any]:
        return dict(self.body.get("interactive") or {})

    @property
    def text(self) -> str:
        if self.type == "text":
            return str(self.body["text"]["body"])
        if self.type == "interactive":
            return str(self.interactive["body"]["text"])
        if self.type == "image":
            return str(self.body["image"].get("caption", ""))
        return ""

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(id, title) of the buttons or list rows."""
        action = self.interactive.get("action", {})
        if self.interactive.get("type") == "button":
            return [(b["reply"]["id"], b["reply"]["title"]) for b in action["buttons"]]
        if self.interactive.get("type") == "list":
            return [(r["id"], r["title"]) for s in action["sections"] for r in s["rows"]]
        return []

    @property
    def ids(self) -> list[str]:
        return [c[0] for c in self.choices]


@dataclass
class Injected:
    code: int
    http_status: int
    recipient: str | None
    times: int


class GraphAPIError(Exception):
    def __init__(self, code: int, details: str, http_status: int = 400) -> None:
        super().__init__(details)
        self.code, self.details, self.http_status = code, details, http_status


@dataclass
class FakeGraphAPI:
    clock: FakeClock
    token: str = "test-token"
    app_secret: str = "test-app-secret"
    phone_id: str = "106540352242922"
    waba_id: str = "102290129340398"
    display_number: str = "15550783881"
    # (name, language) → number of body parameters, for approved templates.
    templates: dict[tuple[str, str], int] = field(default_factory=lambda: {
        ("compa_alerta", "es"): 1, ("compa_alert", "en_US"): 1})
    # (name, language) → status other than APPROVED (PENDING, REJECTED…), for the doctor.
    template_status: dict[tuple[str, str], str] = field(default_factory=dict)
    window_errors: str = "sync"         # "sync": 131047 at send time; "status": later webhook
    pair_limit: tuple[int, float] | None = None       # (messages, seconds) per recipient
    throughput_limit: int | None = None               # messages per (fake) second
    webhook_url: str = ""
    sent: list[Sent] = field(default_factory=list)
    rejected: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    last_inbound: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._injected: list[Injected] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._recent: dict[str, list[float]] = defaultdict(list)
        self._server: WebServer | None = None
        self._http = httpx.AsyncClient(timeout=PATIENCE)
        self.changed = asyncio.Event()
        # `hold()`: sends wait (and count in `held`) until `release()`, then are refused with a
        # 500: Meta never accepted them (a test kills the bot meanwhile).
        self.held = 0
        self._gate: asyncio.Event | None = None

    # --- server -------------------------------------------------------------------------

    async def start(self) -> None:
        routes = [
            Route("/{version}/{phone_id}/messages", self._messages, methods=["POST"]),
            Route("/{version}/{phone_id}/media", self._upload, methods=["POST"]),
            Route("/media-download/{media_id}", self._download, methods=["GET"]),
            Route("/{version}/{media_id}", self._media_url, methods=["GET"]),
            Route("/{version}/{waba_id}/message_templates", self._templates, methods=["GET"]),
        ]
        self._server = WebServer(Starlette(routes=routes), "127.0.0.1", 0)
        await self._server.start()

    async def stop(self) -> None:
        await self.idle()
        await self._http.aclose()
        await self.stop_server()

    async def stop_server(self) -> None:
        """Stops answering (the bot then sees connection errors)."""
        if self._server is not None:
            server, self._server = self._server, None
            await server.stop()

    async def idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*set(self._tasks), return_exceptions=True)

    @property
    def url(self) -> str:
        assert self._server is not None
        return self._server.url

    def fail_next(self, code: int, *, recipient: str | None = None, times: int = 1,
                  http_status: int = 400) -> None:
        """The next `times` sends (to `recipient`, or anyone) fail with `code`."""
        self._injected.append(Injected(code, http_status, recipient, times))

    def hold(self) -> None:
        self._gate = asyncio.Event()

    def release(self) -> None:
        if self._gate is not None:
            self._gate.set()
            self._gate = None

    def to(self, recipient: str) -> list[Sent]:
        return [s for s in self.sent if s.to == recipient]

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    @staticmethod
    def _error(code: int, details: str, http_status: int = 400) -> JSONResponse:
        return JSONResponse({"error": {
            "message": f"(#{code}) {details}", "type": "OAuthException", "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details},
            "fbtrace_id": "AbCdEfGh"}}, status_code=http_status)

    async def _messages(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._error(190, "Invalid OAuth access token.", 401)
        if request.path_params["phone_id"] != self.phone_id:
            return self._error(100, "Unsupported post request.")
        if self._gate is not None:
            gate = self._gate
            self.held += 1
            self.changed.set()
            await gate.wait()
            return self._error(2, "Service temporarily unavailable", 500)
        try:
            body = await request.json()
            recipient = self._check_message(body)
        except GraphAPIError as exc:
            self.rejected.append((exc.code, body if isinstance(body, dict) else {}))
            return self._error(exc.code, exc.details, exc.http_status)
        except ValueError:
            return self._error(100, "Invalid JSON")
        sent = Sent(wamid(recipient, next(self._ids)), recipient, body, self.clock.now())
        self.sent.append(sent)
        self._recent[recipient].append(sent.at)
        self.changed.set()
        if body["type"] != "template" and not self._in_window(recipient):
            # Meta accepts it and reports the failure afterwards, in a status webhook.
            self._spawn(self.post_status(sent.id, "failed", recipient, error_code=131047))
        key = "wa_id" if "to" in body else "user_id"
        return JSONResponse({"messaging_product": "whatsapp",
                             "contacts": [{"input": recipient, key: recipient}],
                             "messages": [{"id": sent.id}]})

    def _check_message(self, body: Any) -> str:
        if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
            raise GraphAPIError(100, "messaging_product must be whatsapp")
        recipient = body.get("to") or body.get("recipient")
        if not isinstance(recipient, str) or not recipient:
            raise GraphAPIError(131008, "Required parameter is missing: to")
        self._check_injected(recipient)
        self._check_rates(recipient)
        kind = body.get("type")
        if kind == "text":
            _limit(body["text"].get("body", ""), 4096, "text.body", minimum=1)
        elif kind == "interactive":
            _check_interactive(body["interactive"])
        elif kind == "template":
            self._check_template(body["template"])
        elif kind == "image":
            image = body.get("image") or {}
            if str(image.get("id")) not in self.media:
                raise GraphAPIError(131053, "Media upload error: unknown media id")
            _limit(image.get("caption", ""), 1024, "image.caption")
        else:
            raise GraphAPIError(131051, f"Unsupported message type {kind}")
        if kind != "template" and self.window_errors == "sync" and not self._in_window(recipient):
            raise GraphAPIError(131047, "Re-engagement message: more than 24 hours have "
                                        "passed since the recipient last replied")
        return recipient

    def _check_injected(self, recipient: str) -> None:
        for injected in self._injected:
            if injected.recipient in (None, recipient) and injected.times > 0:
                injected.times -= 1
                raise GraphAPIError(injected.code, "injected error", injected.http_status)

    def _check_rates(self, recipient: str) -> None:
        now = self.clock.now()
        if self.throughput_limit is not None:
            last_second = sum(1 for ts in self._recent.values() for t in ts if now - t < 1)
            if last_second >= self.throughput_limit:
                raise GraphAPIError(130429, "Rate limit hit")
        if self.pair_limit is not None:
            count, seconds = self.pair_limit
            if sum(1 for t in self._recent[recipient] if now - t < seconds) >= count:
                raise GraphAPIError(131056, "(Business Account, Consumer Account) pair rate "
                                            "limit hit")

    def _check_template(self, template: dict[str, Any]) -> None:
        key = (template.get("name"), template.get("language", {}).get("code"))
        if key not in self.templates:
            raise GraphAPIError(132001, "Template name does not exist in the translation")
        params = [p for c in template.get("components", []) if c.get("type") == "body"
                  for p in c.get("parameters", [])]
        if len(params) != self.templates[key]:
            raise GraphAPIError(132000, "Number of parameters does not match")
        for p in params:
            if _BAD_PARAM.search(p.get("text", "")):
                raise GraphAPIError(132018, "Param text cannot have new-line/tab characters "
                                            "or more than 4 consecutive spaces")

    def _in_window(self, recipient: str) -> bool:
        last = self.last_inbound.get(recipient)
        return last is not None and self.clock.now() - last < WINDOW

    async def _upload(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._error(190, "Invalid OAuth access token.", 401)
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            return self._error(131008, "Required parameter is missing: file")
        media_id = f"{next(self._ids) + 9_000_000}"
        self.media[media_id] = (await upload.read(), str(form.get("type") or "image/jpeg"))
        return JSONResponse({"id": media_id})

    async def _media_url(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._error(190, "Invalid OAuth access token.", 401)
        media_id = request.path_params["media_id"]
        if media_id == self.phone_id:       # the phone number itself: is the token valid?
            return JSONResponse({"id": self.phone_id, "verified_name": "Compa Test",
                                 "display_phone_number": self.display_number})
        if media_id not in self.media:
            return self._error(100, "Unsupported get request.")
        data, mime = self.media[media_id]
        return JSONResponse({"messaging_product": "whatsapp", "id": media_id,
                             "url": f"{self.url}/media-download/{media_id}",
                             "mime_type": mime, "sha256": "0" * 64, "file_size": len(data)})

    async def _templates(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._error(190, "Invalid OAuth access token.", 401)
        if request.path_params["waba_id"] != self.waba_id:
            return self._error(100, "Unsupported get request.")
        return JSONResponse({"data": [
            {"name": name, "language": language, "category": "UTILITY",
             "status": self.template_status.get((name, language), "APPROVED")}
            for name, language in self.templates]})

    async def _download(self, request: Request) -> Response:
        if not self._authorised(request):
            return Response(status_code=401)
        media_id = request.path_params["media_id"]
        if media_id not in self.media:
            return Response(status_code=404)
        data, mime = self.media[media_id]
        return Response(data, media_type=mime)

    # --- playing Meta's side of the webhook ---------------------------------------------

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def post(self, body: bytes, signature: str | None = "sign") -> httpx.Response:
        """POSTs a raw webhook body to the bot, signed with the app secret unless told.

        The people whose messages it carries have just written: their window opens.
        """
        self._note_inbound(body)
        headers = {"content-type": "application/json"}
        if signature == "sign":
            signature = sign(body, self.app_secret)
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature
        return await self._http.post(self.webhook_url, content=body, headers=headers)

    def _note_inbound(self, body: bytes) -> None:
        try:
            values = [c["value"] for e in json.loads(body)["entry"] for c in e["changes"]]
            senders = [(m.get("from"), m.get("from_user_id"))
                       for v in values for m in v.get("messages", [])]
        except (ValueError, KeyError, TypeError, AttributeError):
            return
        for ids in senders:
            for key in ids:
                if isinstance(key, str) and key:
                    self.last_inbound[key] = self.clock.now()

    async def post_json(self, payload: dict[str, Any]) -> httpx.Response:
        return await self.post(json.dumps(payload).encode())

    def envelope(self, name: str) -> dict[str, Any]:
        """A fixture with our business account and number filled in."""
        data = copy.deepcopy(fixture(name))
        entry = data["entry"][0]
        entry["id"] = self.waba_id
        entry["changes"][0]["value"]["metadata"] = {
            "display_phone_number": self.display_number, "phone_number_id": self.phone_id}
        return data

    async def post_status(self, message_id: str, status: str, recipient: str, *,
                          error_code: int | None = None) -> httpx.Response:
        data = self.envelope("status_failed" if error_code else "status_sent")
        item = data["entry"][0]["changes"][0]["value"]["statuses"][0]
        item.update(id=message_id, status=status, timestamp=str(int(self.clock.now())),
                    recipient_id=recipient)
        item.pop("recipient_user_id", None)
        data["entry"][0]["changes"][0]["value"].pop("contacts", None)
        if error_code:
            item["errors"][0].update(code=error_code, title="error", message="error")
        return await self.post_json(data)

    def person(self, wa_id: str | None, bsuid: str | None = None,
               name: str = "Sheena Nelson") -> FakePerson:
        return FakePerson(self, wa_id, bsuid, name)


@dataclass
class FakePerson:
    """Someone writing to the bot from WhatsApp: each action posts a signed webhook."""

    api: FakeGraphAPI
    wa_id: str | None
    bsuid: str | None
    name: str
    settle: Callable[[], Any] | None = None
    _count: int = 0

    @property
    def recipient(self) -> str:
        """Where the bot's messages to this person are addressed (wa_id preferred)."""
        return self.wa_id or self.bsuid or ""

    @property
    def inbox(self) -> list[Sent]:
        return self.api.to(self.recipient)

    def payload(self, kind: str, fixture_name: str | None = None) -> tuple[str, dict[str, Any]]:
        data = self.api.envelope(fixture_name or kind)
        value = data["entry"][0]["changes"][0]["value"]
        contact: dict[str, Any] = {"profile": {"name": self.name}}
        msg = value["messages"][0]
        msg.pop("from", None)
        msg.pop("from_user_id", None)
        if self.wa_id:
            contact["wa_id"] = msg["from"] = self.wa_id
        if self.bsuid:
            contact["user_id"] = msg["from_user_id"] = self.bsuid
        value["contacts"] = [contact]
        self._count += 1
        msg["id"] = wamid(self.wa_id or self.bsuid or "", id(self) % 10_000 * 100_000
                          + self._count, inbound=True)
        msg["timestamp"] = str(int(self.api.clock.now()))
        if "context" in msg:
            last = self.inbox[-1].id if self.inbox else msg["context"]["id"]
            msg["context"] = {"from": self.api.display_number, "id": last}
        return msg["id"], data

    async def deliver(self, data: dict[str, Any]) -> list[Sent]:
        """Posts the webhook (opening the window), lets the bot finish, returns its answers."""
        before = len(self.inbox)
        response = await self.api.post_json(data)
        assert response.status_code == 200, response.text
        if self.settle is not None:
            await self.settle()
        return self.inbox[before:]

    async def says(self, text: str) -> list[Sent]:
        _, data = self.payload("text")
        data["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = text
        return await self.deliver(data)

    async def presses(self, button_id: str, title: str = "") -> list[Sent]:
        """Taps a reply button (`button_reply`) or picks a list row (`list_reply`)."""
        last = self.inbox[-1] if self.inbox else None
        kind = "list_reply" if last and last.interactive.get("type") == "list" \
            else "button_reply"
        _, data = self.payload(kind)
        msg = data["entry"][0]["changes"][0]["value"]["messages"][0]
        reply = {"id": button_id, "title": title or dict(last.choices if last else []).get(
            button_id, "x")}
        msg["interactive"] = {"type": kind, kind: reply}
        return await self.deliver(data)

    async def shares_location(self, lat: float, lon: float) -> list[Sent]:
        _, data = self.payload("location")
        location = data["entry"][0]["changes"][0]["value"]["messages"][0]["location"]
        location.update(latitude=lat, longitude=lon)
        return await self.deliver(data)

    async def sends_image(self, data_bytes: bytes, caption: str = "") -> list[Sent]:
        media_id = f"{len(self.api.media) + 7_000_000}"
        self.api.media[media_id] = (data_bytes, "image/jpeg")
        _, data = self.payload("image")
        image = data["entry"][0]["changes"][0]["value"]["messages"][0]["image"]
        image.update(id=media_id, caption=caption)
        return await self.deliver(data)


def _limit(value: Any, limit: int, what: str, minimum: int = 0) -> None:
    if not isinstance(value, str) or not minimum <= len(value) <= limit:
        raise GraphAPIError(131009, f"Parameter value is not valid: {what} must be "
                                    f"{minimum}-{limit} characters")


def _check_interactive(interactive: dict[str, Any]) -> None:
    _limit(interactive.get("body", {}).get("text"), 1024, "body.text", minimum=1)
    if "header" in interactive:
        _limit(interactive["header"].get("text"), 60, "header.text", minimum=1)
    if "footer" in interactive:
        _limit(interactive["footer"].get("text"), 60, "footer.text", minimum=1)
    action = interactive.get("action", {})
    if interactive.get("type") == "button":
        buttons = action.get("buttons", [])
        if not 1 <= len(buttons) <= 3:
            raise GraphAPIError(131009, "buttons: 1 to 3 reply buttons")
        for b in buttons:
            _limit(b["reply"].get("title"), 20, "button title", minimum=1)
            _limit(b["reply"].get("id"), 256, "button id", minimum=1)
        if len({b["reply"]["id"] for b in buttons}) != len(buttons):
            raise GraphAPIError(131009, "button ids must be unique")
    elif interactive.get("type") == "list":
        _limit(action.get("button"), 20, "list button", minimum=1)
        sections = action.get("sections", [])
        rows = [r for s in sections for r in s.get("rows", [])]
        if not 1 <= len(sections) <= 10 or not 1 <= len(rows) <= 10:
            raise GraphAPIError(131009, "a list has 1-10 sections and 1-10 rows in all")
        if len(sections) > 1 and any(not s.get("title") for s in sections):
            raise GraphAPIError(131009, "section title required with several sections")
        for r in rows:
            _limit(r.get("title"), 24, "row title", minimum=1)
            _limit(r.get("id"), 200, "row id", minimum=1)
            if "description" in r:
                _limit(r["description"], 72, "row description")
        if len({r["id"] for r in rows}) != len(rows):
            raise GraphAPIError(131009, "row ids must be unique")
    else:
        raise GraphAPIError(131009, f"unsupported interactive type {interactive.get('type')}")
