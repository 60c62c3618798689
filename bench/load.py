"""Load on one server: 100 concurrent mixed tool calls vs the slowest single call of the mix plus the queueing
under the concurrency limit; the server's resident memory after the first 100 and after 1,000 sequential calls.

The server is ``python -m orcollective serve`` over stdio (the official MCP client, one session) and the
simulator runs in its own process. The mix is chat, consensus, collaborate (council and debate),
cross_validate, ensemble_reasoning, free_chat, list_models, model_info and select_model, on a cooperative
4-model panel (``collective_tools.member``).

The bound the 100 calls must meet, from figures of the same run:

    bound = 1.5 * slowest_single_s + (ceil(upstream_requests / concurrency_limit) - 1) * mean_upstream_latency_s

``slowest_single_s`` is the median wall time of the slowest kind of call of the mix, asked alone;
``upstream_requests`` the chat requests the simulator received during the 100 calls; ``concurrency_limit``
the server's ``ORCOLLECTIVE_MAX_CONCURRENCY`` (requests in flight at once); ``mean_upstream_latency_s`` the
scripted latency of those requests on average. The second term is the queueing: the waves of requests that
have to wait for a slot, each as long as an average request.

Memory is the server process's VmRSS (``/proc/<pid>/status``), read after each block of sequential calls of
the same mix on a zero-latency copy of the panel.

    uv run python bench/load.py [--quick] [--out PATH]
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from pathlib import Path
from typing import Any

from _common import SimProcess, machine, median, parse_args, ratio, server_env, table, temp_dir, write_json
from mcp import Client

from orcollective.cli.doctor import server_params

NAME = "load"
GOAL_RATIO = 1.5
MEMORY_GOAL_MB = 50.0
LIMIT = 16  # the server's default concurrency limit, stated explicitly
TIMED = {"t/alpha": 0.2, "t/bravo": 0.3, "t/charlie": 0.4, "t/delta": 0.5}
QUICK_TIMED = {"t/alpha": 0.05, "t/bravo": 0.08, "t/charlie": 0.1, "t/delta": 0.12}
ZERO = ["z/alpha", "z/bravo", "z/charlie", "z/delta"]
MC = "Which gas do plants absorb?\nA) Oxygen\nB) Carbon dioxide\nC) Nitrogen\nD) Helium"


def scripts(latencies: dict[str, float]) -> list:
    """Factory for ``SimProcess``: the timed panel with ``latencies`` and a zero-latency copy of it."""
    from collective_tools import member

    seen = {"rankings": 0, "saw_own": 0, "saw_name": 0}
    timed = [member(model, latency, seen) for model, latency in latencies.items()]
    return timed + [member(model, 0.0, seen) for model in ZERO]


def mix(panel: list[str]) -> dict[str, tuple[str, dict]]:
    """The kinds of call of the mix, by name: (tool, arguments)."""
    three = panel[:3]
    return {
        "chat fast": ("chat", {"model": panel[0], "prompt": "Say hello."}),
        "chat slow": ("chat", {"model": panel[3], "prompt": "Say hello."}),
        "consensus": ("consensus", {"prompt": MC, "models": three, "early_stop": False}),
        "consensus early stop": ("consensus", {"prompt": MC, "models": panel}),
        "council": ("collaborate", {"prompt": "Explain entropy.", "mode": "council", "models": three}),
        "debate": ("collaborate", {"prompt": MC, "mode": "debate", "models": three, "rounds": 1}),
        "cross_validate": ("cross_validate", {"content": "def add(a, b):\n    return a - b\n", "reviewers": three}),
        "ensemble_reasoning": ("ensemble_reasoning", {"problem": "Legs of 3 spiders and 2 ants?", "models": three}),
        "free_chat": ("free_chat", {"prompt": "Say hello."}),
        "list_models": ("list_models", {"query": "gpt", "limit": 5}),
        "model_info": ("model_info", {"model": "openai/gpt-4o-mini"}),
        "select_model": ("select_model", {"task": "cheap summaries", "count": 2}),
    }


# -- the server process -----------------------------------------------------------------------------------


def server_pid() -> int:
    """The pid of the ``orcollective serve`` child of this process (the stdio client spawned it)."""
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == me and b"orcollective" in command and b"serve" in command:
            return int(entry.name)
    raise RuntimeError("no `orcollective serve` child process found")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS for process {pid}")


async def call(client: Client, tool: str, arguments: dict) -> bool:
    """One tool call; True when it succeeded."""
    result = await client.call_tool(tool, arguments)
    return not result.is_error


# -- 1. memory over sequential calls ---------------------------------------------------------------------


async def memory(client: Client, pid: int, checkpoints: list[int]) -> dict:
    calls = list(mix(ZERO).values())
    samples, failed, done = [], 0, 0
    started = time.perf_counter()
    for checkpoint in checkpoints:
        while done < checkpoint:
            tool, arguments = calls[done % len(calls)]
            failed += not await call(client, tool, arguments)
            done += 1
        samples.append({"calls": done, "rss_mb": rss_mb(pid), "elapsed_s": round(time.perf_counter() - started, 1)})
    first, last = samples[0], samples[-1]
    growth = round(last["rss_mb"] - first["rss_mb"], 1)
    at = {sample["calls"]: sample["rss_mb"] for sample in samples}
    return {
        "sequential_calls": last["calls"],
        "rss_after_100_mb": at.get(100),
        "rss_after_1000_mb": at.get(1000),
        "growth_from_calls": first["calls"],
        "growth_to_calls": last["calls"],
        "growth_mb": growth,
        "growth_per_1000_calls_mb": round(growth / (last["calls"] - first["calls"]) * 1000, 1),
        "goal_mb": MEMORY_GOAL_MB,
        "within_goal": growth <= MEMORY_GOAL_MB,
        "failed": failed,
        "checkpoints": samples,
    }


# -- 2. 100 concurrent calls vs the slowest single one plus queueing ----------------------------------------


async def concurrent(client: Client, sim: SimProcess, latencies: dict[str, float], calls: int, repeats: int) -> dict:
    kinds = mix(list(latencies))
    for tool, arguments in kinds.values():  # warm-up: catalog, store, connections
        await call(client, tool, arguments)
    singles: dict[str, dict[str, Any]] = {}
    failed = 0
    for name, (tool, arguments) in kinds.items():
        walls, upstream = [], 0
        for _ in range(repeats):
            sim.reset()
            started = time.perf_counter()
            failed += not await call(client, tool, arguments)
            walls.append(time.perf_counter() - started)
            upstream = sim.calls()
        singles[name] = {"tool": tool, "single_median_s": round(median(walls), 3), "upstream_requests": upstream}
    slowest = max(singles, key=lambda name: singles[name]["single_median_s"])
    slowest_s = singles[slowest]["single_median_s"]

    batch = [list(kinds.values())[i % len(kinds)] for i in range(calls)]
    walls, upstreams, busy, in_flight = [], [], [], []
    for _ in range(repeats):
        sim.reset()
        started = time.perf_counter()
        results = await asyncio.gather(*(call(client, tool, arguments) for tool, arguments in batch))
        walls.append(time.perf_counter() - started)
        failed += results.count(False)
        upstreams.append(sim.calls())
        busy.append(sum(sim.calls(model) * latency for model, latency in latencies.items()))
        in_flight.append(sim.max_concurrency)
    wall = median(walls)
    upstream = round(median(upstreams))
    mean_latency = median(busy) / upstream if upstream else 0.0
    waves = math.ceil(upstream / LIMIT)
    queueing = (waves - 1) * mean_latency
    bound = GOAL_RATIO * slowest_s + queueing
    return {
        "calls": calls,
        "repeats": repeats,
        "concurrency_limit": LIMIT,
        "model_latency_s": latencies,
        "mix": singles,
        "slowest_single_kind": slowest,
        "slowest_single_s": slowest_s,
        "wall_s": round(wall, 3),
        "wall_samples_s": [round(w, 3) for w in walls],
        "upstream_requests": upstream,
        "mean_upstream_latency_s": round(mean_latency, 4),
        "waves": waves,
        "queueing_s": round(queueing, 3),
        "bound_s": round(bound, 3),
        "bound_formula": "1.5 * slowest_single_s + (ceil(upstream_requests / concurrency_limit) - 1) "
        "* mean_upstream_latency_s",
        "ratio_to_bound": ratio(wall, bound),
        "within_bound": wall <= bound,
        "ratio_to_slowest_single": ratio(wall, slowest_s),
        "ratio_to_queueing_floor": ratio(wall, median(busy) / LIMIT),
        "simulator_max_concurrency": max(in_flight),
        "failed": failed,
    }


# -- report ---------------------------------------------------------------------------------------------------


def report(figures: dict) -> None:
    conc = figures["concurrent"]
    table(
        f"1a. each kind of call of the mix alone, median of {conc['repeats']} (panel latencies "
        f"{', '.join(f'{m} {s}s' for m, s in conc['model_latency_s'].items())})",
        ["kind", "tool", "wall s", "upstream requests"],
        [[name, k["tool"], k["single_median_s"], k["upstream_requests"]] for name, k in conc["mix"].items()],
    )
    table(
        f"1b. {conc['calls']} concurrent mixed calls on one stdio session, concurrency limit "
        f"{conc['concurrency_limit']}; median of {conc['repeats']}",
        ["measure", "value"],
        [
            ["wall of the 100 calls (s)", conc["wall_s"]],
            [f"slowest single call: {conc['slowest_single_kind']} (s)", conc["slowest_single_s"]],
            ["upstream requests of the 100 calls", conc["upstream_requests"]],
            ["mean scripted latency of one (s)", conc["mean_upstream_latency_s"]],
            ["waves of the limit: ceil(requests / limit)", conc["waves"]],
            ["queueing: (waves - 1) x mean latency (s)", conc["queueing_s"]],
            ["bound: 1.5 x slowest single + queueing (s)", conc["bound_s"]],
            ["ratio wall / bound (goal <= 1)", conc["ratio_to_bound"]],
            ["ratio wall / slowest single", conc["ratio_to_slowest_single"]],
            ["ratio wall / (total scripted latency / limit)", conc["ratio_to_queueing_floor"]],
            ["most requests in flight at the simulator", conc["simulator_max_concurrency"]],
            ["failed calls", conc["failed"]],
        ],
    )
    mem = figures["memory"]
    table(
        f"2. server resident memory (VmRSS) over {mem['sequential_calls']} sequential mixed calls, zero-latency panel",
        ["after calls", "RSS MB", "elapsed s"],
        [[c["calls"], c["rss_mb"], c["elapsed_s"]] for c in mem["checkpoints"]],
    )
    print(
        f"   growth from {mem['growth_from_calls']} to {mem['growth_to_calls']} calls: {mem['growth_mb']} MB "
        f"(goal <= {mem['goal_mb']:g} MB: {'met' if mem['within_goal'] else 'NOT met'}); "
        f"{mem['growth_per_1000_calls_mb']} MB per 1,000 calls; failed calls {mem['failed']}"
    )
    print(f"   RSS after the concurrent batches: {figures['rss_after_concurrent_mb']} MB")


async def main() -> None:
    args = parse_args(NAME, __doc__.splitlines()[0])
    quick = args.quick
    latencies = QUICK_TIMED if quick else TIMED
    checkpoints = [20, 60, 100] if quick else [100, 250, 500, 750, 1000]
    started = time.perf_counter()
    figures: dict = {"script": NAME, "quick": quick, "machine": machine()}
    with temp_dir(NAME) as workdir, SimProcess("load:scripts", latencies) as sim:
        env = server_env(sim.base_url, sim.api_key, workdir, ORCOLLECTIVE_MAX_CONCURRENCY=str(LIMIT))
        async with Client(server_params(env), read_timeout_seconds=300) as client:
            pid = server_pid()
            figures["server_pid"] = pid
            figures["memory"] = await memory(client, pid, checkpoints)
            figures["concurrent"] = await concurrent(client, sim, latencies, 100, 1 if quick else 3)
            figures["rss_after_concurrent_mb"] = rss_mb(pid)
    figures["elapsed_s"] = round(time.perf_counter() - started, 1)
    print(
        f"orcollective {NAME}: {'quick smoke run' if quick else 'full run'}; simulator on {sim.base_url} "
        f"(own process); load average {figures['machine']['loadavg_1m']} on {figures['machine']['cpus']} CPUs"
    )
    report(figures)
    print(f"\nelapsed {figures['elapsed_s']} s")
    write_json(args.out, figures)


if __name__ == "__main__":
    asyncio.run(main())
