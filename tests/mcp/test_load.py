"""Load: 100 concurrent mixed tool calls on one server, over one stdio session, all complete and are recorded.

Not timed (bench/load.py measures the wall time against the slowest single call and the queueing under the
concurrency limit, and the server's memory over 1,000 calls); this proves that nothing is lost, failed,
duplicated or left running when the calls pile up behind the limit.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from collections import Counter
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import stdio_client

from conftest import server_env
from orcollective.cli.doctor import server_params
from orcollective.simulator import ScriptedModel

pytestmark = pytest.mark.e2e
CALLS = 100
LIMIT = 8  # the server's concurrency limit, well under the upstream requests the batch makes
GUARD_S = 240  # a hang guard, not a timing assertion
PANEL = ["l/alpha", "l/bravo", "l/charlie", "l/delta"]
MC = "Which gas do plants absorb?\nA) Oxygen\nB) Carbon dioxide\nC) Nitrogen\nD) Helium"
PLAN = {"subtasks": [{"id": "s1", "task": "facts", "depends_on": []}, {"id": "s2", "task": "sums", "depends_on": []},
                     {"id": "s3", "task": "check", "depends_on": ["s1", "s2"]}]}  # fmt: skip
CRITERIA = ["correctness", "readability", "robustness", "security"]


def panelist(model: str, latency_s: float) -> ScriptedModel:
    """A model that answers each step of each collective tool the way a well-behaved model would."""

    def reply(body: dict) -> str:
        t = "\n".join(m["content"] for m in body["messages"] if isinstance(m.get("content"), str))
        if "Rank every response" in t:
            return json.dumps({"ranking": sorted(set(re.findall(r"Response ([A-Z]):", t))), "reason": "content"})
        if "Plan at most" in t:
            return json.dumps(PLAN)
        if "<material-" in t:
            return json.dumps({"scores": dict.fromkeys(CRITERIA, 8), "issues": []})
        if "Which" in t or "Other panelists answered" in t:
            return "Carbon dioxide.\nAnswer: B"
        return f"{model}: a short answer."

    return ScriptedModel(model, reply=reply, latency_s=latency_s)


# The mix: (tool, arguments, whether the call records a run). Cycled to CALLS calls.
MIX: list[tuple[str, dict, bool]] = [
    ("chat", {"model": "l/alpha", "prompt": "Say hello."}, True),
    ("consensus", {"prompt": MC, "models": PANEL[:3], "early_stop": False}, True),
    ("list_models", {"query": "gpt", "limit": 5}, False),
    ("collaborate", {"prompt": "Name a cat.", "mode": "council", "models": PANEL[:3]}, True),
    ("chat", {"model": "sim/echo", "prompt": "echo this"}, True),
    ("cross_validate", {"content": "def add(a, b):\n    return a + b\n", "reviewers": PANEL[:3]}, True),
    ("free_chat", {"prompt": "Say hello."}, True),
    ("model_info", {"model": "openai/gpt-4o-mini"}, False),
    ("consensus", {"prompt": "What is 6 * 7?", "models": PANEL, "early_stop": True}, True),
    ("ensemble_reasoning", {"problem": "Legs of 3 spiders and 2 ants?", "models": PANEL[:3]}, True),
    ("collaborate", {"prompt": MC, "mode": "debate", "models": PANEL[:3], "rounds": 1}, True),
    ("select_model", {"task": "cheap summaries", "count": 2}, False),
]


def store_runs(tmp_path: Path) -> list[tuple[str, str, str]]:
    db = sqlite3.connect(tmp_path / "data" / "runs.sqlite3")
    try:
        return list(db.execute("SELECT id, tool, status FROM runs"))
    finally:
        db.close()


async def test_a_hundred_concurrent_mixed_calls_on_one_session_all_complete_and_are_recorded_once(simulator, tmp_path):
    """100 calls of chat, consensus, collaborate, cross_validate, ensemble_reasoning, free_chat and the
    catalog tools, gathered on one stdio session behind a concurrency limit of 8: every result is a
    success, every run-recording call has its own run in the store, done, and no other run exists."""
    for i, model in enumerate(PANEL):
        simulator.script(panelist(model, 0.02 + 0.01 * i))
    calls = [MIX[i % len(MIX)] for i in range(CALLS)]
    env = server_env(simulator, tmp_path, ORCOLLECTIVE_LOG_LEVEL="WARNING", ORCOLLECTIVE_MAX_CONCURRENCY=str(LIMIT))
    with (tmp_path / "stderr.log").open("w") as errlog:
        async with Client(stdio_client(server_params(env), errlog=errlog), read_timeout_seconds=GUARD_S) as client:
            await client.call_tool("list_models", {"limit": 1})  # the catalog is fetched before the rush
            simulator.reset()
            with anyio.fail_after(GUARD_S):
                results = await asyncio.gather(*(client.call_tool(tool, args) for tool, args, _ in calls))
            left_running = await client.call_tool("runs", {"limit": 100})
    failures = [(tool, r.content[0].text[:200]) for (tool, _, _), r in zip(calls, results, strict=True) if r.is_error]
    assert failures == []
    # The calls queued on the limit, and it held: the simulator counts a request until its handler returns,
    # a moment after the client has read the reply and handed its slot on, so a hand-off can count twice.
    assert LIMIT <= simulator.max_concurrency < 2 * LIMIT
    assert simulator.calls() > 2 * CALLS  # the collective calls fanned out behind it
    # Each result of a tool that records a run names it, once, and the store holds exactly those runs.
    run_ids = [r.structured_content["run_id"] for (_, _, records), r in zip(calls, results, strict=True) if records]
    assert None not in run_ids and len(run_ids) == len(set(run_ids)) == sum(records for _, _, records in calls)
    stored = store_runs(tmp_path)
    assert set(run_ids) == {run_id for run_id, _, _ in stored}
    assert len(stored) == len({run_id for run_id, _, _ in stored}) == sum(records for _, _, records in calls)
    assert Counter(tool for _, tool, _ in stored) == Counter(tool for tool, _, records in calls if records)
    assert Counter(status for _, _, status in stored) == {"done": len(stored)}
    assert all(run["status"] == "done" for run in left_running.structured_content["runs"])
    assert "Traceback" not in (tmp_path / "stderr.log").read_text()
