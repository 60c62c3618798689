"""free_chat against the simulator's rate-limited free models: free-only fallback lists, cooldowns from the
429's X-RateLimit-Reset, learned order persisted across runtimes, and the daily free quota."""

from __future__ import annotations

import time

import pytest
from mcp import Client

from conftest import no_wait, settings_for
from orcollective.errors import InvalidArgument, RateLimited
from orcollective.features import Progress
from orcollective.features.free_chat import FreeChatRequest
from orcollective.features.free_chat import run as free_chat
from orcollective.mcp import build_server
from orcollective.runtime import open_runtime
from orcollective.simulator import ScriptedModel, Simulator
from orcollective.store.free_models import cooldowns, record_attempt

NO_WAIT = no_wait(attempts=1)
FREE = ["f/busy:free", "f/steady:free", "f/spare:free"]


def scripts() -> list[ScriptedModel]:
    """A free model capped at 1 request a minute, and two uncapped ones."""
    return [
        ScriptedModel(FREE[0], reply="busy here", rpm=1),
        ScriptedModel(FREE[1], reply="steady here", latency_s=0.01),
        ScriptedModel(FREE[2], reply="spare here", latency_s=0.02),
    ]


async def ask(rt, **kwargs):
    return await free_chat(rt, FreeChatRequest.model_validate({"prompt": "hi", "models": FREE, **kwargs}), Progress())


async def test_fallback_list_is_free_only_and_a_429_cools_the_model_down(tmp_path) -> None:
    """One model per request: the capped model answers, then 429s with X-RateLimit-Reset; it cools down
    until that reset and the next model answers at once; the third request skips it without asking."""
    with Simulator(scripts()) as sim:
        async with open_runtime(settings_for(sim, tmp_path), retry=NO_WAIT) as rt:
            first = await ask(rt, fallbacks=1)
            second = await ask(rt, fallbacks=1)
            third = await ask(rt, fallbacks=1)
            assert rt.store is not None
            cooling = cooldowns(rt.store, time.time())
        bodies = [r.json for r in sim.requests if r.path.endswith("/chat/completions")]
        busy_calls = sim.calls(FREE[0])

    assert first.model == FREE[0] and first.cost_usd == 0
    assert [(a.model, a.outcome) for a in second.attempts] == [(FREE[0], "rate limited"), (FREE[1], "answered")]
    assert second.model == FREE[1]
    # The cooldown lasts until the window's reset: about 60 s from the first request.
    assert 50 < cooling[FREE[0]].until - time.time() <= 61
    assert third.model == FREE[1] and busy_calls == 2  # cooling down: not asked a third time
    assert all(set(b["models"]) <= set(FREE) and b["model"] == b["models"][0] for b in bodies)


async def test_fallback_inside_one_request_and_the_learned_order_persists(tmp_path) -> None:
    """With models[] of three, OpenRouter-style fallback serves the second model in the same request; the
    capped model's failure is remembered, so a new runtime (a new process) puts the others first."""
    with Simulator(scripts()) as sim:
        settings = settings_for(sim, tmp_path)
        async with open_runtime(settings, retry=NO_WAIT) as rt:
            await ask(rt)
            fell = await ask(rt)
        async with open_runtime(settings, retry=NO_WAIT) as rt:
            later = await ask(rt)
        last_body = [r.json for r in sim.requests if r.path.endswith("/chat/completions")][-1]

    assert [(a.model, a.outcome) for a in fell.attempts] == [(FREE[0], "fell through"), (FREE[1], "answered")]
    assert later.model == FREE[1] and last_body["models"][0] == FREE[1]
    # steady (2 of 2) first; busy (1 of 2) ties with the untried spare at 1/2 and goes first on measured latency.
    assert last_body["models"] == [FREE[1], FREE[0], FREE[2]]


async def test_daily_quota_from_key_is_counted_and_refused_before_sending(tmp_path) -> None:
    """A free-tier key (/key is_free_tier) gets 50 a day; after 50 counted requests the tool refuses to
    send and says when the quota resets."""
    with Simulator(scripts(), free_tier=True) as sim:
        async with open_runtime(settings_for(sim, tmp_path), retry=NO_WAIT) as rt:
            result = await ask(rt, models=FREE[1:])
            assert result.quota.daily_limit == 50 and result.quota.used_today == 1
            assert rt.store is not None
            for _ in range(49):
                record_attempt(rt.store, FREE[1], ok=True, latency_s=0.1, status=200, error=None)
            sent = sim.calls()
            with pytest.raises(RateLimited, match=r"Daily free quota used up \(50/50 requests today\); it resets at"):
                await ask(rt, models=FREE[1:])
            assert sim.calls() == sent


async def test_the_upstream_daily_cap_blocks_every_free_model_until_its_reset(tmp_path) -> None:
    """OpenRouter's own free-models-per-day 429 puts the whole free tier in a cooldown, said in one line."""
    with Simulator(scripts(), free_daily_limit=1) as sim:
        async with open_runtime(settings_for(sim, tmp_path), retry=NO_WAIT) as rt:
            await ask(rt, models=FREE[1:])
            with pytest.raises(RateLimited, match="Daily free quota used up; it resets at .* UTC"):
                await ask(rt, models=FREE[1:])
            sent = sim.calls()
            with pytest.raises(RateLimited, match="Daily free quota used up"):
                await ask(rt, models=FREE[2:])
            assert sim.calls() == sent


async def test_paid_models_are_refused(simulator, tmp_path) -> None:
    """A paid id is never put in the fallback list: it would be billed."""
    for script in [*scripts(), ScriptedModel("f/paid", reply="x")]:
        simulator.script(script)
    async with open_runtime(settings_for(simulator, tmp_path), retry=NO_WAIT) as rt:
        with pytest.raises(InvalidArgument, match="not free"):
            await ask(rt, models=[FREE[1], "f/paid"])
    assert simulator.calls() == 0


async def test_mcp_tool_picks_from_the_free_catalog(tmp_path) -> None:
    """Without models the tool picks among the catalog's free models; the fallback list is free only."""
    with Simulator() as sim:
        async with Client(build_server(settings_for(sim, tmp_path), retry=NO_WAIT)) as client:
            result = await client.call_tool("free_chat", {"prompt": "hello"})
        body = [r.json for r in sim.requests if r.path.endswith("/chat/completions")][-1]
        free_ids = {m["id"] for m in sim.catalog if m["pricing"]["prompt"] == "0" and m["pricing"]["completion"] == "0"}
    assert not result.is_error, result.content[0].text
    assert len(body["models"]) == 3 and set(body["models"]) <= free_ids
    assert result.structured_content["model"] in body["models"]


async def test_the_result_names_its_run(simulator, tmp_path):
    """free_chat's result carries the run id the store holds it under, like every tool that records a run."""
    from mcp import Client

    from conftest import no_wait, settings_for
    from orcollective.mcp import build_server
    from orcollective.store import RunStore

    settings = settings_for(simulator, tmp_path)
    async with Client(build_server(settings, retry=no_wait())) as client:
        result = await client.call_tool("free_chat", {"prompt": "hello"})
    assert not result.is_error, result.content
    run_id = result.structured_content["run_id"]
    store = RunStore(settings.store_path)
    try:
        assert store.get_run(run_id)["tool"] == "free_chat"
    finally:
        store.close()
