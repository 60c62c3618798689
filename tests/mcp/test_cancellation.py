"""A cancelled tool call closes its upstream requests at once and leaves the server fully usable."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
from mcp import Client
from mcp.client.stdio import stdio_client

from conftest import no_wait, server_env, settings_for
from orcollective.cli.doctor import server_params
from orcollective.mcp import build_server
from orcollective.simulator import ScriptedModel
from orcollective.store import RunStore

MC = "Which gas do plants absorb?\nA) Oxygen\nB) Carbon dioxide\nC) Nitrogen\nD) Helium"
CANCELS = 20  # 40 upstream requests: more than the 32 pooled connections


async def until(condition, timeout_s: float) -> float:
    """Seconds until ``condition()`` held (polling), or raise after ``timeout_s``."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout_s:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)
    return time.monotonic() - started


async def test_cancels_in_a_row_close_upstream_and_leave_the_server_usable(simulator, tmp_path):
    """Each cancelled consensus closes both upstream requests within a second; afterwards every tool
    still answers, and the cancelled runs are recorded as cancelled."""
    for model in ("k/a", "k/b"):
        simulator.script(ScriptedModel(model, reply="Answer: B", latency_s=30))
    settings = settings_for(simulator, tmp_path)
    arguments = {"prompt": MC, "models": ["k/a", "k/b"], "timeout_s": 60}
    async with Client(build_server(settings, retry=no_wait())) as client:
        for _ in range(CANCELS):
            call = asyncio.create_task(client.call_tool("consensus", arguments))
            await until(lambda: simulator.in_flight == 2, 5)
            call.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await call
            assert await until(lambda: simulator.in_flight == 0, 1.0) < 1.0
        answer = await asyncio.wait_for(client.call_tool("chat", {"model": "sim/echo", "prompt": "still here"}), 10)
        models = await asyncio.wait_for(client.call_tool("list_models", {"limit": 1}), 10)
    assert not answer.is_error and answer.structured_content["text"] == "still here"
    assert not models.is_error
    assert simulator.cancelled == 2 * CANCELS
    store = RunStore(settings.store_path)
    try:
        statuses = [r["status"] for r in store.list_runs(tool="consensus", limit=100)]
    finally:
        store.close()
    assert statuses == ["cancelled"] * CANCELS


async def test_cancels_over_stdio_release_every_connection(simulator, tmp_path):
    """The same through a server process over stdio, as a desktop client drives it."""

    for model in ("k/a", "k/b"):
        simulator.script(ScriptedModel(model, reply="Answer: B", latency_s=30))
    arguments = {"prompt": MC, "models": ["k/a", "k/b"], "timeout_s": 60}
    with (tmp_path / "stderr.log").open("w") as errlog:
        transport = stdio_client(server_params(server_env(simulator, tmp_path)), errlog=errlog)
        async with Client(transport, read_timeout_seconds=30) as client:
            closed = []
            for _ in range(CANCELS):
                call = asyncio.create_task(client.call_tool("consensus", arguments))
                await until(lambda: simulator.in_flight == 2, 10)
                call.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await call
                closed.append(await until(lambda: simulator.in_flight == 0, 5))
            answer = await asyncio.wait_for(client.call_tool("chat", {"model": "sim/echo", "prompt": "still here"}), 20)
    assert max(closed) < 1.0, closed
    assert not answer.is_error and answer.structured_content["text"] == "still here"


async def test_a_cancelled_run_keeps_what_it_had_spent(simulator, tmp_path):
    """Cancel a consensus after one model answered: the run is cancelled, its finished call and cost kept."""
    simulator.script(ScriptedModel("k/quick", reply="Answer: B"))
    simulator.script(ScriptedModel("k/stuck", reply="Answer: B", latency_s=30))
    settings = settings_for(simulator, tmp_path)
    async with Client(build_server(settings, retry=no_wait())) as client:
        call = asyncio.create_task(client.call_tool("consensus", {"prompt": MC, "models": ["k/quick", "k/stuck"]}))
        await until(lambda: simulator.calls("k/quick") == 1 and simulator.in_flight == 1, 5)
        await asyncio.sleep(0.2)  # the quick answer reaches the server
        call.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await call
        await until(lambda: simulator.in_flight == 0, 2)
    store = RunStore(settings.store_path)
    try:
        (run,) = store.list_runs(tool="consensus")
        calls = store.get_run(run["id"])["calls"]
    finally:
        store.close()
    assert run["status"] == "cancelled"
    assert [c["model"] for c in calls] == ["k/quick"]
    assert run["cost_usd"] == pytest.approx(calls[0]["cost_usd"]) and run["cost_usd"] > 0
