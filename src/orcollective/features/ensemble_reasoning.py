"""ensemble_reasoning: a planner splits the problem into subtasks (a validated DAG), each goes to a suitable
model of the panel, independent ones in parallel and dependent ones in order, and an aggregator writes the
final answer from every output."""

from __future__ import annotations

from typing import Annotated

import anyio
from pydantic import BaseModel, Field, field_validator

from ..catalog import ModelInfo
from ..collective import plan as dag
from ..collective.consensus import excerpt
from ..collective.fanout import FanOut, Outcome, cache_note
from ..collective.structured import ask_structured
from ..errors import TooFewAnswers
from ..inputs import load_images
from ..inputs.files import file_policy
from ..inputs.upstream import OpenRouterArgument, prepare_upstream
from ..runtime import Runtime
from .base import Cli, Feature, Progress, Request, SourceOut, closing_lines
from .runner import CallLog, CallRow, checked_panel, default_models, execute
from .select_model import recommend

MAX_PANEL = 8
WORKER_TOKENS = 2000


class EnsembleRequest(Request):
    problem: str
    models: list[str] | None = None
    planner: str | None = None
    aggregator: str | None = None
    max_subtasks: Annotated[int, Field(ge=1, le=12)] = 6
    images: list[str] | None = None
    timeout_s: Annotated[float | None, Field(ge=1, le=600)] = None
    wait: bool = True
    openrouter: OpenRouterArgument

    @field_validator("problem")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("empty: pass the problem to solve")
        return value

    @field_validator("models")
    @classmethod
    def _panel(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and (not 1 <= len(value) <= MAX_PANEL or len(set(value)) != len(value)):
            raise ValueError(f"1 to {MAX_PANEL} models, each listed once")
        return value


class SubtaskRow(BaseModel, defer_build=True):
    id: str
    task: str
    depends_on: list[str]
    model: str
    routed: str  # "planner" (named in the plan) or "selected" (by select_model logic)
    status: str
    excerpt: str | None
    latency_s: float
    cost_usd: float | None
    error: str | None


class EnsembleResult(BaseModel, defer_build=True):
    status: str
    answer: str | None = None
    plan: list[SubtaskRow] = []
    layers: list[list[str]] = []  # subtasks that could run together, in order
    calls: list[CallRow] = []
    partial: bool = False
    late: list[str] = []
    cost_usd: float = 0.0
    latency_s: float = 0.0
    run_id: str | None = None
    sources: list[SourceOut] = []  # web pages the answers cited (openrouter.web_search)
    cache_saving_usd: float | None = None  # what response-cache hits saved (openrouter.cache)
    notes: list[str] = []


async def run(rt: Runtime, req: EnsembleRequest, progress: Progress) -> EnsembleResult:
    ids = req.models or await default_models(rt, 1)
    parts = await load_images(req.images, rt.images) if req.images else None
    n_images = len(parts or [])
    panel = await checked_panel(rt, ids, images=n_images)
    planner_id = req.planner or rt.aggregator_model or panel[0].id
    aggregator_id = req.aggregator or rt.aggregator_model or panel[0].id
    planner, aggregator = await checked_panel(rt, [planner_id, aggregator_id], images=n_images)
    upstream = await prepare_upstream(req.openrouter, file_policy(rt.images), [*ids, planner.id, aggregator.id])
    arguments = {
        **req.model_dump(exclude={"images", "problem", "openrouter"}), "openrouter": req.openrouter.recorded(),
        "prompt": req.problem, "models": [m.id for m in panel],
        "planner": planner.id, "aggregator": aggregator.id,
    }  # fmt: skip

    async def work(progress: Progress, calls: CallLog) -> EnsembleResult:
        started = anyio.current_time()
        timeout = req.timeout_s or rt.consensus_timeout_s
        by_id = {m.id: m for m in [*panel, planner, aggregator]}
        fan = FanOut(rt.client, call_timeout_s=timeout,
                     models=by_id, upstream=upstream)  # fmt: skip
        notes: list[str] = []

        def small_enough(p: dag.Plan) -> None:
            dag.check_size(p, req.max_subtasks)

        await progress.model_started(planner.id)
        step = await ask_structured(
            fan, planner, upstream.with_question(dag.planner_messages(req.problem, [m.id for m in panel],
                                                                     req.max_subtasks)), dag.Plan,
            deadline=started + timeout * 0.25, max_tokens=1500, on_outcome=calls.on("plan", "planner"),
            check=small_enough,
        )  # fmt: skip
        plan = step.value
        if plan is None:
            notes.append(f"no usable plan ({step.error}): the problem went to one subtask")
            plan = dag.Plan(subtasks=[dag.Subtask(id="s1", task=req.problem, model=None)])
        routes = _route(rt, plan, panel, notes)
        outcomes: dict[str, Outcome] = {}

        async def solve(s: dag.Subtask, inputs: dict[str, str]) -> str | None:
            model, _ = routes[s.id]
            messages = dag.subtask_messages(req.problem, s, inputs)
            messages = upstream.with_question(messages, parts)
            await progress.model_started(model)
            o = await fan.ask({"model": model, "messages": messages, "max_tokens": WORKER_TOKENS},
                              started + timeout * 0.8)  # fmt: skip
            outcomes[s.id] = o
            await calls.seen(o, step=f"subtask {s.id}", role="worker")
            return o.completion.text if o.ok and o.completion else None

        outputs = await dag.run_dag(plan, solve)
        if not outputs:
            raise TooFewAnswers("No subtask was solved (" + "; ".join(f"{k}: {o.error or o.status}" for k, o in
                                outcomes.items()) + "); retry, raise timeout_s, or choose other models.")  # fmt: skip
        final = await fan.ask({"model": aggregator.id, "messages": dag.aggregator_messages(req.problem, plan, outputs),
                               "max_tokens": 2500}, started + timeout)  # fmt: skip
        await calls.seen(final, step="synthesis", role="aggregator")
        answer = final.completion.text if final.ok and final.completion else None
        if answer is None:
            notes.append(f"the aggregator gave no answer ({final.error or final.status}): the last output is shown")
        rows = [_row(s, routes[s.id], outcomes.get(s.id)) for s in plan.subtasks]
        late = sorted({r.model for r in calls.rows if r.status == "timeout"})
        return EnsembleResult(
            status="done", answer=answer or list(outputs.values())[-1], plan=rows, layers=dag.layers(plan.subtasks),
            calls=calls.rows, partial=answer is None or len(outputs) < len(plan.subtasks) or bool(late), late=late,
            cost_usd=calls.cost_usd, latency_s=round(anyio.current_time() - started, 3),
            run_id=calls.recorder.run_id, notes=[*notes, *cache_note(calls.outcomes), *calls.recorder.notes],
            **calls.upstream_facts(),
        )  # fmt: skip

    def pending(run_id: str) -> EnsembleResult:
        return EnsembleResult(status="running", run_id=run_id)

    return await execute(rt, "ensemble_reasoning", arguments, wait=req.wait, progress=progress, work=work,
                         pending=pending)  # fmt: skip


def _route(rt: Runtime, plan: dag.Plan, panel: list[ModelInfo], notes: list[str]) -> dict[str, tuple[str, str]]:
    """Each subtask's model: the one the plan names when it is in the panel, otherwise the panel ranked by
    select_model logic (measured stats, price), taken in turn so parallel subtasks spread over models."""
    ids = {m.id for m in panel}
    ranked = [p.model.id for p in recommend(rt, panel, "balanced", len(panel), notes)] or [m.id for m in panel]
    routes, turn = {}, 0
    for s in plan.subtasks:
        if s.model in ids:
            routes[s.id] = (s.model, "planner")
            continue
        if s.model:
            notes.append(f"subtask {s.id}: planner named {s.model[:80]}, not in the panel; selected instead")
        routes[s.id] = (ranked[turn % len(ranked)], "selected")
        turn += 1
    return routes


def _row(s: dag.Subtask, route: tuple[str, str], o: Outcome | None) -> SubtaskRow:
    c = o.completion if o else None
    return SubtaskRow(
        id=s.id, task=s.task, depends_on=s.depends_on, model=route[0], routed=route[1],
        status=o.status if o else "skipped", excerpt=excerpt(c.text) if c else None,
        latency_s=round(o.latency_s, 3) if o else 0.0, cost_usd=c.cost_usd if c else None,
        error=(o.error if o else "a subtask it depends on failed"),
    )  # fmt: skip


def summary(r: EnsembleResult) -> str:
    if r.status == "running":
        return f"ensemble_reasoning running as run {r.run_id}: poll runs(run_id) for progress and the result."
    lines = [f"Answer: {r.answer}", f"{len(r.plan)} subtasks · {len(r.calls)} calls · ${r.cost_usd:.6f} · "
             f"{r.latency_s:.2f}s" + (" · partial" if r.partial else "")]  # fmt: skip
    lines += [f"{s.id} [{s.model}, {s.status}, {s.latency_s:.2f}s]: {s.task[:80]}" for s in r.plan]
    lines += closing_lines(r.notes, r.run_id, r.sources)
    return "\n".join(lines)


FEATURE = Feature(
    name="ensemble_reasoning",
    group="collective",
    kind="spends",
    description="A planner splits a problem into subtasks for the panel; an aggregator answers.",
    request=EnsembleRequest,
    result=EnsembleResult,
    run=run,
    summary=summary,
    cli=Cli(
        command="plan",
        arguments=("problem",),
        flags={"models": "--model/-m", "timeout_s": "--timeout"},
        hidden=("images", "wait", "openrouter"),
    ),  # fmt: skip
)
