"""consensus: ask a panel, normalise the answers, aggregate them, and account for every call."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from ..catalog import known_models
from ..core import build_messages, with_cost
from ..errors import MISSING_KEY, ConfigError, InvalidArgument, TooFewAnswers, UnknownModel
from ..images import image_parts
from ..registry import ModelInfo
from ..results import ConsensusResult, Dissent, GroupRow, ModelResponse, excerpt, rounded
from ..runtime import Runtime
from . import history
from .aggregate import aggregate
from .answers import Question, answer_instruction, display_answer, extract_answer, parse_question
from .budget import MAX_COMPLETION, estimate_tokens, fit_budget
from .fanout import FanOut, Outcome
from .vote import Ballot, Group, Tally, decided, tally

log = logging.getLogger("orcollective.consensus")

STRATEGIES = ("auto", "vote", "weighted", "synthesize", "judge")
ANSWER_TYPES = ("auto", "choice", "number", "boolean", "text", "long_text")
MAX_PANEL = 16
FIRST_WAVE = 3
AGGREGATOR_SHARE = 0.4  # of timeout_s kept for the aggregator when one is needed

NO_PARSE = "no answer could be read from any response; see each response's excerpt"

OnProgress = Callable[[int, int, str], Awaitable[None]]


@dataclass
class Plan:
    question: Question
    strategy: str
    panel: list[ModelInfo]
    aggregator: ModelInfo | None
    skipped: list[str]
    estimate_usd: float
    timeout_s: float
    prompt_messages: list[dict]
    weights: dict[str, float] | None = None
    notes: list[str] = field(default_factory=list)


async def consensus(
    rt: Runtime,
    *,
    prompt: str,
    models: Sequence[str] | None = None,
    strategy: str = "auto",
    answer_type: str = "auto",
    early_stop: bool = True,
    adaptive: bool = False,
    system: str | None = None,
    images: Sequence[str] | None = None,
    max_cost_usd: float | None = None,
    timeout_s: float | None = None,
    aggregator: str | None = None,
    on_progress: OnProgress | None = None,
) -> ConsensusResult:
    """Ask every model in the panel (or fewer, with ``adaptive`` / ``early_stop``) and aggregate."""
    plan = await make_plan(
        rt, prompt, models, strategy, answer_type, system, images, max_cost_usd, timeout_s, aggregator
    )
    arguments = {
        "prompt": prompt, "models": [m.id for m in plan.panel], "strategy": plan.strategy,
        "answer_type": plan.question.answer_type, "early_stop": early_stop, "adaptive": adaptive,
        "max_cost_usd": max_cost_usd, "timeout_s": plan.timeout_s,
    }  # fmt: skip
    run_id = history.guarded(rt.store, lambda s: s.start_run("consensus", arguments))
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        result = await _run(rt, plan, early_stop, adaptive, on_progress, started)
    except asyncio.CancelledError:
        history.guarded(rt.store, lambda s: s.finish_run(run_id, status="cancelled", error="cancelled by the client"))
        raise
    except TooFewAnswers as exc:
        message = str(exc)
        history.guarded(rt.store, lambda s: s.finish_run(run_id, status="error", error=message))
        raise
    result.run_id = run_id
    result.latency_s = round(loop.time() - started, 3)
    history.record(rt.store, run_id, plan.question.answer_type, result)
    return result


async def make_plan(
    rt: Runtime,
    prompt: str,
    models: Sequence[str] | None,
    strategy: str,
    answer_type: str,
    system: str | None,
    images: Sequence[str] | None,
    max_cost_usd: float | None,
    timeout_s: float | None,
    aggregator: str | None,
) -> Plan:
    """Validate everything and price the run before a single token is bought."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise InvalidArgument("'prompt' is empty: pass the question to put to the panel.")
    if strategy not in STRATEGIES:
        raise InvalidArgument(f"strategy must be one of {', '.join(STRATEGIES)}.")
    if answer_type not in ANSWER_TYPES:
        raise InvalidArgument(f"answer_type must be one of {', '.join(ANSWER_TYPES)}.")
    if max_cost_usd is not None and max_cost_usd <= 0:
        raise InvalidArgument("max_cost_usd must be above 0 (USD), or omitted for no budget.")
    if timeout_s is not None and not 1 <= timeout_s <= 600:
        raise InvalidArgument("timeout_s must be from 1 to 600 seconds; clients usually stop waiting at 60.")
    ids = list(models) if models else list(rt.default_panel)
    if len(ids) < 2:
        raise InvalidArgument("A consensus needs at least 2 models; use chat for one model.")
    if len(ids) > MAX_PANEL:
        raise InvalidArgument(f"At most {MAX_PANEL} models in a panel; drop {len(ids) - MAX_PANEL}.")
    twice = sorted({m for m in ids if ids.count(m) > 1})
    if twice:
        raise InvalidArgument(f"Model(s) listed twice: {', '.join(twice)}; list each model once.")
    question = parse_question(prompt, answer_type)  # type: ignore[arg-type]
    closed = question.answer_type != "long_text"
    if strategy == "auto":
        strategy = "vote" if closed else "synthesize"
    if strategy in ("vote", "weighted") and not closed:
        raise InvalidArgument(
            "vote and weighted need a short answer (choice, number, boolean, text); "
            "for long free text use strategy synthesize or judge."
        )
    notes: list[str] = []
    if models:
        infos = await known_models(rt, ids)
    else:
        infos, ids = await _default_panel(rt, ids, notes)
    panel = [info or _unchecked(model_id) for info, model_id in zip(infos, ids, strict=True)]
    agg_info = None
    if strategy in ("synthesize", "judge"):
        agg_id = aggregator or rt.aggregator_model or ids[0]
        (agg_info,) = await known_models(rt, [agg_id])
        agg_info = agg_info or _unchecked(agg_id)
    parts = image_parts(list(images), rt.images) if images else None
    instruction = answer_instruction(question)
    full_system = "\n\n".join(s for s in (system, instruction) if s and s.strip()) or None
    messages = build_messages(prompt, None, full_system, parts)
    if not rt.client.has_key:
        raise ConfigError(MISSING_KEY)
    prompt_tokens = estimate_tokens(prompt + (full_system or ""))
    fitted = fit_budget(panel, prompt_tokens, question.answer_type, agg_info, max_cost_usd, min_models=2)
    plan = Plan(
        question=question,
        strategy=strategy,
        panel=fitted.models,
        aggregator=agg_info,
        skipped=fitted.skipped,
        estimate_usd=fitted.estimate_usd,
        timeout_s=timeout_s or rt.consensus_timeout_s,
        prompt_messages=messages,
    )
    plan.notes.extend(notes)
    if fitted.skipped:
        plan.notes.append(f"left out to fit max_cost_usd: {', '.join(fitted.skipped)}")
    if strategy == "weighted":
        plan.weights = history.weights(rt.store, [m.id for m in plan.panel], question.answer_type, plan.notes)
    return plan


