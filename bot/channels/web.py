"""One ASGI app for every webhook (Telegram, WhatsApp) plus `/healthz`, served by uvicorn.

Channels contribute routes; each webhook checks its signature or secret *before* parsing the
body and answers 4xx to anything it cannot trust or read.
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


async def healthz(request: Request) -> Response:
    return JSONResponse({"ok": True})


def build_web_app(routes: Sequence[BaseRoute] = ()) -> Starlette:
    return Starlette(routes=[Route("/healthz", healthz), *routes])


class WebServer:
    """uvicorn in-process on the running loop; `port=0` picks a free port (tests)."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        # IPPROTO_TCP explicitly: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose
        # protocol says TCP, and with Nagle on every answer (headers, then body) waited 40 ms
        # for the peer's delayed ACK.
        self._sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                                   socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.host, self.port = host, self._sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
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
