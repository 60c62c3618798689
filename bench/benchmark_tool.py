"""Benchmark-tool figures: parallel wall time vs the sequential sum, TTFT vs total latency, the panel
against its best member on a labelled bank, and free-model routing (fallback order, cooldowns).

Everything runs through the real features (``benchmark``, ``free_chat``) with an in-process runtime
against the loopback simulator in its own process. Accuracies are exact counts on the seeded bank of
``bench/questions.py``; timings come from one run on a shared machine, so read the ratios first.

    uv run python bench/benchmark_tool.py [--quick] [--out PATH]
"""

from __future__ import annotations

import asyncio
import time

from _common import SimProcess, machine, parse_args, ratio, settings_for, table, temp_dir, write_json
from questions import PANEL, SEED, build_bank

from orcollective.errors import RateLimited
from orcollective.features import Progress
from orcollective.features.benchmark import BenchmarkRequest, images
from orcollective.features.benchmark import run as run_benchmark
from orcollective.features.free_chat import FreeChatRequest
from orcollective.features.free_chat import run as free_chat
from orcollective.openrouter import RetryPolicy
from orcollective.runtime import open_runtime
from orcollective.store.free_models import cooldowns

NAME = "benchmark_tool"
NO_RETRY = RetryPolicy(attempts=1, max_wait_s=0, total_s=30)
# Four contestants: a fixed start-up delay (time to first token) then a paced stream.
TIMING = [
    {"id": "sim/quick", "reply": "Answer: 42 " + "tok " * 60, "latency_s": 0.05, "tokens_per_s": 400},
    {"id": "sim/steady", "reply": "Answer: 42 " + "tok " * 60, "latency_s": 0.10, "tokens_per_s": 300},
    {"id": "sim/thinker", "reply": "Answer: 42 " + "tok " * 60, "latency_s": 0.20, "tokens_per_s": 200},
    {"id": "sim/slow", "reply": "Answer: 42 " + "tok " * 60, "latency_s": 0.30, "tokens_per_s": 150},
]
TIMING_PROMPTS = ["What is 6 * 7?", "Compute 40 + 2.", "What is 84 / 2?"]
FREE = [
    {"id": "free/busy:free", "reply": "busy", "rpm": 2},
    {"id": "free/steady:free", "reply": "steady", "rpm": 3, "latency_s": 0.01},
    {"id": "free/spare:free", "reply": "spare", "latency_s": 0.02},
]


async def timing(quick: bool) -> dict:
    """4 models x 3 prompts x 3 runs: all calls at once under the concurrency limit."""
    runs = 1 if quick else 3
    with SimProcess("_common:plain_scripts", TIMING) as sim, temp_dir("bt-timing") as work:
        async with open_runtime(settings_for(sim.base_url, sim.api_key, work), retry=NO_RETRY) as rt:
            req = BenchmarkRequest(prompts=TIMING_PROMPTS, models=[m["id"] for m in TIMING], runs=runs,
                                   expected=["42"] * 3)  # fmt: skip
            started = time.perf_counter()
            result = await run_benchmark(rt, req, Progress())
            wall = time.perf_counter() - started
    rows = {r.contestant: r for r in result.rows}
    per_model = {
        m["id"]: {
            "scripted_start_s": m["latency_s"],
            "ttft_median_s": rows[m["id"]].ttft_median_s,
            "latency_median_s": rows[m["id"]].latency_median_s,
            "latency_p90_s": rows[m["id"]].latency_p90_s,
            "ttft_share_of_latency": ratio(rows[m["id"]].ttft_median_s or 0, rows[m["id"]].latency_median_s or 0),
            "tokens_per_s": rows[m["id"]].tokens_per_s,
            "accuracy": rows[m["id"]].accuracy,
        }
        for m in TIMING
    }
    table("TTFT vs total latency (median over prompts x runs)", ["model", "TTFT s", "latency s", "TTFT/latency",
          "tok/s"], [[k, v["ttft_median_s"], v["latency_median_s"], v["ttft_share_of_latency"], v["tokens_per_s"]]
                     for k, v in per_model.items()])  # fmt: skip
    figures = {
        "calls": result.trials,
        "models": len(TIMING),
        "prompts": len(TIMING_PROMPTS),
        "runs": runs,
        "wall_s": round(result.wall_s, 3),
        "wall_with_grading_and_save_s": round(wall, 3),
        "sequential_sum_s": result.sequential_s,
        "ratio_sequential_to_wall": ratio(result.sequential_s, result.wall_s),
        "per_model": per_model,
    }
    print(f"\n{result.trials} calls: wall {result.wall_s:.3f}s vs sequential sum {result.sequential_s:.3f}s "
          f"(x{figures['ratio_sequential_to_wall']})")  # fmt: skip
    return figures


