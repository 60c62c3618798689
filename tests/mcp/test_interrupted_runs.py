"""A server killed mid-run: the next server to start shows that run as interrupted, with what had finished, and
the store is intact; a run of a server that is still alive and shares the store is never marked interrupted."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
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
GUARD_S = 60  # a hang guard, not a timing assertion


def store_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "runs.sqlite3"


def read_runs(tmp_path: Path) -> list[dict]:
    """Every run in the shared store, each with its calls, read as a third process would."""
    store = RunStore(store_path(tmp_path))
    try:
        return [store.get_run(run["id"]) for run in store.list_runs(limit=100)]
    finally:
        store.close()


def statuses(tmp_path: Path) -> dict[str, str]:
    return {run["id"]: run["status"] for run in read_runs(tmp_path)}


def owner_of(tmp_path: Path, run_id: str) -> int:
    raw = sqlite3.connect(store_path(tmp_path))
    try:
        (owner,) = raw.execute("SELECT owner_pid FROM runs WHERE id = ?", (run_id,)).fetchone()
    finally:
        raw.close()
    return owner


async def until(condition) -> None:
    with anyio.fail_after(GUARD_S):
        while not condition():
            await asyncio.sleep(0.02)


async def test_a_sigkilled_servers_run_shows_as_interrupted_with_its_finished_calls(simulator, tmp_path):
    """SIGKILL the server while a consensus waits on its slow models, after a quick one answered: a new server
    shows the run interrupted with the quick model's call and cost, and the store passes its integrity check."""
    simulator.script(ScriptedModel("kill/quick", reply="Answer: B"))
    for model in ("kill/slow-a", "kill/slow-b"):
        simulator.script(ScriptedModel(model, reply="Answer: B", latency_s=60))
    env = server_env(simulator, tmp_path)
    arguments = {"prompt": MC, "models": ["kill/quick", "kill/slow-a", "kill/slow-b"], "early_stop": False}
    with (tmp_path / "first.log").open("w") as errlog:
        async with Client(stdio_client(server_params(env), errlog=errlog), read_timeout_seconds=30) as client:
            call = asyncio.create_task(client.call_tool("consensus", arguments))
            await until(lambda: simulator.in_flight == 2 and any(run["calls"] for run in read_runs(tmp_path)))
            (run,) = read_runs(tmp_path)
            owner = owner_of(tmp_path, run["id"])
            assert run["status"] == "running" and owner != os.getpid()
            os.kill(owner, signal.SIGKILL)
            with contextlib.suppress(BaseException):  # the client sees its server vanish
                await asyncio.wait_for(call, 10)
    with (tmp_path / "second.log").open("w") as errlog:
        async with Client(stdio_client(server_params(env), errlog=errlog), read_timeout_seconds=30) as client:
            shown = await client.call_tool("runs", {"run_id": run["id"]})
            listed = await client.call_tool("runs", {})
            after = await client.call_tool("chat", {"model": "sim/echo", "prompt": "the store still works"})
    shown_run = shown.structured_content["run"]
    assert shown_run["status"] == "interrupted"
    assert "stopped before the run finished" in shown_run["error"]
    (kept,) = shown_run["calls"]
    assert kept["model"] == "kill/quick" and kept["error"] is None and kept["cost_usd"] > 0
    assert "interrupted" in listed.content[0].text
    assert not after.is_error
    raw = sqlite3.connect(store_path(tmp_path))
    try:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        raw.close()
    assert {r["status"] for r in read_runs(tmp_path)} == {"interrupted", "done"}


async def test_a_live_servers_run_is_never_marked_interrupted(simulator, tmp_path):
    """Server A runs a slow consensus; server B starts on the same store (and checks for interrupted runs) and
    works beside it: A's run stays running, then ends as A decides, never interrupted."""
    for model in ("live/slow-a", "live/slow-b"):
        simulator.script(ScriptedModel(model, reply="Answer: B", latency_s=60))
    for model in ("live/a", "live/b"):
        simulator.script(ScriptedModel(model, reply="Answer: B"))
    env = server_env(simulator, tmp_path)
    slow = {"prompt": MC, "models": ["live/slow-a", "live/slow-b"], "timeout_s": 120}
    with (tmp_path / "a.log").open("w") as a_log, (tmp_path / "b.log").open("w") as b_log:
        async with Client(stdio_client(server_params(env), errlog=a_log), read_timeout_seconds=30) as a:
            call = asyncio.create_task(a.call_tool("consensus", slow))
            await until(lambda: simulator.in_flight == 2)
            (run,) = read_runs(tmp_path)
            async with Client(stdio_client(server_params(env), errlog=b_log), read_timeout_seconds=30) as b:
                seen_by_b = await b.call_tool("runs", {"run_id": run["id"]})
                own = await b.call_tool("consensus", {"prompt": MC, "models": ["live/a", "live/b"]})
            # A third server starting now marks nothing either.
            async with Client(stdio_client(server_params(env), errlog=b_log), read_timeout_seconds=30) as c:
                seen_by_c = await c.call_tool("runs", {"run_id": run["id"]})
            still = statuses(tmp_path)
            call.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await call
            await until(lambda: statuses(tmp_path)[run["id"]] != "running")
    assert seen_by_b.structured_content["run"]["status"] == "running"
    assert seen_by_c.structured_content["run"]["status"] == "running"
    assert not own.is_error and own.structured_content["answer"].startswith("B")
    assert still[run["id"]] == "running"
    final = statuses(tmp_path)
    assert final[run["id"]] == "cancelled"
    assert "interrupted" not in final.values()
