"""collaborate: a panel works together: council (answers, anonymised peer ranking, chairman), debate
(revise after reading anonymised peers, final vote or synthesis) or refine (draft, critiques, revision)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Annotated, Literal

import anyio
from pydantic import BaseModel, Field, field_validator

from ..catalog import ModelInfo
from ..collective import council, debate, refine
from ..collective.answers import Question, answer_instruction, display_answer, extract_answer, parse_question
from ..collective.budget import EXPECTED_COMPLETION, check_budget, estimate_tokens
from ..collective.fanout import FanOut, cache_note
from ..collective.panels import free_panel, only_free
from ..collective.structured import Step, ask_structured
from ..collective.vote import Ballot, tally
from ..errors import TooFewAnswers
from ..inputs import build_messages, load_images
from ..inputs.files import file_policy
from ..inputs.messages import continued, text_only
from ..inputs.upstream import OpenRouterArgument, prepare_upstream
from ..runtime import Runtime
from .base import Cli, Feature, Progress, Request, SourceOut, closing_lines
from .runner import CallLog, CallRow, checked_panel, default_models, earlier_exchanges, execute

MAX_PANEL = 8
ANSWER_TOKENS = 1500
TOP_FOR_CHAIRMAN = 3


RANKING_TOKENS = 300  # a ranking or a critique: short structured JSON


class CollaborateRequest(Request):
    prompt: str
    mode: Literal["council", "debate", "refine"] = "council"
    models: list[str] | None = None  # refine: the first drafts
    chairman: str | None = None
    rounds: Annotated[int, Field(ge=1, le=5)] = 2
    images: list[str] | None = None
    timeout_s: Annotated[float | None, Field(ge=1, le=600)] = None
    wait: bool = True
    continue_from: str | None = None
    free_only: bool = False
    max_cost_usd: Annotated[float | None, Field(gt=0)] = None
    openrouter: OpenRouterArgument

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("empty: pass the question for the panel")
        return value

    @field_validator("models")
    @classmethod
    def _panel(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not 2 <= len(value) <= MAX_PANEL:
            raise ValueError(f"a panel has 2 to {MAX_PANEL} models")
        if value is not None and len(set(value)) != len(value):
            raise ValueError("list each model once")
        return value


class Standing(BaseModel, defer_build=True):
    model: str
    score: float
    mean_rank: float | None
    ballots: int


class RoundRow(BaseModel, defer_build=True):
    round: int
    answered: int
    changed: int | None  # debate: models whose answer changed; refine: None
    major_issues: int | None  # refine: major issues raised on the draft of this round


class CollaborateResult(BaseModel, defer_build=True):
    status: str  # done, or running (wait=false: poll runs with run_id)
    mode: str
    answer: str | None = None
    ranking: list[Standing] = []
    rounds: list[RoundRow] = []
    answers: dict[str, str] = {}  # model -> its last answer (excerpt)
    calls: list[CallRow] = []
    partial: bool = False
    late: list[str] = []
    cost_usd: float = 0.0
    latency_s: float = 0.0
    run_id: str | None = None
    sources: list[SourceOut] = []  # web pages the answers cited (openrouter.web_search)
    cache_saving_usd: float | None = None  # what response-cache hits saved (openrouter.cache)
    notes: list[str] = []


@dataclass
class Ctx:
    rt: Runtime
    req: CollaborateRequest
    question: Question
    panel: list[ModelInfo]
    chairman: ModelInfo
    fan: FanOut
    calls: CallLog
    started: float
    timeout_s: float
    convo: dict[str, list[dict]]  # each model's conversation so far
    rng: random.Random

    def deadline(self, share: float) -> float:
        return self.started + self.timeout_s * share


def preflight(req: CollaborateRequest, panel: list[ModelInfo], chairman: ModelInfo, per_call_usd: float = 0.0) -> float:
    """The run priced before any spend, from catalog prices and typical lengths; refused over max_cost_usd."""
    prompt, answer, n = estimate_tokens(req.prompt), EXPECTED_COMPLETION["long_text"], len(panel)
    if req.mode == "council":
        calls = [(m, prompt, answer) for m in panel] + [(m, prompt + answer * (n - 1), RANKING_TOKENS) for m in panel]
        calls.append((chairman, prompt + answer * min(3, n), answer))
    elif req.mode == "debate":
        calls = [(m, prompt + answer * (n - 1) * r, answer) for r in range(req.rounds + 1) for m in panel]
    else:
        drafter, critics = panel[0], panel[1:]
        calls = [(drafter, prompt, answer)]
        for _ in range(req.rounds):
            calls += [(c, prompt + answer, RANKING_TOKENS) for c in critics]
            calls.append((drafter, prompt + answer + RANKING_TOKENS * len(critics), answer))
    return check_budget(calls, req.max_cost_usd, f"{req.mode} with {n} models", per_call_usd)


async def run(rt: Runtime, req: CollaborateRequest, progress: Progress) -> CollaborateResult:
    if req.free_only and not req.models:
        models = [m.id for m in await free_panel(rt.registry, len(rt.default_panel), [])]
    else:
        models = req.models or await default_models(rt, 2)
    parts = await load_images(req.images, rt.images) if req.images else None
    panel = await checked_panel(rt, models, images=len(parts or []))
    chair_id = req.chairman or (panel[0].id if req.free_only else rt.aggregator_model or panel[0].id)
    (chairman,) = await checked_panel(rt, [chair_id], images=len(parts or []))
    if req.free_only:
        only_free([*panel, chairman])
    earlier = earlier_exchanges(rt, req.continue_from)
    upstream = await prepare_upstream(req.openrouter, file_policy(rt.images), [*models, chairman.id])
    preflight(req, panel, chairman, upstream.per_call_usd)
    question = parse_question(req.prompt, "auto")
    arguments = {
        **req.model_dump(exclude={"images", "openrouter"}),
        "openrouter": req.openrouter.recorded(),
        "models": [m.id for m in panel],
        "chairman": chairman.id,
    }
    closed_debate = req.mode == "debate" and question.answer_type != "long_text"
    system = answer_instruction(question) if closed_debate else None
    base = upstream.with_question(build_messages(req.prompt, None, system, parts))

    async def work(progress: Progress, calls: CallLog) -> CollaborateResult:
        by_id = {m.id: m for m in [*panel, chairman]}
        fan = FanOut(rt.client, call_timeout_s=req.timeout_s or rt.consensus_timeout_s,
                     models=by_id, upstream=upstream)  # fmt: skip
        convo = {m.id: continued(earlier, m.id, base) for m in panel}
        ctx = Ctx(rt, req, question, panel, chairman, fan, calls, anyio.current_time(),
                  req.timeout_s or rt.consensus_timeout_s, convo, random.Random())  # fmt: skip
        for m in panel:
            await progress.model_started(m.id)
        result = await MODES[req.mode](ctx)
        for model, messages in ctx.convo.items():
            calls.recorder.exchange(model, text_only(messages))
        late = sorted({r.model for r in calls.rows if r.status == "timeout"})
        return result.model_copy(update={
            "calls": calls.rows, "late": late, "partial": result.partial or bool(late), "cost_usd": calls.cost_usd,
            "latency_s": round(anyio.current_time() - ctx.started, 3), "run_id": calls.recorder.run_id,
            "notes": [*result.notes, *cache_note(calls.outcomes), *calls.recorder.notes], **calls.upstream_facts(),
        })  # fmt: skip

    def pending(run_id: str) -> CollaborateResult:
        return CollaborateResult(status="running", mode=req.mode, run_id=run_id)

    return await execute(rt, "collaborate", arguments, wait=req.wait, progress=progress, work=work, pending=pending)


async def _answer(ctx: Ctx, models: list[str], step: str, share: float) -> dict[str, str]:
    """Each model's turn on its own conversation; the answers that came back, by model."""
    bodies = [{"model": m, "messages": ctx.convo[m], "max_tokens": ANSWER_TOKENS} for m in models]
    outcomes, _ = await ctx.fan.round(bodies, deadline=ctx.deadline(share), on_outcome=ctx.calls.on(step, "panelist"))
    got = {}
    for o in outcomes:
        if o.ok and o.completion is not None:
            got[o.model] = o.completion.text
            ctx.convo[o.model] = [*ctx.convo[o.model], {"role": "assistant", "content": o.completion.text}]
    return got


