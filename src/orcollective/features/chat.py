"""chat: one model, streamed, priced from ``usage.cost``, written to the ledger."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Annotated, Any, Literal

import anyio
from pydantic import AfterValidator, BaseModel, Field, WithJsonSchema, field_validator, model_validator

from ..catalog import ModelInfo, with_cost
from ..errors import MISSING_KEY, ConfigError, InvalidArgument, OrcError, UpstreamTimeout, quoted
from ..inputs import build_messages, load_images
from ..inputs.files import file_policy
from ..inputs.routing import (
    PLAIN,
    REASONING_SCHEMA,
    CallOptions,
    Reasoning,
    merge_body,
    prepare_call,
    resolve_models,
)
from ..inputs.shapes import check_messages, check_model_id, check_response_format, check_tool_choice, check_tools
from ..inputs.upstream import CACHE_HEADER, mark_cache
from ..openrouter import Completion
from ..runtime import Runtime
from ..store import RunRecorder
from .base import Cli, Feature, Progress, Request, SourceOut

MAX_FALLBACKS = 8
PROGRESS_EVERY_S = 0.25
ModelId = Annotated[str, AfterValidator(check_model_id)]


class ChatRequest(Request, CallOptions):
    model: Annotated[ModelId, Field(description="e.g. openai/gpt-4o[:nitro], @preset/x")]
    prompt: str | None = None
    messages: Annotated[list[dict] | None, AfterValidator(check_messages), Field()] = None
    system: str | None = None
    images: list[str] | None = None
    temperature: Annotated[float | None, Field(ge=0, le=2)] = None
    max_tokens: Annotated[int | None, Field(ge=1, le=1_000_000)] = None
    reasoning: Annotated[Reasoning | None, WithJsonSchema(REASONING_SCHEMA), PLAIN] = None
    fallback_models: list[ModelId] | None = None
    response_format: Annotated[dict | None, AfterValidator(check_response_format)] = None
    tools: Annotated[list[dict] | None, AfterValidator(check_tools)] = None
    tool_choice: Annotated[Any, AfterValidator(check_tool_choice), WithJsonSchema({}), PLAIN] = None
    cache: Literal["prompt", "response", "both"] | None = None
    timeout_s: Annotated[float | None, Field(ge=1, le=600)] = None  # the whole call; default chat_timeout_s

    @field_validator("fallback_models")
    @classmethod
    def _few_fallbacks(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(value) > MAX_FALLBACKS:
            raise ValueError(f"at most {MAX_FALLBACKS} fallback models; drop some")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ChatRequest:
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("give either 'prompt' (a string) or 'messages' (a list), not both and not neither")
        if self.tool_choice is not None and not self.tools:
            raise ValueError("tool_choice needs tools")
        if isinstance(self.tool_choice, dict):
            name = self.tool_choice["function"]["name"]
            if name not in {t["function"]["name"] for t in self.tools or []}:
                raise ValueError(f"tool_choice names '{name[:60]}', which is not in tools")
        return self


class TokenUsage(BaseModel, defer_build=True):
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int = 0
    cached_tokens: int = 0


class ToolCallOut(BaseModel, defer_build=True):
    id: str
    name: str
    arguments: Any  # the JSON object the model wrote, or its raw text when that is not JSON


class ChatResult(BaseModel, defer_build=True):
    text: str
    model: str
    requested_model: str
    provider: str | None
    finish_reason: str | None
    usage: TokenUsage
    cost_usd: float | None
    cost_source: str
    generation_id: str | None
    run_id: str | None
    latency_s: float
    ttft_s: float | None
    truncated: bool = False
    reasoning: str | None  # the model's reasoning, apart from the answer
    tool_calls: list[ToolCallOut]
    sources: list[SourceOut]  # web pages cited (url_citation annotations)
    json_value: Any = Field(alias="json")  # the reply parsed, with response_format json_object / json_schema
    json_error: str | None
    cache_hit: bool | None  # response cache: True on a hit (billed nothing), False on a miss
    cache_saving_usd: float | None  # what cached prompt tokens saved against the full prompt price

    model_config = {"populate_by_name": True, "serialize_by_alias": True}


async def run(rt: Runtime, req: ChatRequest, progress: Progress) -> ChatResult:
    """One model, streamed (a JSON reply is asked whole, for the response-healing plugin);
    progress reported as text arrives; the call is written to the ledger."""
    fallbacks = list(req.fallback_models or [])
    prepared = await prepare_call(req, file_policy(rt.images), model=req.model)
    images = await load_images(req.images, rt.images) if req.images else []
    messages = build_messages(req.prompt, req.messages, req.system, images + prepared.parts or None)
    if req.cache in ("prompt", "both"):
        messages = mark_cache(messages)
    infos = await resolve_models(rt.registry, [req.model, *fallbacks])
    ceiling = infos[0].max_completion_tokens or 1_000_000
    if req.max_tokens is not None and req.max_tokens > ceiling:
        raise InvalidArgument(f"max_tokens {req.max_tokens} is over {quoted(req.model)}'s limit: use 1 to {ceiling}.")
    if not rt.client.has_key:
        raise ConfigError(MISSING_KEY)

    body: dict[str, Any] = {"model": req.model, "messages": messages}
    if fallbacks:
        body["models"] = [req.model, *fallbacks]
    for key, value in (
        ("temperature", req.temperature),
        ("max_tokens", req.max_tokens),
        ("reasoning", req.reasoning.body() if req.reasoning else None),
        ("response_format", req.response_format),
        ("tools", req.tools),
        ("tool_choice", req.tool_choice),
    ):
        if value is not None:
            body[key] = value
    body = merge_body(body, prepared.body)
    wants_json = (req.response_format or {}).get("type") in ("json_object", "json_schema")
    if wants_json:
        # OpenRouter's response-healing repairs JSON replies (fences, trailing commas), on whole replies only.
        body = merge_body(body, {"plugins": [{"id": "response-healing"}]})
    headers = CACHE_HEADER if req.cache in ("response", "both") else None

    timeout_s = req.timeout_s or rt.chat_timeout_s
    recorder = RunRecorder(rt.store, "chat", {"model": req.model, "prompt": req.prompt, "fallback_models": fallbacks})
    try:
        with anyio.fail_after(timeout_s):
            if wants_json:
                completion = await rt.client.complete(body, headers=headers)
            else:
                completion = await rt.client.stream(body, on_text=_Throttle(progress).feed, headers=headers)
    except TimeoutError:
        error = f"No complete answer from {req.model} within {timeout_s:g}s; raise timeout_s or pick a faster model."
        recorder.call(req.model, None, role="single", error=error)
        recorder.finish("error", error=error)
        raise UpstreamTimeout(error, model=req.model) from None
    except BaseException as exc:
        # Whatever ends the call ends its run too: nothing stays "running".
        error = "cancelled" if isinstance(exc, asyncio.CancelledError) else _why(exc)
        recorder.call(req.model, None, role="single", error=error)
        recorder.finish("cancelled" if error == "cancelled" else "error", error=error)
        raise
    by_id = {info.id: info for info in infos}
    info = by_id.get(completion.model) or infos[0]
    completion = with_cost(info, completion)
    recorder.call(completion.model, completion, role="single")
    recorder.finish("done", cost_usd=completion.cost_usd)
    parsed: tuple[Any, str | None] = (None, None)
    if req.response_format and req.response_format["type"] != "text":
        parsed = _parse_json(completion.text, req.response_format)
    return chat_result(completion, run_id=recorder.run_id, saving=_cache_saving(info, completion), parsed=parsed)


def _cache_saving(info: ModelInfo, c: Completion) -> float | None:
    """What the cached prompt tokens saved against the full prompt price, from the catalog's prices."""
    found = info.raw.get("pricing")
    pricing: dict = found if isinstance(found, dict) else {}
    if not c.usage.cached_tokens or "input_cache_read" not in pricing:
        return None
    try:
        per_token = float(pricing.get("prompt", 0)) - float(pricing["input_cache_read"])
    except (TypeError, ValueError):
        return None
    return round(max(per_token, 0.0) * c.usage.cached_tokens, 9)


