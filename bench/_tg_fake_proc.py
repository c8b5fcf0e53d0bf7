"""The fake Bot API in its own process (so it does not share a core's time with the bot being
measured), enforcing a rate limit, with `/stats`: sends counted and their arrival times.

    python -m bench._tg_fake_proc RATE   → prints "PORT <n>" when listening
"""

from __future__ import annotations

import asyncio
import sys
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.channels.web import WebServer
from compa_testkit.fakes.telegram_api import FakeTelegram, RateLimits


class CountingFake(FakeTelegram):
    def __init__(self, rate: int) -> None:
        super().__init__(rate_limits=RateLimits(overall_per_second=rate, per_chat_per_second=1,
                                                reject=True), clock=time.monotonic)
        self.arrivals: list[float] = []

    def _check_rate(self, chat: str) -> None:
        self.arrivals.append(time.monotonic())
        super()._check_rate(chat)

    async def start(self) -> None:
        # The full fake's routes, plus /stats.
        app = Starlette(routes=[
            Route("/bot{token}/{method}", self._api, methods=["GET", "POST"]),
            Route("/file/bot{token}/{path:path}", self._file, methods=["GET"]),
            Route("/stats", self.stats),
        ])
        self._server = WebServer(app, "127.0.0.1", 0)
        await self._server.start()

    async def stats(self, request: Request) -> JSONResponse:
        sends = sum(1 for chat in self.sent.values() for s in chat if s.method == "sendMessage")
        first = self.arrivals[0] if self.arrivals else 0.0
        last = self.arrivals[-1] if self.arrivals else 0.0
        return JSONResponse({"sent": sends, "arrivals": len(self.arrivals), "first": first,
                             "last": last, "rate_violations": self.rate_violations})


async def main(rate: int) -> None:
    fake = CountingFake(rate)
    await fake.start()
    assert fake._server is not None
    print(f"PORT {fake._server.port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
