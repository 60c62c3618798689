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


def plausible_cost(value: Any) -> float | None:
    """A cost we can sum: a finite number from 0 to ``MAX_CALL_COST_USD``; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        cost = float(value)
    except (ValueError, OverflowError):
        return None
    return cost if math.isfinite(cost) and 0 <= cost <= MAX_CALL_COST_USD else None


class _Wire(BaseModel):
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


class _Message(_Wire):
    content: Content = None
    reasoning: str | None = None


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
        raise MalformedResponse(
            f"The provider returned a malformed reply for {who} (bad '{where[:60]}'); try again or pick another model.",
            model=who,
        ) from exc
