"""Start-up: spawn ``python -m orcollective serve`` (stdio) to ``tools/list`` answered, against the release
it replaces, a bare MCP SDK server and ``python -c pass``; and what this tree imports on the way.

Each row is a fresh process that gets ``initialize``, ``notifications/initialized`` and ``tools/list`` as
JSON-RPC lines on stdin; its time runs from the spawn to the ``tools/list`` reply read back. The rows take
turns (the order rotates every round), so a busy moment of a shared machine falls on all of them; the
figure is the median of each row's spawns, and the ratios are of those medians. Beside the wall time
stands the CPU time the process had used when its tools/list reply was read (``/proc``, Linux), which
other work on a shared machine disturbs less.

- ``current``: this tree's ``src``; ``baseline``: another tree's ``src`` (``--baseline-src DIR``, or
  ``--baseline-rev REV`` to export ``src`` of a commit of this repository with ``git archive``), both run
  by this venv's Python with ``PYTHONPATH`` set to that ``src``.
- ``bare``: the MCP SDK's ``MCPServer`` with ``httpx`` imported and one trivial tool, over stdio.
- ``python``: ``python -c pass``.

The main figures run with a warm bytecode cache (compiled once into a temporary ``PYTHONPYCACHEPREFIX``
before timing), as an installed package starts after its first run; the full run also times every row
without bytecode (``no_bytecode``: every module compiled from source, as on a first start). Then one
start of each server under ``python -X importtime`` gives the largest cumulative imports of this tree
and which heavy packages each server loads (start-up, tools/list, exit at the end of its input).

    uv run python bench/startup.py [--quick] [--out PATH] [--baseline-src DIR | --baseline-rev REV]
"""

from __future__ import annotations

import argparse
import json
import os
import select
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path

from _common import OUT_DIR, REPO_ROOT, machine, median, ms, ratio, server_env, table, temp_dir, write_json

NAME = "startup"
GOAL = 0.7  # current / baseline
REPLY_TIMEOUT_S = 120
PROTOCOL = "2025-06-18"
# Packages that have no business loading before a stdio server answers tools/list.
HEAVY = (
    "PIL", "matplotlib", "rich", "typer", "tomlkit", "diskcache", "jsonschema", "tenacity", "pygments",
    "click", "uvicorn", "starlette", "sse_starlette",
)  # fmt: skip
BARE_SERVER = """
import httpx  # noqa: F401  (what a server that calls an HTTP API imports)
from mcp.server.mcpserver import MCPServer

server = MCPServer("bare")


@server.tool()
def echo(text: str) -> str:
    \"\"\"Echo the text.\"\"\"
    return text


server.run("stdio")
"""


def messages() -> tuple[bytes, bytes]:
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
    }
    then = [
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    return (json.dumps(initialize) + "\n").encode(), "".join(json.dumps(m) + "\n" for m in then).encode()


class Reader:
    """Lines from a child's stdout, each within a deadline (a server that never answers fails the run)."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc, self.buffer = proc, b""

    def line(self, deadline: float) -> bytes:
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            left = deadline - time.perf_counter()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise RuntimeError(f"no reply within {REPLY_TIMEOUT_S} s from {self.proc.args}")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError(f"{self.proc.args} exited before replying (exit {self.proc.wait()})")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line


TICK_S = 1 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01


def cpu_so_far(pid: int) -> float | None:
    """CPU seconds (user + system, every thread) process ``pid`` has used so far; None off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) * TICK_S  # utime, stime: fields 14 and 15 of stat(5)


def spawn(command: Sequence[str], env: dict[str, str], stderr_to: Path | None = None) -> dict:
    """One start: seconds to the initialize reply and to the tools/list reply, the tools listed, and the
    CPU seconds the process had used when the tools/list reply was read (clock ticks, 10 ms apart)."""
    if command[-1] == "pass":  # python -c pass: no protocol, only the process
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        took = time.perf_counter() - started
        return {"initialize_s": None, "tools_list_s": took, "tools": None, "cpu_s": None}
    initialize, then = messages()
    with open(stderr_to or os.devnull, "wb") as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
        try:
            reader, deadline = Reader(proc), started + REPLY_TIMEOUT_S
            proc.stdin.write(initialize)
            proc.stdin.flush()
            reader.line(deadline)
            initialized = time.perf_counter()
            proc.stdin.write(then)
            proc.stdin.flush()
            reply = reader.line(deadline)
            listed = time.perf_counter()
            cpu = cpu_so_far(proc.pid)
            proc.stdin.close()  # EOF: the server ends its session and exits
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    tools = json.loads(reply).get("result", {}).get("tools")
    if not tools:
        raise RuntimeError(f"{command} answered tools/list without tools: {reply[:300]!r}")
    return {
        "initialize_s": initialized - started,
        "tools_list_s": listed - started,
        "tools": len(tools),
        "cpu_s": cpu,
    }


