"""The sections of BENCHMARKS.md, each built from the figures the scripts of one run wrote (see report.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Figures = dict[str, dict]
INPUT_BUDGET, WHOLE_BUDGET = 8_000, 20_000  # design.md: tools/list with every tool on


def get(figures: dict, path: str) -> Any:
    """``figures["a"]["b"]`` for path "a.b"; None when any step is missing."""
    value: Any = figures
    for step in path.split("."):
        if not isinstance(value, dict) or step not in value:
            return None
        value = value[step]
    return value


def fmt(value: Any, unit: str = "", digits: int = 3) -> str:
    if value is None:
        return "not measured"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = f"{value:,.{digits}f}".rstrip("0").rstrip(".") if abs(value) >= 0.001 or value == 0 else f"{value:.2e}"
        return f"{text}{unit}"
    if isinstance(value, int):
        return f"{value:,}{unit}"
    return f"{value}{unit}"


def ratio(a: Any, b: Any) -> float | None:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
        return round(a / b, 3)
    return None


def usd(value: Any) -> str:
    return "not measured" if value is None else f"${value:.6f}"


def pct(value: Any) -> str:
    return "not measured" if value is None else f"{value:.1%}"


def table(head: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out + [""]


def startup(f: Figures) -> list[str]:
    s = f["startup"]
    base = get(s, "baseline_src") or "not measured"

    def row(label: str, key: str, where: dict) -> list[str]:
        shown = [fmt(get(where, f"{key}.median_s"), " s"), fmt(get(where, f"{key}.cpu_median_s"), " s")]
        if key == "baseline":
            return [label, *shown, "1", "1"]
        return [label, *shown, fmt(get(where, f"ratios.{key}_to_baseline")),
                fmt(get(where, f"cpu_ratios.{key}_to_baseline"))]  # fmt: skip

    out = [f"Spawn `python -m orcollective serve` (stdio), `initialize`, `tools/list` answered: the median of "
           f"{fmt(get(s, 'n'))} spawns of each server, taking turns, with bytecode compiled beforehand. The baseline "
           f"is this server at commit {base}, before its start-up imports were made lazy; the goal is at most "
           f"{fmt(get(s, 'goal_current_to_baseline'))} of it. The spawns of this tree share one cache folder, as a "
           "client's do: after the first, the tool schemas are read from it, not worked out.", ""]  # fmt: skip
    head = ["server", "wall", "CPU", "wall / baseline", "CPU / baseline"]
    out += table(head, [row("this tree", "current", s), row(f"baseline ({base})", "baseline", s),
                        row("bare MCP SDK server with httpx", "bare", s)])  # fmt: skip
    cold = get(s, "no_bytecode")
    if cold:
        out += [f"The same with no bytecode cache (every module compiled at start-up; {fmt(get(cold, 'n'))} spawns "
                "each):", ""]  # fmt: skip
        out += table(head, [row("this tree", "current", cold), row(f"baseline ({base})", "baseline", cold),
                            row("bare MCP SDK server with httpx", "bare", cold)])  # fmt: skip
    imports = get(s, "importtime_top") or []
    if imports:
        out += ["Largest cumulative imports of this tree's start-up (`python -X importtime`):", ""]
        out += table(["module", "cumulative (ms)"], [[f"`{i['module']}`", fmt(i["cumulative_ms"])] for i in imports])
    return out


def tools_list(f: Figures) -> list[str]:
    size, before = get(f["openrouter_features"], "tools_list") or {}, get(f["openrouter_features"], "tools_list_before")
    rows = [
        ["input side (names, descriptions, input schemas)", fmt(size.get("input_side_chars")), fmt(INPUT_BUDGET),
         fmt(ratio(size.get("input_side_chars"), INPUT_BUDGET)), fmt(get(before or {}, "input_side_chars"))],
        ["whole tools/list", fmt(size.get("whole_chars")), fmt(WHOLE_BUDGET), fmt(ratio(size.get("whole_chars"),
                                                                                      WHOLE_BUDGET)),
         fmt(get(before or {}, "whole_chars"))],
    ]  # fmt: skip
    src = get(f["openrouter_features"], "before_src")
    out = [f"Every tool on ({fmt(size.get('tools'))} tools), JSON without spaces, as a client reads it.", ""]
    return out + table(["part", "characters", "budget", "share of budget", f"before ({src or 'not measured'})"], rows)


def overhead(f: Figures) -> list[str]:
    o = f["server_overhead"]
    methods = get(o, "chat_overhead.methods") or {}
    names = {
        "direct_httpx": "direct httpx POST",
        "core_chat": "the chat feature in process",
        "mcp_in_memory": "chat through the MCP client, in memory",
        "mcp_stdio": "chat through the MCP client, stdio",
    }
    rows = [[names.get(k, k), fmt(m.get("median_ms"), " ms"), fmt(m.get("ratio_vs_direct")),
             fmt(m.get("overhead_vs_direct_ms"), " ms")] for k, m in methods.items()]  # fmt: skip
    out = [f"One short chat against the simulator, {fmt(get(o, 'chat_overhead.calls_per_method'))} calls a way, "
           "interleaved in blocks.", ""]  # fmt: skip
    out += table(["way", "median", "ratio to direct httpx", "over direct"], rows)
    c = get(o, "concurrent_chat") or {}
    out += [f"{fmt(c.get('concurrent_calls'))} concurrent chats against one, each model call taking "
            f"{fmt(c.get('model_latency_s'), ' s')}:", ""]  # fmt: skip
    out += table(["one call", "20 at once", "ratio", "errors"],
                 [[fmt(c.get("wall_1_median_s"), " s"), fmt(c.get("wall_20_median_s"), " s"), fmt(c.get("ratio")),
                   fmt(c.get("errors"))]])  # fmt: skip
    return out


def consensus_time(f: Figures) -> list[str]:
    t = get(f["consensus_accuracy"], "timing") or {}
    wait, stop = t.get("wait_for_all") or {}, t.get("early_stop_on") or {}
    rows = [
        ["wait for every answer", fmt(wait.get("wall_median_s"), " s"), fmt(wait.get("slowest_answer_median_s"), " s"),
         fmt(wait.get("ratio_wall_to_slowest_measured")), fmt(wait.get("requests_cancelled_at_simulator"))],
        ["early stop", fmt(stop.get("wall_median_s"), " s"), fmt(stop.get("slowest_answer_median_s"), " s"),
         fmt(stop.get("ratio_wall_to_slowest_measured")), fmt(stop.get("requests_cancelled_at_simulator"))],
    ]  # fmt: skip
    out = ["One consensus of a panel whose models answer in "
           f"{', '.join(fmt(v, ' s') for v in (t.get('panel_latencies_s') or {}).values())}; the reference is the "
           "slowest answer the run waited for (with early stop: the reply that decided).", ""]  # fmt: skip
    out += table(["mode", "wall (median)", "slowest answer heard", "ratio", "requests cancelled upstream"], rows)
    out += [f"Early stop takes {fmt(stop.get('ratio_to_wait_for_all'))} of the time of waiting for every answer.", ""]
    return out


def accuracy(f: Figures) -> list[str]:
    c = f["consensus_accuracy"]
    rows = []
    for key, label in (
        ("vote", "honest panel, vote"),
        ("vote_with_always_wrong", "with an always-wrong adversary, vote"),
        ("weighted_with_always_wrong_pass2", "with the adversary, weighted (second pass, learnt)"),
        ("auto_with_always_wrong", "with the adversary, strategy auto"),
    ):
        r = get(c, key) or {}
        rows.append([label, fmt(r.get("questions")), pct(r.get("accuracy")), pct(get(r, "honest_plurality.accuracy")),
                     f"{pct(r.get('best_single_accuracy'))} ({r.get('best_single_model')})",
                     fmt(r.get("ratio_to_best_single")), fmt(r.get("points_over_best_single"))])  # fmt: skip
    out = ["A seeded bank of labelled questions (choice and number), a simulated panel of known accuracies.", ""]
    out += table(["panel", "questions", "consensus", "plain plurality", "best single model",
                  "ratio to best single", "points over best single"], rows)  # fmt: skip
    r = get(c, "reader") or get(f["reader_accuracy"], "accuracy") or {}
    out += [f"The answer reader on the labelled corpus of replies: {fmt(r.get('right'))} of {fmt(r.get('replies'))} "
            f"read right ({pct(r.get('accuracy'))}).", ""]  # fmt: skip
    return out


def calibration(f: Figures) -> list[str]:
    cal = get(f["consensus_accuracy"], "vote.calibration") or {}
    out = [f"Honest panel, vote: mean confidence {fmt(cal.get('mean_confidence'))} against accuracy "
           f"{fmt(cal.get('accuracy'))} (gap {fmt(cal.get('gap'))}).", ""]  # fmt: skip
    rows = [[b["bucket"], fmt(b["answers"]), fmt(b["mean_confidence"]), fmt(b["accuracy"])]
            for b in cal.get("buckets") or []]  # fmt: skip
    return out + table(["confidence", "answers", "mean confidence", "accuracy"], rows)


def adaptive(f: Figures) -> list[str]:
    c = f["consensus_accuracy"]
    a, full = get(c, "adaptive") or {}, get(c, "adaptive_reference_full_panel") or {}
    rows = [["whole panel", fmt(full.get("mean_calls")), pct(full.get("accuracy"))],
            ["adaptive", fmt(a.get("mean_calls")), pct(a.get("accuracy"))]]  # fmt: skip
    out = [f"Calls per question with a panel of {fmt(a.get('panel_size'))}: adaptive asks "
           f"{fmt(a.get('calls_share_of_panel'))} of the panel on average.", ""]  # fmt: skip
    return out + table(["mode", "calls per question", "accuracy"], rows)


def collective(f: Figures) -> list[str]:
    c = f["collective_tools"]
    rows = [[name, fmt(t.get("calls")), usd(t.get("cost_usd")), fmt(t.get("wall_s"), " s")]
            for name, t in (get(c, "tools") or {}).items()]  # fmt: skip
    lat = get(c, "panel_latency_s") or {}
    out = [f"A panel whose models answer in {', '.join(fmt(v, ' s') for v in lat.values())}.", ""]
    out += table(["tool", "calls", "cost (USD)", "wall"], rows)
    v = get(c, "council_vs_three_rounds_of_slowest") or {}
    out += [
        f"A council (answers, rankings, chairman) takes {fmt(v.get('ratio'))} × three rounds of the slowest "
        f"model ({fmt(v.get('council_wall_s'), ' s')} against {fmt(v.get('three_rounds_slowest_s'), ' s')}).",
        "",
    ]
    return out


def benchmark(f: Figures) -> list[str]:
    b = f["benchmark_tool"]
    t, p = get(b, "timing") or {}, get(b, "panel_vs_best") or {}
    out = table(["calls", "wall", "sum of the calls' latencies", "sequential / wall"],
                [[fmt(t.get("calls")), fmt(t.get("wall_s"), " s"), fmt(t.get("sequential_sum_s"), " s"),
                  fmt(t.get("ratio_sequential_to_wall"))]])  # fmt: skip
    out += [f"On {fmt(p.get('questions'))} questions the panel scored {pct(p.get('panel_accuracy'))} against "
            f"{pct(p.get('best_model_accuracy'))} for its best member ({p.get('best_model')}), at "
            f"{fmt(p.get('cost_ratio_panel_to_best'))} × its cost.", ""]  # fmt: skip
    return out


def load(f: Figures) -> list[str]:
    lo = f["load"]
    out = table(["calls at once", "wall", "bound (slowest single × 1.5 + queueing)", "wall / bound", "failed"],
                [[fmt(get(lo, "concurrent.calls")), fmt(get(lo, "concurrent.wall_s"), " s"),
                  fmt(get(lo, "concurrent.bound_s"), " s"), fmt(get(lo, "concurrent.ratio_to_bound")),
                  fmt(get(lo, "concurrent.failed"))]])  # fmt: skip
    out += table(["resident memory after 100 calls", "after 1,000 calls", "growth", "goal"],
                 [[fmt(get(lo, "memory.rss_after_100_mb"), " MB"), fmt(get(lo, "memory.rss_after_1000_mb"), " MB"),
                   fmt(get(lo, "memory.growth_mb"), " MB"), "≤ 50 MB"]])  # fmt: skip
    return out


def hardening(f: Figures) -> list[str]:
    h = f["core_hardening"]
    c = get(h, "cancels") or {}
    rows = [
        ["cancels in a row, connection closed within 2 s",
         f"{fmt(c.get('closed_within_2s'))} of {fmt(c.get('cancels'))}"],
        ["a stream of keep-alive comments only, timeout_s=3", fmt(get(h, "keepalive_stream.s"), " s")],
        ["one token every 0.5 s, timeout_s=3", fmt(get(h, "drip_stream.s"), " s")],
        ["a 5,000,000-character reply", f"{fmt(get(h, 'big_reply.s'), ' s')}: {get(h, 'big_reply.result')}"],
        ["a quick call while images decode, worst", fmt(get(h, "image_stall.busy_max_ms"), " ms")],
    ]  # fmt: skip
    return table(["case", "result"], rows)


SECTIONS: list[tuple[str, Callable[[Figures], list[str]]]] = [
    ("Start-up to tools/list", startup),
    ("tools/list size", tools_list),
    ("Per-call overhead and concurrency", overhead),
    ("Consensus wall time and early stop", consensus_time),
    ("Consensus accuracy", accuracy),
    ("Calibration", calibration),
    ("Adaptive calls per question", adaptive),
    ("Council, debate, refine, cross-validation, ensemble", collective),
    ("Benchmark tool", benchmark),
    ("Load and memory", load),
    ("Hostile upstream", hardening),
]
