"""delivery_efficiency_tg30 and delivery_efficiency_1000: messages per second achieved ÷ the
configured limit, delivering 3,000 alerts through the real Telegram adapter (PTB over HTTP)
and the real dispatcher to a fake Bot API that enforces the limit (and 1/s per chat) and
counts `rate_violations`. At 30/s the platform is the bottleneck by design; at 1,000/s (paid
broadcasts, WhatsApp's higher tiers) the figure shows whether Compa itself is.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench._kit import ROOT, Figure

TIME_LIMIT = 300.0
MESSAGES = 3_000
CASES = {"tg30": 30, "1000": 1000}
CONCURRENCY = {"tg30": 8, "1000": 16}
# Rounds of about two seconds of sending (config.example.toml says so for batch_size).
BATCH = {"tg30": 200, "1000": 2000}
# At 30/s the full fake (every check the tests use); at 1,000/s a bare one that can keep up.
FAKES = {30: "bench._tg_fake_proc", 1000: "bench._fast_fake"}


async def _fake(rate: int) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", FAKES[rate], str(rate), cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
    return proc, f"http://127.0.0.1:{int(line.split()[1])}"


async def _seed(app: object, count: int) -> None:
    from bot.app import App

    assert isinstance(app, App)
    now = int(app.clock.now() // 3600 * 3600)
    users = []
    for i in range(count):
        chat_id = str(800_000_000 + i)
        users.append((app.privacy.pseudonym("telegram", chat_id), "telegram",
                      app.privacy.seal_text(chat_id, "address:telegram"), "es", now, now))
    async with app.db.write() as conn:
        await conn.executemany("INSERT INTO users (pid, channel, address_sealed, locale,"
                               " created, last_inbound) VALUES (?, ?, ?, ?, ?, ?)", users)
        await conn.executemany("INSERT INTO subscribers (pid) VALUES (?)",
                               [(u[0],) for u in users])
        await conn.executemany("INSERT INTO subscription_regions (pid, region) VALUES (?, ?)",
                               [(u[0], "buncombe") for u in users])


async def deliver(case: str) -> dict[str, float]:
    from bot.app import App
    from bot.runner import Runner, RunOptions
    from compa_testkit.fakes.telegram_api import TOKEN
    from compa_testkit.harness import make_config

    rate = CASES[case]
    os.environ["TELEGRAM_BOT_TOKEN"] = TOKEN
    proc, url = await _fake(rate)
    try:
        with tempfile.TemporaryDirectory(prefix=f"bench-delivery-{case}-") as tmp:
            config = make_config(
                Path(tmp) / "data", bot={"log_level": "WARNING"},
                channels={"console": {"enabled": False},
                          "telegram": {"enabled": True, "api_base_url": url}},
                alerts={"batch_size": BATCH[case], "pace": {"telegram": {
                    "rate_per_second": float(rate), "per_chat_seconds": 1.0,
                    "concurrency": CONCURRENCY[case]}}})
            app = await App.create(config)
            runner = Runner(app, RunOptions(console=False, polling=True))
            try:
                await _seed(app, MESSAGES)
                await runner.start()
                started = time.monotonic()
                await app.alerts.create(region="buncombe", kind="checkpoint", note="",
                                        actor="bench", preverified=True)
                async with httpx.AsyncClient() as client:
                    while True:
                        stats = (await client.get(f"{url}/stats")).json()
                        if stats["sent"] >= MESSAGES or time.monotonic() - started > 250:
                            break
                        await asyncio.sleep(0.2)
                rows = await app.db.fetchall(
                    "SELECT status, COUNT(*) FROM deliveries GROUP BY status")
            finally:
                await runner.stop()
                await app.close()
    finally:
        proc.terminate()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(proc.wait(), 10)
    span = stats["last"] - stats["first"]
    achieved = (stats["sent"] - 1) / span if span > 0 else 0.0
    return {"sent": stats["sent"], "achieved": achieved, "efficiency": achieved / rate,
            "violations": stats["rate_violations"], "arrivals": stats["arrivals"],
            "statuses": float(sum(n for s, n in rows if s == "sent"))}


async def run() -> list[Figure]:
    figures = []
    for case, rate in CASES.items():
        result = await deliver(case)
        if result["sent"] != MESSAGES:
            raise RuntimeError(f"{case}: only {result['sent']} of {MESSAGES} delivered")
        target = ">= 0.95" if case == "tg30" else ">= 0.9"
        figures.append(Figure(f"delivery_efficiency_{case}", result["efficiency"], "",
                              target, measured=result["achieved"], baseline=float(rate),
                              of="msg/s", labels=("achieved", "limit")))
        figures.append(Figure(f"rate_violations_{case}", result["violations"], "",
                              "<= 0"))
        if case == "tg30":
            figures.append(Figure("rate_violations", result["violations"], "", "<= 0"))
    return figures
