"""Ranking models for a task: measured behaviour from the run store where it exists (latency, success,
agreement with peers, benchmark accuracy), catalog facts where it does not (price, context), weighted
by the caller's priority. Every figure behind a rank is returned with how many observations it rests on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..catalog import ModelInfo

# (quality, speed, cost) weights per priority.
PRIORITIES = {
    "quality": (0.7, 0.15, 0.15),
    "speed": (0.2, 0.6, 0.2),
    "cost": (0.2, 0.2, 0.6),
    "balanced": (0.4, 0.3, 0.3),
}
UNKNOWN = 0.5  # a component with nothing to go on sits in the middle
MIN_OBSERVATIONS = 3  # measured figures from fewer observations are shown but not used


@dataclass
class Measured:
    """What the run store knows about a model."""

    calls: int = 0
    success_rate: float | None = None
    median_latency_s: float | None = None
    agreement: float | None = None  # share of runs its closed answer agreed with its peers'
    agreement_n: int = 0
    accuracy: float | None = None  # benchmark trials graded correct
    accuracy_n: int = 0


@dataclass
class Pick:
    model: ModelInfo
    score: float
    quality: float
    speed: float
    cost: float
    reasons: list[str] = field(default_factory=list)
    measured_calls: int = 0


def price_per_mtok(m: ModelInfo) -> float:
    """Blended USD per 1M tokens: 3 prompt tokens for each completion token."""
    return float(m.prompt_per_mtok * 3 + m.completion_per_mtok) / 4


def _percentile(value: float, values: Sequence[float]) -> float:
    """Share of ``values`` strictly below ``value``, ties counted half."""
    if len(values) <= 1:
        return UNKNOWN
    below = sum(v < value for v in values) + 0.5 * (sum(v == value for v in values) - 1)
    return below / (len(values) - 1)


def rank(candidates: Sequence[ModelInfo], measured: Mapping[str, Measured], priority: str, count: int) -> list[Pick]:
    """The ``count`` best candidates for ``priority``, each with its reasons in numbers."""
    wq, ws, wc = PRIORITIES[priority]
    prices = [price_per_mtok(m) for m in candidates]
    latencies = [
        x.median_latency_s
        for m in candidates
        if (x := measured.get(m.id)) and x.median_latency_s is not None and x.calls >= MIN_OBSERVATIONS
    ]
    picks = []
    for m, price in zip(candidates, prices, strict=True):
        x = measured.get(m.id) or Measured()
        reasons = [
            f"${float(m.prompt_per_mtok):g}/${float(m.completion_per_mtok):g} per 1M tokens (in/out)",
            f"context {m.context_length or 'unknown'}",
        ]
        cost = 1 - _percentile(price, prices)
        if x.median_latency_s is not None and x.calls >= MIN_OBSERVATIONS and len(latencies) > 1:
            speed = 1 - _percentile(x.median_latency_s, latencies)
            reasons.append(f"median latency {x.median_latency_s:.2f}s over {x.calls} calls")
        else:
            speed = UNKNOWN
            reasons.append(f"latency not measured ({x.calls} calls recorded)")
        evidence: list[tuple[float, int]] = []
        if x.accuracy is not None and x.accuracy_n >= MIN_OBSERVATIONS:
            evidence.append((x.accuracy, x.accuracy_n * 2))  # ground truth outweighs agreement
            reasons.append(f"benchmark accuracy {x.accuracy:.0%} over {x.accuracy_n} graded trials")
        if x.agreement is not None and x.agreement_n >= MIN_OBSERVATIONS:
            evidence.append((x.agreement, x.agreement_n))
            reasons.append(f"agreed with peers in {x.agreement:.0%} of {x.agreement_n} runs")
        if x.success_rate is not None and x.calls >= MIN_OBSERVATIONS:
            evidence.append((x.success_rate, x.calls // 2))
            reasons.append(f"success {x.success_rate:.0%} over {x.calls} calls")
        if evidence:
            quality = sum(v * n for v, n in evidence) / sum(n for _, n in evidence)
        else:
            # No measurement: the price tier is the only catalog fact that tracks capability.
            quality = UNKNOWN * 0.5 + 0.5 * _percentile(price, prices)
            reasons.append("quality not measured: price tier used as a prior")
        score = round(wq * quality + ws * speed + wc * cost, 4)
        picks.append(Pick(m, score, round(quality, 3), round(speed, 3), round(cost, 3), reasons, x.calls))
    picks.sort(key=lambda p: (-p.score, price_per_mtok(p.model), p.model.id))
    return picks[:count]
