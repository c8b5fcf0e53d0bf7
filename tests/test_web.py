"""The shared web server: /healthz, and answers that leave without waiting for an ACK."""

from __future__ import annotations

import asyncio
import socket

import httpx

from bot.channels.web import WebServer, build_web_app


async def test_answers_are_not_held_back_by_nagle() -> None:
    # With Nagle on, a response written in two parts waits for the client's delayed ACK:
    # about 40 ms on every webhook answer. asyncio turns it off only for sockets made as TCP.
    server = WebServer(build_web_app(), "127.0.0.1", 0)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as client:
            response = await client.get("/healthz")
            assert response.status_code == 200 and response.json() == {"ok": True}
            connections = list(server._server.server_state.connections)
            assert connections, "the keep-alive connection is open"
            for protocol in connections:
                sock = protocol.transport.get_extra_info("socket")
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        await server.stop()


async def test_idle_connections_outlive_a_proxys_idle_timeout() -> None:
    # A client that reuses a connection just as the server drops it gets a reset, not an
    # answer; uvicorn's default (5 s) is shorter than most clients and proxies wait.
    server = WebServer(build_web_app(), "127.0.0.1", 0)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as client:
            # Measured from before the request, so a slow machine cannot eat into it.
            asked = asyncio.get_running_loop().time()
            assert (await client.get("/healthz")).status_code == 200
            [protocol] = list(server._server.server_state.connections)
            assert protocol.timeout_keep_alive_task.when() - asked > 60
    finally:
        await server.stop()
