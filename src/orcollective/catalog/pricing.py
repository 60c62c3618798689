"""Prices as people read them (per 1M tokens) and the cost of a call the API did not price."""

from __future__ import annotations

from dataclasses import replace

from ..openrouter import Completion
from .model import ModelInfo


def per_mtok(info: ModelInfo) -> tuple[float | None, float | None]:
    """Prices per 1M tokens; None for routers whose price depends on the model they pick."""
    if info.variable_price:
        return None, None
    return float(info.prompt_per_mtok), float(info.completion_per_mtok)


def price_text(prompt: float | None, completion: float | None) -> str:
    """``$2.5 in / $10 out per 1M`` or ``variable price`` for routers."""
    if prompt is None or completion is None:
        return "variable price"
    return f"${prompt:g} in / ${completion:g} out per 1M"


def with_cost(info: ModelInfo | None, completion: Completion) -> Completion:
    """The completion with a missing ``usage.cost`` filled from catalog prices (``cost_source`` says so)."""
    if completion.cost_usd is not None or info is None:
        return completion
    estimate = info.estimate_cost(completion.usage.prompt_tokens, completion.usage.completion_tokens)
    return replace(completion, cost_usd=float(estimate), cost_source="catalog estimate")
