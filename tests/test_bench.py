"""The benchmark scripts run end to end in their --quick form and write sane figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_quick(script: str, tmp_path: Path) -> tuple[dict, str]:
    out = tmp_path / f"{script}.json"
    proc = subprocess.run(
        [sys.executable, f"bench/{script}.py", "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-5000:]}"
    return json.loads(out.read_text()), proc.stdout


def test_server_overhead_quick(tmp_path: Path) -> None:
    figures, stdout = run_quick("server_overhead", tmp_path)
    assert figures["quick"] is True
    assert "tools/list" in stdout

    spawn = figures["spawn_to_tools_list"]
    assert spawn["n"] == 1
    assert 0 <= spawn["tools_list_request_median_s"] < spawn["median_s"] < 60
    assert spawn["ratio_to_python_startup"] > 1

    size = figures["tools_list_size"]
    assert {"chat", "consensus"} <= set(size["tools"])
    for tool in size["tools"].values():
        assert tool["input_schema"] > 0 and tool["other"] > 0
        assert tool["total"] == tool["input_schema"] + tool["output_schema"] + tool["other"]
    # The array's JSON is its tools' JSON, the commas between them and the two brackets.
    assert size["total_chars"] == sum(t["total"] for t in size["tools"].values()) + len(size["tools"]) + 1
    assert size["total_chars"] == spawn["official_client_tools_chars"]
    assert size["message_chars"] > size["total_chars"]

    concurrent = figures["concurrent_chat"]
    assert concurrent["errors"] == 0
    assert concurrent["simulator_max_concurrency"] == concurrent["concurrent_calls"] == 20
    assert concurrent["wall_1_median_s"] >= concurrent["model_latency_s"]
    assert concurrent["ratio"] > 0

    overhead = figures["chat_overhead"]
    assert overhead["same_text_everywhere"] is True
    assert set(overhead["methods"]) == {"direct_httpx", "core_chat", "mcp_in_memory", "mcp_stdio"}
    for method in overhead["methods"].values():
        assert method["median_ms"] > 0 and method["ratio_vs_direct"] > 0
    assert overhead["methods"]["direct_httpx"]["ratio_vs_direct"] == 1.0


def test_consensus_accuracy_quick(tmp_path: Path) -> None:
    figures, stdout = run_quick("consensus_accuracy", tmp_path)
    assert figures["quick"] is True
    assert "panel accuracy" in stdout

    runs = [
        "vote",
        "vote_with_always_wrong",
        "weighted_with_always_wrong_pass1",
        "weighted_with_always_wrong_pass2",
        "adaptive",
    ]
    for name in runs:
        run = figures[name]
        assert run["questions"] == 6
        assert 0 <= run["accuracy"] <= 1
        assert 0 <= run["best_single_accuracy"] <= 1
        assert run["ratio_to_best_single"] is None or run["ratio_to_best_single"] >= 0
        assert all(0 <= m["accuracy"] <= 1 for m in run["single_models"].values())
        # Every reply in the bank is written to be parseable, and parsed as the model meant it.
        assert run["parse_failures"] == 0 and run["misread"] == 0
    assert figures["vote_with_always_wrong"]["single_models"]["sim/foil"]["accuracy"] == 0
    assert figures["vote"]["mean_calls"] == 6 and figures["vote_with_always_wrong"]["mean_calls"] == 7
    assert 3 <= figures["adaptive"]["mean_calls"] <= 5

    weights = figures["weights_after_pass2"]
    assert set(weights) == {"choice", "number"}
    assert all(0 < w["reliability"] < 1 and w["weight"] >= 0 for t in weights.values() for w in t.values())

    timing = figures["timing"]
    waited, early = timing["wait_for_all"], timing["early_stop_on"]
    assert waited["ratio_wall_to_slowest_nominal"] > 0.9 and waited["stopped_early"] == 0
    assert early["stopped_early"] == early["runs"] > 0
    assert 0 < early["ratio_wall_to_slowest_nominal"] < waited["ratio_wall_to_slowest_nominal"]

    smoke = figures["mcp_smoke"]
    assert smoke["error_results"] == 0
    assert smoke["same_answer_as_in_process"] == smoke["questions"] > 0
    assert smoke["progress_notifications"] > 0


def test_benchmark_tool_quick(tmp_path: Path) -> None:
    figures, stdout = run_quick("benchmark_tool", tmp_path)
    assert figures["quick"] is True
    assert "TTFT vs total latency" in stdout

    timing = figures["timing"]
    assert timing["calls"] == timing["models"] * timing["prompts"] * timing["runs"] == 12
    assert timing["sequential_sum_s"] > timing["wall_s"] > 0  # the calls overlapped
    for model in timing["per_model"].values():
        assert 0 < model["ttft_median_s"] < model["latency_median_s"]
        assert model["ttft_median_s"] >= model["scripted_start_s"] and model["accuracy"] == 1.0

    panel = figures["panel_vs_best"]
    assert panel["questions"] == 6 and panel["parse_failures"] == 0
    assert panel["best_model_accuracy"] == max(panel["members"].values())
    assert panel["gain_points"] == round((panel["panel_accuracy"] - panel["best_model_accuracy"]) * 100, 1)

    free = figures["free_routing"]
    first_limited = next(i for i, attempts in enumerate(free["requests"]) if attempts[0][1] == "rate limited")
    assert first_limited == 2  # the model capped at 2 a minute answers twice, then 429s
    assert free["requests"][first_limited] == [["free/busy:free", "rate limited"], ["free/steady:free", "answered"]]
    assert 50 < free["cooldown_left_s"]["free/busy:free"] <= 60
    assert free["upstream_calls"]["free/busy:free"] == 3  # cooling down: never asked again
    assert Path(figures["chart"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_collective_tools_quick(tmp_path: Path) -> None:
    figures, stdout = run_quick("collective_tools", tmp_path)
    assert figures["anonymity"] == {"rankings": 4, "saw_own": 0, "saw_name": 0}
    assert figures["injection"]["gullible_reviewer_plain_prompt_score"] == 10
    assert "verdict fail" in figures["injection"]["cross_validate_verdict"]
    assert figures["wait_false"]["return_s"] < 0.2 and figures["wait_false"]["final_status"] == "done"
    hung = figures["one_model_never_answers"]
    assert hung["partial"] and hung["late"] == ["b/hung"] and hung["wall_s"] < hung["timeout_s"] + 1
    assert all(row["calls"] > 0 for name, row in figures["tools"].items() if name != "select_model")


def test_load_quick(tmp_path: Path) -> None:
    figures, stdout = run_quick("load", tmp_path)
    assert figures["quick"] is True
    assert "concurrent mixed calls" in stdout and "resident memory" in stdout

    conc = figures["concurrent"]
    assert conc["failed"] == 0 and conc["calls"] == 100
    singles = conc["mix"]
    assert {k["tool"] for k in singles.values()} >= {"chat", "consensus", "collaborate", "cross_validate", "free_chat"}
    assert conc["slowest_single_s"] == max(k["single_median_s"] for k in singles.values())
    assert conc["slowest_single_s"] == singles[conc["slowest_single_kind"]]["single_median_s"]
    # The batch is the mix cycled: at most the singles' upstream requests, cycled the same way (an early stop
    # can leave a request that was still queued on the limit unsent).
    per_cycle = [k["upstream_requests"] for k in singles.values()]
    assert conc["calls"] < conc["upstream_requests"] <= sum(per_cycle[i % len(per_cycle)] for i in range(conc["calls"]))
    assert conc["waves"] == -(-conc["upstream_requests"] // conc["concurrency_limit"]) > 1
    assert conc["queueing_s"] == round((conc["waves"] - 1) * conc["mean_upstream_latency_s"], 3)
    assert abs(conc["bound_s"] - (1.5 * conc["slowest_single_s"] + conc["queueing_s"])) < 0.002
    assert conc["ratio_to_bound"] > 0 and conc["within_bound"] == (conc["wall_s"] <= conc["bound_s"])
    assert 1 < conc["simulator_max_concurrency"] < 2 * conc["concurrency_limit"]

    mem = figures["memory"]
    assert mem["failed"] == 0 and [c["calls"] for c in mem["checkpoints"]] == [20, 60, 100]
    assert mem["rss_after_100_mb"] == mem["checkpoints"][-1]["rss_mb"] > 10 and mem["rss_after_1000_mb"] is None
    assert (mem["growth_from_calls"], mem["growth_to_calls"]) == (20, 100)
    assert mem["growth_mb"] == round(mem["rss_after_100_mb"] - mem["checkpoints"][0]["rss_mb"], 1)


def test_startup_quick(tmp_path: Path) -> None:
    figures, stdout = run_quick("startup", tmp_path)
    assert figures["quick"] is True and figures["n"] == 1
    assert "tools/list answered" in stdout

    current, bare, python = figures["current"], figures["bare"], figures["python"]
    assert current["tools"] > bare["tools"] == 1
    assert 0 < current["initialize_median_s"] <= current["median_s"] < 120
    assert 0 < python["median_s"] < bare["median_s"]
    assert figures["ratios"]["current_to_bare"] > 0
    # No baseline tree given: its row and the ratios to it are absent, and the report says why.
    assert figures["baseline"] is None and figures["within_goal"] is None
    assert figures["ratios"]["current_to_baseline"] is None and "--baseline-src" in figures["baseline_note"]

    top = figures["importtime_top"]
    assert len(top) == 10 and len({i["module"] for i in top}) == 10
    assert all(i["cumulative_ms"] >= i["self_ms"] >= 0 for i in top)
    assert [i["cumulative_ms"] for i in top] == sorted((i["cumulative_ms"] for i in top), reverse=True)
    assert all(i["module"].startswith("orcollective") for i in figures["importtime_top_own_self"])
    assert figures["heavy_modules"]["PIL"] == {"current": False, "bare": False}
    assert figures["heavy_modules"]["uvicorn"]["bare"] is True  # the SDK's own
