"""The loopback OpenRouter simulator, driven over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal

import httpx
import pytest

from orcollective.simulator import ScriptedModel, Simulator, build_catalog, default_scripts

SCRIPTS = [
    ScriptedModel("test/latency", reply="ok", latency_s=0.3),
    ScriptedModel("test/long-wait", reply="late", latency_s=5.0),
    ScriptedModel("test/trickle", reply=" ".join(["word"] * 40), tokens_per_s=20),
    ScriptedModel("test/observed", reply="hello there", usage_variant="observed"),
    ScriptedModel("test/fixed", reply="The answer is 42, as always.", provider="Groq"),
]
QUESTION = [{"role": "user", "content": "What is six times seven?"}]


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(SCRIPTS) as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_counters(sim: Simulator) -> None:
    sim.reset()


@pytest.fixture(scope="module")
def http(sim: Simulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.base_url, headers=_auth(sim), timeout=10) as client:
        yield client


def _auth(sim: Simulator) -> dict[str, str]:
    return {"Authorization": f"Bearer {sim.api_key}"}


def _chat(http: httpx.Client, model: str, **extra: object) -> httpx.Response:
    return http.post("/chat/completions", json={"model": model, "messages": QUESTION, **extra})


def _stream(http: httpx.Client, model: str, **extra: object) -> tuple[httpx.Response, bytes]:
    with http.stream(
        "POST", "/chat/completions", json={"model": model, "messages": QUESTION, "stream": True, **extra}
    ) as response:
        return response, response.read()


def _events(raw: bytes) -> list[str]:
    assert raw.endswith(b"\n\n")
    return raw.decode().split("\n\n")[:-1]


def _payloads(raw: bytes) -> list[dict]:
    return [json.loads(event.removeprefix("data: ")) for event in _events(raw) if event.startswith("data: {")]


def _eventually(condition: Callable[[], bool], timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def _fault_model(sim: Simulator, fault: str) -> str:
    model_id = f"test/always-{fault}"
    sim.script(ScriptedModel(model_id, always_fault=fault))
    return model_id


# Chat completions


def test_completion_has_the_documented_shape(sim: Simulator, http: httpx.Client) -> None:
    """A non-streaming answer carries every documented field, the generation header and a priced usage."""
    response = _chat(http, "openai/gpt-4o")
    body = response.json()
    assert response.status_code == 200
    assert re.fullmatch(r"gen-\d{10}-[A-Za-z0-9]{20}", body["id"])
    assert response.headers["X-Generation-Id"] == body["id"]
    assert response.headers.get("X-RateLimit-Limit") is None
    assert body["object"] == "chat.completion" and isinstance(body["created"], int)
    assert body["model"] == "openai/gpt-4o" and body["provider"] == "OpenAI"
    assert body["system_fingerprint"].startswith("fp_")
    choice = body["choices"][0]
    assert choice["index"] == 0 and choice["logprobs"] is None
    assert choice["finish_reason"] == "stop" and choice["native_finish_reason"] == "stop"
    assert choice["message"] == {
        "role": "assistant",
        "refusal": None,
        "reasoning": None,
        "content": "Simulated answer from openai/gpt-4o to: What is six times seven?",
    }
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["completion_tokens"] == -(-len(choice["message"]["content"]) // 4)
    pricing = next(m for m in sim.catalog if m["id"] == "openai/gpt-4o")["pricing"]
    expected = (
        Decimal(pricing["prompt"]) * usage["prompt_tokens"]
        + Decimal(pricing["completion"]) * usage["completion_tokens"]
    )
    assert usage["cost"] == pytest.approx(float(expected))
    assert usage["is_byok"] is False
    assert set(usage["cost_details"]) == {
        "upstream_inference_cost",
        "upstream_inference_prompt_cost",
        "upstream_inference_completions_cost",
    }
    assert usage["prompt_tokens_details"]["cached_tokens"] == 0
    assert usage["completion_tokens_details"]["reasoning_tokens"] == 0
    assert sim.spent_usd == pytest.approx(usage["cost"])


def test_provider_specific_finish_reason_and_script_provider(http: httpx.Client) -> None:
    """native_finish_reason uses the provider's spelling; a script can name its provider."""
    assert _chat(http, "anthropic/claude-sonnet-4").json()["choices"][0]["native_finish_reason"] == "end_turn"
    body = _chat(http, "test/fixed").json()
    assert body["provider"] == "Groq"
    assert body["choices"][0]["message"]["content"] == "The answer is 42, as always."


