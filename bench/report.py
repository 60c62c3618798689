"""One performance report: run every benchmark script once, then write BENCHMARKS.md from their figures.

Every figure in the report is read from the JSON a script wrote in this run; a figure a script did not
measure is shown as "not measured", never filled in. Timings are ratios measured within one script's run
(this machine may be shared and noisy); the raw numbers stand beside them.

    uv run python bench/report.py                       # every script in full, then BENCHMARKS.md
    uv run python bench/report.py --quick --out /tmp/B.md   # the smoke versions, for a quick look
    uv run python bench/report.py --from bench/out      # only render, from figures already written
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT_DIR  # noqa: E402
from sections import SECTIONS, fmt, table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# The trees the report compares this one with (commits of this repository): start-up against the server as it
# was before its imports were made lazy, tools/list against it before the collective tools took OpenRouter's
# options.
BASELINE_REV, BEFORE_REV = "292d233", "633e445"
# script, what it measures (its arguments come from the command line of this script)
SCRIPTS = {
    "startup": "spawn to tools/list against the release it replaces, import times",
    "server_overhead": "per-call overhead against direct httpx, 20 concurrent calls",
    "openrouter_features": "tools/list size, OpenRouter features end to end",
    "consensus_accuracy": "accuracy, adversary, calibration, adaptive calls, wall time, early stop",
    "reader_accuracy": "the answer reader on the labelled corpus of replies",
    "benchmark_tool": "the benchmark tool: parallel against sequential, the panel against its best member",
    "collective_tools": "council, debate, refine, cross_validate, ensemble: calls, cost, time",
    "core_hardening": "cancels in a row, hostile streams, big replies, event-loop stalls",
    "load": "100 concurrent mixed calls, memory over 1,000 calls",
}


def run_scripts(out_dir: Path, quick: bool, extra: dict[str, list[str]]) -> dict[str, float]:
    """Each script once, in turn (never two at a time: they would slow each other); seconds each took."""
    took = {}
    for name in SCRIPTS:
        command = [sys.executable, str(ROOT / "bench" / f"{name}.py"), "--out", str(out_dir / f"{name}.json")]
        command += (["--quick"] if quick else []) + extra.get(name, [])
        print(f"== {name}: {' '.join(command[1:])}", flush=True)
        started = time.monotonic()
        done = subprocess.run(command, cwd=ROOT)
        took[name] = round(time.monotonic() - started, 1)
        if done.returncode != 0:
            raise SystemExit(f"bench/{name}.py failed (exit {done.returncode}); the report is not written.")
    return took


def machine() -> dict[str, Any]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor() or "unknown CPU",
    )
    memory = next((line.split()[1] for line in _lines("/proc/meminfo") if line.startswith("MemTotal")), None)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory) / 1024**2, 1) if memory else None,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def load_figures(folder: Path) -> dict[str, dict]:
    found = {}
    for name in SCRIPTS:
        path = folder / f"{name}.json"
        found[name] = json.loads(path.read_text()) if path.exists() else {}
    return found


def render(f: dict[str, dict], *, command: str, when: str, host: dict, took: dict[str, float] | None) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Regenerate with `{command}`. This run: {when}, on {host['cpu']} ({host['cores']} cores, "
        f"{fmt(host['memory_gib'])} GiB), Python {host['python']}, {host['system']}; load average at the end "
        f"{', '.join(str(x) for x in host['loadavg'])}.",
        "",
        "Every figure comes from the JSON a script in `bench/` wrote during this run, against the loopback "
        "OpenRouter simulator (a real HTTP server on 127.0.0.1) and the real server driven by the official MCP "
        "client. Timings are ratios of two measurements taken in the same script run; read the raw seconds "
        "only beside them, since the machine is shared. Accuracies are exact counts on seeded, labelled "
        "question banks and a labelled corpus of replies.",
        "",
    ]
    for title, build in SECTIONS:
        lines += [f"## {title}", "", *build(f)]
    if took:
        lines += ["## Scripts of this run", ""]
        lines += table(
            ["script", "measures", "seconds"], [[f"`bench/{n}.py`", SCRIPTS[n], took.get(n)] for n in SCRIPTS]
        )
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/report.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="run the scripts' smoke versions")
    parser.add_argument("--from", dest="source", type=Path, default=None, help="render from these JSON figures")
    parser.add_argument("--out", type=Path, default=None, help="the report (default BENCHMARKS.md at the root)")
    parser.add_argument("--baseline-rev", default=BASELINE_REV, help="startup: the tree it is measured against")
    parser.add_argument("--before-rev", default=BEFORE_REV, help="openrouter_features: an older tools/list")
    args = parser.parse_args()
    out = args.out or (OUT_DIR / "BENCHMARKS.quick.md" if args.quick else ROOT / "BENCHMARKS.md")
    took = None
    folder = args.source
    if folder is None:
        folder = OUT_DIR / ("report-quick" if args.quick else "report")
        folder.mkdir(parents=True, exist_ok=True)
        extra = {
            "startup": ["--baseline-rev", args.baseline_rev],
            "openrouter_features": ["--before-rev", args.before_rev],
        }
        took = run_scripts(folder, args.quick, extra)
    changed = [("--baseline-rev", args.baseline_rev, BASELINE_REV), ("--before-rev", args.before_rev, BEFORE_REV)]
    command = "uv run python bench/report.py" + "".join(f" {f} {v}" for f, v, default in changed if v != default)
    text = render(load_figures(folder), command=command, when=time.strftime("%Y-%m-%d %H:%M %Z"), host=machine(),
                  took=took)  # fmt: skip
    out.write_text(text)
    print(f"report written to {out}")


if __name__ == "__main__":
    main()