def _parse_json(text: str, response_format: dict) -> tuple[Any, str | None]:
    """The reply as JSON (a fenced block is unwrapped), checked against the json_schema if there is one."""
    body = text.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[-1].rsplit("```", 1)[0]
    try:
        value = json.loads(body)
    except (json.JSONDecodeError, RecursionError):
        return None, "the reply is not valid JSON even after repair; pick a model with structured outputs"
    schema = (response_format.get("json_schema") or {}).get("schema")
    if schema is not None:
        from jsonschema import Draft202012Validator  # loads with the first structured reply, not the server

        problem = next(iter(Draft202012Validator(schema).iter_errors(value)), None)
        if problem is not None:
            where = "/".join(str(p) for p in problem.absolute_path) or "the top level"
            return value, f"the JSON does not match the schema at {where}: {problem.message[:120]}"
    return value, None


def _why(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, OrcError) else f"internal error ({type(exc).__name__})"


def chat_result(
    c: Completion, *, run_id: str | None, saving: float | None, parsed: tuple[Any, str | None]
) -> ChatResult:
    return ChatResult(
        text=c.text,
        model=c.model,
        requested_model=c.requested_model,
        provider=c.provider,
        finish_reason=c.finish_reason,
        usage=TokenUsage(
            prompt_tokens=c.usage.prompt_tokens,
            completion_tokens=c.usage.completion_tokens,
            reasoning_tokens=c.usage.reasoning_tokens,
            cached_tokens=c.usage.cached_tokens,
        ),
        cost_usd=c.cost_usd,
        cost_source=c.cost_source,
        generation_id=c.generation_id,
        latency_s=round(c.latency_s, 3),
        ttft_s=round(c.ttft_s, 3) if c.ttft_s is not None else None,
        truncated=c.truncated,
        run_id=run_id,
        reasoning=c.reasoning,
        tool_calls=[ToolCallOut(id=t.id, name=t.name, arguments=_arguments(t.arguments)) for t in c.tool_calls],
        sources=[SourceOut(url=s.url, title=s.title) for s in c.sources],
        json=parsed[0],
        json_error=parsed[1],
        cache_hit=c.cache_hit,
        cache_saving_usd=saving,
    )