def test_unknown_and_legacy_fields_are_ignored(http: httpx.Client) -> None:
    """Legacy and OpenRouter-only request fields are accepted and ignored."""
    response = _chat(
        http,
        "meta-llama/llama-3.3-70b-instruct:free",
        transforms=["middle-out"],
        route="fallback",
        usage={"include": True},
        stream_options={"include_usage": True},
        plugins=[{"id": "context-compression"}],
        provider={"order": ["together"], "max_price": {"prompt": 1}},
        reasoning={"effort": "high"},
        include_reasoning=True,
        temperature=0.2,
        some_future_field={"x": 1},
    )
    assert response.status_code == 200
    assert response.json()["usage"]["cost"] == 0


def test_chat_requires_bearer_auth(sim: Simulator) -> None:
    """No credentials and a wrong key both answer 401 with OpenRouter's messages."""
    url = f"{sim.base_url}/chat/completions"
    payload = {"model": "sim/echo", "messages": QUESTION}
    missing = httpx.post(url, json=payload)
    assert missing.status_code == 401
    assert missing.json() == {"error": {"message": "No auth credentials found", "code": 401}}
    wrong = httpx.post(url, json=payload, headers={"Authorization": "Bearer sk-or-v1-wrong"})
    assert wrong.status_code == 401 and wrong.json()["error"]["message"] == "User not found."
    assert sim.calls() == 0


def test_invalid_requests_are_400(http: httpx.Client) -> None:
    """Unknown models, bodies that are not JSON, missing messages and bad max_tokens are 400s."""
    unknown = _chat(http, "acme/fake-1.0")
    assert unknown.status_code == 400
    assert unknown.json()["error"] == {"message": "acme/fake-1.0 is not a valid model ID", "code": 400}
    assert http.post("/chat/completions", content=b"{not json").status_code == 400
    assert http.post("/chat/completions", json={"model": "sim/echo"}).status_code == 400
    assert _chat(http, "sim/echo", max_tokens=0).status_code == 400


def test_max_tokens_truncates_with_length(http: httpx.Client) -> None:
    """max_tokens cuts the reply and the finish reason becomes "length"."""
    body = _chat(http, "test/trickle", max_tokens=5).json()
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 5
    assert body["choices"][0]["message"]["content"] == "word " * 4


def test_reply_callable_sees_the_request_body(sim: Simulator, http: httpx.Client) -> None:
    """A script's reply function gets the request JSON; scripts added at runtime join the catalog."""
    sim.script(ScriptedModel("acme/new-model", reply=lambda body: f"temperature={body['temperature']}"))
    assert any(model["id"] == "acme/new-model" for model in http.get("/models").json()["data"])
    body = _chat(http, "acme/new-model", temperature=0.7).json()
    assert body["choices"][0]["message"]["content"] == "temperature=0.7"
    assert sim.calls("acme/new-model") == 1


def test_echo_returns_the_last_user_message(http: httpx.Client) -> None:
    """sim/echo answers with the text of the last user message, content parts included."""
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Describe this."}, image]},
    ]
    body = http.post("/chat/completions", json={"model": "sim/echo", "messages": messages}).json()
    assert body["choices"][0]["message"]["content"] == "Describe this."


# Streaming


