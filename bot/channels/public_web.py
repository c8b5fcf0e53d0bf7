"""The public routes (off unless `[public] enabled = true`), served by Compa's web server.

`public_routes(app)` gives the Starlette routes that `bot/runner.py` adds to the shared app.
Every answer is cached in memory for `public.cache_seconds` (by the app's clock) and carries
`Cache-Control`, an `ETag` (a matching `If-None-Match` gets 304) and a strict CSP; HEAD gets
the headers without the body. Nothing a visitor sends is stored or logged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.public.cap import cap_xml
from bot.public.codes import normalize
from bot.public.feeds import alerts_feed, cap_index
from bot.public.pages import LANGS, Pages, Rendered
from bot.services import Services

if TYPE_CHECKING:
    from bot.app import App

HTML = "text/html; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
CAP = "application/cap+xml; charset=utf-8"
FEED_HOURS = 7 * 24
FEED_LIMIT = 50
MAX_CACHED = 512
SECURITY = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
Maker = Callable[[], Awaitable[tuple[bytes, str, int] | None]]


def public_routes(app: App) -> list[BaseRoute]:
    """The page, feeds and checks; none when the public page is off."""
    if not app.config.public.enabled:
        return []
    return PublicSite(app.services).routes()


class PublicSite:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.pages = Pages(services)
        self.max_age = services.config.public.cache_seconds
        self._cache: dict[str, tuple[float, bytes, str, int]] = {}

    def routes(self) -> list[BaseRoute]:
        get = ["GET", "HEAD"]
        return [
            Route("/", self.index, methods=get), Route("/es", self.index, methods=get),
            Route("/en", self.index, methods=get),
            Route("/alerta/{code}", self.alert, methods=get),
            Route("/verificar", self.check, methods=get),
            Route("/kyr", self.kyr_list, methods=get),
            Route("/kyr/{slug}", self.kyr, methods=get),
            Route("/feed.atom", self.feed, methods=get),
            Route("/cap.atom", self.cap_feed, methods=get),
            Route("/cap/{name}", self.cap, methods=get),
        ]

    # -- HTTP semantics -------------------------------------------------------------------
    def _lang(self, request: Request) -> str:
        path = request.url.path.strip("/")
        if path in LANGS:
            return path
        lang = request.query_params.get("lang", "")
        return lang if lang in LANGS else "es"

    async def _cached(self, request: Request, key: str, make: Maker) -> Response:
        now = self.s.clock.now()
        hit = self._cache.get(key)
        if hit is None or now - hit[0] >= self.max_age:
            made = await make()
            if made is None:
                return self._send(request, self.pages.not_found(self._lang(request)).body,
                                  HTML, 404)
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            hit = (now, *made)
            if self.max_age:
                self._cache[key] = hit
        return self._send(request, hit[1], hit[2], hit[3])

    def _send(self, request: Request, body: bytes, media_type: str, status: int) -> Response:
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        headers = {**SECURITY, "ETag": etag, "Vary": "Accept-Encoding",
                   "Cache-Control": f"public, max-age={self.max_age}" if status == 200
                   else "public, max-age=60"}
        if status == 200 and etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(body))
            return Response(status_code=status, headers=headers, media_type=media_type)
        return Response(body, status, headers, media_type)

    def _html(self, rendered: Rendered | None) -> tuple[bytes, str, int] | None:
        return None if rendered is None else (rendered.body, HTML, rendered.status)

    def _base(self, request: Request) -> str:
        return self.s.config.public.base_url.rstrip("/") or str(request.base_url).rstrip("/")

    # -- pages ----------------------------------------------------------------------------
    async def index(self, request: Request) -> Response:
        lang = self._lang(request)

        async def make() -> tuple[bytes, str, int] | None:
            return self._html(await self.pages.index(lang, self.s.clock.now()))
        return await self._cached(request, f"index:{lang}", make)

    async def alert(self, request: Request) -> Response:
        lang = self._lang(request)
        code = normalize(request.path_params["code"])
        if code is None:
            return self._send(request, self.pages.not_found(lang).body, HTML, 404)

        async def make() -> tuple[bytes, str, int] | None:
            return self._html(await self.pages.alert(code, lang, self.s.clock.now()))
        return await self._cached(request, f"alert:{code}:{lang}", make)

    async def check(self, request: Request) -> Response:
        lang = self._lang(request)
        typed = request.query_params.get("codigo", request.query_params.get("code", ""))
        code = normalize(typed) if typed else None
        rendered = await self.pages.check(typed.strip(), code, lang, self.s.clock.now())
        return self._send(request, rendered.body, HTML, rendered.status)

    async def kyr_list(self, request: Request) -> Response:
        lang = self._lang(request)
        return self._send(request, self.pages.kyr_list(lang).body, HTML, 200)

    async def kyr(self, request: Request) -> Response:
        lang = self._lang(request)
        rendered = self.pages.kyr(request.path_params["slug"], lang) \
            or self.pages.not_found(lang)
        return self._send(request, rendered.body, HTML, rendered.status)

    # -- feeds ----------------------------------------------------------------------------
    async def feed(self, request: Request) -> Response:
        lang = self._lang(request)
        county = request.query_params.get("county") or None
        if county is not None and self.s.regions.get(county) is None:
            return self._send(request, self.pages.not_found(lang).body, HTML, 404)
        base = self._base(request)

        async def make() -> tuple[bytes, str, int] | None:
            now = self.s.clock.now()
            alerts = await self.s.public.recent(now, FEED_HOURS, county, limit=FEED_LIMIT)
            return alerts_feed(self.s, base, lang, county, alerts, now), ATOM, 200
        return await self._cached(request, f"feed:{base}:{lang}:{county}", make)

    async def cap_feed(self, request: Request) -> Response:
        base = self._base(request)

        async def make() -> tuple[bytes, str, int] | None:
            now = self.s.clock.now()
            alerts = await self.s.public.recent(now, FEED_HOURS, limit=FEED_LIMIT)
            return cap_index(self.s, base, alerts, now), ATOM, 200
        return await self._cached(request, f"cap:{base}", make)

    async def cap(self, request: Request) -> Response:
        name = request.path_params["name"]
        code = normalize(name.removesuffix(".xml")) if name.endswith(".xml") else None
        if code is None:
            return self._send(request, self.pages.not_found("es").body, HTML, 404)
        base = self._base(request)

        async def make() -> tuple[bytes, str, int] | None:
            alert = await self.s.public.by_code(code, self.s.clock.now())
            if alert is None:
                return None
            cfg = self.s.config
            return cap_xml(alert, sender=request.url.hostname or "compa",
                           org=cfg.resources.org_name, region=self.s.regions.get(alert.region),
                           i18n=self.s.i18n, hotline=cfg.resources.hotline,
                           web=f"{base}/alerta/{code}", tz=ZoneInfo(cfg.bot.timezone),
                           critical=cfg.alerts.critical_kinds), CAP, 200
        return await self._cached(request, f"cap:{base}:{code}", make)
