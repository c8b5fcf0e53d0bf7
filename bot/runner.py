"""`compa run`: start every enabled channel (and the web server if one needs it), until stopped.

Each channel module offers `build(app, options) -> Channel`; a channel that receives webhooks
also has `web_routes()`. The console reads stdin; when it ends (EOF) and no other channel is
running the process exits, otherwise it keeps serving until SIGINT/SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
import sys
from dataclasses import dataclass
from typing import Any, TextIO

from alerts.delivery_events import OutboxDeliveryEvents
from alerts.dispatcher import DeliveryDispatcher
from alerts.schedule import Scheduler
from bot.app import App
from bot.channels.base import Channel, ReportsDeliveries, ServesWeb
from bot.channels.public_web import public_routes
from bot.channels.web import WebServer, build_web_app
from bot.clock import Clock
from bot.config import Config

log = logging.getLogger(__name__)

# How long a thread may hold the GIL while another waits for it (Python's default: 5 ms).
# The event loop shares the interpreter with aiosqlite's thread: with the default, a query's
# result could wait up to 5 ms behind a busy loop, and the loop behind the query's thread;
# interleaved `make bench` runs: 122-133 Telegram updates/s with the default, 143-149 with 0.5 ms.
SWITCH_INTERVAL = 0.0005

# Channel name → module with `build(app, options)`; imported only when enabled, so a console
# run never loads python-telegram-bot or pywa.
CHANNEL_MODULES = {
    "telegram": "bot.channels.telegram",
    "whatsapp": "bot.channels.whatsapp",
}


@dataclass
class RunOptions:
    polling: bool | None = None         # force Telegram long polling (None: as configured)
    console: bool | None = None         # None: as configured
    stdin: TextIO | None = None
    stdout: TextIO | None = None
    clock: Clock | None = None
    ready: asyncio.Event | None = None  # set once everything is up (tests, benchmarks)


class Runner:
    def __init__(self, app: App, options: RunOptions) -> None:
        self.app = app
        self.options = options
        self.channels: list[Channel] = []
        self.web: WebServer | None = None
        self.console: Any = None
        self.dispatcher: DeliveryDispatcher | None = None
        self.scheduler: Scheduler | None = None
        self.metrics: WebServer | None = None
        # Set by SIGINT/SIGTERM. The handlers go in before anything starts: a signal that
        # arrives while channels, the dispatcher or the scheduler are still starting (sends
        # already in flight) must stop the process gracefully, not kill it.
        self.stopping = asyncio.Event()

    def handle_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stopping.set)

    async def start(self) -> None:
        cfg = self.app.config
        console_on = cfg.channels.console.enabled if self.options.console is None \
            else self.options.console
        if console_on:
            from bot.channels.console import ConsoleChannel

            self.console = ConsoleChannel(self.app, self.options.stdin, self.options.stdout)
            self.channels.append(self.console)
        for name, module_name in CHANNEL_MODULES.items():
            if getattr(cfg.channels, name).enabled:
                module = importlib.import_module(module_name)
                self.channels.append(module.build(self.app, self.options))
        routes = [r for ch in self.channels if isinstance(ch, ServesWeb) for r in ch.web_routes()]
        routes += public_routes(self.app)      # the public page and feeds, when enabled
        if routes or cfg.web.always_on:
            self.web = WebServer(build_web_app(routes), cfg.web.host, cfg.web.port)
            await self.web.start()
        for channel in self.channels:
            if isinstance(channel, ReportsDeliveries):
                # Status webhooks (WhatsApp) reconcile the outbox by provider message id.
                channel.events = OutboxDeliveryEvents(self.app.alerts)
            # Registered before it starts: the web server is already up, and an update taken
            # in while a channel starts (or replayed by its start) must find it for replies.
            self.app.channels[channel.name] = channel
            await channel.start()
        self.dispatcher = self.app.delivery_dispatcher()
        self.app.alerts.on_new_deliveries(self.dispatcher.wake)
        await self.dispatcher.start()
        self.scheduler = Scheduler(self.app.alerts, self.app.jobs())
        await self.scheduler.start()
        from bot.channels import metrics_web as metrics

        self.metrics = await metrics.start(self.app, self.scheduler.scheduler)
        log.info("running: %s", ", ".join(ch.name for ch in self.channels) or "no channel")
        if self.options.ready is not None:
            self.options.ready.set()

    async def stop(self) -> None:
        if self.metrics is not None:
            await self.metrics.stop()
        if self.scheduler is not None:
            await self.scheduler.stop()
        if self.dispatcher is not None:
            await self.dispatcher.stop()
            self.app.alerts.on_new_deliveries(None)
        for channel in reversed(self.channels):
            with contextlib.suppress(Exception):
                await channel.stop()
        if self.web is not None:
            await self.web.stop()

    async def serve(self) -> None:
        """Runs until the console ends (when it is the only channel) or a stop signal."""
        stop = self.stopping
        self.handle_signals()
        others = [ch for ch in self.channels if ch is not self.console]
        if self.console is not None:
            console_task = asyncio.create_task(self.console.run())
            stop_task = asyncio.create_task(stop.wait())
            await asyncio.wait({console_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
            if console_task.done():
                console_task.result()
                if self.dispatcher is not None:
                    # Piped input ended: let what the conversation queued (alerts to other
                    # console people) go out before the process exits. The background loop
                    # stops first, so nothing it claimed is left unsent.
                    await self.dispatcher.stop()
                    await self.dispatcher.drain()
            stop_task.cancel()
            if not others or stop.is_set():
                console_task.cancel()
                return
        await stop.wait()


async def run(config: Config, options: RunOptions | None = None) -> int:
    options = options or RunOptions()
    sys.setswitchinterval(SWITCH_INTERVAL)
    app = await App.create(config, clock=options.clock)
    runner = Runner(app, options)
    runner.handle_signals()
    try:
        await runner.start()
        await runner.serve()
    finally:
        await runner.stop()
        await app.close()
    return 0
