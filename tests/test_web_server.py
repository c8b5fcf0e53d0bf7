"""The web server's sockets: Nagle's algorithm off on every connection it accepts."""

from __future__ import annotations

import asyncio
import socket

from bot.channels.web import WebServer, build_web_app
from compa_testkit.patience import PATIENCE


async def test_accepted_connections_have_nagle_off() -> None:
    # uvicorn writes an answer's headers and body separately: with Nagle on, the body waited
    # for the client's delayed ACK (40 ms) on every webhook answer. asyncio turns Nagle off
    # only on sockets whose protocol is TCP, which the server's socket must therefore say.
    server = WebServer(build_web_app(), "127.0.0.1", 0)
    nodelay: asyncio.Queue[int] = asyncio.Queue()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            nodelay.put_nowait(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    loop = asyncio.get_running_loop()
    listener = await loop.create_server(Probe, sock=server._sock)
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", server.port)
        assert await asyncio.wait_for(nodelay.get(), PATIENCE)
        writer.close()
    finally:
        listener.close()
        await listener.wait_closed()
