"""benchmark: prompts x models x runs in parallel, streamed, graded, saved; a ranked table and a chart.

With ``include_consensus`` the panel itself is a contestant (the consensus over the same replies), so
the result says whether the panel beats its best member and what that costs.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from ..catalog import ModelInfo, with_cost
from ..collective import rubric
from ..collective import weights as history
from ..collective.answers import Question, answer_instruction, parse_question
from ..collective.benchmarking import (
    PANEL,
    ContestantRow,
    PanelComparison,
    Trial,
    cached,
    compare,
    expected_key,
    grade,
    panel_trial,
    stream_trial,
    summarise,
)
from ..collective.budget import EXPECTED_COMPLETION, MAX_COMPLETION, estimate_tokens
from ..collective.chart import render_chart
from ..collective.fanout import FanOut
from ..errors import MISSING_KEY, BudgetExceeded, ConfigError, InvalidArgument, StoreError, quoted
from ..inputs import build_messages
from ..inputs.files import file_policy
from ..inputs.routing import resolve_models
from ..inputs.upstream import OpenRouterArgument, Prepared, prepare_upstream
from ..runtime import Runtime
from ..store import RunRecorder
from ..store.benchmarks import save_benchmark
from .base import Cli, Feature, Progress, Request

MAX_PROMPTS = 100
MAX_MODELS = 16
MAX_RUNS = 10
MAX_TRIALS = 600
JUDGE_TOKENS = 300


class BenchmarkRequest(Request):
    prompts: Annotated[list[str], Field(min_length=1, max_length=MAX_PROMPTS)]
    models: Annotated[list[str], Field(min_length=1, max_length=MAX_MODELS, description="Contestants, any ids")]
    runs: Annotated[int, Field(ge=1, le=MAX_RUNS)] = 1
    expected: Annotated[list[str] | None, Field(description="Per prompt ('' for none)")] = None
    judge: Annotated[str | None, Field(description="Scores replies lacking expected")] = None
    include_consensus: Annotated[bool, Field(description="Panel as a contestant")] = False
    strategy: Literal["vote", "weighted", "synthesize", "judge"] = "vote"
    aggregator: Annotated[str | None, Field(description="For synthesize/judge")] = None
    answer_type: Literal["auto", "choice", "number", "boolean", "text", "long_text"] = "auto"
    system: str | None = None
    max_tokens: Annotated[int | None, Field(ge=1)] = None
    temperature: Annotated[float | None, Field(ge=0, le=2)] = None
    max_cost_usd: Annotated[float | None, Field(gt=0)] = None
    timeout_s: Annotated[float | None, Field(ge=1, le=600, description="Per call")] = None
    label: str | None = None
    openrouter: OpenRouterArgument

    @field_validator("prompts")
    @classmethod
    def _no_blank(cls, value: list[str]) -> list[str]:
        blank = [i for i, p in enumerate(value) if not p.strip()]
        if blank:
            raise ValueError(f"prompt {blank[0]} is empty; drop it or write the prompt")
        return value

    @field_validator("models")
    @classmethod
    def _once(cls, value: list[str]) -> list[str]:
        twice = sorted({m for m in value if value.count(m) > 1})
        if twice:
            raise ValueError(f"listed twice: {', '.join(quoted(m) for m in twice)}; list each model once")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> BenchmarkRequest:
        if self.expected is not None and len(self.expected) != len(self.prompts):
            given, wanted = len(self.expected), len(self.prompts)
            raise ValueError(f"expected has {given} answers for {wanted} prompts; give one each ('' for none)")
        if self.include_consensus and len(self.models) < 2:
            raise ValueError("include_consensus needs at least 2 models")
        trials = len(self.prompts) * len(self.models) * self.runs
        if trials > MAX_TRIALS:
            raise ValueError(f"{trials} calls is over {MAX_TRIALS}; use fewer prompts, models or runs")
        return self


class BenchmarkResult(BaseModel, defer_build=True):
    benchmark_id: str | None
    run_id: str | None
    label: str | None
    prompts: int
    models: list[str]
    runs: int
    rows: list[ContestantRow]
    panel: PanelComparison | None
    trials: int
    wall_s: float
    sequential_s: float  # sum of every model call's latency: the time asking one at a time would take
    parallel_speedup: float | None
    estimate_usd: float
    cost_usd: float
    notes: list[str]


async def run(rt: Runtime, req: BenchmarkRequest, progress: Progress) -> BenchmarkResult:
    """Ask every model every prompt ``runs`` times at once, grade, aggregate and save."""
    infos = await resolve_models(rt.registry, req.models)
    judge = (await resolve_models(rt.registry, [req.judge]))[0] if req.judge else None
    aggregator = None
    if req.include_consensus and req.strategy in ("synthesize", "judge"):
        (aggregator,) = await resolve_models(rt.registry, [req.aggregator or rt.aggregator_model or req.models[0]])
    questions = [parse_question(p, req.answer_type) for p in req.prompts]
    given = req.expected or [""] * len(questions)
    keys = [expected_key(q, given[i] or None) for i, q in enumerate(questions)]
    if req.include_consensus and req.strategy in ("vote", "weighted"):
        if any(q.answer_type == "long_text" for q in questions):
            raise InvalidArgument(
                "vote and weighted need short answers; for long free text use strategy synthesize or judge."
            )
    upstream = await prepare_upstream(req.openrouter, file_policy(rt.images), [m.id for m in infos])
    estimate = _estimate(req, infos, questions, judge, aggregator, keys)
    estimate += Decimal(str(upstream.per_call_usd)) * len(req.prompts) * len(infos) * req.runs
    if req.max_cost_usd is not None and estimate > Decimal(str(req.max_cost_usd)):
        raise BudgetExceeded(
            f"Estimated cost ${float(estimate):.6f} is over max_cost_usd ${req.max_cost_usd}; "
            "use fewer prompts, models or runs, or raise max_cost_usd."
        )
    if not rt.client.has_key:
        raise ConfigError(MISSING_KEY)

    notes: list[str] = []
    arguments = {**req.model_dump(exclude={"prompts", "expected", "openrouter"}), "prompt": req.prompts[0],
                 "prompt_count": len(req.prompts), "openrouter": req.openrouter.recorded()}  # fmt: skip
    recorder = RunRecorder(rt.store, "benchmark", arguments)
    clock = asyncio.get_running_loop().time
    started = clock()
    try:
        trials = await _ask_all(rt, req, infos, questions, progress, upstream)
        for t in trials:
            grade(t, questions[t.prompt_index], keys[t.prompt_index])
        judged = await _judge(rt, req, judge, trials, keys, recorder, notes, upstream)
        panel = await _panels(rt, req, infos, questions, keys, trials, aggregator, recorder, notes, upstream)
    except asyncio.CancelledError:
        recorder.finish("cancelled", error="cancelled by the client")
        raise
    wall = clock() - started
    if hits := sum(cached(t) for t in trials):
        notes.append(f"{hits} of {len(trials)} trials came from OpenRouter's response cache (billed $0); "
                     "their timings are left out")  # fmt: skip
    _record(recorder, trials, questions)
    contestants = [*req.models, *([PANEL] if panel else [])]
    rows = summarise([*trials, *panel], contestants)
    model_latency = sum(t.latency_s or 0.0 for t in trials)
    aggregated = sum(p.completion.cost_usd or 0.0 for p in panel if p.completion is not None)
    cost = sum(t.cost_usd or 0.0 for t in trials) + judged + aggregated
    result = BenchmarkResult(
        benchmark_id=None,
        run_id=recorder.run_id,
        label=req.label,
        prompts=len(req.prompts),
        models=list(req.models),
        runs=req.runs,
        rows=rows,
        panel=compare(rows),
        trials=len(trials),
        wall_s=round(wall, 3),
        sequential_s=round(model_latency, 3),
        parallel_speedup=round(model_latency / wall, 2) if wall > 0 else None,
        estimate_usd=round(float(estimate), 10),
        cost_usd=round(cost, 10),
        notes=notes,
    )
    result.benchmark_id = _save(rt, req, result, [*trials, *panel], notes)
    result.notes.extend(recorder.notes)
    recorder.finish("done", result=result.model_dump(mode="json"), cost_usd=result.cost_usd)
    return result


def _messages(req: BenchmarkRequest, q: Question) -> list[dict]:
    system = "\n\n".join(s for s in (req.system, answer_instruction(q)) if s and s.strip()) or None
    return build_messages(q.prompt, None, system, None)


async def _ask_all(
    rt: Runtime, req: BenchmarkRequest, infos: list[ModelInfo], questions: list[Question], progress: Progress,
    upstream: Prepared,
) -> list[Trial]:  # fmt: skip
    by_id = {m.id: m for m in infos}
    timeout = req.timeout_s or max(rt.consensus_timeout_s, 60.0)
    jobs = []
    for i, q in enumerate(questions):
        messages = upstream.with_question(_messages(req, q))
        max_tokens = req.max_tokens or MAX_COMPLETION[q.answer_type]
        for run_no in range(req.runs):
            for info in infos:
                body: dict = {"model": info.id, "messages": messages, "max_tokens": max_tokens}
                if req.temperature is not None:
                    body["temperature"] = req.temperature
                jobs.append(
                    stream_trial(rt.client, body, contestant=info.id, prompt_index=i, run=run_no, timeout_s=timeout,
                                 price=lambda c: with_cost(by_id.get(c.model) or by_id.get(c.requested_model), c),
                                 upstream=upstream)
                )  # fmt: skip
    total = len(jobs)
    done: list[Trial] = []
    for next_done in asyncio.as_completed([asyncio.ensure_future(j) for j in jobs]):
        trial = await next_done
        done.append(trial)
        took = f"{trial.latency_s:.2f}s" if trial.latency_s is not None else "-"
        await progress.step(len(done), total, f"{trial.contestant} prompt {trial.prompt_index + 1} "
                                              f"run {trial.run + 1}: {trial.status} {took}")  # fmt: skip
    return sorted(done, key=lambda t: (t.prompt_index, t.run, req.models.index(t.contestant)))


async def _judge(
    rt: Runtime,
    req: BenchmarkRequest,
    judge: ModelInfo | None,
    trials: list[Trial],
    keys: list[str | None],
    recorder: RunRecorder,
    notes: list[str],
    upstream: Prepared,
) -> float:
    """Rubric scores for the replies to prompts without an expected answer; returns the judge's cost."""
    if judge is None:
        return 0.0
    todo = [t for t in trials if keys[t.prompt_index] is None and t.completion is not None]
    spent: list[float] = []

    async def one(t: Trial) -> None:
        assert t.completion is not None
        t.score, calls, error = await rubric.score(
            rt.client, judge, req.prompts[t.prompt_index], t.completion.text, upstream
        )
        for c in calls:
            priced = with_cost(judge, c)
            spent.append(priced.cost_usd or 0.0)
            recorder.call(judge.id, priced, role="judge", error=error)
        if error and error not in notes:
            notes.append(error)

    await asyncio.gather(*(one(t) for t in todo))
    return sum(spent)


