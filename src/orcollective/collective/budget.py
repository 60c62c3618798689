"""Pre-flight cost estimates from live catalog prices, and shrinking a panel to fit a budget.

A model's completion length is what the run store measured for it on this answer type (``learnt``),
else a typical length for the type; a terse model is not priced like a verbose one once it has history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..catalog import ModelInfo
from ..errors import BudgetExceeded

# Typical completion lengths, from the answer instruction each type gets: closed answers reason briefly
# and end with one line; long answers are capped by the max_tokens we send.
EXPECTED_COMPLETION = {"choice": 350, "number": 350, "boolean": 250, "text": 250, "long_text": 900}
MAX_COMPLETION = {"choice": 1500, "number": 1500, "boolean": 1200, "text": 1200, "long_text": 2500}
AGGREGATOR_COMPLETION = 600


def estimate_tokens(text: str) -> int:
    """About four characters a token for English and code; a small overhead for the chat template."""
    return len(text) // 4 + 12


@dataclass
class Fitted:
    models: list[ModelInfo]
    skipped: list[str]
    estimate_usd: float


def completion_of(model: ModelInfo, answer_type: str, learnt: Mapping[str, int] | None) -> int:
    """The completion tokens one answer of ``model`` is expected to take."""
    return (learnt or {}).get(model.id) or EXPECTED_COMPLETION[answer_type]


def call_estimate(
    model: ModelInfo, prompt_tokens: int, answer_type: str, learnt: Mapping[str, int] | None = None, images: int = 0
) -> Decimal:
    """USD for one answer of ``model``."""
    return model.estimate_cost(prompt_tokens, completion_of(model, answer_type, learnt), images)


def panel_estimate(
    panel: Sequence[ModelInfo],
    prompt_tokens: int,
    answer_type: str,
    aggregator: ModelInfo | None,
    images: int = 0,
    *,
    learnt: Mapping[str, int] | None = None,
    samples: int = 1,
) -> Decimal:
    total = samples * sum((call_estimate(m, prompt_tokens, answer_type, learnt, images) for m in panel), Decimal(0))
    if aggregator is not None:
        reading = prompt_tokens + sum(completion_of(m, answer_type, learnt) for m in panel) * samples
        total += aggregator.estimate_cost(reading, AGGREGATOR_COMPLETION)
    return total


def fit_budget(
    panel: Sequence[ModelInfo],
    prompt_tokens: int,
    answer_type: str,
    aggregator: ModelInfo | None,
    max_cost_usd: float | None,
    *,
    min_models: int,
    images: int = 0,
    learnt: Mapping[str, int] | None = None,
    samples: int = 1,
    per_call_usd: float = 0.0,
) -> Fitted:
    """Drop the most expensive models until the estimate fits ``max_cost_usd``; refuse below ``min_models``.
    ``per_call_usd`` is what each request adds whatever the model (e.g. web search results)."""
    models = list(panel)
    skipped: list[str] = []

    def estimate() -> Decimal:
        calls = len(models) * samples + (aggregator is not None)
        tokens = panel_estimate(models, prompt_tokens, answer_type, aggregator, images, learnt=learnt, samples=samples)
        return tokens + Decimal(str(per_call_usd)) * calls

    total = estimate()
    if max_cost_usd is None:
        return Fitted(models, skipped, float(total))
    limit = Decimal(str(max_cost_usd))
    while total > limit and len(models) > min_models:
        priciest = max(models, key=lambda m: call_estimate(m, prompt_tokens, answer_type, learnt, images))
        models.remove(priciest)
        skipped.append(priciest.id)
        total = estimate()
    if total > limit:
        raise BudgetExceeded(
            f"Estimated cost ${float(total):.6f} for the {len(models)} cheapest models is over max_cost_usd "
            f"${max_cost_usd}; raise max_cost_usd or choose cheaper models (list_models sort=price)."
        )
    return Fitted(models, skipped, float(total))


def check_budget(
    calls: Sequence[tuple[ModelInfo, int, int]], max_cost_usd: float | None, what: str, per_call_usd: float = 0.0
) -> float:
    """The pre-flight estimate of ``calls`` (model, prompt tokens, completion tokens) in USD, plus
    ``per_call_usd`` a call; over ``max_cost_usd`` it is refused before anything is spent."""
    estimate = sum((m.estimate_cost(prompt, completion) for m, prompt, completion in calls), Decimal(0))
    estimate += Decimal(str(per_call_usd)) * len(calls)
    if max_cost_usd is not None and estimate > Decimal(str(max_cost_usd)):
        raise BudgetExceeded(
            f"Estimated cost ${float(estimate):.6f} for {what} ({len(calls)} calls) is over max_cost_usd "
            f"${max_cost_usd}; raise max_cost_usd, use fewer rounds or models, or choose cheaper models."
        )
    return float(estimate)
