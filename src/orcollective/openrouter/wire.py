"""Plain data shared by the client and the layers above it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

CostSource = Literal["usage.cost", "catalog estimate", "unknown"]


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float | None = None

    @classmethod
    def from_wire(cls, raw: dict | None) -> Usage:
        raw = raw or {}
        completion_details = raw.get("completion_tokens_details") or {}
        prompt_details = raw.get("prompt_tokens_details") or {}
        cost = raw.get("cost")
        return cls(
            prompt_tokens=_int(raw.get("prompt_tokens")),
            completion_tokens=_int(raw.get("completion_tokens")),
            reasoning_tokens=_int(completion_details.get("reasoning_tokens")),
            cached_tokens=_int(prompt_details.get("cached_tokens")),
            cost_usd=float(cost) if isinstance(cost, (int, float)) and not isinstance(cost, bool) else None,
        )


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


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