async def _run(
    rt: Runtime, plan: Plan, early_stop: bool, adaptive: bool, on_progress: OnProgress | None, started: float
) -> ConsensusResult:
    q = plan.question
    needs_aggregator = plan.strategy in ("synthesize", "judge")
    answer_time = plan.timeout_s * (1 - AGGREGATOR_SHARE if needs_aggregator else 1)
    deadline = started + answer_time
    fan = FanOut(rt.client, rt.limiter, call_timeout_s=plan.timeout_s)
    order = [m.id for m in plan.panel]
    if adaptive:
        order = history.adaptive_order(rt.store, order, q.answer_type)
    waves = [order[:FIRST_WAVE], order[FIRST_WAVE:]] if adaptive and len(order) > FIRST_WAVE else [order]
    total = len(order)
    outcomes: list[Outcome] = []
    ballots: list[Ballot] = []
    stopped = False
    can_stop = early_stop and not needs_aggregator
    weights = plan.weights

    async def seen(outcome: Outcome) -> None:
        outcomes.append(outcome)
        ballots.append(_ballot(q, outcome))
        if on_progress is not None:
            answered = [o.model for o in outcomes if o.ok]
            await on_progress(len(outcomes), total, f"{len(answered)}/{total} answered: {', '.join(answered)}")

    for i, wave in enumerate(waves):
        if i > 0 and _unanimous(ballots):
            # adaptive: the first, most trusted models agree, so the rest are not asked
            outcomes.extend(Outcome(m, "not_asked", error="not asked: the first models agreed") for m in wave)
            break

        def should_stop(finished: list[Outcome], still_running: int, wave: list[str] = wave) -> bool:
            if not can_stop:
                return False
            done = {o.model for o in finished}
            pending = [(weights or {}).get(m, 1.0) for m in wave if m not in done]
            return decided(ballots, pending, weights)

        bodies = [_body(plan, model) for model in wave]
        wave_outcomes, wave_stopped = await fan.round(
            bodies, deadline=deadline, on_outcome=seen, should_stop=should_stop
        )
        stopped = stopped or wave_stopped
        for outcome in wave_outcomes:
            if outcome.status == "cancelled":
                outcomes.append(outcome)
                ballots.append(Ballot(outcome.model, None))

    by_id = {m.id: m for m in plan.panel}
    for outcome in outcomes:
        if outcome.completion is not None:
            with_cost(by_id.get(outcome.completion.model) or by_id.get(outcome.model), outcome.completion)
    answered = [o for o in outcomes if o.ok]
    if len(answered) < 2:
        failures = "; ".join(f"{o.model}: {o.error or o.status}" for o in outcomes if not o.ok)
        raise TooFewAnswers(
            f"Only {len(answered)} of {len(outcomes)} models answered ({failures}). "
            "Retry, raise timeout_s, or choose other models."
        )
    position = {model: i for i, model in enumerate(m.id for m in plan.panel)}
    parsed_tally = tally(sorted(ballots, key=lambda b: position.get(b.model, len(position))), weights)
    result = _shape(plan, outcomes, ballots, parsed_tally, stopped)
    if needs_aggregator:
        await aggregate(
            fan,
            strategy=plan.strategy,
            question=q,
            aggregator=plan.aggregator,
            deadline=started + plan.timeout_s,
            answered=answered,
            ballots=ballots,
            result=result,
        )
    return result


