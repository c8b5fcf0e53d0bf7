"""A minimal Bot API endpoint for throughput runs: getMe, deleteWebhook, getUpdates (long poll,
always empty), sendMessage — on a bare asyncio HTTP/1.1 server, because the full fake
(compa_testkit/fakes/telegram_api.py, Starlette + uvicorn with every check) tops out near 300
requests a second on this machine, below the 1,000/s being measured. It enforces the same sliding
one-second limits (overall and per chat), answers 429 past them and counts `rate_violations`.

    python -m bench._fast_fake RATE   → prints "PORT <n>"; GET /stats for the counts
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import defaultdict, deque
from urllib.parse import parse_qs

BOT = {"id": 4242, "is_bot": True, "first_name": "Compa", "username": "compa_bench_bot",
       "can_join_groups": False, "can_read_all_group_messages": False,
       "supports_inline_queries": False}


class FastFake:
    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.sent = 0
        self.arrivals: list[float] = []
        self.rate_violations = 0
        self.recent: deque[float] = deque()
        self.per_chat: dict[str, deque[float]] = defaultdict(deque)
        self.ids = 0

    def send_message(self, form: dict[str, list[str]]) -> tuple[int, dict[str, object]]:
        now = time.monotonic()
        chat = (form.get("chat_id") or ["0"])[0]
        self.arrivals.append(now)
        window = self.per_chat[chat]
        for q in (self.recent, window):
            while q and now - q[0] >= 1.0:
                q.popleft()
        if len(self.recent) >= self.rate or len(window) >= 1:
            self.rate_violations += 1
            return 429, {"ok": False, "error_code": 429,
                         "description": "Too Many Requests: retry after 1",
                         "parameters": {"retry_after": 1}}
        self.recent.append(now)
        window.append(now)
        self.sent += 1
        self.ids += 1
        text = (form.get("text") or [""])[0]
        return 200, {"ok": True, "result": {
            "message_id": self.ids, "date": int(time.time()), "text": text,
            "chat": {"id": int(chat), "type": "private"}}}

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                _verb, path, _ = lines[0].split(" ", 2)
                headers = {k.lower(): v.strip() for k, _, v in
                           (line.partition(":") for line in lines[1:] if line)}
                length = int(headers.get("content-length", "0"))
                body = await reader.readexactly(length) if length else b""
                status, payload = await self.route(path, body)
                data = json.dumps(payload).encode()
                writer.write(b"HTTP/1.1 %d OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n" % (status, len(data)) + data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def route(self, path: str, body: bytes) -> tuple[int, dict[str, object]]:
        method = path.rsplit("/", 1)[-1]
        form = parse_qs(body.decode()) if body else {}
        if method == "sendMessage":
            return self.send_message(form)
        if method == "getMe":
            return 200, {"ok": True, "result": BOT}
        if method in ("deleteWebhook", "setWebhook", "close", "logOut"):
            return 200, {"ok": True, "result": True}
        if method == "getUpdates":
            await asyncio.sleep(min(float((form.get("timeout") or ["0"])[0]), 1.0))
            return 200, {"ok": True, "result": []}
        if path == "/stats":
            return 200, {"sent": self.sent, "arrivals": len(self.arrivals),
                         "first": self.arrivals[0] if self.arrivals else 0.0,
                         "last": self.arrivals[-1] if self.arrivals else 0.0,
                         "rate_violations": self.rate_violations}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}


async def main(rate: int) -> None:
    fake = FastFake(rate)
    server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
