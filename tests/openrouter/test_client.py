"""OpenRouterClient against the loopback simulator (real HTTP) and a few odd shapes via MockTransport."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from pydantic import SecretStr

from conftest import NO_WAIT
from orcollective.errors import (
    AuthError,
    BadRequest,
    ConfigError,
    Forbidden,
    InsufficientCredits,
    MalformedResponse,
    ModelNotFound,
    RateLimited,
    ServerError,
    StreamInterrupted,
    UpstreamTimeout,
)
from orcollective.openrouter import OpenRouterClient, RetryPolicy
from orcollective.simulator import ScriptedModel, Simulator


def ask(model: str, text: str = "What is 2+2?", **extra) -> dict:
    return {"model": model, "messages": [{"role": "user", "content": text}], **extra}


@pytest.fixture
async def client(simulator: Simulator):
    async with OpenRouterClient(
        simulator.base_url,
        SecretStr(simulator.api_key),
        retry=NO_WAIT,
        app_url="https://x.test",
        app_title="t",
    ) as c:
        yield c


async def test_complete_returns_text_model_usage_and_cost(client, simulator):
    """A plain completion carries the text, the model used, token counts and usage.cost."""
    result = await client.complete(ask("sim/echo", "hello there"))
    assert result.text == "hello there"
    assert result.model == "sim/echo"
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert result.cost_usd is not None and result.cost_usd > 0
    assert result.cost_source == "usage.cost"
    assert result.generation_id and result.generation_id.startswith("gen-")
    assert result.provider


async def test_app_attribution_headers_and_bearer_are_sent(client, simulator):
    """HTTP-Referer and X-Title go with every request; the recorded Authorization is redacted."""
    await client.complete(ask("sim/echo"))
    headers = {k.lower(): v for k, v in simulator.requests[-1].headers.items()}
    assert headers["http-referer"] == "https://x.test"
    assert headers["x-title"] == "t"
    assert simulator.api_key not in json.dumps(headers)


async def test_stream_delivers_deltas_then_usage(client, simulator):
    """Streaming hands over text as it arrives and still collects the final usage chunk."""
    simulator.script(ScriptedModel("sim/talker", reply="one two three four five six", tokens_per_s=200))
    seen: list[str] = []
    result = await client.stream(ask("sim/talker"), on_text=seen.append)
    assert len(seen) > 1
    assert "".join(seen) == result.text == "one two three four five six"
    assert result.streamed and result.ttft_s is not None and result.ttft_s <= result.latency_s
    assert result.cost_usd is not None and result.usage.completion_tokens > 0


async def test_stream_reads_observed_usage_variant(client, simulator):
    """The usage chunk that carries one empty choice (seen in the wild) still yields usage."""
    simulator.script(ScriptedModel("sim/observed", reply="fine", usage_variant="observed"))
    result = await client.stream(ask("sim/observed"))
    assert result.text == "fine" and result.cost_usd is not None


async def test_rate_limit_is_retried_and_then_answers(client, simulator):
    """A 429 with Retry-After is retried; the second attempt answers."""
    result = await client.complete(ask("sim/rate-limited"))
    assert result.text
    assert simulator.calls("sim/rate-limited") == 2


async def test_retry_after_is_honoured_up_to_the_cap():
    """The wait is Retry-After itself, capped by max_wait_s."""
    policy = RetryPolicy(max_wait_s=2.0)

    class State:
        class outcome:
            @staticmethod
            def exception():
                return RateLimited("x", retry_after=1.5)

    assert policy.wait(State()) == 1.5
    State.outcome.exception = staticmethod(lambda: RateLimited("x", retry_after=60))
    assert policy.wait(State()) == 2.0


async def test_503_once_then_success(client, simulator):
    """A transient 503 is retried."""
    assert (await client.complete(ask("sim/flaky"))).text
    assert simulator.calls("sim/flaky") == 2


@pytest.mark.parametrize(
    ("model", "error", "fix"),
    [
        ("sim/no-credits", InsufficientCredits, "add credits"),
        ("sim/forbidden", Forbidden, "rephrase"),
        ("sim/not-found", ModelNotFound, "list_models"),
    ],
)
async def test_client_errors_are_not_retried(client, simulator, model, error, fix):
    """402/403/404 fail at once with a message that names the fix."""
    with pytest.raises(error) as info:
        await client.complete(ask(model))
    assert fix in str(info.value)
    assert "\n" not in str(info.value)
    assert simulator.calls(model) == 1


async def test_server_errors_are_retried_until_attempts_run_out(client, simulator):
    """A persistent 502 is tried exactly `attempts` times, then reported with the provider's detail."""
    with pytest.raises(ServerError) as info:
        await client.complete(ask("sim/server-error"))
    assert simulator.calls("sim/server-error") == 3
    assert "upstream connect error" in str(info.value)