def _arguments(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else {}
    except (json.JSONDecodeError, RecursionError):
        return text


def summary(r: ChatResult) -> str:
    cost = f"${r.cost_usd:.6f}" if r.cost_usd is not None else "cost unknown"
    notes = [" · truncated at the reply size cap" if r.truncated else ""]
    if r.usage.cached_tokens:
        notes.append(f" · {r.usage.cached_tokens} cached tokens")
    if r.cache_hit:
        notes.append(" · response cache hit")
    lines = [r.text] if r.text else []
    lines += [f"tool call {t.name}({json.dumps(t.arguments)[:200]})" for t in r.tool_calls]
    lines += [f"[{i}] {s.title or s.url} {s.url}" for i, s in enumerate(r.sources, 1)]
    return "\n".join(lines) + f"\n\n[{r.model} · {r.latency_s:.2f}s · {cost}{''.join(notes)}]"


class _Throttle:
    """Pass every delta on as text; report a progress step at most every 0.25 s so a fast stream does not
    flood the client."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.chars = 0
        self.last = 0.0

    async def feed(self, text: str) -> None:
        await self.progress.text(text)
        self.chars += len(text)
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY_S:
            self.last = now
            await self.progress.step(self.chars, None, f"{self.chars} characters received")


FEATURE = Feature(
    name="chat",
    group="core",
    kind="spends",
    description="One model, streamed: text, model used, usage, cost.",
    request=ChatRequest,
    result=ChatResult,
    run=run,
    summary=summary,
    cli=Cli(
        command="ask",
        arguments=("model", "prompt"),
        hidden=("messages", "images", "routing", "reasoning", "response_format", "tools", "tool_choice"),
        flags={"fallback_models": "--fallback"},
    ),
)
