"""Headless Chromium driven over the DevTools protocol (aiohttp's WebSocket client): a phone
viewport, JavaScript disabled for the page, what a person sees read back from the DOM."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import shutil
import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

# Generous: a first Chromium start on a busy 2-core machine takes several seconds.
START_SECONDS = 120.0


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


class Page:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._id = 0
        self.events: list[dict[str, Any]] = []

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._id += 1
        await self.ws.send_json({"id": self._id, "method": method, "params": params})
        async for msg in self.ws:
            data = json.loads(msg.data)
            if data.get("id") == self._id:
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                return dict(data.get("result", {}))
            self.events.append(data)
        raise RuntimeError("the browser closed the connection")

    async def wait_event(self, name: str) -> None:
        if any(e.get("method") == name for e in self.events):
            self.events.clear()
            return
        async for msg in self.ws:
            if json.loads(msg.data).get("method") == name:
                self.events.clear()
                return
        raise RuntimeError("the browser closed the connection")

    async def open(self, url: str) -> None:
        self.events.clear()
        await self.call("Page.navigate", url=url)
        await self.wait_event("Page.loadEventFired")

    async def value(self, expression: str) -> Any:
        got = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return got["result"].get("value")

    async def screenshot(self, path: Path) -> bytes:
        data = base64.b64decode((await self.call("Page.captureScreenshot"))["data"])
        await asyncio.to_thread(path.write_bytes, data)
        return data


@contextlib.asynccontextmanager
async def phone(profile: Path, width: int = 390, height: int = 844) -> AsyncIterator[Page]:
    exe = chromium()
    assert exe is not None
    proc = await asyncio.create_subprocess_exec(
        exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-extensions", "--remote-debugging-port=0",
        "--remote-debugging-address=127.0.0.1",
        f"--user-data-dir={profile}", "about:blank",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        port = await asyncio.wait_for(_devtools_port(proc), START_SECONDS)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/json/list") as resp:
                targets = await resp.json()
            page_target = next(t for t in targets if t["type"] == "page")
            async with http.ws_connect(page_target["webSocketDebuggerUrl"],
                                       max_msg_size=0) as ws:
                page = Page(ws)
                await page.call("Page.enable")
                await page.call("Emulation.setDeviceMetricsOverride", width=width,
                                height=height, deviceScaleFactor=1, mobile=True)
                await page.call("Emulation.setScriptExecutionDisabled", value=True)
                yield page
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def _devtools_port(proc: asyncio.subprocess.Process) -> int:
    assert proc.stderr is not None
    while True:
        line = await proc.stderr.readline()
        if not line:
            raise RuntimeError("chromium exited before it listened")
        found = re.search(rb"DevTools listening on ws://[^:]+:(\d+)/", line)
        if found:
            return int(found.group(1))