async def _chair(ctx: Ctx, texts: list[str], share: float = 1.0) -> str | None:
    outcome = await ctx.fan.ask(
        {"model": ctx.chairman.id, "messages": council.chairman_messages(ctx.req.prompt, texts), "max_tokens": 2500},
        ctx.deadline(share),
    )
    await ctx.calls.seen(outcome, step="synthesis", role="chairman")
    return outcome.completion.text if outcome.ok and outcome.completion else None


def _enough(got: dict[str, str], asked: int, step: str) -> None:
    if len(got) < 2:
        raise TooFewAnswers(f"Only {len(got)} of {asked} models answered the {step}; retry, raise timeout_s, "
                            "or choose other models.")  # fmt: skip


async def _council(ctx: Ctx) -> CollaborateResult:
    got = await _answer(ctx, list(ctx.convo), "answer", 0.45)
    _enough(got, len(ctx.convo), "question")
    ballots = [council.Ballot(m, council.shown_to(m, got, ctx.rng)) for m in got]
    notes: list[str] = []
    if len(got) > 2:
        steps: dict[str, Step[council.Ranking]] = {}
        models = {m.id: m for m in ctx.panel}

        async def rank(b: council.Ballot) -> None:
            steps[b.ranker] = await ask_structured(
                ctx.fan, models[b.ranker], council.ranking_messages(ctx.req.prompt, b.shown, got), council.Ranking,
                deadline=ctx.deadline(0.75), max_tokens=600, on_outcome=ctx.calls.on("ranking", "ranker"),
            )  # fmt: skip

        async with anyio.create_task_group() as group:
            for b in ballots:
                group.start_soon(rank, b)
        for b in ballots:
            s = steps[b.ranker]
            if s.value is not None:
                b.order = council.read_ranking(b.shown, s.value)
            else:
                notes.append(f"ranking left out: {s.error}")
    standings = council.borda(list(got), ballots)
    top = [got[s.model] for s in standings[:TOP_FOR_CHAIRMAN]]
    answer = await _chair(ctx, top)
    if answer is None:
        notes.append("the chairman gave no answer: the top-ranked answer is shown")
    return CollaborateResult(
        status="done", mode="council", answer=answer or top[0], partial=answer is None,
        ranking=[Standing(**vars(s)) for s in standings], answers={m: t[:600] for m, t in got.items()},
        rounds=[RoundRow(round=0, answered=len(got), changed=None, major_issues=None)], notes=notes,
    )  # fmt: skip