def test_stream_framing_is_byte_exact(http: httpx.Client) -> None:
    """A stream opens with the processing comment, then deltas, finish, a choices-[] usage chunk, [DONE]."""
    response, raw = _stream(http, "test/fixed")
    assert response.headers["content-type"].startswith("text/event-stream")
    assert raw.startswith(b": OPENROUTER PROCESSING\n\ndata: {")
    events = _events(raw)
    assert events[-1] == "data: [DONE]"
    assert all(event.startswith("data: ") for event in events[1:])
    chunks = _payloads(raw)
    identity = {(c["id"], c["created"], c["model"], c["provider"], c["object"]) for c in chunks}
    generation_id = response.headers["X-Generation-Id"]
    assert identity == {(generation_id, chunks[0]["created"], "test/fixed", "Groq", "chat.completion.chunk")}
    *deltas, finish, usage = chunks
    assert len(deltas) > 3
    assert "".join(c["choices"][0]["delta"]["content"] for c in deltas) == "The answer is 42, as always."
    assert all(c["choices"][0]["finish_reason"] is None for c in deltas)
    assert finish["choices"][0]["finish_reason"] == "stop" and finish["choices"][0]["delta"]["content"] == ""
    assert usage["choices"] == [] and usage["usage"]["completion_tokens"] == 7
    assert usage["usage"]["cost"] > 0


def test_stream_observed_usage_variant(http: httpx.Client) -> None:
    """The observed variant sends usage on a chunk with one empty-delta choice."""
    *_, finish, usage = _payloads(_stream(http, "test/observed")[1])
    assert finish["choices"][0]["finish_reason"] == "stop"
    assert usage["choices"] == [
        {
            "index": 0,
            "delta": {"role": "assistant", "content": ""},
            "finish_reason": None,
            "native_finish_reason": None,
            "logprobs": None,
        }
    ]
    assert usage["usage"]["total_tokens"] > 0


def test_stream_is_paced_by_tokens_per_second(http: httpx.Client) -> None:
    """tokens_per_s spaces the deltas: a two-token delta at 20 tokens/s follows the previous after ~0.1 s."""
    with http.stream(
        "POST", "/chat/completions", json={"model": "test/trickle", "messages": QUESTION, "stream": True}
    ) as response:
        data_lines = (line for line in response.iter_lines() if line.startswith("data: "))
        next(data_lines)
        first_at = time.monotonic()
        next(data_lines)
        gap = time.monotonic() - first_at
    assert 0.05 <= gap < 1.0


# Faults


@pytest.mark.parametrize(
    ("fault", "status", "message"),
    [
        ("400", 400, "Provider returned error"),
        ("401", 401, "User not found."),
        ("402", 402, "This request requires more credits"),
        ("403", 403, "requires moderation"),
        ("404", 404, "No endpoints found for test/always-404."),
        ("408", 408, "Operation timed out"),
        ("429-no-retry-after", 429, "Provider returned error"),
        ("500", 500, "Internal Server Error"),
        ("502", 502, "Provider returned error"),
        ("503", 503, "Service temporarily unavailable"),
    ],
)
def test_http_error_faults(sim: Simulator, http: httpx.Client, fault: str, status: int, message: str) -> None:
    """Each HTTP-error fault answers its status with an OpenRouter error body, streaming or not."""
    model = _fault_model(sim, fault)
    for response in (_chat(http, model), _stream(http, model)[0]):
        response.read()
        assert response.status_code == status
        assert response.headers["content-type"] == "application/json"
        error = response.json()["error"]
        assert error["code"] == status and message in error["message"]
        assert "Retry-After" not in response.headers
    assert sim.calls(model) == 2 and sim.spent_usd == 0