async def _panels(
    rt: Runtime,
    req: BenchmarkRequest,
    infos: list[ModelInfo],
    questions: list[Question],
    keys: list[str | None],
    trials: list[Trial],
    aggregator: ModelInfo | None,
    recorder: RunRecorder,
    notes: list[str],
    upstream: Prepared,
) -> list[Trial]:
    """The consensus of each prompt's replies in each run, decided as the consensus tool decides."""
    if not req.include_consensus:
        return []
    order = [m.id for m in infos]
    weights: dict[str, dict[str, float] | None] = {}
    if req.strategy == "weighted":
        for kind in {q.answer_type for q in questions}:
            weights[kind] = history.weights(rt.store, order, kind, notes)
    fan = FanOut(rt.client, call_timeout_s=req.timeout_s or rt.consensus_timeout_s,
                 models={aggregator.id: aggregator} if aggregator else None, upstream=upstream)  # fmt: skip
    deadline = asyncio.get_running_loop().time() + (req.timeout_s or rt.consensus_timeout_s)
    jobs = []
    for i, q in enumerate(questions):
        for run_no in range(req.runs):
            members = [t for t in trials if t.prompt_index == i and t.run == run_no]
            jobs.append(
                panel_trial(q, members, order, key=keys[i], weights=weights.get(q.answer_type),
                            strategy=req.strategy, aggregator=aggregator, fan=fan, deadline=deadline)
            )  # fmt: skip
    panel = list(await asyncio.gather(*jobs))
    if aggregator is not None:
        for p in panel:
            if p.completion is not None:
                recorder.call(aggregator.id, p.completion, role="aggregator")
    return panel