async def panel_vs_best(quick: bool) -> tuple[dict, bytes]:
    """The panel (plain vote) against its best member on the labelled bank."""
    bank = build_bank(SEED)
    if quick:
        bank = bank[:3] + bank[30:33]
    models = [p.model for p in PANEL]
    scale = 0.02 if quick else 0.2
    with SimProcess("questions:panel_scripts", SEED, models, scale) as sim, temp_dir("bt-panel") as work:
        async with open_runtime(settings_for(sim.base_url, sim.api_key, work), retry=NO_RETRY) as rt:
            req = BenchmarkRequest(prompts=[q.prompt for q in bank], models=models, expected=[q.key for q in bank],
                                   include_consensus=True, label="panel vs best member")  # fmt: skip
            result = await run_benchmark(rt, req, Progress())
    table("Panel vs members (labelled bank)", ["rank", "contestant", "accuracy", "cost USD", "latency med s"],
          [[r.rank, r.contestant, r.accuracy, r.cost_usd, r.latency_median_s] for r in result.rows])  # fmt: skip
    p = result.panel
    assert p is not None
    figures = {
        "questions": len(bank),
        "panel_accuracy": p.panel_accuracy,
        "best_model": p.best_model,
        "best_model_accuracy": p.best_model_accuracy,
        "gain_points": p.gain_points,
        "cost_ratio_panel_to_best": p.cost_ratio,
        "panel_latency_median_s": p.panel_latency_median_s,
        "best_model_latency_median_s": p.best_model_latency_median_s,
        "members": {r.contestant: r.accuracy for r in result.rows if r.kind == "model"},
        "parse_failures": sum(1 for r in result.rows if r.kind == "model" and r.graded != len(bank)),
    }
    print(f"\npanel {p.panel_accuracy} vs best member {p.best_model} {p.best_model_accuracy}: "
          f"{p.gain_points:+.1f} points at x{p.cost_ratio} the cost")  # fmt: skip
    return figures, images(result)[0]


async def free_routing(quick: bool) -> dict:
    """free_chat one model per request against rpm-capped free models: who answers, who cools down."""
    requests = 4 if quick else 7
    order: list[list[tuple[str, str]]] = []
    refused: str | None = None
    with SimProcess("_common:plain_scripts", FREE) as sim, temp_dir("bt-free") as work:
        async with open_runtime(settings_for(sim.base_url, sim.api_key, work), retry=NO_RETRY) as rt:
            assert rt.store is not None
            for _ in range(requests):
                req = FreeChatRequest(prompt="hello", models=[m["id"] for m in FREE], fallbacks=1)
                try:
                    result = await free_chat(rt, req, Progress())
                except RateLimited as exc:
                    refused = str(exc)
                    break
                order.append([(a.model, a.outcome) for a in result.attempts])
            now = time.time()
            cooling = {m: round(c.until - now, 1) for m, c in cooldowns(rt.store, now).items()}
        calls = {m["id"]: sim.calls(m["id"]) for m in FREE}
    for i, attempts in enumerate(order, start=1):
        print(f"request {i}: " + " -> ".join(f"{m} ({o})" for m, o in attempts))
    print(f"cooldowns left (s): {cooling}; upstream calls per model: {calls}")
    if refused:
        print(f"refused without sending: {refused}")
    return {"requests": order, "cooldown_left_s": cooling, "upstream_calls": calls, "refused": refused}


async def main() -> None:
    args = parse_args(NAME, __doc__.splitlines()[0])
    figures: dict = {"quick": args.quick, "machine": machine()}
    figures["timing"] = await timing(args.quick)
    figures["panel_vs_best"], png = await panel_vs_best(args.quick)
    figures["free_routing"] = await free_routing(args.quick)
    chart = args.out.with_suffix(".png")
    chart.parent.mkdir(parents=True, exist_ok=True)
    chart.write_bytes(png)
    figures["chart"] = str(chart)
    print(f"chart written to {chart}")
    write_json(args.out, figures)


if __name__ == "__main__":
    asyncio.run(main())
