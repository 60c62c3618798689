"""Structured results of the core tools (each becomes a tool's ``outputSchema``)."""

from __future__ import annotations

from pydantic import BaseModel


def price_text(prompt: float | None, completion: float | None) -> str:
    """``$2.5 in / $10 out per 1M`` or ``variable price`` for routers."""
    if prompt is None or completion is None:
        return "variable price"
    return f"${prompt:g} in / ${completion:g} out per 1M"


def excerpt(text: str, head: int = 200, tail: int = 100) -> str:
    """The start and the end of a long answer (the end is where the final answer line is)."""
    text = text.strip()
    return text if len(text) <= head + tail + 3 else f"{text[:head]} … {text[-tail:]}"


def rounded(value: float | None, digits: int = 4) -> float | None:
    return round(value, digits) if value is not None else None


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


class ModelRow(BaseModel):
    id: str
    name: str
    context: int | None
    prompt_per_mtok: float | None  # None: a router whose price depends on the model it picks
    completion_per_mtok: float | None
    vision: bool
    free: bool
    tools: bool


class ModelList(BaseModel):
    total: int
    offset: int
    models: list[ModelRow]


class ModelDetail(BaseModel):
    id: str
    name: str
    description: str
    context: int | None
    max_completion_tokens: int | None
    prompt_per_mtok: float | None  # None: a router whose price depends on the model it picks
    completion_per_mtok: float | None
    request_usd: float
    image_usd: float
    input_modalities: list[str]
    output_modalities: list[str]
    supported_parameters: list[str]
    vision: bool
    free: bool
    tools: bool
    created: int | None


class SpendRow(BaseModel):
    key: str
    calls: int
    cost_usd: float


class Account(BaseModel):
    label: str | None
    limit_usd: float | None
    limit_remaining_usd: float | None
    limit_reset: str | None
    usage_usd: float | None
    usage_daily_usd: float | None
    usage_monthly_usd: float | None
    is_free_tier: bool | None


class UsageResult(BaseModel):
    account: Account | None
    account_error: str | None
    ledger_total_usd: float
    ledger_calls: int
    by_model: list[SpendRow]
    by_tool: list[SpendRow]
    by_day: list[SpendRow]


class GroupRow(BaseModel):
    answer: str
    models: list[str]
    share: float


class Dissent(BaseModel):
    model: str
    answer: str | None


class ModelResponse(BaseModel):
    model: str
    status: str
    answer: str | None
    excerpt: str | None
    latency_s: float
    cost_usd: float | None
    error: str | None


class ConsensusResult(BaseModel):
    answer: str | None
    answer_type: str
    strategy: str
    confidence: float | None
    agreement: float | None
    groups: list[GroupRow]
    dissent: list[Dissent]
    responses: list[ModelResponse]
    answered: int
    calls: int
    stopped_early: bool
    skipped: list[str]
    estimate_usd: float | None
    cost_usd: float
    latency_s: float
    run_id: str | None
    notes: list[str]
