"""A server killed mid-run: the next server to start shows that run as interrupted, with what had finished."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3

import pytest
from mcp import Client
from mcp.client.stdio import stdio_client

from conftest import server_env
from orcollective.cli.doctor import server_params
from orcollective.simulator import ScriptedModel
from orcollective.store import RunStore

pytestmark = pytest.mark.e2e
MC = "Which gas do plants absorb?\nA) Oxygen\nB) Carbon dioxide"


async def test_a_sigkilled_servers_run_shows_as_interrupted(simulator, tmp_path):
    """SIGKILL the server while a consensus waits on upstream; a new server marks the run interrupted."""
    for model in ("kill/a", "kill/b"):
        simulator.script(ScriptedModel(model, reply="Answer: B", latency_s=30))
    env = server_env(simulator, tmp_path)
    with (tmp_path / "first.log").open("w") as errlog:
        async with Client(stdio_client(server_params(env), errlog=errlog), read_timeout_seconds=30) as client:
            call = asyncio.create_task(client.call_tool("consensus", {"prompt": MC, "models": ["kill/a", "kill/b"]}))
            for _ in range(500):
                if simulator.in_flight == 2:
                    break
                await asyncio.sleep(0.01)
            store = RunStore(tmp_path / "data" / "runs.sqlite3")
            try:
                (run,) = store.list_runs()
            finally:
                store.close()
            raw = sqlite3.connect(tmp_path / "data" / "runs.sqlite3")
            (owner,) = raw.execute("SELECT owner_pid FROM runs WHERE id = ?", (run["id"],)).fetchone()
            raw.close()
            assert run["status"] == "running" and owner != os.getpid()
            os.kill(owner, signal.SIGKILL)
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(call, 10)
    with (tmp_path / "second.log").open("w") as errlog:
        async with Client(stdio_client(server_params(env), errlog=errlog), read_timeout_seconds=30) as client:
            shown = await client.call_tool("runs", {"run_id": run["id"]})
    assert shown.structured_content["run"]["status"] == "interrupted"
    assert "stopped before the run finished" in shown.structured_content["run"]["error"]
