"""At most GRAPH_IN_FLIGHT Graph API requests reach httpx's pool at once: the rest wait on a
semaphore, because httpcore's pool scan grows with the square of its queue (found by
`make bench BENCH=raidnight`: 58 % of the bot's CPU)."""

from __future__ import annotations

import asyncio

import httpx

from bot.channels.whatsapp import GRAPH_IN_FLIGHT, RewriteTransport


class SlowInner(httpx.AsyncBaseTransport):
    """Answers every request after the test lets it go; counts how many are inside at once."""

    def __init__(self) -> None:
        self.inside = 0
        self.most = 0
        self.release = asyncio.Event()
        self.urls: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.inside += 1
        self.most = max(self.most, self.inside)
        self.urls.append(str(request.url))
        await self.release.wait()
        self.inside -= 1
        return httpx.Response(200, json={"ok": True})


async def test_requests_beyond_the_limit_wait_their_turn_and_all_complete() -> None:
    inner = SlowInner()
    transport = RewriteTransport("http://127.0.0.1:9", inner=inner)
    async with httpx.AsyncClient(transport=transport) as client:
        total = GRAPH_IN_FLIGHT * 3
        calls = [asyncio.create_task(client.post(f"https://graph.facebook.com/v22.0/1/m{i}"))
                 for i in range(total)]
        for _ in range(200):
            await asyncio.sleep(0)
        assert inner.inside == GRAPH_IN_FLIGHT
        inner.release.set()
        answers = await asyncio.gather(*calls)
    assert [a.status_code for a in answers] == [200] * total
    assert inner.most == GRAPH_IN_FLIGHT
    assert all(url.startswith("http://127.0.0.1:9/v22.0/1/m") for url in inner.urls)
