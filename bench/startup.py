"""`compa run` from the command line to the first answer, as an operator restarts it.

Ready means the first answer has arrived: by then the config is read, the keys loaded, the
database opened and its migrations checked, the catalogs compiled, the content loaded and the
channel started. Figures (median of RUNS starts, after one first start that created the keys
and the database):

- startup_s: Telegram long polling against the fake Bot API (getMe, deleteWebhook, the first
  getUpdates): a message waits at the fake before the process starts, and the clock stops
  when the answer reaches the fake (target ≤ 1.5 s);
- startup_console_s: the console channel, a line piped on a stdin kept open, until the
  answer's first line comes out;
- startup_first_s: the very first start (keys created, database created and migrated).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench._kit import BenchError, Figure, child, compa_command, median, write_config
from compa_testkit.fakes.telegram_api import TOKEN, FakeTelegram

TIME_LIMIT = 90
RUNS = 7
ANSWER_TIMEOUT = 20.0


async def telegram_start(folder: Path, fake: FakeTelegram, config: Path, chat: int) -> float:
    """Seconds from spawning `compa run` to its answer to a waiting /start reaching the fake."""
    fake._updates.clear()
    await fake.push(fake.update(message=fake.message(chat, "/start")))
    answered = asyncio.Event()

    def arrived(sent: object) -> None:
        if getattr(sent, "chat_id", None) == str(chat):
            answered.set()

    fake.on_sent.append(arrived)
    started = time.perf_counter()
    try:
        async with child(compa_command(config, "run", "--quiet"), folder / "telegram.log",
                         env={"TELEGRAM_BOT_TOKEN": TOKEN}) as proc:
            try:
                await asyncio.wait_for(answered.wait(), ANSWER_TIMEOUT)
            except TimeoutError:
                raise BenchError(f"no answer from compa run:\n{proc.log_tail()}") from None
            return time.perf_counter() - started
    finally:
        fake.on_sent.remove(arrived)


async def console_start(folder: Path, config: Path) -> float:
    """Seconds from spawning `compa run` (console) to the first line of its answer."""
    started = time.perf_counter()
    async with child(compa_command(config, "run", "--quiet"), folder / "console.log",
                     stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE) as proc:
        stdin, stdout = proc.process.stdin, proc.process.stdout
        assert stdin is not None and stdout is not None
        stdin.write(b"hola\n")
        await stdin.drain()
        try:
            line = await asyncio.wait_for(stdout.readline(), ANSWER_TIMEOUT)
        except TimeoutError:
            raise BenchError(f"no answer from compa run:\n{proc.log_tail()}") from None
        elapsed = time.perf_counter() - started
        if not line.strip():
            raise BenchError(f"compa run answered nothing:\n{proc.log_tail()}")
        stdin.close()  # end of input: the console, the only channel, ends the process
        await asyncio.wait_for(proc.process.wait(), ANSWER_TIMEOUT)
        return elapsed


async def run() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        folder = Path(tmp)
        async with FakeTelegram() as fake:
            tg_dir = folder / "telegram"
            tg_dir.mkdir()
            tg_config = write_config(tg_dir, channels={"telegram": {
                "enabled": True, "api_base_url": fake.url, "mode": "polling"}})
            first = await telegram_start(tg_dir, fake, tg_config, 9_000_000)
            telegram = [await telegram_start(tg_dir, fake, tg_config, 9_000_001 + i)
                        for i in range(RUNS)]
        console_dir = folder / "console"
        console_dir.mkdir()
        console_config = write_config(console_dir, channels={"console": {"enabled": True}})
        await console_start(console_dir, console_config)
        console = [await console_start(console_dir, console_config) for _ in range(RUNS)]
    return [
        Figure("startup_s", median(telegram), "s", target="<= 1.5"),
        Figure("startup_console_s", median(console), "s"),
        Figure("startup_first_s", first, "s"),
    ]