async def _default_panel(rt: Runtime, ids: list[str], notes: list[str]) -> tuple[list[ModelInfo | None], list[str]]:
    """The configured panel minus ids the catalog no longer lists: the user did not name them, so a retired
    default should not fail the run; fewer than two left is still an error."""
    kept: list[tuple[ModelInfo | None, str]] = []
    for model_id in ids:
        try:
            (info,) = await known_models(rt, [model_id])
        except UnknownModel:
            notes.append(f"default panel model {model_id} is not in the catalog; left out")
            continue
        kept.append((info, model_id))
    if len(kept) < 2:
        raise InvalidArgument(
            "Fewer than 2 models of the default panel are in the catalog: pass 'models' or set "
            "ORCOLLECTIVE_DEFAULT_MODELS to current ids (see list_models)."
        )
    return [info for info, _ in kept], [model_id for _, model_id in kept]


def _body(plan: Plan, model: str) -> dict:
    return {
        "model": model,
        "messages": plan.prompt_messages,
        "max_tokens": MAX_COMPLETION[plan.question.answer_type],
    }


def _ballot(q: Question, outcome: Outcome) -> Ballot:
    if not outcome.ok or q.answer_type == "long_text":
        return Ballot(outcome.model, None)
    return Ballot(outcome.model, extract_answer(q, outcome.completion.text))


def _unanimous(ballots: Sequence[Ballot]) -> bool:
    keys = [b.key for b in ballots if b.key is not None]
    return len(keys) >= 2 and len(set(keys)) == 1


def _shape(plan: Plan, outcomes: list[Outcome], ballots: list[Ballot], t: Tally, stopped: bool) -> ConsensusResult:
    q = plan.question
    key_of = {b.model: b.key for b in ballots}
    winner = t.winner
    responses = [
        ModelResponse(
            model=o.model,
            status=o.status,
            answer=display_answer(q, key_of[o.model]) if key_of.get(o.model) else None,
            excerpt=excerpt(o.completion.text) if o.completion else None,
            latency_s=round(o.latency_s, 3),
            cost_usd=o.completion.cost_usd if o.completion else None,
            error=o.error,
        )
        for o in outcomes
    ]
    dissent = [
        Dissent(model=o.model, answer=display_answer(q, key_of[o.model]) if key_of.get(o.model) else None)
        for o in outcomes
        if o.ok and key_of.get(o.model) != winner
    ]
    return ConsensusResult(
        answer=display_answer(q, winner) if winner else None,
        answer_type=q.answer_type,
        strategy=plan.strategy,
        confidence=rounded(t.confidence),
        agreement=rounded(t.agreement),
        groups=[_group_row(q, g) for g in t.groups],
        dissent=dissent if winner else [],
        responses=responses,
        answered=sum(o.ok for o in outcomes),
        calls=sum(o.status != "not_asked" for o in outcomes),
        stopped_early=stopped,
        skipped=plan.skipped,
        estimate_usd=rounded(plan.estimate_usd, 10),
        cost_usd=round(sum(o.completion.cost_usd or 0 for o in outcomes if o.completion), 10),
        latency_s=0.0,
        run_id=None,
        notes=list(plan.notes) + ([] if winner or q.answer_type == "long_text" else [NO_PARSE]),
    )


def _group_row(q: Question, g: Group) -> GroupRow:
    return GroupRow(answer=display_answer(q, g.key), models=g.models, share=rounded(g.share))


def _unchecked(model_id: str) -> ModelInfo:
    return ModelInfo.from_raw({"id": model_id, "name": model_id})