async def _debate(ctx: Ctx) -> CollaborateResult:
    q, n = ctx.question, ctx.req.rounds
    latest = await _answer(ctx, list(ctx.convo), "answer", 0.8 / (n + 1))
    _enough(latest, len(ctx.convo), "question")
    rows = [RoundRow(round=0, answered=len(latest), changed=None, major_issues=None)]
    for r in range(1, n + 1):
        for m in latest:
            ctx.convo[m] = [*ctx.convo[m], debate.revise_message(q, m, latest, ctx.rng)]
        revised = await _answer(ctx, list(latest), f"round {r}", 0.8 * (r + 1) / (n + 1))
        flags = [debate.changed(q, latest[m], t) for m, t in revised.items()]
        known = [f for f in flags if f is not None]
        rows.append(RoundRow(round=r, answered=len(revised), changed=sum(known) if known else None, major_issues=None))
        if len(revised) < 2:
            break
        latest = revised
    notes = [f"{m} dropped out before the last round" for m in ctx.convo if m not in latest]
    if q.answer_type != "long_text":
        t = tally([Ballot(m, extract_answer(q, text)) for m, text in latest.items()])
        answer = display_answer(q, t.winner) if t.winner else None
        if t.groups:
            notes.append(
                "final vote: " + "; ".join(f"{display_answer(q, g.key)}: {', '.join(g.models)}" for g in t.groups)
            )
    else:
        texts = [debate.without_position(t) for t in latest.values()]
        answer = await _chair(ctx, texts) or texts[0]
    return CollaborateResult(status="done", mode="debate", answer=answer, rounds=rows, notes=notes,
                             answers={m: t[:600] for m, t in latest.items()})  # fmt: skip


