"""Webhook bodies are read as a stream with a cap (issue 12, finding 8): a huge unsigned POST to
the WhatsApp webhook, through the real ASGI server `compa run` starts, is refused with 413
without the process holding it in memory."""

from __future__ import annotations

import asyncio
import contextlib
import tracemalloc
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.channels.whatsapp_webhook import MAX_BODY_BYTES
from tests.whatsapp_support import whatsapp_env

CHUNK = b"x" * 65536
SENT_AT_MOST = 32 * 1024 * 1024       # far more than the cap, far more than memory may grow
# A generous bound for a hung server only (a fast answer takes milliseconds).
HANG = 120


async def _post(url: str, head: str, body_bytes: int, chunked: bool) -> tuple[bytes, int]:
    """Sends the headers, then the body until the server answers; returns (status line, bytes
    sent)."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(head.encode())
    sent = 0

    async def send() -> None:
        nonlocal sent
        with contextlib.suppress(ConnectionError):
            while sent < body_bytes:
                frame = (b"%x\r\n" % len(CHUNK) + CHUNK + b"\r\n") if chunked else CHUNK
                writer.write(frame)
                await writer.drain()
                sent += len(CHUNK)

    sender = asyncio.create_task(send())
    try:
        status = await asyncio.wait_for(reader.readline(), HANG)
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    return status, sent


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_huge_unsigned_post_is_refused_without_being_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunked: bool) -> None:
    async with whatsapp_env(tmp_path, monkeypatch) as env:
        url = env.webhook_url
        path = urlsplit(url).path
        length = "Transfer-Encoding: chunked" if chunked else "Content-Length: 300000000"
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: application/json\r\n{length}\r\n\r\n")
        tracemalloc.start()
        try:
            status, sent = await _post(url, head, SENT_AT_MOST, chunked)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert status.startswith(b"HTTP/1.1 413"), status
        # Memory grew by a small part of what was sent: the body was never held whole.
        assert peak < 4 * MAX_BODY_BYTES, (peak, sent)
        if not chunked:
            # Refused on the declared length, before reading the body at all.
            assert sent < SENT_AT_MOST
        assert env.channel.inbox.stats["rejected"] == 0     # never reached the signature check
