"""cross_validate: several reviewers score content against a rubric (structured verdicts), aggregated
into a median per criterion, agreement, the issues raised by at least ``min_reviewers``, and a verdict."""

from __future__ import annotations

from typing import Annotated, Literal

import anyio
from pydantic import BaseModel, Field, field_validator

from ..collective import review
from ..collective.budget import check_budget, estimate_tokens
from ..collective.fanout import FanOut, cache_note
from ..collective.structured import Step, ask_structured
from ..errors import TooFewAnswers
from ..inputs import load_images
from ..inputs.files import file_policy
from ..inputs.upstream import OpenRouterArgument, prepare_upstream
from ..runtime import Runtime
from .base import Cli, Feature, Progress, Request, SourceOut, closing_lines
from .runner import CallLog, CallRow, checked_panel, default_models, execute

MAX_REVIEWERS = 8
MIN_REVIEWERS = 2  # an issue is kept when this many reviewers raised it


RUBRIC_TOKENS, VERDICT_TOKENS = 400, 600  # the instructions around the content; a verdict with issues


class CrossValidateRequest(Request):
    content: str
    task: str | None = None
    criteria: list[str] | None = None
    reviewers: list[str] | None = None
    threshold: Annotated[float, Field(ge=1, le=10)] = 7
    images: list[str] | None = None
    timeout_s: Annotated[float | None, Field(ge=1, le=600)] = None
    wait: bool = True
    max_cost_usd: Annotated[float | None, Field(gt=0)] = None
    openrouter: OpenRouterArgument

    @field_validator("content")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("empty: pass the content to review")
        return value

    @field_validator("reviewers")
    @classmethod
    def _panel(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and (not 1 <= len(value) <= MAX_REVIEWERS or len(set(value)) != len(value)):
            raise ValueError(f"1 to {MAX_REVIEWERS} reviewers, each listed once")
        return value

    @field_validator("criteria")
    @classmethod
    def _criteria(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not 1 <= len([c for c in value if c.strip()]) <= 12:
            raise ValueError("1 to 12 criteria")
        return [c.strip() for c in value if c.strip()] if value is not None else None


class CriterionRow(BaseModel, defer_build=True):
    criterion: str
    median: float | None
    agreement: float | None
    scores: dict[str, int]


class IssueRow(BaseModel, defer_build=True):
    criterion: str
    severity: str
    description: str
    quote: str
    reviewers: list[str]


class CrossValidateResult(BaseModel, defer_build=True):
    status: str
    verdict: Literal["pass", "fail"] | None = None
    score: float | None = None  # mean of the criterion medians
    threshold: float = 7
    content_type: str = ""
    criteria: list[CriterionRow] = []
    issues: list[IssueRow] = []  # raised by at least min_reviewers
    issues_total: int = 0
    reviewed: int = 0
    calls: list[CallRow] = []
    partial: bool = False
    late: list[str] = []
    cost_usd: float = 0.0
    latency_s: float = 0.0
    run_id: str | None = None
    sources: list[SourceOut] = []  # web pages the reviewers cited (openrouter.web_search)
    cache_saving_usd: float | None = None  # what response-cache hits saved (openrouter.cache)
    notes: list[str] = []


async def run(rt: Runtime, req: CrossValidateRequest, progress: Progress) -> CrossValidateResult:
    models = req.reviewers or await default_models(rt, 2)
    parts = await load_images(req.images, rt.images) if req.images else None
    panel = await checked_panel(rt, models, images=len(parts or []))
    kind = "custom" if req.criteria else review.content_type(req.content)
    criteria = req.criteria or review.CRITERIA[kind]
    upstream = await prepare_upstream(req.openrouter, file_policy(rt.images), models)
    reading = estimate_tokens(req.content + (req.task or "") + upstream.text) + RUBRIC_TOKENS
    check_budget(
        [(m, reading, VERDICT_TOKENS) for m in panel], req.max_cost_usd, f"{len(panel)} reviews", upstream.per_call_usd
    )
    arguments = {
        **req.model_dump(exclude={"images", "content", "openrouter"}), "openrouter": req.openrouter.recorded(),
        "content_chars": len(req.content),
        "prompt": req.task or req.content[:200], "reviewers": [m.id for m in panel], "criteria": criteria,
    }  # fmt: skip

    async def work(progress: Progress, calls: CallLog) -> CrossValidateResult:
        started = anyio.current_time()
        timeout = req.timeout_s or rt.consensus_timeout_s
        by_id = {m.id: m for m in panel}
        fan = FanOut(rt.client, call_timeout_s=timeout,
                     models=by_id, upstream=upstream)  # fmt: skip
        messages = review.review_messages(req.content, req.task, criteria)
        messages = upstream.with_question(messages, parts)
        steps: dict[str, Step[review.Review]] = {}

        async def one(model_id: str) -> None:
            steps[model_id] = await ask_structured(
                fan, by_id[model_id], messages, review.Review, deadline=started + timeout, max_tokens=1500,
                on_outcome=calls.on("review", "reviewer"),
            )  # fmt: skip

        async with anyio.create_task_group() as group:
            for m in panel:
                await progress.model_started(m.id)
                group.start_soon(one, m.id)
        reviews = {m: s.value for m, s in steps.items() if s.value is not None}
        notes = [f"review left out: {s.error}" for s in steps.values() if s.value is None]
        if not reviews:
            raise TooFewAnswers("No reviewer returned a readable verdict (" + "; ".join(notes) + "); retry or "
                                "choose other reviewers.")  # fmt: skip
        table = review.score_table(criteria, reviews)
        medians = [row.median for row in table if row.median is not None]
        score = round(sum(medians) / len(medians), 3) if medians else None
        merged = review.merge_issues(reviews)
        kept = [i for i in merged if len(i.reviewers) >= min(MIN_REVIEWERS, len(reviews))]
        confirmed_major = any(i.severity == "major" for i in kept)
        verdict: Literal["pass", "fail"] = (
            "pass" if score is not None and score >= req.threshold and not confirmed_major else "fail"
        )
        if score is not None and score >= req.threshold and confirmed_major:
            notes.append("fails on a major issue raised by several reviewers despite the score")
        late = sorted({r.model for r in calls.rows if r.status == "timeout"})
        return CrossValidateResult(
            status="done", verdict=verdict, score=score, threshold=req.threshold, content_type=kind,
            criteria=[CriterionRow(criterion=r.criterion, median=r.median, agreement=r.agreement, scores=r.scores)
                      for r in table],
            issues=[IssueRow(**vars(i)) for i in kept], issues_total=len(merged), reviewed=len(reviews),
            calls=calls.rows, partial=len(reviews) < len(panel), late=late, cost_usd=calls.cost_usd,
            latency_s=round(anyio.current_time() - started, 3), run_id=calls.recorder.run_id,
            notes=[*notes, *cache_note(calls.outcomes), *calls.recorder.notes], **calls.upstream_facts(),
        )  # fmt: skip

    def pending(run_id: str) -> CrossValidateResult:
        return CrossValidateResult(status="running", run_id=run_id, threshold=req.threshold, content_type=kind)

    return await execute(rt, "cross_validate", arguments, wait=req.wait, progress=progress, work=work, pending=pending)


def summary(r: CrossValidateResult) -> str:
    if r.status == "running":
        return f"cross_validate running as run {r.run_id}: poll runs(run_id) for progress and the result."
    lines = [
        f"Verdict: {r.verdict} (score {r.score} vs threshold {r.threshold}) · {r.reviewed} reviewers · "
        f"{len(r.calls)} calls · ${r.cost_usd:.6f} · {r.latency_s:.2f}s" + (" · partial" if r.partial else ""),
    ]
    lines += [f"{c.criterion}: median {c.median}, agreement {c.agreement}" for c in r.criteria]
    lines += [f"[{i.severity}] {i.criterion}: {i.description} ({len(i.reviewers)} reviewers)" for i in r.issues]
    lines += closing_lines(r.notes, r.run_id, r.sources)
    return "\n".join(lines)


FEATURE = Feature(
    name="cross_validate",
    group="collective",
    kind="spends",
    description="Reviewers score content on a rubric: medians, shared issues, pass/fail.",
    request=CrossValidateRequest,
    result=CrossValidateResult,
    run=run,
    summary=summary,
    cli=Cli(
        command="validate",
        arguments=("content",),
        flags={"reviewers": "--reviewer/-r", "timeout_s": "--timeout", "max_cost_usd": "--max-cost"},
        hidden=("images", "wait", "openrouter"),
    ),  # fmt: skip
)
