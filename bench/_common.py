"""Shared helpers for the benchmark scripts: a simulator in its own process, temp dirs, stats, output.

The simulator runs in a child process (multiprocessing, spawn) so that its HTTP server does not share
the GIL with the client being measured; replies are built in the child by a factory named as
``"module:function"`` (a module importable from ``bench/``) and called with plain-data arguments.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"


# -- command line and output -------------------------------------------------------------------------


def parse_args(name: str, description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"bench/{name}.py", description=description)
    parser.add_argument("--quick", action="store_true", help="a fast smoke version (a few seconds)")
    parser.add_argument("--out", type=Path, default=OUT_DIR / f"{name}.json", help="where to write the JSON figures")
    return parser.parse_args()


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    print(f"\nfigures written to {path}")


def machine() -> dict:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "loadavg_1m": round(load[0], 2) if load else None,
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain fixed-width table on stdout."""
    cells = [[str(h) for h in header]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    line = "  ".join("-" * w for w in widths)
    for i, row in enumerate(cells):
        print("  ".join(c.rjust(w) if j else c.ljust(w) for j, (c, w) in enumerate(zip(row, widths, strict=True))))
        if i == 0:
            print(line)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


# -- statistics ----------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[rank - 1])


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


# -- temp folders and server environment -----------------------------------------------------------------


@contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=f"orcollective-bench-{prefix}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def server_env(base_url: str, api_key: str, workdir: Path, **extra: str) -> dict[str, str]:
    """Environment for ``orcollective serve``: the simulator, and folders inside ``workdir``."""
    env = {
        "OPENROUTER_API_KEY": api_key,
        "OPENROUTER_BASE_URL": base_url,
        "ORCOLLECTIVE_CACHE_DIR": str(workdir / "cache"),
        "ORCOLLECTIVE_DATA_DIR": str(workdir / "data"),
        "ORCOLLECTIVE_OUTPUT_DIR": str(workdir / "output"),
        "ORCOLLECTIVE_LOG_LEVEL": "ERROR",
    }
    env.update(extra)
    return env


def settings_for(base_url: str, api_key: str, workdir: Path, **extra: Any):
    """In-process Settings pointing at the simulator, with folders inside ``workdir``."""
    from orcollective.settings import Settings

    return Settings(
        api_key=api_key,
        base_url=base_url,
        cache_dir=workdir / "cache",
        data_dir=workdir / "data",
        log_level="ERROR",
        **extra,
    )


# -- the simulator in a child process ------------------------------------------------------------------


def plain_scripts(specs: list[dict]) -> list:
    """Factory for ``SimProcess``: one ScriptedModel per dict of plain keyword arguments."""
    from orcollective.simulator import ScriptedModel

    return [ScriptedModel(**spec) for spec in specs]


def _serve_simulator(factory: str, args: tuple, sim_kwargs: dict, conn) -> None:
    from orcollective.simulator import Simulator

    module, function = factory.split(":")
    scripts = getattr(importlib.import_module(module), function)(*args)
    with Simulator(scripts, **sim_kwargs) as sim:
        conn.send((sim.base_url, sim.api_key))
        while True:
            try:
                command, cmd_args = conn.recv()
            except (EOFError, KeyboardInterrupt):
                return
            if command == "stop":
                conn.send(None)
                return
            if command == "calls":
                conn.send(sim.calls(*cmd_args))
            elif command == "reset":
                sim.reset()
                conn.send(None)
            else:  # a property: cancelled, max_concurrency, spent_usd
                conn.send(getattr(sim, command))


class SimProcess:
    """``orcollective.simulator.Simulator`` running in a spawned child process, on 127.0.0.1."""

    def __init__(self, factory: str, *args: Any, **sim_kwargs: Any) -> None:
        self.factory, self.args, self.sim_kwargs = factory, args, sim_kwargs
        self.base_url = ""
        self.api_key = ""
        self._process = None
        self._conn = None

    def __enter__(self) -> SimProcess:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self._process = ctx.Process(
            target=_serve_simulator, args=(self.factory, self.args, self.sim_kwargs, child), daemon=True
        )
        self._process.start()
        self._conn = parent
        if not parent.poll(60):
            self._process.terminate()
            raise RuntimeError("the simulator process did not start within 60 s")
        self.base_url, self.api_key = parent.recv()
        return self

    def _ask(self, command: str, *args: Any) -> Any:
        self._conn.send((command, args))
        return self._conn.recv()

    def calls(self, model: str | None = None) -> int:
        return self._ask("calls", model)

    def reset(self) -> None:
        self._ask("reset")

    @property
    def cancelled(self) -> int:
        return self._ask("cancelled")

    @property
    def max_concurrency(self) -> int:
        return self._ask("max_concurrency")

    @property
    def in_flight(self) -> int:
        return self._ask("in_flight")

    def __exit__(self, *exc: object) -> None:
        try:
            self._ask("stop")
        except (OSError, EOFError):
            pass
        self._process.join(10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
