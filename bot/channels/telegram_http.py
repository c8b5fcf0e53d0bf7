"""python-telegram-bot's HTTP layer on aiohttp instead of httpx.

Measured on this project's 2-core machine (bench/delivery.py, docs/BENCHMARKS.md): an httpx
client tops out near 470 requests a second against a local endpoint, aiohttp near 5,000. At
30 messages a second either is plenty; for paid broadcasts and for bursts of menu answers the
client must not be the bottleneck. PTB supports swapping this layer (`BaseRequest`); the
Bot API semantics (status codes → exceptions, retry_after) stay PTB's own.
"""

from __future__ import annotations

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    def __init__(self, *, connection_pool_size: int = 16, timeout: float = 15.0) -> None:
        self._pool = connection_pool_size
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool),
                # Ask for no compression: answers are small, and it keeps the byte counts true.
                auto_decompress=True)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _seconds(self, value: object) -> float | None:
        if isinstance(value, int | float):
            return float(value)
        return None if value is None else self._timeout  # PTB's DEFAULT_NONE → ours

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: object = BaseRequest.DEFAULT_NONE,
                         write_timeout: object = BaseRequest.DEFAULT_NONE,
                         connect_timeout: object = BaseRequest.DEFAULT_NONE,
                         pool_timeout: object = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        data: aiohttp.FormData | dict[str, str] | None = None
        if request_data is not None:
            if request_data.contains_files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, (filename, content, mime) in \
                        request_data.multipart_data.items():
                    form.add_field(name, content, filename=filename, content_type=mime)
                data = form
            else:
                data = dict(request_data.json_parameters)
        connect = self._seconds(connect_timeout)
        pool = self._seconds(pool_timeout)
        timeout = aiohttp.ClientTimeout(
            total=None,
            # aiohttp's "connect" includes waiting for a free connection in the pool.
            connect=None if connect is None or pool is None else connect + pool,
            sock_read=self._seconds(read_timeout))
        try:
            async with self._session.request(method, url, data=data, timeout=timeout,
                                             headers={"User-Agent": self.USER_AGENT}) as resp:
                return resp.status, await resp.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp: {type(err).__name__}") from err
