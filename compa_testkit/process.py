"""For tests and benchmarks that run `compa run` in another process: a free local port, and
polling for what that process wrote (no event crosses the process boundary)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

from compa_testkit.patience import PATIENCE


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def poll_until(check: Callable[[], bool], what: str = "the condition",
                     within: float = PATIENCE) -> None:
    """Polls `check()` (run in a thread: it may read files or the database) until it holds;
    only a hang reaches `within`, and then the assertion names `what`."""
    async def poll() -> None:
        while True:
            if await asyncio.to_thread(check):
                return
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(poll(), within)
    except TimeoutError:
        raise AssertionError(f"never happened: {what}") from None
