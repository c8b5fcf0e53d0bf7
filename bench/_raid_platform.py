"""The raid-night platform, in its own process: a fake Bot API and Graph API (bare asyncio
HTTP/1.1, like bench/_fast_fake.py, because the Starlette fakes of tests/ top out near 300
requests a second) and the people who write to the bot through its webhooks.

- Alert deliveries (sends to the subscribers' address ranges, see bench/_raid_kit.py) are held
  to each platform's limit over sliding one-second windows: Telegram answers 429, WhatsApp
  error 130429, and every send past the limit counts as a rate violation. Their arrival times
  are kept for the figures; a second send to the same subscriber counts as a duplicate.
- Answers to people who wrote are not limited (see docs/BENCHMARKS.md, raidnight).
- People: Telegram users and WhatsApp numbers, each with one message in flight. The traffic
  is paced here (N updates a second for S seconds, an idle person each time); latency runs
  from the moment a webhook post starts to the moment the bot's first answer to that person
  reaches this fake.

    python -m bench._raid_platform TG_RATE WA_RATE WEBHOOK_BASE  → prints "PORT <n>"
    POST /ctl/traffic {"rate", "seconds", "label"}   → the latencies when the traffic is over
    POST /ctl/publish {"region"}                     → publish (A proposes, B confirms)
    GET  /ctl/stats, /ctl/arrivals
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import sys
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import aiohttp

from bench import _raid_kit as kit

BOT_USER = {"id": kit.BOT_ID, "is_bot": True, "first_name": "Compa",
            "username": kit.BOT_USERNAME, "can_join_groups": False,
            "can_read_all_group_messages": False, "supports_inline_queries": False}
ANSWER_TIMEOUT = 30.0
THINK_SECONDS = 0.3
QUESTIONS = ("orden judicial", "¿me puede parar la policía?", "what is a warrant",
             "tengo derecho a guardar silencio", "qué hago si tocan la puerta",
             "¿es real la redada en buncombe?", "is the checkpoint on patton real",
             "ayuda con la migra", "notario", "qué hago si me detienen")
TG_PEOPLE, WA_PEOPLE = 1800, 1200


@dataclass
class Lane:
    """One channel's alert deliveries: the limit, its window, what arrived."""

    rate: int
    recent: deque[float] = field(default_factory=deque)
    arrivals: list[float] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    violations: int = 0
    duplicates: int = 0
    answers: int = 0

    def admit(self, chat: str) -> bool:
        now = time.monotonic()
        while self.recent and now - self.recent[0] >= 1.0:
            self.recent.popleft()
        if len(self.recent) >= self.rate:
            self.violations += 1
            return False
        self.recent.append(now)
        self.arrivals.append(now)
        if chat in self.seen:
            self.duplicates += 1
        self.seen.add(chat)
        return True


@dataclass
class Person:
    channel: str
    chat: int
    rng: random.Random
    buttons: list[tuple[str, str]] = field(default_factory=list)   # (id, title)
    last_message: dict[str, Any] = field(default_factory=dict)     # TG: last keyboard message
    last_wamid: str = ""
    started: bool = False

    def next_action(self) -> tuple[str, str]:
        """("text", words) or ("press", button id)."""
        if not self.started:
            self.started = True
            return "text", "/start" if self.channel == "telegram" else "hola"
        roll = self.rng.random()
        if roll < 0.4 and self.buttons:
            return "press", self.rng.choice(self.buttons)[0]
        if roll < 0.65:
            return "text", self.rng.choice(QUESTIONS)
        if roll < 0.75:
            return "text", "menu"
        if roll < 0.85:
            return "text", self.rng.choice(("hola", "/start", "buenas"))
        if roll < 0.9:
            return "text", "STOP"
        if roll < 0.95:
            return "text", "/reportar"
        return "text", "/alertas"


