"""The public page under load: `compa run` serving `/` (and alert pages and the feed) with
10,000 alerts stored, against the target of 500 requests/s on this 2-core machine.

The store is filled in-process first (10,000 verified alerts over 30 days, a tenth of them
with an update, all clear or retraction, 40 active now, 2 % drills), then `compa run` (the
real CLI, web server only) is started and CONNECTIONS keep-alive clients request for
SECONDS: 75 % `/`, 10 % `/en`, 10 % `/alerta/{code}`, 5 % `/feed.atom`. The load generator
runs in this process, so it shares the machine's 2 cores with the server (as a reverse proxy
would).

Figures:
- public_page_rps: answered requests per second (target >= 500);
- public_page_p50_ms, public_page_p99_ms: latency of one request as the client saw it;
- public_page_render_ms: rendering `/` from the database once, without the page cache (the
  cost every `public.cache_seconds`), median of 20.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import tempfile
import time
from pathlib import Path

import aiohttp

from bench._kit import (
    LOOPBACK,
    BenchError,
    Figure,
    child,
    compa_command,
    median,
    percentile,
    write_config,
)

TIME_LIMIT = 240
ALERTS = 10_000
CONNECTIONS = 32
SECONDS = 10.0
REGIONS = ("buncombe", "henderson", "madison", "haywood", "polk", "jackson", "mcdowell")
KINDS = ("checkpoint", "agents", "raid", "arrest", "other")


async def fill(config_path: Path) -> tuple[list[str], float]:
    """10,000 alerts as published, with follow-ups: the codes of the open ones, and the
    median time (ms) to render `/` without the cache."""
    from bot.app import App
    from bot.config import load
    from bot.public.codes import new_code

    app = await App.create(load(config_path))
    now = int(time.time())
    rng = random.Random(18)
    codes: set[str] = set()
    rows: list[tuple[int, str, str, str, int, int, int, str]] = []
    follow: list[tuple[int, str, int]] = []
    open_codes: list[str] = []
    for i in range(ALERTS):
        code = new_code()
        while code in codes:
            code = new_code()
        codes.add(code)
        active = i >= ALERTS - 40
        published = now - rng.randint(60, 5 * 3600) if active \
            else now - rng.randint(6 * 3600, 30 * 86400)
        status = "published" if active else "expired"
        rows.append((i + 1, rng.choice(REGIONS), rng.choice(KINDS), status,
                     int(rng.random() < 0.02), published, published + 6 * 3600, code))
        if rng.random() < 0.1:
            kind = rng.choice(("update", "all_clear", "retraction"))
            follow.append((i + 1, kind, published + 1200))
            if kind != "update":
                rows[-1] = (*rows[-1][:3], "cleared" if kind == "all_clear" else "retracted",
                            *rows[-1][4:])
        if active and rows[-1][3] == "published" and not rows[-1][4]:
            open_codes.append(code)
    async with app.db.write() as conn:
        await conn.executemany(
            "INSERT INTO alerts (id, type, region, kind, status, drill, observed, created,"
            " published, expires, public_code) VALUES (?, 'alert', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(i, region, kind, status, drill, pub, pub, pub, exp, code)
             for i, region, kind, status, drill, pub, exp, code in rows])
        await conn.executemany(
            "INSERT INTO alerts (type, parent_id, region, kind, status, created, published,"
            " expires, note_sealed) SELECT ?, id, region, kind, 'published', ?, ?, ?, ?"
            " FROM alerts WHERE id = ?",
            [(kind, at, at, at + 6 * 3600, None, parent) for parent, kind, at in follow])
    # A few notes, sealed as publishing seals them.
    for alert_id in range(ALERTS - 40, ALERTS + 1, 3):
        await app.db.execute("UPDATE alerts SET note_sealed = ? WHERE id = ?", (
            app.privacy.seal_text("Cerca del puente, salida 44", f"alert-note:{alert_id}"),
            alert_id))
    from bot.public.pages import Pages

    pages = Pages(app.services)
    renders = []
    for _ in range(20):
        t0 = time.perf_counter()
        await pages.index("es", time.time())
        renders.append(time.perf_counter() - t0)
    await app.close()
    return open_codes, median(renders) * 1000


async def wait_up(url: str, proc_log: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            try:
                async with http.get(f"{url}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise BenchError(f"compa run did not serve /healthz:\n{proc_log}")


async def load(url: str, codes: list[str]) -> tuple[int, list[float], float]:
    latencies: list[float] = []
    errors = 0
    rng = random.Random(7)
    deadline = time.perf_counter() + SECONDS

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            pick = rng.random()
            path = "/" if pick < 0.75 else "/en" if pick < 0.85 \
                else f"/alerta/{rng.choice(codes)}" if pick < 0.95 else "/feed.atom"
            t0 = time.perf_counter()
            async with http.get(url + path) as resp:
                await resp.read()
                if resp.status != 200:
                    errors += 1
            latencies.append(time.perf_counter() - t0)

    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(CONNECTIONS)))
        elapsed = time.perf_counter() - started
    return errors, latencies, elapsed


async def run() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-public-") as tmp:
        folder = Path(tmp)
        port = 20000 + secrets.randbelow(20000)
        config = write_config(folder, web={"host": LOOPBACK, "port": port},
                              public={"enabled": True, "cache_seconds": 10})
        codes, render_ms = await fill(config)
        url = f"http://{LOOPBACK}:{port}"
        async with child(compa_command(config, "run", "--quiet"), folder / "public.log") as proc:
            await wait_up(url, proc.log_tail())
            errors, latencies, elapsed = await load(url, codes)
        if errors:
            raise BenchError(f"{errors} requests were not answered 200")
    return [
        Figure("public_page_rps", len(latencies) / elapsed, "requests/s", ">= 500"),
        Figure("public_page_p50_ms", percentile(latencies, 50) * 1000, "ms"),
        Figure("public_page_p99_ms", percentile(latencies, 99) * 1000, "ms"),
        Figure("public_page_render_ms", render_ms, "ms"),
    ]
