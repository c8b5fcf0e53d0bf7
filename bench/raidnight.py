"""Raid night: one `compa run` (the real CLI; Telegram and WhatsApp on webhooks) fans one alert
out to 100,000 subscribers at each platform's limit while people keep writing to it.

Processes: this one (seeding, pacing the phases, sampling the bot's CPU and memory), the
platform (bench/_raid_platform.py: fake Bot API + Graph API enforcing the limits, and the
people posting webhooks) and the bot. Two runs, each on a fresh copy of the seeded database:

- `tg30` (Telegram 30/s, WhatsApp 80/s): warm-up; five publishes to 20 subscribers (publish →
  first send without load); BASELINE_S of inbound traffic at 200/s without a fan-out; the
  100,000 publish with FANOUT_S of the same traffic; the inbound capacity ramp while the
  fan-out goes on.
- `tg1000` (Telegram 1,000/s, WhatsApp 80/s): a short baseline, then the publish with the
  same traffic until Telegram has delivered to all its subscribers (or FANOUT_S).

At 30/s Telegram needs 2,000 s for 60,000 people and WhatsApp 500 s for 40,000 at 80/s: longer
than the whole benchmark may run. So efficiency is measured over a fixed window (WINDOW_S from
each channel's first send), time to 50 %/100 % is measured where it happens within the run
(Telegram at 1,000/s) and otherwise projected from the measured rate, and named `_projected`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import _raid_kit as kit
from bench._kit import ROOT, BenchError, Figure, child, compa_command, percentile
from compa_testkit.process import free_port

TIME_LIMIT = 590.0
# RAIDNIGHT_SUBSCRIBERS and RAIDNIGHT_SCALE (a factor on every duration) only for trying
# the benchmark out quickly; the recorded figures use the defaults.
SUBSCRIBERS = int(os.environ.get("RAIDNIGHT_SUBSCRIBERS", "100000"))
SCALE = float(os.environ.get("RAIDNIGHT_SCALE", "1"))
RATE = 200.0                       # inbound updates per second
BASELINE_S = 40.0 * SCALE
FANOUT_S = 80.0 * SCALE
WINDOW_S = 60.0 * SCALE            # efficiency window from each channel's first send
SMALL_PUBLISHES = 5
RAMP = (100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 800.0)
RAMP_STEP_S = 8.0 * SCALE
WA_RATE = 80


@dataclass
class Sampler:
    """The bot's CPU time and memory, from /proc, twice a second."""

    pid: int
    samples: list[tuple[float, float]] = field(default_factory=list)   # (monotonic, cpu s)
    peak_rss_mb: float = 0.0

    def sample(self) -> None:
        from bench._kit import cpu_seconds

        with contextlib.suppress(OSError):
            self.samples.append((time.monotonic(), cpu_seconds(self.pid)))
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    self.peak_rss_mb = max(self.peak_rss_mb, int(line.split()[1]) / 1024)

    async def run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(0.5)

    def share(self, start: float, end: float) -> float:
        """CPU seconds per second (1.0 = one core) between two moments."""
        inside = [s for s in self.samples if start <= s[0] <= end]
        if len(inside) < 2:
            return float("nan")
        (t0, c0), (t1, c1) = inside[0], inside[-1]
        return (c1 - c0) / (t1 - t0) if t1 > t0 else float("nan")


async def _enqueue_and_claim(folder: Path) -> dict[str, float]:
    """What publish → first send is made of, without the bot: the confirm transaction (the
    100,000 delivery rows) and the dispatcher's first claim, on the seeded database."""
    from bot.app import App
    from bot.config import load
    from bot.store import deliveries

    app = await App.create(load(folder / "config.toml"))
    try:
        chunk = await _first_chunk(app)
        started = time.perf_counter()
        await app.alerts.create(region=kit.ALERT_REGION, kind="checkpoint", note="",
                                actor="bench", preverified=True)
        enqueued = time.perf_counter()
        await deliveries.claim(app.db, app.clock.now(), 30, 200, ("telegram",), 5)
        claimed = time.perf_counter()
    finally:
        await app.close()
    return {"enqueue_s": enqueued - started, "claim_ms": (claimed - enqueued) * 1000,
            "chunk_ms": chunk}