@pytest.mark.parametrize(
    ("model", "error"),
    [
        ("sim/garbage", MalformedResponse),
        ("sim/error-200", ServerError),
        ("sim/choice-error", ServerError),
        ("sim/empty", MalformedResponse),
        ("sim/timeout", UpstreamTimeout),
    ],
)
async def test_odd_success_shapes_become_errors(client, model, error):
    """HTTP 200 with a non-JSON body, an error body, a failed choice or no text is an error, not an answer."""
    with pytest.raises(error):
        await client.complete(ask(model))


async def test_unknown_model_is_a_bad_request_pointing_to_list_models(client):
    """The API's 400 for an unknown id becomes BadRequest mentioning list_models."""
    with pytest.raises(BadRequest) as info:
        await client.complete(ask("acme/nope-1"))
    assert "list_models" in str(info.value)


async def test_wrong_key_is_an_auth_error_without_the_key(simulator):
    """A bad key gives AuthError saying how to set it, and never echoes the key."""
    secret = "sk-or-v1-wrongwrongwrong"
    async with OpenRouterClient(simulator.base_url, SecretStr(secret), retry=NO_WAIT) as c:
        with pytest.raises(AuthError) as info:
            await c.complete(ask("sim/echo"))
    assert "OPENROUTER_API_KEY" in str(info.value)
    assert secret not in str(info.value) and secret not in repr(info.value)


async def test_missing_key_is_a_config_error_before_any_request(simulator):
    """Without a key nothing is sent and the error says where to put one."""
    async with OpenRouterClient(simulator.base_url, None, retry=NO_WAIT) as c:
        with pytest.raises(ConfigError) as info:
            await c.complete(ask("sim/echo"))
        assert len(await c.models()) > 100  # the catalog needs no key
    assert "OPENROUTER_API_KEY" in str(info.value)
    assert simulator.calls() == 0


async def test_midstream_error_after_tokens_is_final(client, simulator):
    """An error chunk after text arrived is raised and not retried (the text was already shown)."""
    seen: list[str] = []
    with pytest.raises(ServerError):
        await client.stream(ask("sim/midstream-error"), on_text=seen.append)
    assert seen
    assert simulator.calls("sim/midstream-error") == 1


async def test_cut_connection_mid_stream_is_stream_interrupted(client, simulator):
    """A connection closed mid-answer is reported as an interrupted stream."""
    with pytest.raises(StreamInterrupted):
        await client.stream(ask("sim/cut"), on_text=lambda _: None)


async def test_cut_connection_during_a_json_answer_says_it_broke(client, simulator):
    """A connection dropped while a non-streamed answer is pending is "broke mid-answer", not "cannot reach"."""
    with pytest.raises(StreamInterrupted, match="broke mid-answer") as info:
        await client.complete(ask("sim/cut"))
    assert "Cannot reach" not in str(info.value)


async def test_fallback_models_answer_with_the_model_used(client):
    """With models[], a failing first model falls back and the response names the model that answered."""
    result = await client.complete(ask("sim/no-credits", models=["sim/no-credits", "sim/echo"]))
    assert result.model == "sim/echo"
    assert result.requested_model == "sim/no-credits"


async def test_cancelling_a_call_closes_the_upstream_request(client, simulator):
    """Cancelling the awaiting task disconnects, and the simulator sees the cancellation."""
    task = asyncio.create_task(client.complete(ask("sim/slow")))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):
        if simulator.cancelled:
            break
        await asyncio.sleep(0.02)
    assert simulator.cancelled == 1


async def test_key_credits_and_generation_endpoints(client, simulator):
    """/key, /credits and /generation return their data objects."""
    done = await client.complete(ask("sim/echo"))
    key = await client.key_info()
    assert key.usage is not None and key.usage >= done.cost_usd
    assert (await client.credits())["total_credits"] > 0
    await asyncio.sleep(0.4)  # /generation answers 404 for a moment after the call
    record = await client.generation(done.generation_id)
    assert record["id"] == done.generation_id


async def test_non_json_error_body_and_leading_whitespace():
    """A 502 with an HTML body maps by status; a JSON body after whitespace still parses."""
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return httpx.Response(502, text="<html>Bad Gateway</html>")
        body = {
            "id": "gen-1",
            "model": "m/x",
            "choices": [{"message": {"content": [{"type": "text", "text": "ok"}]}}],
        }
        return httpx.Response(200, content=b"   \n" + json.dumps(body).encode())

    async with OpenRouterClient(
        "http://mock/api/v1", SecretStr("k"), retry=NO_WAIT, transport=httpx.MockTransport(handler)
    ) as c:
        result = await c.complete(ask("m/x"))
    assert result.text == "ok" and calls["n"] == 2
    assert result.cost_usd is None and result.cost_source == "unknown"


async def test_a_quota_that_resets_later_is_not_retried(client, simulator):
    """A 429 whose X-RateLimit-Reset is an hour away fails at once and says when it resets."""
    simulator.script(ScriptedModel("sim/daily-cap", faults=["429"], retry_after_s=3600))
    with pytest.raises(RateLimited) as info:
        await client.complete(ask("sim/daily-cap"))
    assert "resets at" in str(info.value) and "UTC" in str(info.value)
    assert simulator.calls("sim/daily-cap") == 1
