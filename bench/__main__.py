"""`python -m bench [name …]`: runs the benchmarks in bench/ (all, or the ones named), prints one
line per figure and merges the figures into bench/results.json.

Each benchmark runs in a fresh interpreter (`python -m bench --child NAME OUT`), one after the
other, so none inherits another's memory or warm caches and a peak-memory figure is its own.
A benchmark that runs past its `TIME_LIMIT` (seconds, default 120) is stopped and reported as
failed; the exit status is 1 when any benchmark failed. A missed target is printed as MISSED
but is not a failure: the figure is still the truth to record.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import pkgutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._kit import ROOT, Figure

RESULTS = ROOT / "bench" / "results.json"
DEFAULT_TIME_LIMIT = 120.0


def available() -> list[str]:
    """Every module in bench/ that is not a helper ("_name"), in name order."""
    folder = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(folder)])
                  if not m.name.startswith("_"))


def time_limit(name: str) -> float:
    module = importlib.import_module(f"bench.{name}")
    return float(getattr(module, "TIME_LIMIT", DEFAULT_TIME_LIMIT))


def run_child(name: str, out: Path) -> int:
    """Inside the child: run one benchmark and write its figures as JSON."""
    module = importlib.import_module(f"bench.{name}")
    figures: list[Figure] = asyncio.run(module.run())
    out.write_text(json.dumps([f.to_json() for f in figures]))
    return 0


def run_one(name: str) -> list[Figure] | None:
    """In the parent: one benchmark in its own interpreter; None when it failed."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        out = Path(tmp) / "figures.json"
        started = time.monotonic()
        try:
            done = subprocess.run([sys.executable, "-m", "bench", "--child", name, str(out)],
                                  cwd=ROOT, timeout=time_limit(name), check=False,
                                  env={**os.environ, "PYTHONHASHSEED": "0"})
        except subprocess.TimeoutExpired:
            print(f"{name}: FAILED (ran past {time_limit(name):.0f} s)", flush=True)
            return None
        elapsed = time.monotonic() - started
        if done.returncode != 0 or not out.exists():
            print(f"{name}: FAILED (exit status {done.returncode})", flush=True)
            return None
        figures = [Figure.from_json(item) for item in json.loads(out.read_text())]
    print(f"# {name}: {elapsed:.1f} s", flush=True)
    return figures


def merge_results(figures: list[Figure], path: Path = RESULTS) -> dict[str, float]:
    """Adds these figures to the results file, keeping every other benchmark's keys."""
    results: dict[str, Any] = {}
    if path.exists():
        try:
            results = json.loads(path.read_text())
        except ValueError:
            results = {}
    results = {k: v for k, v in results.items() if isinstance(v, int | float)}
    results.update({f.name: f.value for f in figures})
    path.write_text(json.dumps(dict(sorted(results.items())), indent=2) + "\n")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of "
                                                 f"{', '.join(available())})")
    parser.add_argument("--list", action="store_true", help="list the benchmarks")
    parser.add_argument("--child", nargs=2, metavar=("NAME", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return run_child(args.child[0], Path(args.child[1]))
    if args.list:
        print("\n".join(available()))
        return 0
    names = args.names or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)} (have: {', '.join(available())})")
    failed = []
    for name in names:
        figures = run_one(name)
        if figures is None:
            failed.append(name)
            continue
        for figure in figures:
            print(figure.line(), flush=True)
        merge_results(figures)
    print(f"# results: {RESULTS.relative_to(ROOT)}")
    if failed:
        print(f"# failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
