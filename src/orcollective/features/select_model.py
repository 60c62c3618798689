"""select_model: rank models from the live catalog under constraints, by measured stats from the run
store where they exist and catalog facts where they do not, each with its reasons in numbers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from ..catalog import ModelInfo
from ..collective.selection import Measured, Pick, rank
from ..errors import InvalidArgument, StoreError
from ..runtime import Runtime
from ..store.benchmarks import ground_truth
from .base import Cli, Feature, Progress, Request

CLOSED_TYPES = ("choice", "number", "boolean", "text")
MAX_CANDIDATES = 5000


class SelectModelRequest(Request):
    task: str
    priority: Literal["balanced", "quality", "speed", "cost"] = "balanced"
    count: Annotated[int, Field(ge=1, le=20)] = 3
    max_price_per_mtok: Annotated[float | None, Field(ge=0)] = None
    min_context: Annotated[int | None, Field(ge=1)] = None
    vision: bool | None = None
    free_only: bool = False
    tools: bool | None = None

    @field_validator("task")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("empty: describe the task to pick models for")
        return value


class Recommendation(BaseModel, defer_build=True):
    model: str
    score: float
    quality: float
    speed: float
    cost: float
    prompt_per_mtok: float
    completion_per_mtok: float
    context_length: int | None
    measured_calls: int
    reasons: list[str]


class SelectModelResult(BaseModel, defer_build=True):
    task: str
    priority: str
    recommendations: list[Recommendation]
    candidates: int
    constraints: dict
    notes: list[str]


def measured(rt: Runtime, ids: Sequence[str], notes: list[str]) -> dict[str, Measured]:
    """What the run store measured for ``ids`` (empty without a store)."""
    if rt.store is None or not ids:
        return {}
    try:
        stats = rt.store.model_stats(ids)
        agree = {m: [0.0, 0.0] for m in ids}
        for kind in CLOSED_TYPES:
            for m, r in rt.store.reliability(ids, kind).items():
                agree[m][0] += r.alpha - r.prior[0]
                agree[m][1] += r.alpha + r.beta - sum(r.prior)
        truth = ground_truth(rt.store, ids)
    except StoreError as exc:
        notes.append(f"measured stats unavailable: {exc}")
        return {}
    out = {}
    for m in ids:
        s = stats.get(m)
        right, graded = truth.get(m, (0, 0))
        agreed, seen = agree[m]
        out[m] = Measured(
            calls=s.calls if s else 0,
            success_rate=s.success_rate if s else None,
            median_latency_s=s.median_latency_s if s else None,
            agreement=agreed / seen if seen else None,
            agreement_n=round(seen),
            accuracy=right / graded if graded else None,
            accuracy_n=graded,
        )
    return out


def recommend(rt: Runtime, candidates: Sequence[ModelInfo], priority: str, count: int, notes: list[str]) -> list[Pick]:
    """The best ``count`` of ``candidates`` for ``priority`` (used by select_model and ensemble routing)."""
    usable = [m for m in candidates if not m.variable_price]
    return rank(usable, measured(rt, [m.id for m in usable], notes), priority, count)


async def run(rt: Runtime, req: SelectModelRequest, progress: Progress) -> SelectModelResult:
    page = await rt.registry.search(
        vision=req.vision, free=True if req.free_only else None, tools=req.tools,
        max_price_per_mtok=req.max_price_per_mtok, min_context=req.min_context, limit=MAX_CANDIDATES,
    )  # fmt: skip
    # The catalog search applies the constraints; checked again here so no pick can violate one.
    candidates = [m for m in page.models if _fits(m, req)]
    if not candidates:
        raise InvalidArgument("No model in the catalog meets these constraints; relax max_price_per_mtok, "
                              "min_context, vision, tools or free_only.")  # fmt: skip
    notes: list[str] = []
    picks = recommend(rt, candidates, req.priority, req.count, notes)
    constraints = req.model_dump(exclude={"task", "priority", "count"}, exclude_none=True)
    return SelectModelResult(
        task=req.task, priority=req.priority, candidates=len(candidates), constraints=constraints, notes=notes,
        recommendations=[
            Recommendation(
                model=p.model.id, score=p.score, quality=p.quality, speed=p.speed, cost=p.cost,
                prompt_per_mtok=float(p.model.prompt_per_mtok), completion_per_mtok=float(p.model.completion_per_mtok),
                context_length=p.model.context_length, measured_calls=p.measured_calls, reasons=p.reasons,
            )
            for p in picks
        ],
    )  # fmt: skip


def _fits(m: ModelInfo, req: SelectModelRequest) -> bool:
    price = max(m.prompt_per_mtok, m.completion_per_mtok)
    return (
        (req.max_price_per_mtok is None or (not m.variable_price and float(price) <= req.max_price_per_mtok))
        and (req.min_context is None or (m.context_length or 0) >= req.min_context)
        and (req.vision is None or m.vision == req.vision)
        and (req.tools is None or m.tools == req.tools)
        and (not req.free_only or m.free)
    )


def summary(r: SelectModelResult) -> str:
    lines = [f"{len(r.recommendations)} of {r.candidates} models for: {r.task[:80]} (priority {r.priority})"]
    for i, x in enumerate(r.recommendations, 1):
        lines.append(f"{i}. {x.model} (score {x.score:.2f}): " + "; ".join(x.reasons))
    lines += [f"note: {n}" for n in r.notes]
    return "\n".join(lines)


FEATURE = Feature(
    name="select_model",
    group="collective",
    kind="read",
    description="Rank models for a task under constraints, with reasons.",
    request=SelectModelRequest,
    result=SelectModelResult,
    run=run,
    summary=summary,
    cli=Cli(command="select", arguments=("task",), flags={"max_price_per_mtok": "--max-price"}),
)