def _record(recorder: RunRecorder, trials: list[Trial], questions: list[Question]) -> None:
    """Every call with the contestant role; graded answers are ground truth for reliability."""
    for t in trials:
        recorder.call(t.contestant, t.completion, role="contestant", answer=t.answer, error=t.error,
                      latency_s=t.latency_s)  # fmt: skip
        if t.correct is not None:
            recorder.outcome(t.contestant, questions[t.prompt_index].answer_type, t.correct)


def _save(
    rt: Runtime, req: BenchmarkRequest, result: BenchmarkResult, trials: list[Trial], notes: list[str]
) -> str | None:
    if rt.store is None:
        notes.append("no run store: the benchmark was not saved")
        return None
    try:
        return save_benchmark(
            rt.store, run_id=result.run_id, label=req.label, models=req.models, prompts=len(req.prompts),
            runs=req.runs, cost_usd=result.cost_usd, result=result.model_dump(mode="json"),
            trials=[t.row() for t in trials],
        )  # fmt: skip
    except StoreError as exc:
        notes.append(f"benchmark not saved: {exc}")
        return None


def _estimate(
    req: BenchmarkRequest,
    infos: list[ModelInfo],
    questions: list[Question],
    judge: ModelInfo | None,
    aggregator: ModelInfo | None,
    keys: list[str | None],
) -> Decimal:
    """Live catalog prices x token estimates for every call the benchmark may make, before any is made."""
    total = Decimal(0)
    for q, key in zip(questions, keys, strict=True):
        prompt_tokens = estimate_tokens(q.prompt + (req.system or "") + answer_instruction(q))
        completion = min(req.max_tokens or EXPECTED_COMPLETION[q.answer_type], EXPECTED_COMPLETION[q.answer_type])
        per_run = sum((m.estimate_cost(prompt_tokens, completion) for m in infos), Decimal(0))
        if judge is not None and key is None:
            per_run += judge.estimate_cost(prompt_tokens + completion, JUDGE_TOKENS) * len(infos)
        if aggregator is not None:
            per_run += aggregator.estimate_cost(prompt_tokens + completion * len(infos), 600)
        total += per_run * req.runs
    return total


