"""runs(run_id, details=true): each call's generation stats, fetched from OpenRouter only when asked."""

from __future__ import annotations

from mcp import Client

from conftest import no_wait, settings_for
from orcollective.mcp import build_server


async def test_details_bring_each_calls_generation_stats(simulator, tmp_path):
    """After a chat, details=true adds the provider, native token counts and final cost of its call; without
    it, /generation is never asked."""
    async with Client(build_server(settings_for(simulator, tmp_path), retry=no_wait())) as client:
        chat = await client.call_tool("chat", {"model": "sim/echo", "prompt": "count these words"})
        run_id = chat.structured_content["run_id"]
        plain = await client.call_tool("runs", {"run_id": run_id})
        asked_before = [r.path for r in simulator.requests if r.path.endswith("/generation")]
        detailed = await client.call_tool("runs", {"run_id": run_id, "details": True})
    asked_after = [r.path for r in simulator.requests if r.path.endswith("/generation")]
    assert "generation" not in plain.structured_content["run"]["calls"][0] and not asked_before
    assert asked_after
    (call,) = detailed.structured_content["run"]["calls"]
    stats = call["generation"]
    assert stats["id"] == chat.structured_content["generation_id"]
    assert stats["provider_name"] and stats["native_tokens_prompt"] > 0
    assert stats["total_cost"] > 0
