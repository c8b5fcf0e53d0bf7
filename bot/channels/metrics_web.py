"""The /metrics listener: its own port, a bearer token or loopback only (see bot/metrics.py)."""

from __future__ import annotations

import hmac
import ipaddress
import logging
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.config import secret
from bot.metrics import Metrics

if TYPE_CHECKING:
    from bot.app import App
    from bot.channels.web import WebServer

log = logging.getLogger(__name__)

def _loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_metrics_app(app: App, metrics: Metrics) -> Starlette:
    """/metrics: a bearer token when the config names one that is set, else loopback only."""
    token = secret(app.config.metrics.token_env)

    async def endpoint(request: Request) -> Response:
        if token is not None:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return Response("unauthorized\n", status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        elif not _loopback(request.client.host if request.client else None):
            return Response("forbidden\n", status_code=403)
        return Response(await metrics.render(app), media_type=CONTENT_TYPE_LATEST)

    return Starlette(routes=[Route("/metrics", endpoint)])


async def start(app: App, scheduler: Any = None) -> WebServer | None:
    """Starts the metrics listener when [metrics] is enabled; returns it (to stop it)."""
    if not app.config.metrics.enabled:
        return None
    from bot.channels.web import WebServer

    metrics = Metrics()
    metrics.instrument(app)
    if scheduler is not None:
        metrics.watch_scheduler(scheduler)
    server = WebServer(build_metrics_app(app, metrics), app.config.metrics.host,
                       app.config.metrics.port)
    await server.start()
    log.info("metrics on port %d", server.port)
    return server
