"""OpenRouterClient reading OpenRouter's feature fields over real HTTP: tool calls and citations in JSON
and SSE, reasoning apart from the text, the response cache status, lazy /generation stats and the
X-RateLimit-* reset in a 429's error."""

from __future__ import annotations

import time

import pytest
from pydantic import SecretStr

from conftest import no_wait
from orcollective.errors import ModelNotFound, RateLimited
from orcollective.openrouter import OpenRouterClient
from orcollective.simulator import ScriptedModel, Simulator

TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]


def ask(model: str, **extra) -> dict:
    return {"model": model, "messages": [{"role": "user", "content": "Which city?"}], **extra}


@pytest.fixture
async def client(simulator: Simulator):
    async with OpenRouterClient(simulator.base_url, SecretStr(simulator.api_key), retry=no_wait(1)) as c:
        yield c


@pytest.mark.parametrize("streamed", [False, True])
async def test_tool_calls_citations_and_reasoning_are_read_from_both_shapes(client, simulator, streamed):
    """JSON and SSE give the same tool calls (fragments joined), cited sources and separate reasoning."""
    simulator.script(
        ScriptedModel(
            "w/all",
            reply="Paris.",
            reasoning="capital of France",
            tool_calls=[{"name": "lookup", "arguments": {"q": "capital", "n": 2}}],
        )  # fmt: skip
    )
    body = ask("w/all", tools=[*TOOLS, {"type": "openrouter:web_search", "parameters": {"max_results": 2}}])
    done = await (client.stream(body) if streamed else client.complete(body))
    assert done.text == "Paris." and done.reasoning == "capital of France"
    assert [(t.id, t.name, t.arguments) for t in done.tool_calls] == [("call_0", "lookup", '{"q":"capital","n":2}')]
    assert [s.url.split("?")[0] for s in done.sources] == [
        "https://example.org/result/1",
        "https://example.org/result/2",
    ]
    assert done.finish_reason == "tool_calls"


async def test_a_reply_of_tool_calls_only_is_an_answer(client, simulator):
    """No text but a tool call is not the 'empty answer' cold-start failure."""
    simulator.script(ScriptedModel("w/caller", reply="", tool_calls=[{"name": "lookup", "arguments": {}}]))
    done = await client.complete(ask("w/caller", tools=TOOLS))
    assert done.text == "" and done.tool_calls[0].name == "lookup"


async def test_response_cache_status_is_read_from_the_headers(client, simulator):
    """X-OpenRouter-Cache: a MISS first, then a HIT billed nothing."""
    headers = {"X-OpenRouter-Cache": "true"}
    first = await client.stream(ask("openai/gpt-4o-mini"), headers=headers)
    second = await client.stream(ask("openai/gpt-4o-mini"), headers=headers)
    assert (first.cache_status, second.cache_status) == ("MISS", "HIT")
    assert first.cost_usd > 0 and second.cost_usd == 0 and second.generation_id != first.generation_id


async def test_generation_stats_wait_out_the_early_404():
    """/generation answers 404 for a moment after a call: the stats are asked again until they exist."""
    with Simulator(generation_delay_s=0.3) as sim:
        async with OpenRouterClient(sim.base_url, SecretStr(sim.api_key), retry=no_wait(1)) as client:
            done = await client.complete(ask("sim/echo"))
            stats = await client.generation_stats(done.generation_id, waits_s=(0.2, 0.2, 0.2))
            with pytest.raises(ModelNotFound, match="ask again in a few seconds"):
                await client.generation_stats("gen-0-nosuchgeneration0000", waits_s=(0.01,))
    assert stats.id == done.generation_id and stats.total_cost == done.cost_usd
    assert stats.native_tokens_prompt == done.usage.prompt_tokens


async def test_a_429_names_when_its_limit_resets(client, simulator):
    """The X-RateLimit-Reset of a platform 429 is shown as a UTC time in the one-line error."""
    simulator.script(ScriptedModel("w/limited", faults=["429"], retry_after_s=5))
    before = time.strftime("%H:%M", time.gmtime(time.time() + 5))
    with pytest.raises(RateLimited) as info:
        await client.complete(ask("w/limited"))
    after = time.strftime("%H:%M", time.gmtime(time.time() + 5))
    assert any(f"it resets at {when}:" in str(info.value) for when in (before, after))
