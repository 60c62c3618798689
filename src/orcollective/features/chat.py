"""chat: one model, streamed, priced from ``usage.cost``, written to the ledger."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any, Literal

import anyio
from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator

from ..catalog import with_cost
from ..errors import MISSING_KEY, ConfigError, InvalidArgument, OrcError, UpstreamTimeout, quoted
from ..inputs import build_messages, load_images
from ..inputs.shapes import check_messages, check_model_id, check_provider, check_response_format
from ..openrouter import Completion
from ..runtime import Runtime
from ..store import RunRecorder
from .base import Cli, Feature, Progress, Request

MAX_FALLBACKS = 8
PROGRESS_EVERY_S = 0.25
ModelId = Annotated[str, AfterValidator(check_model_id)]


class ChatRequest(Request):
    model: Annotated[ModelId, Field(description="Model id, e.g. openai/gpt-4o")]
    prompt: str | None = None
    messages: Annotated[
        list[dict] | None, AfterValidator(check_messages), Field(description="OpenAI-style messages instead of prompt")
    ] = None
    system: str | None = None
    images: Annotated[list[str] | None, Field(description="Paths, URLs or base64")] = None
    temperature: Annotated[float | None, Field(ge=0, le=2)] = None
    max_tokens: Annotated[int | None, Field(ge=1, le=1_000_000)] = None
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None = None
    fallback_models: Annotated[list[ModelId] | None, Field(description="Tried in order on failure")] = None
    provider: Annotated[
        dict | None, AfterValidator(check_provider), Field(description="OpenRouter provider routing")
    ] = None
    response_format: Annotated[dict | None, AfterValidator(check_response_format)] = None
    timeout_s: Annotated[float | None, Field(ge=1, le=600, description="Whole call; default 50")] = None

    @field_validator("fallback_models")
    @classmethod
    def _few_fallbacks(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(value) > MAX_FALLBACKS:
            raise ValueError(f"at most {MAX_FALLBACKS} fallback models; drop some")
        return value

    @model_validator(mode="after")
    def _prompt_or_messages(self) -> ChatRequest:
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("give either 'prompt' (a string) or 'messages' (a list), not both and not neither")
        return self


class TokenUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int = 0


class ChatResult(BaseModel):
    text: str
    model: str
    requested_model: str
    provider: str | None
    finish_reason: str | None
    usage: TokenUsage
    cost_usd: float | None
    cost_source: str
    generation_id: str | None
    latency_s: float
    ttft_s: float | None
    truncated: bool = False


async def run(rt: Runtime, req: ChatRequest, progress: Progress) -> ChatResult:
    """One model, streamed; progress reported as text arrives; the call is written to the ledger."""
    fallbacks = list(req.fallback_models or [])
    parts = await load_images(req.images, rt.images) if req.images else None
    messages = build_messages(req.prompt, req.messages, req.system, parts)
    infos = (await rt.registry.resolve([req.model, *fallbacks])).models
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
        ("reasoning", {"effort": req.reasoning_effort} if req.reasoning_effort else None),
        ("provider", req.provider),
        ("response_format", req.response_format),
    ):
        if value is not None:
            body[key] = value

    timeout_s = req.timeout_s or rt.chat_timeout_s
    recorder = RunRecorder(rt.store, "chat", {"model": req.model, "prompt": req.prompt, "fallback_models": fallbacks})
    try:
        with anyio.fail_after(timeout_s):
            completion = await rt.client.stream(body, on_text=_Throttle(progress).feed)
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
    completion = with_cost(by_id.get(completion.model) or infos[0], completion)
    recorder.call(completion.model, completion, role="single")
    recorder.finish("done", cost_usd=completion.cost_usd)
    return chat_result(completion)


def _why(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, OrcError) else f"internal error ({type(exc).__name__})"


def chat_result(c: Completion) -> ChatResult:
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
        ),
        cost_usd=c.cost_usd,
        cost_source=c.cost_source,
        generation_id=c.generation_id,
        latency_s=round(c.latency_s, 3),
        ttft_s=round(c.ttft_s, 3) if c.ttft_s is not None else None,
        truncated=c.truncated,
    )


def summary(r: ChatResult) -> str:
    cost = f"${r.cost_usd:.6f}" if r.cost_usd is not None else "cost unknown"
    cut = " · truncated at the reply size cap" if r.truncated else ""
    return f"{r.text}\n\n[{r.model} · {r.latency_s:.2f}s · {cost}{cut}]"


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
    description="Ask one model (streamed): text, model used, usage and cost.",
    request=ChatRequest,
    result=ChatResult,
    run=run,
    summary=summary,
    cli=Cli(
        command="ask",
        arguments=("model", "prompt"),
        hidden=("messages", "images", "provider", "response_format"),
        flags={"fallback_models": "--fallback"},
    ),
)
