"""Whatever an upstream sends, a tool answers with a result or one clear line, and its run ends.

The server runs in memory behind the official MCP client; upstream is an ``httpx.MockTransport`` that
serves the simulator's catalog and replies in shapes OpenRouter does not document.
"""

from __future__ import annotations

import json
import math

import httpx
import pytest
from mcp import Client

from conftest import no_wait
from orcollective.mcp import build_server
from orcollective.settings import Settings
from orcollective.simulator import build_catalog
from orcollective.store import RunStore

CATALOG = build_catalog(40)
MODEL = "openai/gpt-4o-mini"
MC = "Which gas do plants absorb?\nA) Oxygen\nB) Carbon dioxide"


def completion(**override) -> dict:
    body = {
        "id": "gen-1",
        "model": MODEL,
        "provider": "OpenAI",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Answer: B"}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 3, "cost": 0.0001},
    }
    body.update(override)
    return body


def sse(*chunks: object) -> bytes:
    return b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in chunks) + b"data: [DONE]\n\n"


def upstream(reply, key: object = None) -> httpx.MockTransport:
    """``reply(body) -> httpx.Response`` answers chat; /models is the simulator's catalog."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"data": CATALOG})
        if request.url.path.endswith("/key"):
            return httpx.Response(200, json={"data": key})
        return reply(json.loads(request.content))

    return httpx.MockTransport(handler)


def settings(tmp_path, **extra) -> Settings:
    return Settings(
        api_key="sk-or-v1-hostile", base_url="http://upstream.test/api/v1", cache_dir=tmp_path / "cache",
        data_dir=tmp_path / "data", **extra,
    )  # fmt: skip


async def call(tmp_path, reply, tool="chat", arguments=None, key=None, **extra):
    s = settings(tmp_path, **extra)
    async with Client(build_server(s, transport=upstream(reply, key), retry=no_wait(attempts=1))) as client:
        result = await client.call_tool(tool, {"model": MODEL, "prompt": "hi"} if arguments is None else arguments)
    return result, s


def text_of(result) -> str:
    return " ".join(b.text for b in result.content if b.type == "text")


def runs_of(s: Settings) -> list[dict]:
    store = RunStore(s.store_path)
    try:
        return store.list_runs(limit=100)
    finally:
        store.close()


BAD_BODIES = {
    "usage as a list": completion(usage=[1, 2]),
    "completion_tokens_details as a string": completion(
        usage={"prompt_tokens": 1, "completion_tokens": 1, "completion_tokens_details": "lots"}
    ),
    "message as a string": completion(choices=[{"finish_reason": "stop", "message": "Answer: B"}]),
    "message as a list": completion(choices=[{"finish_reason": "stop", "message": ["Answer: B"]}]),
    "model as a number": completion(model=42),
    "a text part that is not a string": completion(
        choices=[{"finish_reason": "stop", "message": {"content": [{"type": "text", "text": {"x": 1}}]}}]
    ),
    "no choices": completion(choices=[]),
}


@pytest.mark.parametrize("shape", list(BAD_BODIES))
async def test_a_malformed_completion_is_one_line_and_the_run_ends(tmp_path, shape):
    """Consensus over non-streamed replies of a bad shape: one line naming the model; the run is not left
    running."""

    def reply(body):
        return httpx.Response(200, json=BAD_BODIES[shape])

    arguments = {"prompt": MC, "models": [MODEL, "openai/gpt-4o"], "early_stop": False}
    result, s = await call(tmp_path, reply, "consensus", arguments)
    text = text_of(result)
    assert result.is_error and "\n" not in text
    assert "malformed reply for" in text and "Traceback" not in text
    assert [r["status"] for r in runs_of(s)] == ["error"]


@pytest.mark.parametrize(
    "delta", [["Answer"], "Answer: B", {"content": 5}, {"content": [{"type": "text", "text": 7}]}], ids=repr
)
async def test_a_malformed_stream_chunk_is_one_line(tmp_path, delta):
    """chat over SSE: a delta that is a list, a string or of the wrong types is one line; the run ends."""

    def reply(body):
        chunk = {"id": "gen-1", "model": MODEL, "choices": [{"index": 0, "delta": delta}]}
        return httpx.Response(200, content=sse(chunk), headers={"content-type": "text/event-stream"})

    result, s = await call(tmp_path, reply)
    assert result.is_error and "malformed reply for" in text_of(result)
    assert [r["status"] for r in runs_of(s)] == ["error"]


@pytest.mark.parametrize("cost", [math.nan, -5.0, 1e308, "lots", True])
async def test_an_implausible_cost_is_unknown_and_the_ledger_stays_finite(tmp_path, cost):
    """NaN, negative, absurd or non-numeric costs are not trusted: the catalog estimate stands in, the result
    keeps its own schema, and the ledger total stays finite across calls."""

    def reply(body):
        usage = {"prompt_tokens": 10, "completion_tokens": 3, "cost": cost}
        # json.dumps writes NaN as the bare token NaN, as a sloppy upstream would.
        text = {"id": "g", "model": MODEL, "choices": [{"index": 0, "delta": {"content": "hi"}}]}
        end = {"id": "g", "model": MODEL, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        return httpx.Response(
            200, content=sse(text, {**end, "usage": usage}), headers={"content-type": "text/event-stream"}
        )

    s = settings(tmp_path)
    async with Client(build_server(s, transport=upstream(reply), retry=no_wait(attempts=1))) as client:
        first = await client.call_tool("chat", {"model": MODEL, "prompt": "hi"})
        await client.call_tool("chat", {"model": MODEL, "prompt": "hi"})
        usage = await client.call_tool("usage", {})
    assert not first.is_error, text_of(first)
    assert first.structured_content["cost_source"] == "catalog estimate"
    assert 0 <= first.structured_content["cost_usd"] < 1
    assert not usage.is_error and math.isfinite(usage.structured_content["ledger_total_usd"])
    assert usage.structured_content["ledger_total_usd"] < 1


@pytest.mark.parametrize(
    "key",
    [{"limit": "lots"}, {"usage": [1]}, {"is_free_tier": {"x": 1}}, {"label": 5}, "not an object", None],
    ids=repr,
)
async def test_a_key_reply_with_odd_types_is_one_line(tmp_path, key):
    """usage still answers (with the ledger) and says the /key reply was malformed."""
    result, _ = await call(tmp_path, lambda body: httpx.Response(500), "usage", {}, key=key)
    assert not result.is_error
    assert "/key" in result.structured_content["account_error"]


async def test_a_long_stream_is_cut_at_the_reply_cap_and_says_so(tmp_path):
    """A reply far over ORCOLLECTIVE_MAX_REPLY_CHARS comes back cut to the cap and marked truncated."""
    pieces = [{"id": "g", "model": MODEL, "choices": [{"index": 0, "delta": {"content": "x" * 1000}}]}] * 50

    def reply(body):
        return httpx.Response(200, content=sse(*pieces), headers={"content-type": "text/event-stream"})

    result, _ = await call(tmp_path, reply, max_reply_chars=5000)
    assert not result.is_error
    assert len(result.structured_content["text"]) == 5000 and result.structured_content["truncated"] is True
    assert "truncated" in text_of(result)


async def test_a_non_streamed_reply_over_the_cap_is_one_line(tmp_path):
    """A JSON reply over the cap cannot be cut and parsed: one line says how to lower it."""
    big = completion(choices=[{"finish_reason": "stop", "message": {"content": "x" * 2_000_000}}])
    arguments = {"prompt": MC, "models": [MODEL, "openai/gpt-4o"], "early_stop": False}
    result, _ = await call(tmp_path, lambda body: httpx.Response(200, json=big), "consensus", arguments,
                           max_reply_chars=1000)  # fmt: skip
    assert result.is_error and "max_tokens" in text_of(result)