async def _refine(ctx: Ctx) -> CollaborateResult:
    drafter, *critics = [m.id for m in ctx.panel]
    models = {m.id: m for m in ctx.panel}
    n = ctx.req.rounds
    got = await _answer(ctx, [drafter], "draft", 0.9 / (2 * n + 1))
    if drafter not in got:
        raise TooFewAnswers(f"{drafter} wrote no draft; retry, raise timeout_s, or put another model first.")
    draft, rows, notes = got[drafter], [], []
    for r in range(1, n + 1):
        steps: dict[str, Step[refine.Critique]] = {}

        async def critique(
            m: str, r: int = r, draft: str = draft, steps: dict[str, Step[refine.Critique]] = steps
        ) -> None:
            steps[m] = await ask_structured(
                ctx.fan, models[m], refine.critique_messages(ctx.req.prompt, draft), refine.Critique,
                deadline=ctx.deadline(0.9 * 2 * r / (2 * n + 1)), max_tokens=800,
                on_outcome=ctx.calls.on(f"critique {r}", "critic"),
            )  # fmt: skip

        async with anyio.create_task_group() as group:
            for m in critics:
                group.start_soon(critique, m)
        verdicts = [s.value for s in steps.values() if s.value is not None]
        notes += [f"critique left out: {s.error}" for s in steps.values() if s.value is None]
        major = sum(len(v.major) for v in verdicts)
        rows.append(RoundRow(round=r, answered=len(verdicts), changed=None, major_issues=major))
        if not verdicts or major == 0:
            break
        ctx.convo[drafter] = [*ctx.convo[drafter], refine.revision_message(verdicts)]
        got = await _answer(ctx, [drafter], f"revision {r}", 0.9 * (2 * r + 1) / (2 * n + 1))
        if drafter not in got:
            notes.append(f"revision {r} did not come back: the previous draft is shown")
            break
        draft = got[drafter]
    return CollaborateResult(status="done", mode="refine", answer=draft, rounds=rows, notes=notes,
                             answers={drafter: draft[:600]})  # fmt: skip


MODES = {"council": _council, "debate": _debate, "refine": _refine}


def summary(r: CollaborateResult) -> str:
    if r.status == "running":
        return f"collaborate ({r.mode}) running as run {r.run_id}: poll runs(run_id) for progress and the result."
    lines = [f"Answer: {r.answer}", f"{r.mode} · {len(r.calls)} calls · ${r.cost_usd:.6f} · {r.latency_s:.2f}s"
             + (" · partial" if r.partial else "")]  # fmt: skip
    if r.ranking:
        lines.append("ranking: " + ", ".join(f"{s.model} ({s.score:.2f})" for s in r.ranking))
    for x in r.rounds[1:]:
        changed = f", {x.changed} changed" if x.changed is not None else ""
        major = f", {x.major_issues} major issues" if x.major_issues is not None else ""
        lines.append(f"round {x.round}: {x.answered} answered{changed}{major}")
    if r.late:
        lines.append("late: " + ", ".join(r.late))
    lines += closing_lines(r.notes, r.run_id, r.sources)
    return "\n".join(lines)


FEATURE = Feature(
    name="collaborate",
    group="collective",
    kind="spends",
    description="Council (peer ranking, chairman), debate or refine across a panel.",
    request=CollaborateRequest,
    result=CollaborateResult,
    run=run,
    summary=summary,
    cli=Cli(
        command="collaborate",
        arguments=("prompt",),
        flags={"models": "--model/-m", "timeout_s": "--timeout", "max_cost_usd": "--max-cost"},
        hidden=("images", "wait", "openrouter"),
    ),  # fmt: skip
)
