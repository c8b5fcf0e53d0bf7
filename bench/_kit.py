"""What every benchmark shares: the `Figure` it reports, statistics, process measurements, and
a Compa (or any program) run as a subprocess with its own config and data folder.

A benchmark module `bench/<name>.py` defines `async def run() -> list[Figure]`; `python -m bench`
runs it in a fresh interpreter (so peak memory is its own) and prints and records its figures.
Modules whose name starts with "_" are helpers, not benchmarks.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import resource
import signal
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"  # every server a benchmark starts or talks to is on this machine


@dataclass(frozen=True)
class Figure:
    """One measured number. A comparison also carries what it divides, measured in the same
    run (`measured` ÷ `baseline`, both in `of`), so the printed line shows where it came from."""

    name: str
    value: float
    unit: str
    target: str = ""            # "<= 2.0", ">= 0.95": printed as met or missed
    measured: float | None = None
    baseline: float | None = None
    of: str = ""                # unit of measured and baseline, e.g. "ms/update"
    labels: tuple[str, str] = ("", "")   # what measured and baseline are, e.g. compa, echo

    def met(self) -> bool | None:
        """True/False against the target; None when the figure has none."""
        if not self.target:
            return None
        op, _, number = self.target.partition(" ")
        limit = float(number)
        return self.value <= limit if op == "<=" else self.value >= limit

    def line(self) -> str:
        text = f"{self.name} {fmt(self.value)} {self.unit}"
        if self.measured is not None and self.baseline is not None:
            left, right = self.labels
            text += (f"  ({left} {fmt(self.measured)} ÷ {right} {fmt(self.baseline)}"
                     f" {self.of}, same run)")
        verdict = self.met()
        if verdict is not None:
            text += f"  [target {self.target}: {'met' if verdict else 'MISSED'}]"
        return text

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "unit": self.unit,
                "target": self.target, "measured": self.measured, "baseline": self.baseline,
                "of": self.of, "labels": list(self.labels)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Figure:
        return cls(name=data["name"], value=float(data["value"]), unit=data["unit"],
                   target=data.get("target", ""), measured=data.get("measured"),
                   baseline=data.get("baseline"), of=data.get("of", ""),
                   labels=tuple(data.get("labels") or ("", "")))


def fmt(value: float) -> str:
    if value == 0 or not math.isfinite(value):
        return str(value)
    digits = max(0, 3 - math.floor(math.log10(abs(value))))
    return f"{value:.{min(digits, 4)}f}"


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): a value that was actually observed."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU time of a process (this one by default), from /proc."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


# -- config files --------------------------------------------------------------------------

def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {type(value).__name__}")


def toml(tables: Mapping[str, Mapping[str, Any]], prefix: str = "") -> str:
    """A small TOML writer for nested tables of scalars and lists (the config's shape)."""
    out: list[str] = []
    for name, table in tables.items():
        full = f"{prefix}{name}"
        scalars = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
        if scalars or not prefix:
            out.append(f"[{full}]")
            out.extend(f"{k} = {_toml_value(v)}" for k, v in scalars.items())
            out.append("")
        nested = {k: v for k, v in table.items() if isinstance(v, Mapping)}
        if nested:
            out.append(toml(nested, f"{full}."))
    return "\n".join(out)


def write_config(folder: Path, **tables: Mapping[str, Any]) -> Path:
    """A config.toml in `folder` with the data folder inside it, quiet logs, no console."""
    base: dict[str, dict[str, Any]] = {
        "bot": {"data_dir": str(folder / "data"), "log_level": "WARNING"},
        "channels": {"console": {"enabled": False}},
        # Public channels refuse example resources (bot/placeholders.py); 012 is no NANP
        # exchange, so these can never ring anyone.
        "resources": {"hotline": "(828) 012-3400", "crisis_line": "(828) 012-3401",
                      "legal_aid": "(828) 012-3402",
                      "hotline_hours": {"es": "todos los días, 24 horas",
                                        "en": "every day, 24 hours"}},
    }
    for name, table in tables.items():
        base.setdefault(name, {})
        for key, value in table.items():
            if isinstance(value, Mapping) and isinstance(base[name].get(key), Mapping):
                base[name][key] = {**base[name][key], **value}
            else:
                base[name][key] = value
    path = folder / "config.toml"
    path.write_text(toml(base))
    return path


def compa_command(config: Path, *args: str) -> list[str]:
    """The real CLI (`compa`, the installed console script) with this config."""
    script = Path(sys.executable).parent / "compa"
    head = [str(script)] if script.exists() else [sys.executable, "-m", "bot"]
    return [*head, "--config", str(config), *args]


# -- subprocesses --------------------------------------------------------------------------

@dataclass
class Child:
    process: asyncio.subprocess.Process
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


@contextlib.asynccontextmanager
async def child(argv: Sequence[str], log_path: Path, env: Mapping[str, str] | None = None,
                stdin: int | IO[Any] | None = asyncio.subprocess.DEVNULL,
                stdout: int | IO[Any] | None = None,
                stop_within: float = 10.0) -> AsyncIterator[Child]:
    """A subprocess with stderr in `log_path`; SIGTERM on exit, SIGKILL if it lingers."""
    full_env = {**os.environ, "PTB_TIMEDELTA": "1", **(env or {})}
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *argv, stdin=stdin, stdout=stdout if stdout is not None else log, stderr=log,
            env=full_env, cwd=ROOT)
        proc = Child(process, log_path)
        spy = _profiler(process.pid, log_path.stem)
        profiler = None if spy is None else await asyncio.create_subprocess_exec(
            *spy, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        try:
            yield proc
        finally:
            if profiler is not None:
                # py-spy writes its file when interrupted, as after Ctrl-C.
                with contextlib.suppress(ProcessLookupError):
                    profiler.send_signal(signal.SIGINT)
                await profiler.wait()
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), stop_within)
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
                    await process.wait()


def _profiler(pid: int, name: str) -> list[str] | None:
    """BENCH_PROFILE=folder: py-spy samples each bot process into folder/<name>.txt, as
    collapsed stacks of the thread holding the GIL (speedscope and flamegraph.pl read them;
    so do grep and sort)."""
    folder = os.environ.get("BENCH_PROFILE")
    if not folder:
        return None
    out = Path(folder).resolve() / f"{name}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).parent / "py-spy"
    return [str(spy), "record", "--pid", str(pid), "--rate", "250", "--format", "raw",
            "--nonblocking", "--gil", "--output", str(out)]


class BenchError(RuntimeError):
    """A benchmark could not produce its figures (a hang, a lost reply, a crash)."""