CHUNK = 2_000


async def _first_chunk(app: Any) -> float:
    """An experiment, not Compa's code: how long committing an alert's first CHUNK delivery
    rows takes (the same joins as outbox.enqueue_region, with ORDER BY pid LIMIT), plus a
    claim. What publish → first send would be if the rest were enqueued afterwards."""
    from bot.store import deliveries

    out = await app.alerts.create(region=kit.ALERT_REGION, kind="checkpoint", note="",
                                  actor="bench")        # awaiting confirmation: no rows
    started = time.perf_counter()
    async with app.db.write() as conn:
        await conn.execute(
            "INSERT OR IGNORE INTO deliveries (alert_id, pid, channel, status, next_attempt)"
            " SELECT ?, s.pid, u.channel, 'pending', ? FROM subscription_regions s"
            " JOIN subscribers p ON p.pid = s.pid JOIN users u ON u.pid = s.pid"
            " WHERE s.region = ? AND p.mode = 'immediate' ORDER BY s.pid LIMIT ?",
            (out.alert_id, app.clock.now(), kit.ALERT_REGION, CHUNK))
    await deliveries.claim(app.db, app.clock.now(), 30, 200, ("telegram",), 5)
    elapsed = (time.perf_counter() - started) * 1000
    await app.db.execute("DELETE FROM deliveries WHERE alert_id = ?", (out.alert_id,))
    return elapsed


def _load() -> float:
    return os.getloadavg()[0]


async def _seed(folder: Path) -> dict[str, int]:
    config = kit.raid_config(folder, "http://127.0.0.1:9", free_port(), 30, WA_RATE)
    return await kit.seed(config, SUBSCRIBERS)


