"""Two server processes sharing one cache folder and one run store, running collective tools at the same time:
no error, and every run recorded once."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import stdio_client

from conftest import server_env
from orcollective.cli.doctor import server_params
from orcollective.simulator import ScriptedModel
from orcollective.store import RunStore

pytestmark = pytest.mark.e2e
MC = "Which gas do plants absorb?\nA) Oxygen\nB) Carbon dioxide"
PANEL = ["two/a", "two/b", "two/c"]
EACH = 4  # consensus calls per server, and as many collaborate calls
GUARD_S = 120  # a hang guard, not a timing assertion


def calls_for(n: int) -> list[tuple[str, dict]]:
    """``n`` consensus and ``n`` council calls, each with its own prompt so that no two runs look alike."""
    consensus = [("consensus", {"prompt": f"{MC}\n(question {i})", "models": PANEL, "early_stop": False})
                 for i in range(n)]  # fmt: skip
    council = [("collaborate", {"prompt": f"Name a colour ({i}).", "mode": "council", "models": PANEL,
                                "chairman": "two/a"}) for i in range(n)]  # fmt: skip
    return consensus + council


async def test_two_servers_share_the_cache_and_the_store_without_losing_a_run(simulator, tmp_path):
    """Both servers start on an empty cache together, then each runs its consensus and council calls all at once:
    every call answers, every run is in the store exactly once (ids unique, count = calls), each done, with its
    calls; the store is intact and neither server logged a traceback."""
    for model in PANEL:
        simulator.script(ScriptedModel(model, reply="Answer: B", latency_s=0.05))
    env = server_env(simulator, tmp_path, ORCOLLECTIVE_LOG_LEVEL="INFO")
    logs = [tmp_path / "one.log", tmp_path / "two.log"]
    results: dict[int, list] = {}

    async def server(n: int) -> None:
        with logs[n].open("w") as errlog:
            async with Client(stdio_client(server_params(env), errlog=errlog), read_timeout_seconds=60) as client:
                results[n] = await asyncio.gather(*(client.call_tool(t, a) for t, a in calls_for(EACH)))

    with anyio.fail_after(GUARD_S):
        await asyncio.gather(server(0), server(1))

    made = [r for n in (0, 1) for r in results[n]]
    assert len(made) == 4 * EACH
    assert [r for r in made if r.is_error] == []
    run_ids = [r.structured_content["run_id"] for r in made]
    assert len(set(run_ids)) == len(run_ids) and None not in run_ids

    store = RunStore(tmp_path / "data" / "runs.sqlite3")
    try:
        runs = store.list_runs(limit=1000)
        calls = {run["id"]: store.get_run(run["id"])["calls"] for run in runs}
    finally:
        store.close()
    assert sorted(run["id"] for run in runs) == sorted(run_ids)
    assert {run["status"] for run in runs} == {"done"}
    tools = [run["tool"] for run in runs]
    assert tools.count("consensus") == tools.count("collaborate") == 2 * EACH
    for run in runs:
        # A consensus asked its three panelists; a council adds rankings and a chairman.
        assert len(calls[run["id"]]) == 3 if run["tool"] == "consensus" else len(calls[run["id"]]) >= 7

    raw = sqlite3.connect(tmp_path / "data" / "runs.sqlite3")
    try:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        raw.close()
    for log in logs:
        text = Path(log).read_text()
        assert "Traceback" not in text and " ERROR " not in text, text[-2000:]
    # The catalog was fetched into the shared cache (by one server or both), not rebuilt from a broken file.
    assert not list((tmp_path / "cache").rglob("*.corrupt*"))
