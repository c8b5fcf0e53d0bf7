"""fanout_enqueue_s, fanout_peak_rss_mb: publishing an alert writes one delivery row per
subscriber of its region, in the alert's own transaction (INSERT … SELECT in SQLite).

A database of 300,000 people (Telegram addresses sealed as in production) is seeded once;
regions hold 10,000 (madison), 100,000 (buncombe) and 300,000 (henderson) subscribers. Each
publish runs in a fresh interpreter so its peak memory is its own: the figure must not grow
with the number of subscribers, because no subscriber row ever reaches Python.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._kit import ROOT, Figure, peak_rss_mb

TIME_LIMIT = 300.0
PEOPLE = 300_000
REGIONS = {"madison": 10_000, "buncombe": 100_000, "henderson": 300_000}
HEADLINE = "buncombe"   # the case: 100,000 subscribers of 300,000


def _config(folder: Path):  # type: ignore[no-untyped-def]
    from compa_testkit.harness import make_config

    return make_config(folder / "data", bot={"log_level": "WARNING"})


async def seed(folder: Path) -> None:
    """300,000 people with sealed addresses and their subscriptions, in a few transactions."""
    from bot.app import App

    app = await App.create(_config(folder))
    try:
        now = int(app.clock.now() // 3600 * 3600)
        chunk = 50_000
        for start in range(0, PEOPLE, chunk):
            users, regions = [], []
            for i in range(start, min(start + chunk, PEOPLE)):
                chat_id = str(700_000_000 + i)
                pid = app.privacy.pseudonym("telegram", chat_id)
                users.append((pid, "telegram", app.privacy.seal_text(chat_id, "address:telegram"),
                              "es" if i % 3 else "en", now, now))
                regions += [(pid, region) for region, count in REGIONS.items() if i < count]
            async with app.db.write() as conn:
                await conn.executemany(
                    "INSERT INTO users (pid, channel, address_sealed, locale, created,"
                    " last_inbound) VALUES (?, ?, ?, ?, ?, ?)", users)
                await conn.executemany("INSERT INTO subscribers (pid) VALUES (?)",
                                       [(u[0],) for u in users])
                await conn.executemany(
                    "INSERT INTO subscription_regions (pid, region) VALUES (?, ?)", regions)
    finally:
        await app.close()


async def publish_once(folder: Path, region: str) -> dict[str, float]:
    from bot.app import App

    app = await App.create(_config(folder))
    try:
        before = peak_rss_mb()
        started = time.perf_counter()
        out = await app.alerts.create(region=region, kind="checkpoint", note="",
                                      actor="bench", preverified=True)
        seconds = time.perf_counter() - started
        rows = await app.db.fetchone("SELECT COUNT(*) FROM deliveries WHERE alert_id = ?",
                                     (out.alert_id,))
    finally:
        await app.close()
    return {"seconds": seconds, "rows": float(rows[0] if rows else 0),
            "recipients": float(out.recipients), "rss_before": before, "rss_peak": peak_rss_mb()}


def _child(*args: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-m", "bench.fanout", *args], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}


async def run() -> list[Figure]:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
        started = time.perf_counter()
        _child("--seed", tmp)
        figures.append(Figure("fanout_seed_s", time.perf_counter() - started, "s"))
        for region, count in REGIONS.items():
            result = _child("--publish", tmp, region)
            if int(result["rows"]) != count:
                raise RuntimeError(f"{region}: {result['rows']} rows, expected {count}")
            suffix = f"_{count // 1000}k"
            figures.append(Figure(f"fanout_enqueue_s{suffix}", result["seconds"], "s",
                                  "<= 1.0" if region == HEADLINE else ""))
            figures.append(Figure(f"fanout_peak_rss_mb{suffix}", result["rss_peak"], "MB",
                                  "<= 200" if region == HEADLINE else ""))
            figures.append(Figure(f"fanout_rss_growth_mb{suffix}",
                                  result["rss_peak"] - result["rss_before"], "MB"))
            if region == HEADLINE:
                figures.append(Figure("fanout_enqueue_s", result["seconds"], "s", "<= 1.0"))
                figures.append(Figure("fanout_peak_rss_mb", result["rss_peak"], "MB",
                                      "<= 200"))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed")
    parser.add_argument("--publish", nargs=2)
    args = parser.parse_args()
    if args.seed:
        asyncio.run(seed(Path(args.seed)))
        print("{}")
    else:
        folder, region = args.publish
        print(json.dumps(asyncio.run(publish_once(Path(folder), region))))


if __name__ == "__main__":
    main()
