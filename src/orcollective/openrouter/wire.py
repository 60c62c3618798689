"""The wire format, validated at one boundary: what OpenRouter documents is accepted, anything else is a
malformed reply (one clear line, never a crash), and the plain data the layers above use.

Costs must be finite, at least 0 and below ``MAX_CALL_COST_USD``; any other value is recorded as unknown
rather than trusted (a NaN or 1e308 would poison the ledger).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ..errors import MalformedResponse

CostSource = Literal["usage.cost", "catalog estimate", "unknown"]
MAX_CALL_COST_USD = 10_000.0


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float | None = None


@dataclass
class Completion:
    """One model's answer: the text, who really served it, and what it cost."""

    text: str
    model: str
    requested_model: str
    provider: str | None = None
    finish_reason: str | None = None
    generation_id: str | None = None
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = None
    cost_source: CostSource = "unknown"
    latency_s: float = 0.0
    ttft_s: float | None = None
    reasoning: str | None = None
    streamed: bool = False
    truncated: bool = False
    tool_calls: list[ToolCall] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    cache_status: str | None = None  # X-OpenRouter-Cache-Status: HIT or MISS, when response caching is on

    @property
    def cache_hit(self) -> bool | None:
        """True for an answer from OpenRouter's response cache, False for a miss, None without caching."""
        return {"HIT": True, "MISS": False}.get((self.cache_status or "").upper())


@dataclass
class ToolCall:
    """A function call the model proposes; ``arguments`` is the JSON text it wrote."""

    id: str
    name: str
    arguments: str


@dataclass
class Source:
    """A web page the answer cites (an ``annotations`` entry of type ``url_citation``)."""

    url: str
    title: str | None = None


def plausible_cost(value: Any) -> float | None:
    """A cost we can sum: a finite number from 0 to ``MAX_CALL_COST_USD``; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        cost = float(value)
    except (ValueError, OverflowError):
        return None
    return cost if math.isfinite(cost) and 0 <= cost <= MAX_CALL_COST_USD else None


class _Wire(BaseModel, defer_build=True):
    model_config = ConfigDict(extra="ignore")


Count = Annotated[int, Field(ge=0, le=10**9)]


class _PromptDetails(_Wire):
    cached_tokens: Count | None = None


class _CompletionDetails(_Wire):
    reasoning_tokens: Count | None = None


class WireUsage(_Wire):
    prompt_tokens: Count | None = None
    completion_tokens: Count | None = None
    cost: Annotated[float | None, BeforeValidator(plausible_cost)] = None
    prompt_tokens_details: _PromptDetails | None = None
    completion_tokens_details: _CompletionDetails | None = None

    def usage(self) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens or 0,
            completion_tokens=self.completion_tokens or 0,
            reasoning_tokens=(self.completion_tokens_details.reasoning_tokens or 0)
            if self.completion_tokens_details
            else 0,
            cached_tokens=(self.prompt_tokens_details.cached_tokens or 0) if self.prompt_tokens_details else 0,
            cost_usd=self.cost,
        )


class _Part(_Wire):
    type: str | None = None
    text: str | None = None


Content = str | list[_Part] | None


class _Function(_Wire):
    name: Annotated[str, Field(max_length=200)] | None = None
    arguments: str | None = None


class WireToolCall(_Wire):
    index: Annotated[int, Field(ge=0, le=1000)] | None = None
    id: Annotated[str, Field(max_length=200)] | None = None
    function: _Function | None = None


class _Citation(_Wire):
    url: Annotated[str, Field(max_length=4000)]
    title: str | None = None


class WireAnnotation(_Wire):
    type: str | None = None
    url_citation: _Citation | None = None


class _Message(_Wire):
    content: Content = None
    reasoning: str | None = None
    tool_calls: list[WireToolCall] | None = None
    annotations: list[WireAnnotation] | None = None


class _Choice(_Wire):
    finish_reason: str | None = None
    message: _Message | None = None


class WireCompletion(_Wire):
    id: str | None = None
    model: str | None = None
    provider: str | None = None
    choices: Annotated[list[_Choice], Field(min_length=1)]
    usage: WireUsage | None = None


class _Delta(_Wire):
    content: Content = None
    reasoning: str | None = None
    tool_calls: list[WireToolCall] | None = None
    annotations: list[WireAnnotation] | None = None


class _ChunkChoice(_Wire):
    finish_reason: str | None = None
    delta: _Delta | None = None


class WireChunk(_Wire):
    id: str | None = None
    model: str | None = None
    provider: str | None = None
    choices: list[_ChunkChoice] = []
    usage: WireUsage | None = None


class KeyInfo(_Wire):
    """``GET /key`` ``data``, as documented."""

    label: str | None = None
    limit: float | None = None
    limit_remaining: float | None = None
    limit_reset: str | None = None
    usage: float | None = None
    usage_daily: float | None = None
    usage_weekly: float | None = None
    usage_monthly: float | None = None
    is_free_tier: bool | None = None

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


class GenerationStats(_Wire):
    """``GET /generation`` ``data``: who served a call, its native token counts and final cost."""

    id: str
    model: str | None = None
    provider_name: str | None = None
    total_cost: Annotated[float | None, BeforeValidator(plausible_cost)] = None
    cache_discount: float | None = None
    native_tokens_prompt: Count | None = None
    native_tokens_completion: Count | None = None
    native_tokens_reasoning: Count | None = None
    native_tokens_cached: Count | None = None
    num_search_results: Count | None = None
    latency: float | None = None  # milliseconds
    finish_reason: str | None = None

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


def sources_of(annotations: list[WireAnnotation] | None) -> list[Source]:
    """The cited pages in ``annotations``, each URL once, in order."""
    seen: dict[str, Source] = {}
    for a in annotations or []:
        if a.type == "url_citation" and a.url_citation is not None and a.url_citation.url not in seen:
            seen[a.url_citation.url] = Source(a.url_citation.url, a.url_citation.title)
    return list(seen.values())


def tool_calls_of(calls: list[WireToolCall] | None) -> list[ToolCall]:
    return [ToolCall(c.id or f"call_{i}", c.function.name or "", c.function.arguments or "")
            for i, c in enumerate(calls or []) if c.function is not None]  # fmt: skip


def text_of(content: Content) -> str:
    """The text of a message or delta: a string, or the text parts of a list (some providers send parts)."""
    if isinstance(content, str):
        return content
    return "".join(part.text for part in content or [] if part.text)


def parse(model: type[_Wire], payload: Any, who: str) -> Any:
    """``payload`` as ``model``, or MalformedResponse naming who sent it."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"]) or "body"
        fix = "try again shortly" if who.startswith("/") else "try again or pick another model"
        raise MalformedResponse(
            f"The provider returned a malformed reply for {who} (bad '{where[:60]}'); {fix}.", model=who
        ) from exc
