"""The public page under load: `compa run` serving `/` (and alert pages and the feed) with
10,000 alerts stored, against the target of 500 requests/s on this 2-core machine while a
fan-out is running.

The store is filled in-process first (10,000 verified alerts over 30 days, a tenth of them
with an update, all clear or retraction, 40 active now, 2 % drills), and an alert is
published to FANOUT console subscribers but not delivered yet. Then `compa run` (the real
CLI: web server, console channel, dispatcher) starts and delivers that fan-out while it
serves the page. The request mix is 75 % `/`, 10 % `/en`, 10 % `/alerta/{code}`, 5 %
`/feed.atom`. The load generator runs in this process, on the same 2 cores.

1. Open loop at TARGET_RPS for SECONDS (requests start on schedule, whether or not earlier
   ones have been answered; latency counts from the scheduled start, so a stalled server is
   not hidden): public_page_rps, public_page_p50_ms, public_page_p99_ms, and the fan-out's
   progress meanwhile (public_page_fanout_per_s, against public_page_fanout_idle_per_s
   measured for SECONDS before the load starts).
   (public_page_rps counts up to the last answer, so a tail shows as slightly under 500.)
2. Closed loop, CONNECTIONS keep-alive clients as fast as they are answered, for SECONDS,
   the fan-out still running: public_page_max_rps (the capacity; target >= 500), its p99
   (public_page_max_p99_ms) and the fan-out's progress meanwhile
   (public_page_max_fanout_per_s).

public_page_render_ms: rendering `/` from the database once, without the page cache (what
happens once every `public.cache_seconds`), median of 20.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import sqlite3
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
from bot.app import DB_FILE, App

TIME_LIMIT = 240
ALERTS = 10_000
CONNECTIONS = 32
SECONDS = 10.0
TARGET_RPS = 500
FANOUT = 60_000         # console subscribers of the alert delivered during the load
REGIONS = ("buncombe", "henderson", "madison", "haywood", "polk", "jackson", "mcdowell")
KINDS = ("checkpoint", "agents", "raid", "arrest", "other")


async def fill(config_path: Path) -> tuple[list[str], float]:
    """10,000 alerts as published, with follow-ups: the codes of the open ones, and the
    median time (ms) to render `/` without the cache."""
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
    await seed_fanout(app)
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


async def seed_fanout(app: App) -> None:
    """FANOUT console subscribers and an alert published to them, not yet delivered: the
    dispatcher of `compa run` delivers it while the page is under load."""

    now = int(time.time() // 3600 * 3600)
    users = []
    for i in range(FANOUT):
        chat_id = f"bench-{i}"
        users.append((app.privacy.pseudonym("console", chat_id), "console",
                      app.privacy.seal_text(chat_id, "address:console"), "es", now, now))
    async with app.db.write() as conn:
        await conn.executemany(
            "INSERT INTO users (pid, channel, address_sealed, locale, created, last_inbound)"
            " VALUES (?, ?, ?, ?, ?, ?)", users)
        await conn.executemany("INSERT INTO subscribers (pid) VALUES (?)",
                               [(u[0],) for u in users])
        await conn.executemany("INSERT INTO subscription_regions (pid, region) VALUES (?, ?)",
                               [(u[0], "buncombe") for u in users])
    done = await app.alerts.create(region="buncombe", kind="raid", note="", actor="bench",
                                   preverified=True)
    assert done.recipients == FANOUT


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


def pick_path(rng: random.Random, codes: list[str]) -> str:
    pick = rng.random()
    return "/" if pick < 0.75 else "/en" if pick < 0.85 \
        else f"/alerta/{rng.choice(codes)}" if pick < 0.95 else "/feed.atom"


async def open_loop(url: str, codes: list[str]) -> tuple[int, list[float], float]:
    """TARGET_RPS requests a second on schedule; (errors, latencies, seconds)."""
    rng = random.Random(7)
    latencies: list[float] = []
    errors = 0

    async def one(http: aiohttp.ClientSession, path: str, due: float) -> None:
        nonlocal errors
        async with http.get(url + path) as resp:
            await resp.read()
            errors += resp.status != 200
        latencies.append(time.perf_counter() - due)

    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        tasks = []
        for i in range(int(TARGET_RPS * SECONDS)):
            due = started + i / TARGET_RPS
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(http, pick_path(rng, codes), due)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    return errors, latencies, elapsed


async def closed_loop(url: str, codes: list[str]) -> tuple[int, list[float], float]:
    """CONNECTIONS clients, each sending its next request when answered."""
    latencies: list[float] = []
    errors = 0
    rng = random.Random(8)
    deadline = time.perf_counter() + SECONDS

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            async with http.get(url + pick_path(rng, codes)) as resp:
                await resp.read()
                errors += resp.status != 200
            latencies.append(time.perf_counter() - t0)

    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(CONNECTIONS)))
        elapsed = time.perf_counter() - started
    return errors, latencies, elapsed


def _sent(db_path: Path) -> int:
    with contextlib.closing(sqlite3.connect(db_path, timeout=30)) as conn:
        return int(conn.execute(
            "SELECT count(*) FROM deliveries WHERE status = 'sent'").fetchone()[0])


async def sent(db_path: Path) -> tuple[float, int]:
    """(now, deliveries sent so far), read beside the running process (WAL readers)."""
    return time.perf_counter(), await asyncio.to_thread(_sent, db_path)


def rate(before: tuple[float, int], after: tuple[float, int]) -> float:
    return (after[1] - before[1]) / (after[0] - before[0])


async def run() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-public-") as tmp:
        folder = Path(tmp)
        port = 20000 + secrets.randbelow(20000)
        config = write_config(folder, web={"host": LOOPBACK, "port": port},
                              public={"enabled": True, "cache_seconds": 10},
                              channels={"console": {"enabled": True}})
        codes, render_ms = await fill(config)
        url = f"http://{LOOPBACK}:{port}"
        # The console channel delivers the fan-out (its output is thrown away); stdin stays
        # open so that the console does not end the run.
        db_path = folder / "data" / DB_FILE
        async with child(compa_command(config, "run", "--quiet"), folder / "public.log",
                         stdin=asyncio.subprocess.PIPE,
                         stdout=asyncio.subprocess.DEVNULL) as proc:
            await wait_up(url, proc.log_tail())
            idle_start = await sent(db_path)
            await asyncio.sleep(SECONDS)
            idle_end = await sent(db_path)
            errors, latencies, elapsed = await open_loop(url, codes)
            load_end = await sent(db_path)
            if load_end[1] >= FANOUT:
                raise BenchError("the fan-out finished before the load did: raise FANOUT")
            max_errors, max_latencies, max_elapsed = await closed_loop(url, codes)
            max_end = await sent(db_path)
        if errors or max_errors:
            raise BenchError(f"{errors + max_errors} requests were not answered 200")
    return [
        Figure("public_page_rps", len(latencies) / elapsed, "requests/s"),
        Figure("public_page_p50_ms", percentile(latencies, 50) * 1000, "ms"),
        Figure("public_page_p99_ms", percentile(latencies, 99) * 1000, "ms"),
        Figure("public_page_fanout_per_s", rate(idle_end, load_end), "messages/s"),
        Figure("public_page_fanout_idle_per_s", rate(idle_start, idle_end), "messages/s"),
        Figure("public_page_max_rps", len(max_latencies) / max_elapsed, "requests/s",
               f">= {TARGET_RPS}"),
        Figure("public_page_max_p99_ms", percentile(max_latencies, 99) * 1000, "ms"),
        Figure("public_page_max_fanout_per_s", rate(load_end, max_end), "messages/s"),
        Figure("public_page_render_ms", render_ms, "ms"),
    ]