def test_upstream_and_moderation_metadata(sim: Simulator, http: httpx.Client) -> None:
    """502 carries metadata.raw and provider_name; 403 carries the moderation metadata."""
    upstream = _chat(http, "sim/server-error").json()["error"]["metadata"]
    assert json.loads(upstream["raw"])["error"]["message"] and upstream["provider_name"] == "Simulator"
    long_question = "x" * 150
    moderation = http.post(
        "/chat/completions",
        json={"model": "sim/forbidden", "messages": [{"role": "user", "content": long_question}]},
    ).json()
    metadata = moderation["error"]["metadata"]
    assert metadata["reasons"] == ["violence"] and metadata["model_slug"] == "sim/forbidden"
    assert len(metadata["flagged_input"]) == 100 and "..." in metadata["flagged_input"]
    assert moderation["user_id"].startswith("user_")


def test_rate_limit_fault_then_success(sim: Simulator, http: httpx.Client) -> None:
    """sim/rate-limited answers one free-tier 429 with Retry-After and X-RateLimit-*, then succeeds."""
    limited = _chat(http, "sim/rate-limited")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    reset_ms = int(limited.headers["X-RateLimit-Reset"])
    assert 0 < reset_ms / 1000 - time.time() <= 1.5
    error = limited.json()["error"]
    assert error["message"].startswith("Rate limit exceeded")
    assert error["metadata"]["headers"]["X-RateLimit-Reset"] == limited.headers["X-RateLimit-Reset"]
    assert _chat(http, "sim/rate-limited").status_code == 200
    assert _chat(http, "sim/rate-limited").status_code == 200
    sim.reset()
    assert _chat(http, "sim/rate-limited").status_code == 429


def test_faults_are_consumed_in_order(sim: Simulator, http: httpx.Client) -> None:
    """Listed faults apply one per request in order, then normal answers; a custom Retry-After is sent."""
    sim.script(ScriptedModel("test/sequence", reply="fine", faults=["503", "429", "500"], retry_after_s=2.5))
    responses = [_chat(http, "test/sequence") for _ in range(4)]
    assert [r.status_code for r in responses] == [503, 429, 500, 200]
    assert responses[1].headers["Retry-After"] == "2.5"


def test_garbage_fault(http: httpx.Client) -> None:
    """sim/garbage answers HTTP 200 with a body that is not JSON; its stream has a malformed data line."""
    response = _chat(http, "sim/garbage")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    events = _events(_stream(http, "sim/garbage")[1])
    with pytest.raises(ValueError):
        json.loads(events[1].removeprefix("data: "))


def test_error_inside_http_200(http: httpx.Client) -> None:
    """sim/error-200 answers 200 with a top-level error and no choices; streamed, an error chunk."""
    response = _chat(http, "sim/error-200")
    assert response.status_code == 200
    assert "choices" not in response.json() and response.json()["error"]["code"] == 502
    chunks = _payloads(_stream(http, "sim/error-200")[1])
    assert len(chunks) == 1 and chunks[0]["choices"][0]["finish_reason"] == "error"


def test_choice_error_fault(http: httpx.Client) -> None:
    """sim/choice-error returns a choice with finish_reason "error", its error and partial content."""
    choice = _chat(http, "sim/choice-error").json()["choices"][0]
    assert choice["finish_reason"] == "error"
    assert choice["error"]["metadata"]["error_type"] == "provider_unavailable"
    assert choice["message"]["content"] == "Simulated answer from "


def test_empty_fault(http: httpx.Client) -> None:
    """sim/empty answers 200 with empty content and no completion tokens."""
    body = _chat(http, "sim/empty").json()
    assert body["choices"][0]["message"]["content"] == ""
    assert body["usage"]["completion_tokens"] == 0 and body["usage"]["prompt_tokens"] > 0


def test_midstream_error_fault(http: httpx.Client) -> None:
    """sim/midstream-error streams a few tokens, then the documented error chunk, then [DONE]."""
    response, raw = _stream(http, "sim/midstream-error")
    assert response.status_code == 200 and _events(raw)[-1] == "data: [DONE]"
    *deltas, error = _payloads(raw)
    assert "".join(c["choices"][0]["delta"]["content"] for c in deltas) == "Simulated answer from "
    assert error["error"]["code"] == 502 and error["choices"][0]["finish_reason"] == "error"
    assert "choices" not in _chat(http, "sim/midstream-error").json()


