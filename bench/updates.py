"""Menu traffic through the whole Telegram stack, and the same traffic to a bare PTB echo bot.

500 people visit at once, 10 interactions each (5,000 updates): /start, a language, presses
through the Know Your Rights topics and their pages, "menu", a greeting. The fake Bot API and
the people run here; `compa run --polling` (the real CLI, its SQLite database, real long
polling) runs in a subprocess, and so does the echo bot, one after the other against the same
fake server. Figures:

- updates_per_s: updates answered per second during the burst;
- update_p50_ms / update_p99_ms: from an update queued at the fake to its answer arriving
  there, during the burst (500 people in flight: by Little's law about 500 ÷ updates_per_s);
- update_alone_p50_ms: the same, one person at a time (the cost of one turn, no queueing);
- echo_ratio: Compa's time per update ÷ the echo bot's, same fake, same run (target ≤ 2.0);
- compa_cpu_ms_per_update, echo_cpu_ms_per_update: the bot process's CPU time per update.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from bench._kit import (
    BenchError,
    Child,
    Figure,
    child,
    compa_command,
    cpu_seconds,
    percentile,
    write_config,
)
from bench._telegram import (
    INTERACTIONS_PER_VISIT,
    Crowd,
    EchoPerson,
    Person,
    Visitor,
    crowd_visits,
    one_by_one,
    wait_polling,
)
from compa_testkit.fakes.telegram_api import TOKEN, FakeTelegram

TIME_LIMIT = 180
PEOPLE = 500
WARMUP_PEOPLE = 20
ALONE_PEOPLE = 20
SEED = 8


@dataclass
class Measured:
    seconds: float          # wall time of the burst
    updates: int
    bot_cpu: float          # the bot process's CPU seconds during the burst
    fake_cpu: float         # this process's (fake server and people) during the burst
    latencies: list[float]
    alone: list[float]

    @property
    def ms_per_update(self) -> float:
        return self.seconds / self.updates * 1000


async def _alive(proc: Child) -> bool:
    return proc.process.returncode is None


async def measure(fake: FakeTelegram, proc: Child, make: Visitor, first_id: int) -> Measured:
    await wait_polling(fake, lambda: _alive(proc))
    crowd = Crowd(fake)
    try:
        await one_by_one(crowd, make, first_id, WARMUP_PEOPLE, SEED)
        crowd.latencies.clear()
        bot_before, fake_before = proc.cpu_seconds(), cpu_seconds()
        seconds = await crowd_visits(crowd, make, first_id + 10_000, PEOPLE, SEED)
        bot_cpu, fake_cpu = proc.cpu_seconds() - bot_before, cpu_seconds() - fake_before
        burst = list(crowd.latencies)
        crowd.latencies.clear()
        await one_by_one(crowd, make, first_id + 20_000, ALONE_PEOPLE, SEED)
    except BenchError as exc:
        raise BenchError(f"{exc}\n--- bot log ---\n{proc.log_tail()}") from None
    finally:
        crowd.close()
    if crowd.unexpected:
        raise BenchError(f"{crowd.unexpected} answers nobody was waiting for")
    updates = PEOPLE * INTERACTIONS_PER_VISIT
    if len(burst) != updates:
        raise BenchError(f"{len(burst)} answers for {updates} updates")
    return Measured(seconds, updates, bot_cpu, fake_cpu, burst, list(crowd.latencies))


def check_log(proc: Child, name: str) -> None:
    """A benchmark that hid errors would measure the wrong thing."""
    text = proc.log_path.read_text(errors="replace")
    for marker in ("Traceback", " ERROR ", "database is locked"):
        if marker in text:
            raise BenchError(f"{name} logged {marker.strip()!r}:\n{proc.log_tail()}")


@contextlib.asynccontextmanager
async def compa(folder: Path, fake: FakeTelegram) -> AsyncIterator[Child]:
    config = write_config(folder, channels={"telegram": {
        "enabled": True, "api_base_url": fake.url, "mode": "polling"}})
    async with child(compa_command(config, "run", "--quiet"), folder / "compa.log",
                     env={"TELEGRAM_BOT_TOKEN": TOKEN}) as proc:
        yield proc
    check_log(proc, "compa")


@contextlib.asynccontextmanager
async def echo(folder: Path, fake: FakeTelegram) -> AsyncIterator[Child]:
    import sys

    async with child([sys.executable, "-m", "bench._echo_bot", fake.url], folder / "echo.log",
                     env={"TELEGRAM_BOT_TOKEN": TOKEN}) as proc:
        yield proc
    check_log(proc, "echo bot")


async def run() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-updates-") as tmp:
        folder = Path(tmp)
        async with FakeTelegram() as fake:
            async with echo(folder, fake) as proc:
                base = await measure(fake, proc, EchoPerson, 1_000_000)
            # Everything the echo bot was sent has been answered; start Compa on a clean queue.
            fake._updates.clear()
            fake.calls.clear()
            async with compa(folder, fake) as proc:
                ours = await measure(fake, proc, Person, 2_000_000)
    return figures(ours, base)


def figures(ours: Measured, base: Measured) -> list[Figure]:
    ms: Callable[[float], float] = lambda s: s * 1000  # noqa: E731
    return [
        Figure("updates_per_s", ours.updates / ours.seconds, "updates/s"),
        Figure("update_p50_ms", ms(percentile(ours.latencies, 50)), "ms"),
        Figure("update_p99_ms", ms(percentile(ours.latencies, 99)), "ms"),
        Figure("update_alone_p50_ms", ms(percentile(ours.alone, 50)), "ms"),
        Figure("echo_ratio", ours.ms_per_update / base.ms_per_update, "x", target="<= 2.0",
               measured=ours.ms_per_update, baseline=base.ms_per_update, of="ms/update",
               labels=("compa", "echo bot")),
        Figure("echo_updates_per_s", base.updates / base.seconds, "updates/s"),
        Figure("compa_cpu_ms_per_update", ms(ours.bot_cpu) / ours.updates, "ms"),
        Figure("echo_cpu_ms_per_update", ms(base.bot_cpu) / base.updates, "ms"),
        # How busy the fake server (and the simulated people) was: near 1.0 it was the limit.
        Figure("fake_cpu_share_compa", ours.fake_cpu / ours.seconds, "of a core"),
        Figure("fake_cpu_share_echo", base.fake_cpu / base.seconds, "of a core"),
    ]
