"""consensus, before any spend: the panel checked against the catalog, the strategy chosen, the files and
images loaded, the run priced and fitted to ``max_cost_usd``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..catalog import ModelInfo
from ..collective.answers import Question, answer_instruction, parse_question
from ..collective.budget import call_estimate, estimate_tokens, fit_budget
from ..collective.panels import default_panel, free_panel, only_free, refuse_blind
from ..collective.weights import MIN_EVIDENCE, Learned, learn, learnt_completion
from ..errors import MISSING_KEY, ConfigError, InvalidArgument
from ..inputs import build_messages, load_images
from ..inputs.files import file_policy
from ..inputs.routing import resolve_models
from ..inputs.upstream import Prepared, prepare_upstream
from ..runtime import Runtime

if TYPE_CHECKING:
    from .consensus import ConsensusRequest


@dataclass
class Plan:
    question: Question
    strategy: str
    panel: list[ModelInfo]
    aggregator: ModelInfo | None
    skipped: list[str]
    estimate_usd: float
    timeout_s: float
    messages: list[dict]
    learned: Learned
    weights: dict[str, float] | None
    samples: int
    price: dict[str, float]
    upstream: Prepared
    notes: list[str]


async def make_plan(rt: Runtime, req: ConsensusRequest) -> Plan:
    """Check the panel against the catalog and price the run before a single token is bought."""
    question = parse_question(req.prompt, req.answer_type)
    closed = question.answer_type != "long_text"
    if req.strategy in ("vote", "weighted") and not closed:
        raise InvalidArgument(
            "vote and weighted need a short answer (choice, number, boolean, text); "
            "for long free text use strategy synthesize or judge."
        )
    notes: list[str] = []
    if req.models:
        panel = await resolve_models(rt.registry, req.models)
    elif req.free_only:
        panel = await free_panel(rt.registry, len(rt.default_panel), notes)
    else:
        panel = await default_panel(rt.registry, rt.default_panel, notes)
    if req.free_only:
        only_free(panel)
    ids = [m.id for m in panel]
    learned = await asyncio.to_thread(learn, rt.store, ids, question.answer_type, notes)
    strategy = req.strategy
    if strategy == "auto":
        strategy = ("weighted" if learned.enough else "vote") if closed else "synthesize"
        if strategy == "weighted":
            notes.append(f"auto: learnt weights (every model has {MIN_EVIDENCE:.0f}+ past runs of this answer type)")
    agg_info = None
    if strategy in ("synthesize", "judge"):
        agg_id = req.aggregator or rt.aggregator_model or panel[0].id
        (agg_info,) = await resolve_models(rt.registry, [agg_id])
        if req.free_only:
            only_free([agg_info])
    parts = await load_images(req.images, rt.images) if req.images else None
    if parts:  # a model without image input is refused before any spend, naming vision models to use
        await refuse_blind(rt.registry, [*panel, *([agg_info] if agg_info else [])])
    upstream = await prepare_upstream(
        req.openrouter, file_policy(rt.images), [*ids, *([agg_info.id] if agg_info else [])]
    )
    full_system = "\n\n".join(s for s in (req.system, answer_instruction(question)) if s and s.strip()) or None
    messages = upstream.with_question(build_messages(req.prompt, None, full_system, parts))
    if not rt.client.has_key:
        raise ConfigError(MISSING_KEY)
    prompt_tokens = estimate_tokens(req.prompt + (full_system or "") + upstream.text)
    learnt = learnt_completion(rt.store, ids, question.answer_type)
    images = len(parts or [])
    fitted = fit_budget(
        panel, prompt_tokens, question.answer_type, agg_info, req.max_cost_usd,
        min_models=1 if req.samples > 1 else 2, images=images, learnt=learnt, samples=req.samples,
        per_call_usd=upstream.per_call_usd,
    )  # fmt: skip
    if fitted.skipped:
        notes.append(f"left out to fit max_cost_usd: {', '.join(fitted.skipped)}")
    price = {m.id: float(call_estimate(m, prompt_tokens, question.answer_type, learnt, images)) for m in fitted.models}
    return Plan(
        question=question,
        strategy=strategy,
        panel=fitted.models,
        aggregator=agg_info,
        skipped=fitted.skipped,
        estimate_usd=fitted.estimate_usd,
        timeout_s=req.timeout_s or rt.consensus_timeout_s,
        messages=messages,
        learned=learned,
        weights=learned.weights if strategy == "weighted" else None,
        samples=req.samples,
        price=price,
        upstream=upstream,
        notes=notes,
    )