def test_cut_fault_closes_the_connection(sim: Simulator, http: httpx.Client) -> None:
    """sim/cut drops the connection: mid-stream without [DONE], or before any response at all."""
    received: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError):
        with http.stream(
            "POST", "/chat/completions", json={"model": "sim/cut", "messages": QUESTION, "stream": True}
        ) as response:
            received.extend(response.iter_lines())
    assert any(line.startswith("data: {") for line in received)
    assert "data: [DONE]" not in received
    with pytest.raises(httpx.RemoteProtocolError):
        _chat(http, "sim/cut")
    assert sim.cancelled == 0 and sim.calls("sim/cut") == 2


def test_unknown_fault_name_is_rejected() -> None:
    """A misspelt fault fails when the script is written, not when it is used."""
    with pytest.raises(ValueError, match="unknown fault"):
        ScriptedModel("test/typo", faults=["429 "])


# Fallback, cancellation and concurrency


def test_models_fallback_uses_the_next_model(sim: Simulator, http: httpx.Client) -> None:
    """An erroring model falls back through models[]; the response names the model that answered."""
    response = _chat(http, "sim/server-error", models=["sim/no-credits", "sim/echo"])
    assert response.status_code == 200 and response.json()["model"] == "sim/echo"
    assert [sim.calls(m) for m in ("sim/server-error", "sim/no-credits", "sim/echo")] == [1, 1, 1]
    failed = _chat(http, "sim/server-error", models=["sim/no-credits"])
    assert failed.status_code == 402


def test_client_cancel_during_latency_is_counted(sim: Simulator) -> None:
    """A client that gives up while the model is still thinking is counted in cancelled."""
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{sim.base_url}/chat/completions",
            headers=_auth(sim),
            timeout=0.2,
            json={"model": "test/long-wait", "messages": QUESTION},
        )
    assert _eventually(lambda: sim.cancelled == 1)
    assert sim.calls("test/long-wait") == 1 and sim.spent_usd == 0


def test_slow_fault_notices_the_disconnect(sim: Simulator) -> None:
    """sim/slow holds the answer back, and stops as soon as the client times out."""
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{sim.base_url}/chat/completions",
            headers=_auth(sim),
            timeout=0.2,
            json={"model": "sim/slow", "messages": QUESTION},
        )
    assert _eventually(lambda: sim.cancelled == 1)


def test_client_cancel_mid_stream_is_counted(sim: Simulator, http: httpx.Client) -> None:
    """Closing a stream after the first delta is counted in cancelled and nothing is billed."""
    with http.stream(
        "POST", "/chat/completions", json={"model": "test/trickle", "messages": QUESTION, "stream": True}
    ) as response:
        next(line for line in response.iter_lines() if line.startswith("data: "))
    assert _eventually(lambda: sim.cancelled == 1)
    assert sim.spent_usd == 0


async def test_parallel_requests_overlap(sim: Simulator) -> None:
    """20 parallel requests to a 0.3 s model finish together, and the high-water mark is 20."""
    async with httpx.AsyncClient(base_url=sim.base_url, headers=_auth(sim), timeout=10) as client:
        started = time.monotonic()
        responses = await asyncio.gather(
            *(client.post("/chat/completions", json={"model": "test/latency", "messages": QUESTION}) for _ in range(20))
        )
        elapsed = time.monotonic() - started
    assert all(r.status_code == 200 for r in responses)
    assert 0.3 <= elapsed < 2.0
    assert sim.max_concurrency == 20 and sim.calls("test/latency") == 20


# Catalog, account and generation routes


