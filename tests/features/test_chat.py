"""The chat feature through the in-memory MCP client: the concurrency limit, argument checks, the ledger."""

from __future__ import annotations

import asyncio

import pytest
from mcp import Client

from conftest import no_wait, settings_for
from orcollective.mcp import build_server
from orcollective.simulator import ScriptedModel
from orcollective.store import RunStore


def text_of(result) -> str:
    return " ".join(block.text for block in result.content if block.type == "text")


async def test_chat_honours_the_concurrency_limit(simulator, tmp_path):
    """Six chats at once with ORCOLLECTIVE_MAX_CONCURRENCY=2 never have more than two requests upstream."""
    simulator.script(ScriptedModel("lim/slow", reply="ok", latency_s=0.3))
    server = build_server(settings_for(simulator, tmp_path, max_concurrency=2), retry=no_wait())
    async with Client(server) as client:
        results = await asyncio.gather(
            *(client.call_tool("chat", {"model": "lim/slow", "prompt": f"q{i}"}) for i in range(6))
        )
    assert not any(r.is_error for r in results)
    assert simulator.max_concurrency == 2


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"temprature": 0.2}, "unknown argument 'temprature'; did you mean 'temperature'?"),
        ({"file": ["a.pdf"]}, "unknown argument 'file'; did you mean 'files'?"),
        ({"x" * 1000: 1}, "unknown argument '" + "x" * 77 + "...'"),
    ],
)
async def test_unknown_arguments_are_refused_not_dropped(simulator, tmp_path, arguments, expected):
    """An argument the tool does not have is an error naming it (and the closest valid one); nothing is sent."""
    async with Client(build_server(settings_for(simulator, tmp_path), retry=no_wait())) as client:
        result = await client.call_tool("chat", {"model": "sim/echo", "prompt": "hi", **arguments})
    assert result.is_error
    assert expected in text_of(result)
    assert simulator.calls() == 0


async def test_a_chat_call_is_recorded_with_its_role_tokens_and_generation(simulator, tmp_path):
    """The ledger row of a chat keeps the tokens, generation id, cost source and the role 'single'."""
    settings = settings_for(simulator, tmp_path)
    async with Client(build_server(settings, retry=no_wait())) as client:
        result = await client.call_tool("chat", {"model": "sim/echo", "prompt": "count these words"})
    assert not result.is_error
    store = RunStore(settings.store_path)
    try:
        (run,) = store.list_runs()
        (call,) = store.get_run(run["id"])["calls"]
    finally:
        store.close()
    assert call["role"] == "single" and call["model"] == "sim/echo"
    assert call["prompt_tokens"] > 0 and call["completion_tokens"] > 0
    assert call["generation_id"] == result.structured_content["generation_id"]
    assert call["cost_source"] == "usage.cost"