class RaidPlatform:
    def __init__(self, tg_rate: int, wa_rate: int, webhook_base: str) -> None:
        self.lanes = {"telegram": Lane(tg_rate), "whatsapp": Lane(wa_rate)}
        self.webhook_base = webhook_base
        self.ids = itertools.count(1)
        self.waiters: dict[tuple[str, int], list[tuple[Callable[[dict[str, Any]], bool],
                                                       asyncio.Future[dict[str, Any]]]]] = \
            defaultdict(list)
        self.people = {**{kit.TG_PEOPLE_BASE + i: Person("telegram", kit.TG_PEOPLE_BASE + i,
                                                         random.Random(i))
                          for i in range(TG_PEOPLE)},
                       **{kit.WA_PEOPLE_BASE + i: Person("whatsapp", kit.WA_PEOPLE_BASE + i,
                                                         random.Random(10_000 + i))
                          for i in range(WA_PEOPLE)}}
        self.idle: deque[Person] = deque(
            sorted(self.people.values(), key=lambda p: (p.chat % 1000, p.channel)))
        self.session: aiohttp.ClientSession | None = None
        self.post_errors = 0

    # -- the Bot API ---------------------------------------------------------------------

    def telegram(self, method: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if method == "getMe":
            return 200, {"ok": True, "result": BOT_USER}
        if method not in ("sendMessage", "editMessageText", "sendPhoto",
                          "editMessageReplyMarkup"):
            return 200, {"ok": True, "result": True}
        chat = form.get("chat_id", "0")
        if kit.is_subscriber("telegram", chat) and method == "sendMessage":
            if not self.lanes["telegram"].admit(chat):
                return 429, {"ok": False, "error_code": 429,
                             "description": "Too Many Requests: retry after 1",
                             "parameters": {"retry_after": 1}}
        else:
            self.lanes["telegram"].answers += 1
        markup = json.loads(form["reply_markup"]) if form.get("reply_markup") else None
        message: dict[str, Any] = {
            "message_id": int(form.get("message_id") or next(self.ids)),
            "date": int(time.time()), "from": BOT_USER, "text": form.get("text", ""),
            "chat": {"id": int(chat), "type": "private", "first_name": "Ana"}}
        if markup:
            message["reply_markup"] = markup
        self._answered("telegram", int(chat), message)
        return 200, {"ok": True, "result": message}

    # -- the Graph API -------------------------------------------------------------------

    def graph(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        to = str(body.get("to") or body.get("recipient") or "")
        if body.get("status") == "read" or not to:
            return 200, {"success": True}
        if kit.is_subscriber("whatsapp", to):
            if not self.lanes["whatsapp"].admit(to):
                return 400, {"error": {"message": "(#130429) Rate limit hit", "code": 130429,
                                       "type": "OAuthException", "fbtrace_id": "raid"}}
        else:
            self.lanes["whatsapp"].answers += 1
        wamid = f"wamid.raid{next(self.ids)}"
        if to.isdigit():
            self._answered("whatsapp", int(to), {**body, "id": wamid})
        return 200, {"messaging_product": "whatsapp",
                     "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": wamid}]}

    def _answered(self, channel: str, chat: int, message: dict[str, Any]) -> None:
        person = self.people.get(chat)
        if person is not None:
            buttons = _buttons(channel, message)
            if buttons:
                person.buttons = buttons
                person.last_message = message
            if channel == "whatsapp":
                person.last_wamid = message["id"]
        waiting = self.waiters.get((channel, chat))
        if not waiting:
            return
        for item in list(waiting):
            match, future = item
            if not future.done() and match(message):
                future.set_result(message)
                waiting.remove(item)

    def wait_for(self, channel: str, chat: int, match: Callable[[dict[str, Any]], bool]
                 ) -> asyncio.Future[dict[str, Any]]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiters[(channel, chat)].append((match, future))
        return future

    # -- kit.Platform ----------------------------------------------------------------------

    async def post_telegram(self, update: dict[str, Any]) -> None:
        await self._post(f"{self.webhook_base}/telegram/webhook", json.dumps(update).encode(),
                         {"X-Telegram-Bot-Api-Secret-Token": kit.TG_WEBHOOK_SECRET})

    async def post_whatsapp(self, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        await self._post(f"{self.webhook_base}/whatsapp/webhook", body,
                         {kit.SIGNATURE_HEADER: kit.sign(body, kit.WA_APP_SECRET)})

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        assert self.session is not None
        async with self.session.post(url, data=body, headers={
                **headers, "Content-Type": "application/json"}) as response:
            await response.read()
            if response.status != 200:
                self.post_errors += 1

    def tg_message(self, chat: int, text: str) -> dict[str, Any]:
        user = {"id": chat, "is_bot": False, "first_name": "Ana",
                "language_code": "en" if chat % 3 == 0 else "es"}
        message: dict[str, Any] = {"message_id": next(self.ids), "date": int(time.time()),
                                   "chat": {"id": chat, "type": "private", "first_name": "Ana"},
                                   "from": user, "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(text.split()[0])}]
        return {"update_id": next(self.ids), "message": message}

    def tg_callback(self, chat: int, message: dict[str, Any], data: str) -> dict[str, Any]:
        user = {"id": chat, "is_bot": False, "first_name": "Ana",
                "language_code": "en" if chat % 3 == 0 else "es"}
        return {"update_id": next(self.ids), "callback_query": {
            "id": f"q{next(self.ids)}", "from": user, "message": message,
            "chat_instance": f"ci{chat}", "data": data}}

    async def next_tg_message(self, chat: int, match: Callable[[dict[str, Any]], bool],
                              within: float) -> dict[str, Any]:
        return await asyncio.wait_for(self.wait_for("telegram", chat, match), within)

    def wa_update(self, person: Person, kind: str, value: str) -> dict[str, Any]:
        data = _wa_fixture("text" if kind == "text" else "button_reply")
        change = data["entry"][0]["changes"][0]["value"]
        msg = change["messages"][0]
        wa_id = str(person.chat)
        change["contacts"] = [{"profile": {"name": "Ana"}, "wa_id": wa_id}]
        msg.pop("from_user_id", None)
        msg.update({"from": wa_id, "id": f"wamid.in{next(self.ids)}",
                    "timestamp": str(int(time.time()))})
        if kind == "text":
            msg["text"] = {"body": value}
        else:
            title = dict(person.buttons).get(value, value)[:20]
            msg["context"] = {"from": kit.WA_DISPLAY, "id": person.last_wamid}
            msg["interactive"] = {"type": "button_reply",
                                  "button_reply": {"id": value, "title": title}}
        return data

    # -- people ----------------------------------------------------------------------------

    async def act(self, person: Person, result: dict[str, Any]) -> None:
        kind, value = person.next_action()
        waiting = self.wait_for(person.channel, person.chat, lambda _m: True)
        started = time.monotonic()
        try:
            if person.channel == "telegram":
                update = self.tg_callback(person.chat, person.last_message, value) \
                    if kind == "press" else self.tg_message(person.chat, value)
                await self.post_telegram(update)
            else:
                await self.post_whatsapp(self.wa_update(person, kind, value))
            await asyncio.wait_for(waiting, ANSWER_TIMEOUT)
            result["latencies"].append(time.monotonic() - started)
        except (TimeoutError, aiohttp.ClientError, OSError):
            result["unanswered"] += 1
        finally:
            waiting.cancel()
            await asyncio.sleep(THINK_SECONDS)
            self.idle.append(person)

    async def traffic(self, rate: float, seconds: float) -> dict[str, Any]:
        result: dict[str, Any] = {"latencies": [], "unanswered": 0, "skipped": 0, "posted": 0,
                                  "rate": rate, "seconds": seconds}
        tasks: set[asyncio.Task[None]] = set()
        total = int(rate * seconds)
        start = time.monotonic()
        for k in range(total):
            delay = start + k / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if not self.idle:
                result["skipped"] += 1
                continue
            task = asyncio.create_task(self.act(self.idle.popleft(), result))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            result["posted"] += 1
        result["posting_seconds"] = time.monotonic() - start
        if tasks:
            await asyncio.gather(*tasks)
        result["post_errors"] = self.post_errors
        return result

    async def publish(self, region: str) -> dict[str, Any]:
        counts = {name: len(lane.arrivals) for name, lane in self.lanes.items()}
        for lane in self.lanes.values():     # duplicates: a second send of this alert
            lane.seen.clear()
        confirmed = await kit.propose_and_confirm(self, region)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            firsts = [lane.arrivals[counts[name]] for name, lane in self.lanes.items()
                      if len(lane.arrivals) > counts[name]]
            if firsts:
                return {"alert_id": confirmed.alert_id, "confirmed_at": confirmed.confirmed_at,
                        "answered_at": confirmed.answered_at, "first_send_at": min(firsts)}
            await asyncio.sleep(0.002)
        raise RuntimeError("no alert delivery within 120 s of publishing")

    def stats(self, full: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, lane in self.lanes.items():
            out[name] = {"accepted": len(lane.arrivals), "violations": lane.violations,
                         "duplicates": lane.duplicates, "answers": lane.answers}
            if full:
                out[name]["arrivals"] = lane.arrivals
        out["now"] = time.monotonic()
        return out

    # -- HTTP ------------------------------------------------------------------------------

    async def route(self, verb: str, path: str, body: bytes) -> tuple[int, Any]:
        if path.startswith("/bot"):
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()} if body else {}
            return self.telegram(path.rsplit("/", 1)[-1], form)
        if path.endswith("/messages") and verb == "POST":
            return self.graph(json.loads(body))
        if path == "/ctl/traffic":
            args = json.loads(body)
            return 200, await self.traffic(float(args["rate"]), float(args["seconds"]))
        if path == "/ctl/publish":
            return 200, await self.publish(json.loads(body)["region"])
        if path.startswith("/ctl/stats"):
            return 200, self.stats(full="full" in path)
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                verb, path, _ = lines[0].split(" ", 2)
                headers = {k.lower(): v.strip() for k, _, v in
                           (line.partition(":") for line in lines[1:] if line)}
                length = int(headers.get("content-length", "0"))
                body = await reader.readexactly(length) if length else b""
                try:
                    status, payload = await self.route(verb, path, body)
                except Exception as exc:  # reported to the caller as a 500
                    status, payload = 500, {"error": f"{type(exc).__name__}: {exc}"}
                data = json.dumps(payload).encode()
                writer.write(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n" % (status, len(data)) + data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


_FIXTURES: dict[str, str] = {}


def _wa_fixture(name: str) -> dict[str, Any]:
    if name not in _FIXTURES:
        data = kit.fixture(name)
        data["entry"][0]["id"] = kit.WA_WABA_ID
        data["entry"][0]["changes"][0]["value"]["metadata"] = {
            "display_phone_number": kit.WA_DISPLAY, "phone_number_id": kit.WA_PHONE_ID}
        _FIXTURES[name] = json.dumps(data)
    result: dict[str, Any] = json.loads(_FIXTURES[name])
    return result


def _buttons(channel: str, message: dict[str, Any]) -> list[tuple[str, str]]:
    """The choices an answer offers: inline keyboard (Telegram), buttons or list rows
    (WhatsApp)."""
    if channel == "telegram":
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        return [(b["callback_data"], b.get("text", "")) for row in rows for b in row
                if "callback_data" in b]
    action = (message.get("interactive") or {}).get("action") or {}
    found = [(b["reply"]["id"], b["reply"].get("title", "")) for b in action.get("buttons", [])
             if "reply" in b]
    for section in action.get("sections", []):
        found += [(r["id"], r.get("title", "")) for r in section.get("rows", [])]
    return found


async def main(tg_rate: int, wa_rate: int, webhook_base: str) -> None:
    platform = RaidPlatform(tg_rate, wa_rate, webhook_base)
    platform.session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=64), timeout=aiohttp.ClientTimeout(total=30))
    server = await asyncio.start_server(platform.handle, "127.0.0.1", 0, backlog=1024)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]))
