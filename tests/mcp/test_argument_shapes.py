"""Free-form argument shapes a client may send: each is one line naming the fix; nothing crashes."""

from __future__ import annotations

import pytest
from mcp import Client

from conftest import no_wait, settings_for
from orcollective.mcp import build_server
from orcollective.simulator import ScriptedModel

CHAT = {"model": "sim/echo"}
CASES = [
    ("chat", {**CHAT, "messages": [{"role": ["user"], "content": "hi"}]}, "messages"),
    ("chat", {**CHAT, "messages": [{"role": {"x": 1}, "content": "hi"}]}, "messages"),
    ("chat", {**CHAT, "messages": [{"role": "user", "content": 5}]}, "messages"),
    ("chat", {**CHAT, "messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]}, "messages"),
    ("chat", {**CHAT, "prompt": "hi", "response_format": {"type": ["json_object"]}}, "response_format"),
    ("chat", {**CHAT, "prompt": "hi", "response_format": {"type": "json_schema"}}, "json_schema"),
    ("chat", {**CHAT, "prompt": "hi", "routing": {"sort": ["price"]}}, "routing.sort"),
    ("chat", {**CHAT, "prompt": "hi", "routing": {"bogus": 1}}, "routing.bogus"),
    ("chat", {**CHAT, "prompt": "hi", "images": ["x" * 300 + ".png"]}, "images[0]"),
    ("chat", {"model": "m" * 1_000_000, "prompt": "hi"}, "characters long"),
    ("chat", {"model": "bad id", "prompt": "hi"}, "spaces"),
    ("usage", {"days": 10**400}, "days"),
    ("list_models", {"offset": 10**400}, "offset"),
    ("consensus", {"prompt": "2+2?", "models": ["sim/echo", "z" * 5000]}, "characters long"),
]


@pytest.mark.parametrize(("tool", "arguments", "named"), CASES, ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(CASES)])
async def test_odd_shapes_are_one_short_line(simulator, tmp_path, tool, arguments, named):
    """Every odd shape is an isError result of one line under 400 characters that names the argument."""
    async with Client(build_server(settings_for(simulator, tmp_path), retry=no_wait())) as client:
        result = await client.call_tool(tool, arguments)
        alive = await client.call_tool("chat", {"model": "sim/echo", "prompt": "still here"})
    text = " ".join(b.text for b in result.content if b.type == "text")
    assert result.is_error, text
    assert named in text and "\n" not in text and len(text) < 400, text
    assert "Traceback" not in text and "Error executing" not in text
    assert not alive.is_error
    assert simulator.calls() == 1  # only the check that the server is still alive went upstream


async def test_a_keep_alive_stream_ends_at_the_deadline(simulator, tmp_path):
    """A model that sends one token a second for a minute: chat with timeout_s=2 gives up in about 2 s with
    one line, and the run ends as an error."""
    simulator.script(ScriptedModel("slow/drip", reply="word " * 60, tokens_per_s=1))
    import time

    async with Client(build_server(settings_for(simulator, tmp_path), retry=no_wait())) as client:
        started = time.monotonic()
        result = await client.call_tool("chat", {"model": "slow/drip", "prompt": "hi", "timeout_s": 2})
        elapsed = time.monotonic() - started
        runs = await client.call_tool("runs", {"tool": "chat"})
    text = " ".join(b.text for b in result.content if b.type == "text")
    assert result.is_error and "within 2s" in text and "timeout_s" in text
    assert elapsed < 5
    assert [r["status"] for r in runs.structured_content["runs"]] == ["error"]


async def test_a_stream_that_goes_quiet_is_given_up(simulator, tmp_path):
    """Keep-alive comments alone do not keep a stream open past ORCOLLECTIVE_STREAM_IDLE_S."""
    simulator.script(ScriptedModel("slow/quiet", always_fault="keepalive"))
    settings = settings_for(simulator, tmp_path, stream_idle_s=1)
    async with Client(build_server(settings, retry=no_wait(attempts=1))) as client:
        result = await client.call_tool("chat", {"model": "slow/quiet", "prompt": "hi", "timeout_s": 20})
    text = " ".join(b.text for b in result.content if b.type == "text")
    assert result.is_error and "sent nothing for 1s" in text


@pytest.mark.parametrize(
    "arguments",
    [
        {"model": "sim/echo", "prompt": "hi", "routing": {"max_prompt_price": float("nan")}},
        {
            "model": "sim/echo",
            "prompt": "hi",
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {"maximum": float("inf")}}}],
        },
        {"model": "sim/echo", "prompt": "hi", "temperature": float("inf")},
    ],
)
def test_nan_and_infinity_are_refused(arguments):
    """JSON has no NaN, but a lenient client's parser may produce one: the Request model refuses it."""
    from pydantic import ValidationError

    from orcollective.features.chat import ChatRequest

    with pytest.raises(ValidationError) as info:
        ChatRequest.model_validate(arguments)
    assert ChatRequest.problems(info.value)
