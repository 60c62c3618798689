"""consensus: ask a panel at once, read each answer, aggregate them, and account for every call."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator

from ..collective.answers import Question, display_answer, read_answer
from ..collective.budget import MAX_COMPLETION
from ..collective.consensus import Decision, Dissent, GroupRow, aggregate, excerpt, rounded, vote
from ..collective.fanout import FanOut, Outcome, cache_note, cache_saving, cited
from ..collective.records import keep_exchanges, record_round
from ..collective.rounds import PanelRound, ask_panel
from ..collective.vote import Ballot
from ..collective.weights import adaptive_order, latencies
from ..errors import ConfigError, OrcError, TooFewAnswers
from ..inputs.messages import continued
from ..inputs.shapes import check_model_id
from ..inputs.upstream import OpenRouterArgument
from ..runtime import Runtime
from ..store import RunRecorder
from ..store.jobs import Job
from .base import Cli, Feature, Progress, Request, SourceOut, closing_lines
from .consensus_plan import Plan, make_plan
from .runner import JobProgress, earlier_exchanges

Earlier = dict[str, list[dict]]
MAX_PANEL = 16
ModelId = Annotated[str, AfterValidator(check_model_id)]
MAX_SAMPLES = 10
SAMPLE_TEMPERATURE = 0.8  # samples need diverse reasoning paths (self-consistency)
AGGREGATOR_SHARE = 0.4  # of timeout_s kept for the aggregator when one is needed


class ConsensusRequest(Request):
    prompt: str
    models: Annotated[list[ModelId] | None, Field(description="Panel, used exactly")] = None
    strategy: Literal["auto", "vote", "weighted", "synthesize", "judge"] = "auto"
    answer_type: Literal["auto", "choice", "number", "boolean", "text", "long_text"] = "auto"
    early_stop: bool = True
    adaptive: Annotated[bool, Field(description="Start with 3, add while undecided")] = False
    system: str | None = None
    images: list[str] | None = None
    max_cost_usd: Annotated[float | None, Field(gt=0)] = None
    timeout_s: Annotated[float | None, Field(ge=1, le=600)] = None
    aggregator: Annotated[str | None, Field(description="For synthesize/judge")] = None
    samples: Annotated[int, Field(ge=1, le=MAX_SAMPLES, description="Answers per model")] = 1
    free_only: bool = False
    wait: bool = True
    continue_from: str | None = None
    openrouter: OpenRouterArgument

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("empty: pass the question to put to the panel")
        return value

    @field_validator("models")
    @classmethod
    def _panel(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("empty: name at least one model, or leave models out for the default panel")
        if len(value) > MAX_PANEL:
            raise ValueError(f"at most {MAX_PANEL} models in a panel; drop {len(value) - MAX_PANEL}")
        twice = sorted({m for m in value if value.count(m) > 1})
        if twice:
            raise ValueError(f"listed twice: {', '.join(twice)}; list each model once")
        return value

    @model_validator(mode="after")
    def _two_answers(self) -> ConsensusRequest:
        if self.models is not None and len(self.models) * self.samples < 2:
            raise ValueError("a consensus needs at least 2 answers: name 2 models, or 1 model with samples >= 2")
        return self


class ModelResponse(BaseModel, defer_build=True):
    model: str
    role: str
    status: str
    answer: str | None
    found_by: str | None
    excerpt: str | None
    latency_s: float
    cost_usd: float | None
    error: str | None


class ConsensusResult(BaseModel, defer_build=True):
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
    sources: list[SourceOut]  # web pages the answers cited (openrouter.web_search)
    cache_saving_usd: float | None  # what response-cache hits saved (openrouter.cache)
    notes: list[str]


async def run(rt: Runtime, req: ConsensusRequest, progress: Progress) -> ConsensusResult:
    """Ask every model in the panel (or fewer, with ``adaptive`` / ``early_stop``) and aggregate."""
    plan = await make_plan(rt, req)
    arguments = {
        "prompt": req.prompt, "models": [m.id for m in plan.panel], "strategy": plan.strategy,
        "answer_type": plan.question.answer_type, "early_stop": req.early_stop, "adaptive": req.adaptive,
        "max_cost_usd": req.max_cost_usd, "timeout_s": plan.timeout_s, "samples": req.samples,
    }  # fmt: skip
    earlier = earlier_exchanges(rt, req.continue_from)
    recorder = RunRecorder(rt.store, "consensus", {**arguments, "continue_from": req.continue_from})
    if req.wait:
        return await _run(rt, plan, req, progress, recorder, earlier)
    if recorder.run_id is None:
        raise ConfigError("wait=false needs the run store (see the server log); use wait=true.")

    async def background(job: Job) -> dict:
        return (await _run(rt, plan, req, JobProgress(job), recorder, earlier)).model_dump(mode="json")

    rt.jobs.start(recorder.run_id, "consensus", background)
    return _pending(plan, recorder.run_id)


async def _run(
    rt: Runtime, plan: Plan, req: ConsensusRequest, progress: Progress, recorder: RunRecorder, earlier: Earlier
) -> ConsensusResult:
    started = asyncio.get_running_loop().time()
    # Each call is recorded as it finishes, so a run cut short (cancelled, or its server killed) keeps its calls.
    finished: list[Outcome] = []
    try:
        round_, decision = await _decide(rt, plan, req, progress, started, finished, earlier, recorder)
    except BaseException as exc:
        # Whatever ends the run (a cancel, too few answers, a crash) is recorded with what was spent.
        spent = round(sum(o.completion.cost_usd or 0 for o in finished if o.completion), 10)
        cancelled = isinstance(exc, asyncio.CancelledError)
        why = str(exc) if isinstance(exc, OrcError) else f"internal error ({type(exc).__name__})"
        recorder.finish(
            "cancelled" if cancelled else "error", cost_usd=spent, error="cancelled by the client" if cancelled else why
        )
        raise
    record_round(recorder, plan.question, round_, decision)
    keep_exchanges(recorder, round_, lambda model: continued(earlier, model, plan.messages))
    result = _shape(plan, round_, decision, asyncio.get_running_loop().time() - started, recorder)
    recorder.finish("done", result=result.model_dump(mode="json"), cost_usd=result.cost_usd)
    return result


def _pending(plan: Plan, run_id: str) -> ConsensusResult:  # wait=false: the run id to poll, nothing decided yet
    return ConsensusResult(
        answer=None, answer_type=plan.question.answer_type, strategy=plan.strategy, confidence=None,
        agreement=None, groups=[], dissent=[], responses=[], answered=0, calls=0, stopped_early=False,
        skipped=plan.skipped, estimate_usd=rounded(plan.estimate_usd, 10), cost_usd=0.0, latency_s=0.0,
        run_id=run_id, sources=[], cache_saving_usd=None,
        notes=[f"running in the server: runs(run_id='{run_id}') shows progress, then the result"],
    )  # fmt: skip


async def _decide(
    rt: Runtime,
    plan: Plan,
    req: ConsensusRequest,
    progress: Progress,
    started: float,
    finished: list[Outcome],
    earlier: Earlier,
    recorder: RunRecorder,
) -> tuple[PanelRound, Decision]:
    q = plan.question
    needs_aggregator = plan.aggregator is not None
    answer_time = plan.timeout_s * (1 - AGGREGATOR_SHARE if needs_aggregator else 1)
    by_id = {m.id: m for m in plan.panel + ([plan.aggregator] if plan.aggregator else [])}
    streamed: dict[str, int] = {}  # characters of each answer so far, for a progress that shows them

    async def on_text(model: str, delta: str) -> None:
        await progress.model_text(model, streamed.setdefault(model, 0) + len(delta))
        streamed[model] += len(delta)

    fan = FanOut(
        rt.client,
        call_timeout_s=plan.timeout_s,
        models=by_id,
        on_text=on_text if progress.streams else None,
        upstream=plan.upstream,
    )
    models = [m.id for m in plan.panel]
    if req.adaptive:
        models = adaptive_order(plan.learned, models, latencies(rt.store, models), plan.price)
    order = [m for _ in range(plan.samples) for m in models]  # samples round-robin: every model early
    total = len(order)
    for model in models:
        await progress.model_started(model)

    async def seen(outcome: Outcome, so_far: list[Outcome]) -> None:
        finished.append(outcome)
        answered = [o.model for o in so_far if o.ok]
        await progress.step(len(so_far), total, f"{len(answered)}/{total} answered: {', '.join(answered)}")
        c = outcome.completion
        key = read_answer(q, c.text).key if c is not None else None
        recorder.call(outcome.model, c, role="panelist", answer=display_answer(q, key) if key else None,
                      error=outcome.error, latency_s=outcome.latency_s)  # fmt: skip
        shown = display_answer(q, key) if key else (excerpt(c.text) if c is not None else None)
        await progress.model_finished(outcome.model, outcome.status, answer=shown, latency_s=outcome.latency_s,
                                      cost_usd=c.cost_usd if c else None, error=outcome.error)  # fmt: skip

    max_tokens = MAX_COMPLETION[q.answer_type]

    def body(model: str, n: int) -> dict:
        sampled = {"temperature": SAMPLE_TEMPERATURE, "seed": n} if plan.samples > 1 else {}
        messages = continued(earlier, model, plan.messages)
        return {"model": model, "messages": messages, "max_tokens": max_tokens, **sampled}

    round_ = await ask_panel(
        fan,
        q,
        order,
        body,
        deadline=started + answer_time,
        early_stop=req.early_stop and not needs_aggregator,
        adaptive=req.adaptive,
        weights=plan.weights,
        on_outcome=seen,
    )
    answered = round_.answered
    if len(answered) < 2:
        failures = "; ".join(f"{o.model}: {o.error or o.status}" for o in round_.outcomes if not o.ok)
        raise TooFewAnswers(
            f"Only {len(answered)} of {len(round_.outcomes)} models answered ({failures}). "
            "Retry, raise timeout_s, or choose other models."
        )
    decision = vote(q, [m.id for m in plan.panel], round_, plan.weights, plan.learned.estimates)
    if plan.aggregator is not None:
        decision = await aggregate(
            fan, q, plan.strategy, plan.aggregator, round_, decision, deadline=started + plan.timeout_s
        )
    return round_, decision


def _shown(q: Question, b: Ballot) -> str | None:
    return display_answer(q, b.key) if b.key else None


def _response(o: Outcome, role: str, b: Ballot | None, q: Question) -> ModelResponse:
    return ModelResponse(
        model=o.model,
        role=role,
        status=o.status,
        answer=_shown(q, b) if b else None,
        found_by=b.found_by if b and b.key else None,
        excerpt=excerpt(o.completion.text) if o.completion else None,
        latency_s=round(o.latency_s, 3),
        cost_usd=o.completion.cost_usd if o.completion else None,
        error=o.error,
    )


def _shape(plan: Plan, round_: PanelRound, d: Decision, elapsed: float, recorder: RunRecorder) -> ConsensusResult:
    q = plan.question
    responses = [_response(o, "panelist", b, q) for o, b in zip(round_.outcomes, round_.ballots, strict=True)]
    calls = [o for o in round_.outcomes if o.status != "not_asked"]
    if d.aggregator is not None:
        responses.append(_response(d.aggregator, "aggregator", None, q))
        calls.append(d.aggregator)
    return ConsensusResult(
        answer=d.answer, answer_type=plan.question.answer_type, strategy=plan.strategy, confidence=d.confidence,
        agreement=d.agreement, groups=d.groups, dissent=d.dissent, responses=responses,
        answered=len(round_.answered), calls=len(calls), stopped_early=round_.stopped_early, skipped=plan.skipped,
        estimate_usd=rounded(plan.estimate_usd, 10),
        cost_usd=round(sum(o.completion.cost_usd or 0 for o in calls if o.completion), 10),
        latency_s=round(elapsed, 3), run_id=recorder.run_id,
        sources=[SourceOut(url=s.url, title=s.title) for s in cited(calls)], cache_saving_usd=cache_saving(calls),
        notes=[*plan.notes, *d.notes, *cache_note(calls), *recorder.notes],
    )  # fmt: skip


def summary(r: ConsensusResult) -> str:
    """A short human summary: the answer, how sure, who disagreed, what it cost."""
    conf = f"{r.confidence:.0%}" if r.confidence is not None else "unknown"
    panel = sum(x.role == "panelist" for x in r.responses)
    lines = [
        f"Answer: {r.answer}",
        f"confidence {conf} · {r.strategy} · {r.answered}/{panel} answered · {r.calls} calls"
        f"{' · stopped early' if r.stopped_early else ''} · ${r.cost_usd:.6f} · {r.latency_s:.2f}s",
    ]
    if r.dissent:
        lines.append("dissent: " + "; ".join(f"{d.model}: {d.answer or '(no answer)'}" for d in r.dissent))
    failed = [f"{x.model}: {x.error}" for x in r.responses if x.status in ("error", "timeout")]
    if failed:
        lines.append("failed: " + "; ".join(failed))
    lines += closing_lines(r.notes, r.run_id, r.sources)
    return "\n".join(lines)


FEATURE = Feature(
    name="consensus",
    group="collective",
    kind="spends",
    description="Ask several models at once; aggregate by vote, weighted, synthesize or judge.",
    request=ConsensusRequest,
    result=ConsensusResult,
    run=run,
    summary=summary,
    cli=Cli(
        command="consensus",
        arguments=("prompt",),
        flags={"models": "--model/-m", "max_cost_usd": "--max-cost", "timeout_s": "--timeout"},
        hidden=("images", "openrouter"),
    ),
)