def test_models_listing_and_paging(sim: Simulator, http: httpx.Client) -> None:
    """GET /models works with or without auth and pages with limit/offset."""
    listing = httpx.get(f"{sim.base_url}/models").json()
    assert listing["total_count"] == len(listing["data"]) == len(sim.catalog) > 320
    assert listing["links"] == {"next": None}
    page = http.get("/models", params={"limit": 100, "offset": 250}).json()
    assert [m["id"] for m in page["data"]] == [m["id"] for m in listing["data"][250:350]]
    assert page["links"]["next"] == ("/api/v1/models?offset=350&limit=100" if len(listing["data"]) > 350 else None)
    assert http.get("/models", params={"limit": "many"}).status_code == 400


def test_model_and_endpoints_routes(http: httpx.Client) -> None:
    """/model/{id} returns one record; its links.details resolves to the endpoints list; unknown is 404."""
    model = http.get("/model/openai/gpt-4o").json()["data"]
    assert model["id"] == "openai/gpt-4o" and model["name"] == "OpenAI: GPT-4o"
    details = http.get(model["links"]["details"].removeprefix("/api/v1")).json()["data"]
    endpoint = details["endpoints"][0]
    assert details["id"] == "openai/gpt-4o" and endpoint["provider_name"] == "OpenAI"
    assert endpoint["pricing"] == model["pricing"]
    free = http.get("/models/meta-llama/llama-3.3-70b-instruct:free/endpoints").json()["data"]
    assert free["id"] == "meta-llama/llama-3.3-70b-instruct:free"
    assert http.get("/models/acme/nothing/endpoints").status_code == 404
    missing = http.get("/model/acme/nothing")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == 404


def test_key_and_credits_reflect_spend(sim: Simulator, http: httpx.Client) -> None:
    """/key, /auth/key and /credits report the credits and what the simulator has billed."""
    cost = _chat(http, "openai/gpt-4o").json()["usage"]["cost"]
    for path in ("/key", "/auth/key"):
        data = http.get(path).json()["data"]
        assert data["usage"] == data["usage_daily"] == pytest.approx(cost)
        assert data["limit"] == 25.0 and data["limit_remaining"] == pytest.approx(25.0 - cost)
        assert data["is_free_tier"] is False and "sim" not in data["label"][11:14]
    assert http.get("/credits").json() == {"data": {"total_credits": 25.0, "total_usage": sim.spent_usd}}
    with httpx.Client(base_url=sim.base_url) as anonymous:
        for path in ("/key", "/credits", "/generation?id=x"):
            assert anonymous.get(path).status_code == 401
            assert anonymous.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_generation_appears_after_a_delay(http: httpx.Client) -> None:
    """/generation is 404 right after the completion, then serves the stats record."""
    answer = _chat(http, "openai/gpt-4o-mini", user="user-123").json()
    assert http.get("/generation", params={"id": answer["id"]}).status_code == 404
    time.sleep(0.35)
    stats = http.get("/generation", params={"id": answer["id"]}).json()["data"]
    assert stats["id"] == answer["id"] and stats["model"] == "openai/gpt-4o-mini"
    assert stats["total_cost"] == pytest.approx(answer["usage"]["cost"])
    assert stats["tokens_completion"] == answer["usage"]["completion_tokens"]
    assert stats["external_user"] == "user-123" and stats["streamed"] is False
    assert http.get("/generation", params={"id": "gen-0-unknown"}).status_code == 404


def test_requests_are_recorded_with_auth_redacted(sim: Simulator, http: httpx.Client) -> None:
    """Every request is logged with its JSON body and model, and the key never appears."""
    _chat(http, "sim/echo", temperature=0)
    http.get("/models", params={"limit": 1})
    chat, models = sim.requests
    assert (chat.method, chat.path, chat.model) == ("POST", "/api/v1/chat/completions", "sim/echo")
    assert chat.json["temperature"] == 0 and chat.headers["authorization"] == "REDACTED"
    assert sim.api_key not in repr(sim.requests)
    assert (models.method, models.query) == ("GET", {"limit": "1"})