@dataclass
class Run:
    name: str
    tg_rate: int
    client: httpx.AsyncClient
    url: str
    sampler: Sampler
    platform_pid: int
    figures: dict[str, Any] = field(default_factory=dict)

    async def traffic(self, rate: float, seconds: float) -> dict[str, Any]:
        response = await self.client.post(f"{self.url}/ctl/traffic",
                                          json={"rate": rate, "seconds": seconds},
                                          timeout=seconds + 120)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    async def publish(self, region: str) -> dict[str, Any]:
        response = await self.client.post(f"{self.url}/ctl/publish", json={"region": region},
                                          timeout=300)
        if response.status_code != 200:
            raise BenchError(f"publish failed: {response.text}")
        result: dict[str, Any] = response.json()
        return result

    async def stats(self, full: bool = False) -> dict[str, Any]:
        response = await self.client.get(f"{self.url}/ctl/stats{'?full' if full else ''}",
                                          timeout=60)
        result: dict[str, Any] = response.json()
        return result

    async def wait_accepted(self, total: int, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            stats = await self.stats()
            if stats["telegram"]["accepted"] + stats["whatsapp"]["accepted"] >= total:
                return
            await asyncio.sleep(0.1)
        raise BenchError(f"{self.name}: the small alerts were not all delivered")


async def _ready(client: httpx.AsyncClient, web: str, bot: Any, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if bot.process.returncode is not None:
            raise BenchError(f"compa run exited:\n{bot.log_tail()}")
        with contextlib.suppress(httpx.HTTPError):
            if (await client.get(f"{web}/healthz", timeout=2)).status_code == 200:
                return
        await asyncio.sleep(0.2)
    raise BenchError(f"compa run did not start within {within:.0f} s:\n{bot.log_tail()}")


def _latency(result: dict[str, Any], label: str = "") -> dict[str, float]:
    values = result["latencies"] or [float("nan")]
    summary = {"p50_ms": percentile(values, 50) * 1000, "p99_ms": percentile(values, 99) * 1000,
            "answered": float(len(result["latencies"])), "unanswered": result["unanswered"],
            "skipped": result["skipped"], "achieved": result["posted"] / result["seconds"]}
    if label:
        _say(f"{label}: " + ", ".join(f"{k} {v:.0f}" for k, v in summary.items()))
    return summary


def _say(text: str) -> None:
    """Progress on stderr (the figures come at the end, on stdout)."""
    print(f"# raidnight {time.strftime('%H:%M:%S')} load {_load():.1f}: {text}",
          file=sys.stderr, flush=True)


async def one_run(name: str, tg_rate: int, seeded: Path, tmp: Path) -> dict[str, Any]:
    folder = tmp / name
    shutil.copytree(seeded / "data", folder / "data")
    web_port = free_port()
    web = f"http://127.0.0.1:{web_port}"
    with (folder / "platform.log").open("wb") as log:
        platform = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench._raid_platform", str(tg_rate), str(WA_RATE), web,
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=log)
    assert platform.stdout is not None
    line = (await asyncio.wait_for(platform.stdout.readline(), 60)).decode()
    fake_url = f"http://127.0.0.1:{int(line.split()[1])}"
    config = kit.raid_config(folder, fake_url, web_port, tg_rate, WA_RATE)
    out: dict[str, Any] = {"load_start": _load()}
    try:
        async with httpx.AsyncClient() as client, \
                child(compa_command(config, "run", "--quiet"), folder / f"compa-{name}.log",
                      env=kit.bot_env()) as bot:
            await _ready(client, web, bot)
            sampler = Sampler(bot.pid)
            sampling = asyncio.create_task(sampler.run())
            run = Run(name, tg_rate, client, fake_url, sampler, platform.pid)
            platform_cpu0 = _cpu(platform.pid)
            started = time.monotonic()
            try:
                await _phases(run, out)
            finally:
                sampling.cancel()
            out["platform_cpu_share"] = (_cpu(platform.pid) - platform_cpu0) / \
                (time.monotonic() - started)
            out["peak_rss_mb"] = sampler.peak_rss_mb
            stats = await run.stats(full=True)
            out["stats"] = stats
    finally:
        platform.terminate()
        await platform.wait()
    out["load_end"] = _load()
    return out


def _cpu(pid: int) -> float:
    from bench._kit import cpu_seconds

    return cpu_seconds(pid)


async def _phases(run: Run, out: dict[str, Any]) -> None:
    await run.traffic(50, 4)                                   # warm-up: catalogs, sessions
    if run.tg_rate <= 100:
        small = []
        for k in range(1, SMALL_PUBLISHES + 1):
            result = await run.publish(kit.SMALL_REGION)
            small.append(result["first_send_at"] - result["confirmed_at"])
            await run.wait_accepted(k * kit.SMALL_COUNT)
            # The same 20 people each time: Telegram's 1 s per person would hold the next one.
            await asyncio.sleep(1.5)
        out["small_first_send"] = small
        _say(f"small publishes: first send {[round(s * 1000) for s in small]} ms")
    baseline_s = BASELINE_S if run.tg_rate <= 100 else BASELINE_S / 2
    t0 = time.monotonic()
    out["alone"] = _latency(await run.traffic(RATE, baseline_s), f"{run.name} without fan-out")
    out["cpu_alone"] = run.sampler.share(t0, time.monotonic())
    if run.tg_rate <= 100:
        out["ramp"] = await _ramp(run)
    before = await run.stats()
    out["accepted_before"] = {ch: before[ch]["accepted"] for ch in ("telegram", "whatsapp")}
    fanout_s = FANOUT_S if run.tg_rate <= 100 else FANOUT_S + 10
    traffic = asyncio.create_task(run.traffic(RATE, fanout_s))
    await asyncio.sleep(3)
    t1 = time.monotonic()
    out["big"] = await run.publish(kit.ALERT_REGION)
    _say(f"{run.name} published: first send "
         f"{(out['big']['first_send_at'] - out['big']['confirmed_at']) * 1000:.0f} ms")
    out["fanout"] = _latency(await traffic, f"{run.name} during fan-out")
    out["cpu_fanout"] = run.sampler.share(t1, time.monotonic())


async def _ramp(run: Run) -> list[dict[str, float]]:
    """Inbound capacity without a fan-out: steps up until p99 passes 1 s."""
    ramp = []
    for rate in RAMP:
        step = _latency(await run.traffic(rate, RAMP_STEP_S), f"ramp {rate:.0f}/s")
        ramp.append({"rate": rate, **step})
        if step["p99_ms"] > 1000 or step["unanswered"] or step["skipped"]:
            break
    await asyncio.sleep(2)      # let the last step's stragglers finish
    return ramp


def _channel(out: dict[str, Any], channel: str, limit: int, total: int
             ) -> dict[str, float]:
    """Efficiency over the window, and the times to 50 % / 100 % (measured or projected)."""
    skip = out["accepted_before"][channel]
    arrivals = out["stats"][channel]["arrivals"][skip:]
    confirmed = out["big"]["confirmed_at"]
    if not arrivals:
        return {"efficiency": 0.0, "achieved": 0.0, "window": 0.0, "delivered": 0.0}
    first = arrivals[0]
    if len(arrivals) >= total:
        window = arrivals[total - 1] - first
        achieved = (total - 1) / window if window > 0 else 0.0
    else:
        # A fixed window from the first send (shorter only if the run ended sooner): a
        # channel that stalls is not measured over its busy part alone.
        window = min(WINDOW_S, out["stats"]["now"] - first)
        achieved = sum(1 for a in arrivals if a < first + window) / window if window else 0.0
    result = {"efficiency": achieved / limit, "achieved": achieved, "window": window,
              "delivered": float(len(arrivals)), "first_ms": (first - confirmed) * 1000}
    for share, key in ((0.5, "t50"), (1.0, "t100")):
        need = int(total * share)
        if len(arrivals) >= need:
            result[key] = arrivals[need - 1] - confirmed
        else:
            result[key + "_projected"] = (first - confirmed) + need / max(achieved, 1e-9)
    return result


def figures(runs: dict[str, dict[str, Any]], seeded: dict[str, int]) -> list[Figure]:
    figs: list[Figure] = []
    a, b = runs["tg30"], runs["tg1000"]
    small = [s * 1000 for s in a["small_first_send"]]
    figs.append(Figure("raid_publish_first_send_small_p50_ms", percentile(small, 50), "ms"))
    figs.append(Figure("raid_publish_first_send_small_p99_ms", percentile(small, 99), "ms"))
    for name, run in (("tg30", a), ("tg1000", b)):
        first = (run["big"]["first_send_at"] - run["big"]["confirmed_at"]) * 1000
        figs.append(Figure(f"raid_publish_first_send_100k_ms_{name}", first, "ms", "<= 200",
                           measured=first, baseline=percentile(small, 50), of="ms",
                           labels=("100k", "20 recipients p50")))
    for name, run, tg_limit in (("tg30", a, 30), ("tg1000", b, 1000)):
        for channel, limit, key in (("telegram", tg_limit, f"tg{tg_limit}"),
                                    ("whatsapp", WA_RATE, f"wa80_{name}")):
            res = _channel(run, channel, limit, seeded[channel])
            target = ">= 0.95" if limit == 1000 else ">= 0.97"
            figs.append(Figure(f"raid_efficiency_{key}", res["efficiency"], "", target,
                               measured=res["achieved"], baseline=float(limit), of="msg/s",
                               labels=(f"achieved over {res['window']:.0f} s", "limit")))
            stats = run["stats"][channel]
            figs.append(Figure(f"raid_rate_violations_{key}", stats["violations"], "", "<= 0"))
            figs.append(Figure(f"raid_duplicates_{key}", stats["duplicates"], "", "<= 0"))
            for k in ("t50", "t100", "t50_projected", "t100_projected"):
                if k in res:
                    figs.append(Figure(f"raid_{k.replace('t', 'time_to_', 1)}_s_{key}",
                                       res[k], "s"))
    for name, run in (("tg30", a), ("tg1000", b)):
        alone, fan = run["alone"], run["fanout"]
        for q in ("p50", "p99"):
            ratio = fan[f"{q}_ms"] / alone[f"{q}_ms"]
            figs.append(Figure(f"raid_inbound_{q}_ratio_{name}", ratio, "",
                               "<= 2.0" if q == "p99" else "", measured=fan[f"{q}_ms"],
                               baseline=alone[f"{q}_ms"], of="ms",
                               labels=("during fan-out", "without")))
        figs.append(Figure(f"raid_inbound_p99_ms_{name}", fan["p99_ms"], "ms"))
        figs.append(Figure(f"raid_inbound_achieved_per_s_{name}", fan["achieved"],
                           "updates/s"))
        figs.append(Figure(f"raid_inbound_unanswered_{name}",
                           fan["unanswered"] + alone["unanswered"], "", "<= 0"))
        figs.append(Figure(f"raid_bot_cpu_share_fanout_{name}", run["cpu_fanout"], "core",
                           measured=run["cpu_fanout"], baseline=run["cpu_alone"], of="core",
                           labels=("during fan-out", "without")))
        figs.append(Figure(f"raid_bot_peak_rss_mb_{name}", run["peak_rss_mb"], "MB"))
        figs.append(Figure(f"raid_platform_cpu_share_{name}", run["platform_cpu_share"],
                           "core"))
        figs.append(Figure(f"raid_loadavg_start_{name}", run["load_start"], ""))
        figs.append(Figure(f"raid_loadavg_end_{name}", run["load_end"], ""))
    ok = [s["rate"] for s in a["ramp"] if s["p99_ms"] <= 1000 and not s["unanswered"]
          and not s["skipped"]]
    figs.append(Figure("raid_inbound_capacity_per_s", max(ok) if ok else 0.0, "updates/s"))
    for step in a["ramp"]:
        figs.append(Figure(f"raid_ramp_p99_ms_at_{int(step['rate'])}", step["p99_ms"], "ms"))
    return figs


async def run() -> list[Figure]:
    for key, value in kit.bot_env().items():
        os.environ[key] = value
    with tempfile.TemporaryDirectory(prefix="bench-raidnight-") as name:
        tmp = Path(name)
        started = time.monotonic()
        (tmp / "seed").mkdir()
        seeded = await _seed(tmp / "seed")
        seed_s = time.monotonic() - started
        runs = {}
        for case, rate in (("tg30", 30), ("tg1000", 1000)):
            runs[case] = await one_run(case, rate, tmp / "seed", tmp)
            _say(f"{case} done at {time.monotonic() - started:.0f} s")
        enqueue = await _enqueue_and_claim(tmp / "seed")
        keep = os.environ.get("RAIDNIGHT_KEEP")
        if keep:
            shutil.copytree(tmp, keep, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.sqlite*", "*.db*"))
    result = figures(runs, seeded)
    result.append(Figure("raid_enqueue_s_100k", enqueue["enqueue_s"], "s", "<= 0.5"))
    result.append(Figure("raid_first_claim_ms_100k", enqueue["claim_ms"], "ms"))
    result.append(Figure("raid_first_chunk_and_claim_ms", enqueue["chunk_ms"], "ms", "<= 200"))
    result.append(Figure("raid_seed_s", seed_s, "s"))
    result.append(Figure("raid_total_s", time.monotonic() - started, "s", "<= 600"))
    return result