def summary(r: BenchmarkResult) -> str:
    """The ranked table, the panel against its best member, and where the benchmark is saved."""
    head = f"Benchmark {r.benchmark_id or '(not saved)'}: {len(r.models)} models x {r.prompts} prompts x {r.runs} runs"
    lines = [head, "rank contestant | ok | TTFT med | latency med/p90 | tok/s | cost | quality"]
    for row in r.rows:
        quality = (f"{row.accuracy:.0%} correct" if row.accuracy is not None
                   else f"{row.judge_score:.2f} judge" if row.judge_score is not None else "-")  # fmt: skip
        lines.append(
            f"{row.rank}. {row.contestant} | {row.success_rate:.0%} | {_s(row.ttft_median_s)} | "
            f"{_s(row.latency_median_s)}/{_s(row.latency_p90_s)} | {row.tokens_per_s or '-'} | "
            f"${row.cost_usd or 0:.6f} | {quality}"
        )
    if r.panel is not None and r.panel.gain_points is not None:
        p = r.panel
        lines.append(
            f"panel {p.panel_accuracy:.0%} vs best member {p.best_model} {p.best_model_accuracy:.0%}: "
            f"{p.gain_points:+.1f} points at {p.cost_ratio or '-'}x its cost"
        )
    lines.append(f"wall {r.wall_s:.2f}s for {r.sequential_s:.2f}s of calls · ${r.cost_usd:.6f}")
    lines.extend(f"note: {n}" for n in r.notes)
    return "\n".join(lines)


def images(r: BenchmarkResult) -> list[bytes]:
    """The chart, for clients that show images inline."""
    subtitle = f"{r.trials} calls · wall {r.wall_s:.2f}s · total ${r.cost_usd:.6f}"
    title = f"Benchmark {r.benchmark_id or ''}: {len(r.models)} models x {r.prompts} prompts x {r.runs} runs"
    return [render_chart(r.rows, title, subtitle)]


def _s(value: float | None) -> str:
    return f"{value:.2f}s" if value is not None else "-"


FEATURE = Feature(
    name="benchmark",
    group="benchmark",
    kind="spends",
    description="Benchmark models on prompts: TTFT, latency, cost, quality; the panel too.",
    request=BenchmarkRequest,
    result=BenchmarkResult,
    run=run,
    summary=summary,
    cli=Cli(
        command="bench",
        flags={
            "models": "--model/-m",
            "prompts": "--prompt/-p",
            "max_cost_usd": "--max-cost",
            "timeout_s": "--timeout",
        },
        hidden=("openrouter",),
    ),
    images=images,
)