def test_unknown_route_is_json_404(http: httpx.Client) -> None:
    """Paths the simulator does not serve answer a JSON error body."""
    response = http.get("/nothing-here")
    assert response.status_code == 404 and response.json()["error"]["code"] == 404


def test_catalog_is_deterministic_and_realistic() -> None:
    """build_catalog gives the same hundreds of realistic records on every call."""
    catalog = build_catalog(320)
    assert catalog == build_catalog(320)
    assert len(catalog) == len({m["id"] for m in catalog}) == 320
    ids = {m["id"] for m in catalog}
    assert {
        "openai/gpt-4o",
        "openai/gpt-4o-mini",
        "anthropic/claude-sonnet-4",
        "google/gemini-2.5-flash",
        "meta-llama/llama-3.3-70b-instruct:free",
        "deepseek/deepseek-chat-v3.1:free",
        "mistralai/mistral-small-3.2-24b-instruct:free",
    } <= ids
    assert len({m["id"].split("/")[0] for m in catalog}) >= 14
    assert all(isinstance(v, str) for m in catalog for v in m["pricing"].values())
    free = [m for m in catalog if m["id"].endswith(":free")]
    assert len(free) > 20 and all(m["pricing"] == {"prompt": "0", "completion": "0"} for m in free)
    vision = [m for m in catalog if "image" in m["architecture"]["input_modalities"]]
    assert vision and all(m["architecture"]["modality"] == "text+image->text" for m in vision)
    assert any("tools" in m["supported_parameters"] for m in catalog)
    years = {time.gmtime(m["created"]).tm_year for m in catalog}
    assert years == {2023, 2024, 2025, 2026}
    assert [m["created"] for m in catalog] == sorted((m["created"] for m in catalog), reverse=True)
    gpt4o = next(m for m in catalog if m["id"] == "openai/gpt-4o")
    assert gpt4o["pricing"]["prompt"] == "0.0000025" and gpt4o["per_request_limits"] is None
    assert len(build_catalog(40)) == 40


# Lifecycle


def test_fixture_serves_the_default_scripts(simulator: Simulator) -> None:
    """The shared fixture runs a simulator whose catalog holds every default sim/ model."""
    ids = {m["id"] for m in httpx.get(f"{simulator.base_url}/models").json()["data"]}
    assert {script.id for script in default_scripts()} <= ids
    assert {"sim/echo", "sim/rate-limited", "sim/flaky", "sim/slow", "sim/cut"} <= ids


def test_passed_scripts_override_defaults_by_id() -> None:
    """A script with a default id replaces the built-in one; other defaults stay."""
    with Simulator([ScriptedModel("sim/echo", reply="overridden")], catalog_size=20) as server:
        body = httpx.post(
            f"{server.base_url}/chat/completions",
            headers=_auth(server),
            json={"model": "sim/echo", "messages": QUESTION},
        ).json()
        assert body["choices"][0]["message"]["content"] == "overridden"
        assert len(server.catalog) == 20 + len(default_scripts())


def test_stop_is_quick_and_ends_waiting_requests() -> None:
    """stop() returns quickly even with a request waiting on sim/slow, and the port closes."""
    server = Simulator(catalog_size=10).start()
    url = f"{server.base_url}/chat/completions"
    statuses: list[int] = []

    def call_slow() -> None:
        statuses.append(
            httpx.post(
                url, headers=_auth(server), timeout=10, json={"model": "sim/slow", "messages": QUESTION}
            ).status_code
        )

    caller = threading.Thread(target=call_slow)
    caller.start()
    assert _eventually(lambda: server.calls("sim/slow") == 1)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1.5
    caller.join(2)
    assert statuses == [503]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url.removesuffix('/chat/completions')}/models")
