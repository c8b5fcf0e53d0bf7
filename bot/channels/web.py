"""One ASGI app for every webhook (Telegram, WhatsApp) plus `/healthz`, served by uvicorn.

Channels contribute routes; each webhook checks its signature or secret *before* parsing the
body and answers 4xx to anything it cannot trust or read. Bodies are read with `read_body`:
checked against Content-Length first, then streamed with a cap, so a huge POST is refused (413)
without ever being held in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Sequence

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

log = logging.getLogger(__name__)

KEEP_ALIVE = 75  # seconds an idle HTTP connection stays open


async def read_body(request: Request, limit: int) -> bytes | None:
    """The request body, or None when it is (or says it is) larger than `limit` bytes."""
    declared = request.headers.get("content-length", "").strip()
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def healthz(request: Request) -> Response:
    return JSONResponse({"ok": True})


def build_web_app(routes: Sequence[BaseRoute] = ()) -> Starlette:
    return Starlette(routes=[Route("/healthz", healthz), *routes])


class WebServer:
    """uvicorn in-process on the running loop; `port=0` picks a free port (tests)."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        # IPPROTO_TCP, not the default 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets
        # that say they are TCP. With Nagle on, a response written in two parts waits for the
        # client's delayed ACK: 40 ms more on every webhook answer (measured by `make bench`).
        self._sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                                   socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.bind((host, port))
        self.host, self.port = host, self._sock.getsockname()[1]
        # uvicorn closes an idle connection after 5 s by default, and a client (a reverse
        # proxy, Telegram, PTB against a local Bot API) that reuses it at that moment gets a
        # reset instead of an answer. Outlive the usual idle timeouts (nginx 60 s) instead.
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                timeout_keep_alive=KEEP_ALIVE)
        self._server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)
        log.info("web server listening on port %d", self.port)

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._sock.close()