def rows(baseline_src: Path | None, script: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Row name -> (command, environment additions)."""
    serve = [sys.executable, "-m", "orcollective", "serve"]
    found = {
        "current": (serve, {"PYTHONPATH": str(REPO_ROOT / "src")}),
        "baseline": (serve, {"PYTHONPATH": str(baseline_src)}) if baseline_src else None,
        "bare": ([sys.executable, str(script)], {}),
        "python": ([sys.executable, "-c", "pass"], {}),
    }
    return {name: row for name, row in found.items() if row is not None}


def interleaved(commands: dict, base_env: dict[str, str], n: int) -> dict[str, dict]:
    """One warm-up start per row, then ``n`` rounds of one start per row, the order rotating each round."""
    names = list(commands)
    for name in names:
        command, extra = commands[name]
        spawn(command, {**base_env, **extra})
    samples: dict[str, list[dict]] = {name: [] for name in names}
    for i in range(n):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            command, extra = commands[name]
            samples[name].append(spawn(command, {**base_env, **extra}))
    out = {}
    for name, runs in samples.items():
        totals = [r["tools_list_s"] for r in runs]
        inits = [r["initialize_s"] for r in runs if r["initialize_s"] is not None]
        out[name] = {
            "median_s": round(median(totals), 3),
            "min_s": round(min(totals), 3),
            "max_s": round(max(totals), 3),
            "initialize_median_s": round(median(inits), 3) if inits else None,
            "cpu_median_s": round(median(cpus), 3)
            if (cpus := [r["cpu_s"] for r in runs if r["cpu_s"] is not None])
            else None,
            "samples_s": [round(t, 3) for t in totals],
            "tools": runs[0]["tools"],
        }
    return out


def ratios(found: dict[str, dict], key: str = "median_s") -> dict[str, float | None]:
    def of(name: str) -> float | None:
        return (found.get(name) or {}).get(key)

    current, baseline, bare, python = of("current"), of("baseline"), of("bare"), of("python")
    return {
        "current_to_baseline": ratio(current, baseline) if current and baseline else None,
        "bare_to_baseline": ratio(bare, baseline) if bare and baseline else None,
        "current_to_bare": ratio(current, bare) if current and bare else None,
        "python_to_baseline": ratio(python, baseline) if python and baseline else None,
        # The time a server takes beyond a bare SDK server: this tree's, over the baseline's.
        "above_bare_current_to_baseline": (
            ratio(current - bare, baseline - bare) if current and baseline and bare and baseline > bare else None
        ),
    }


# -- python -X importtime ----------------------------------------------------------------------------------


def parse_importtime(text: str) -> list[dict]:
    """``import time: self [us] | cumulative | imported package`` lines -> dicts, in the order printed."""
    found = []
    for line in text.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|", 2)
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        found.append(
            {"module": name.strip(), "cumulative_ms": ms(int(cumulative_us) / 1e6), "self_ms": ms(int(self_us) / 1e6),
             "depth": depth}
        )  # fmt: skip
    return found


def importtime(commands: dict, base_env: dict[str, str], workdir: Path) -> dict[str, list[dict]]:
    """One start of each server under ``-X importtime`` (bytecode warm); its import lines."""
    found = {}
    for name in ("current", "baseline", "bare"):
        if name not in commands:
            continue
        command, extra = commands[name]
        log = workdir / f"importtime-{name}.txt"
        spawn([command[0], "-X", "importtime", *command[1:]], {**base_env, **extra}, stderr_to=log)
        found[name] = parse_importtime(log.read_text(errors="replace"))
    return found


def top(lines: list[dict], key: str, n: int = 10) -> list[dict]:
    """The ``n`` largest by ``key``, each module once (a package re-entered by a submodule's import is
    printed twice by ``-X importtime``)."""
    largest: dict[str, dict] = {}
    for line in lines:
        if line["module"] not in largest or line[key] > largest[line["module"]][key]:
            largest[line["module"]] = line
    return sorted(largest.values(), key=lambda i: -i[key])[:n]


def heavy_modules(imports: dict[str, list[dict]]) -> dict[str, dict[str, bool]]:
    loaded = {name: {i["module"] for i in lines} for name, lines in imports.items()}
    return {module: {name: module in mods for name, mods in loaded.items()} for module in HEAVY}


# -- baseline tree -----------------------------------------------------------------------------------------


def export_src(rev: str, into: Path) -> Path:
    """``src`` of commit ``rev`` of this repository, written under ``into`` (read-only on the repository)."""
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", rev, "src"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


# -- report ------------------------------------------------------------------------------------------------


LABELS = {
    "current": "this tree",
    "baseline": "baseline (the release it replaces)",
    "bare": "bare MCP SDK server + httpx",
    "python": "`python -c pass`",
}


def report(figures: dict) -> None:
    sections = [("warm bytecode", figures)]
    if figures.get("no_bytecode"):
        sections.append(("no bytecode", figures["no_bytecode"]))
    for title, part in sections:
        base = part["baseline"]["median_s"] if part.get("baseline") else None
        table(
            f"spawn -> initialize -> tools/list answered ({title}); median of {part['n']} interleaved starts each",
            ["server", "median s", "min s", "initialize s", "tools", "/ baseline", "CPU s", "CPU / baseline"],
            [
                [LABELS[name], row["median_s"], row["min_s"], row["initialize_median_s"], row["tools"],
                 ratio(row["median_s"], base) if base else None, row["cpu_median_s"],
                 ratio(row["cpu_median_s"], part["baseline"]["cpu_median_s"]) if base and row["cpu_median_s"] else None]
                for name in LABELS if (row := part.get(name))
            ],
        )  # fmt: skip
        for what, r in (("wall", part["ratios"]), ("CPU", part["cpu_ratios"])):
            print(
                f"   {what}: current/baseline {r['current_to_baseline']} (goal <= {GOAL}), "
                f"bare/baseline {r['bare_to_baseline']}, current/bare {r['current_to_bare']}; "
                f"time beyond a bare server, current/baseline {r['above_bare_current_to_baseline']}"
            )
    if figures["baseline_note"]:
        print(f"   {figures['baseline_note']}")
    table(
        "largest cumulative imports of this tree's start-up (python -X importtime, warm bytecode)",
        ["module", "cumulative ms", "self ms"],
        [[i["module"], i["cumulative_ms"], i["self_ms"]] for i in figures["importtime_top"]],
    )
    table(
        "this package's modules with the most import time of their own (self ms: excluding what they import)",
        ["module", "self ms", "cumulative ms"],
        [[i["module"], i["self_ms"], i["cumulative_ms"]] for i in figures["importtime_top_own_self"]],
    )
    servers = list(figures["importtime_total_ms"])
    table(
        "heavy packages each server loads (start-up, tools/list, exit)",
        ["package", *servers],
        [[module, *("yes" if seen[s] else "-" for s in servers)] for module, seen in figures["heavy_modules"].items()],
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog=f"bench/{NAME}.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke version (a few seconds)")
    parser.add_argument("--out", type=Path, default=OUT_DIR / f"{NAME}.json", help="where to write the JSON figures")
    parser.add_argument("--baseline-src", type=Path, default=None, help="the baseline tree's src folder")
    parser.add_argument("--baseline-rev", default=None, help="or a commit of this repository to take src from")
    parser.add_argument("--n", type=int, default=None, help="starts per row (default 9, --quick 1)")
    args = parser.parse_args()
    n = args.n or (1 if args.quick else 9)
    started = time.perf_counter()
    with temp_dir(NAME) as workdir:
        baseline_src = args.baseline_src
        if baseline_src is None and args.baseline_rev:
            baseline_src = export_src(args.baseline_rev, workdir / "baseline")
        script = workdir / "bare_server.py"
        script.write_text(BARE_SERVER)
        inherited = {
            k: v for k, v in os.environ.items() if not k.startswith(("OPENROUTER_", "ORCOLLECTIVE_", "PYTHON"))
        }
        # No upstream is contacted before tools/list; the base URL is a closed loopback port all the same.
        serving = {**inherited, **server_env("http://127.0.0.1:9/api/v1", "bench-key", workdir / "server")}
        warm = {**serving, "PYTHONPYCACHEPREFIX": str(workdir / "pycache")}
        commands = rows(baseline_src, script)
        figures: dict = {"script": NAME, "quick": args.quick, "machine": machine(), "n": n}
        figures.update({"baseline": None, **interleaved(commands, warm, n)})
        figures["ratios"] = ratios(figures)
        figures["cpu_ratios"] = ratios(figures, "cpu_median_s")
        figures["goal_current_to_baseline"] = GOAL
        current_to_baseline = figures["ratios"]["current_to_baseline"]
        figures["within_goal"] = current_to_baseline <= GOAL if current_to_baseline is not None else None
        figures["baseline_src"] = str(args.baseline_rev or baseline_src) if baseline_src else None
        figures["baseline_note"] = (
            None if baseline_src else "no baseline row: pass --baseline-src DIR or --baseline-rev REV to time one"
        )
        if not args.quick:
            cold = {**serving, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": tempfile.mkdtemp(dir=workdir)}
            part = interleaved(commands, cold, max(3, n // 2))
            figures["no_bytecode"] = {
                "n": max(3, n // 2),
                **part,
                "ratios": ratios(part),
                "cpu_ratios": ratios(part, "cpu_median_s"),
            }
        imports = importtime(commands, warm, workdir)
        figures["importtime_top"] = top(imports["current"], "cumulative_ms")
        figures["importtime_top_own_self"] = top(
            [i for i in imports["current"] if i["module"].startswith("orcollective")], "self_ms"
        )
        figures["importtime_total_ms"] = {
            name: round(sum(i["cumulative_ms"] for i in lines if i["depth"] == 0), 1) for name, lines in imports.items()
        }
        figures["heavy_modules"] = heavy_modules(imports)
    figures["elapsed_s"] = round(time.perf_counter() - started, 1)
    print(f"orcollective {NAME}: {'quick smoke run' if args.quick else 'full run'}; {figures['elapsed_s']} s")
    report(figures)
    write_json(args.out, figures)


if __name__ == "__main__":
    main()
