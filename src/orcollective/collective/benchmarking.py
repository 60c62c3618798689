"""Benchmarks: one streamed trial per contestant x prompt x run, graded, and summarised per contestant.

A trial is one call (TTFT and total latency measured on the stream) or, for the panel, the consensus of
the members' replies to the same prompt in the same run. Quality is exact match against an expected
answer after the consensus reader's normalisation, or a judge's rubric score (``rubric``).
"""

from __future__ import annotations

import asyncio
import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from ..catalog import ModelInfo
from ..errors import OrcError
from ..inputs.upstream import NOTHING, Prepared
from ..openrouter import Completion, OpenRouterClient
from .answers import Question, display_answer, extract_answer
from .consensus import aggregate, vote
from .fanout import FanOut, Outcome
from .rounds import PanelRound, ballot

PANEL = "panel"  # the contestant name of the consensus over the members' replies


@dataclass
class Trial:
    """What one contestant did on one prompt in one run."""

    contestant: str
    prompt_index: int
    run: int
    status: str  # "ok", "error" or "timeout"
    latency_s: float | None = None
    ttft_s: float | None = None
    completion_tokens: int = 0
    cost_usd: float | None = None
    answer: str | None = None  # the normalised answer, shown form
    correct: bool | None = None  # None when there was no expected answer
    score: float | None = None  # judge's rubric score, 0..1
    error: str | None = None
    completion: Completion | None = None

    def row(self) -> dict:
        """The stored form (no completion text)."""
        return {k: v for k, v in self.__dict__.items() if k != "completion"}


class ContestantRow(BaseModel, defer_build=True):
    rank: int
    contestant: str
    kind: str  # "model" or "panel"
    trials: int
    success_rate: float
    ttft_median_s: float | None
    ttft_p90_s: float | None
    latency_median_s: float | None
    latency_p90_s: float | None
    tokens_per_s: float | None
    cost_usd: float | None  # total over its trials
    cost_per_trial_usd: float | None
    accuracy: float | None  # share right among graded trials
    judge_score: float | None  # mean rubric score, 0..1
    graded: int


class PanelComparison(BaseModel, defer_build=True):
    """Is the panel better than its best member, and what does that cost?"""

    best_model: str | None
    best_model_accuracy: float | None
    panel_accuracy: float | None
    gain_points: float | None  # panel accuracy minus the best member's, in percentage points
    best_model_cost_usd: float | None
    panel_cost_usd: float | None
    cost_ratio: float | None  # panel cost / best member's cost
    best_model_latency_median_s: float | None
    panel_latency_median_s: float | None


async def stream_trial(
    client: OpenRouterClient,
    body: dict,
    *,
    contestant: str,
    prompt_index: int,
    run: int,
    timeout_s: float,
    price: Callable[[Completion], Completion],
    upstream: Prepared = NOTHING,
) -> Trial:
    """One streamed call (so time to first token is measured), bounded by ``timeout_s``; ``upstream`` adds the
    run's OpenRouter options."""
    clock = asyncio.get_running_loop().time
    started = clock()

    def failed(status: str, error: str) -> Trial:
        return Trial(contestant, prompt_index, run, status, latency_s=clock() - started, error=error)

    try:
        async with asyncio.timeout(timeout_s):
            completion = price(await client.stream(upstream.apply(body), headers=upstream.headers))
    except TimeoutError:
        return failed("timeout", f"no answer within {timeout_s:g}s")
    except OrcError as exc:
        return failed("error", str(exc))
    return Trial(
        contestant,
        prompt_index,
        run,
        "ok",
        latency_s=completion.latency_s,
        ttft_s=completion.ttft_s,
        completion_tokens=completion.usage.completion_tokens,
        cost_usd=completion.cost_usd,
        completion=completion,
    )


def expected_key(question: Question, expected: str | None) -> str | None:
    """The expected answer read the way replies are read ("B", "6,758" and "Answer: 6758" all match)."""
    if expected is None or question.answer_type == "long_text":
        return None
    return extract_answer(question, expected) or extract_answer(question, f"Answer: {expected}")


def grade(trial: Trial, question: Question, key: str | None) -> None:
    """Fill in the trial's normalised answer and, when the expected key is known, whether it is right."""
    if trial.completion is None or question.answer_type == "long_text":
        trial.correct = False if key is not None and trial.status != "ok" else None
        return
    got = extract_answer(question, trial.completion.text)
    trial.answer = display_answer(question, got) if got else None
    if key is not None:
        trial.correct = got == key


async def panel_trial(
    question: Question,
    members: Sequence[Trial],
    order: Sequence[str],
    *,
    key: str | None,
    weights: Mapping[str, float] | None = None,
    strategy: str = "vote",
    aggregator: ModelInfo | None = None,
    fan: FanOut | None = None,
    deadline: float | None = None,
) -> Trial:
    """The consensus over the members' replies to one prompt in one run, as one more contestant.

    The members ran in parallel, so the panel's latency is its slowest member's (plus the aggregator's);
    its cost is the sum of theirs.
    """
    first = members[0]
    outcomes = [
        Outcome(t.contestant, "ok" if t.completion else "timeout" if t.status == "timeout" else "error",
                completion=t.completion, error=t.error, latency_s=t.latency_s or 0.0)
        for t in members
    ]  # fmt: skip
    round_ = PanelRound(outcomes, [ballot(question, o) for o in outcomes], stopped_early=False)
    latency = max((t.latency_s or 0.0) for t in members)
    cost = sum(t.cost_usd or 0.0 for t in members)
    trial = Trial(PANEL, first.prompt_index, first.run, "ok", latency_s=latency, cost_usd=cost)
    if len(round_.answered) < 1:
        trial.status, trial.error = "error", "no member answered"
        trial.correct = False if key is not None else None
        return trial
    decision = vote(question, order, round_, weights)
    if aggregator is not None and fan is not None and deadline is not None:
        decision = await aggregate(fan, question, strategy, aggregator, round_, decision, deadline=deadline)
        agg = decision.aggregator
        if agg is not None:  # the aggregator's call is the panel trial's own completion
            trial.completion = agg.completion
            trial.latency_s = latency + agg.latency_s
            trial.cost_usd = cost + (agg.completion.cost_usd or 0.0 if agg.completion else 0.0)
    trial.answer = decision.answer
    got = extract_answer(question, decision.answer) if decision.answer else None
    if key is not None:
        trial.correct = got == key
    if decision.answer is None:
        trial.status, trial.error = "error", "no answer could be read from the members' replies"
    return trial


def summarise(trials: Sequence[Trial], contestants: Sequence[str]) -> list[ContestantRow]:
    """One row per contestant, ranked: quality first (accuracy, else judge score), then success, then speed."""
    rows = [_row(name, [t for t in trials if t.contestant == name]) for name in contestants]
    rows.sort(key=_rank_key)
    return [row.model_copy(update={"rank": i}) for i, row in enumerate(rows, start=1)]


def compare(rows: Sequence[ContestantRow]) -> PanelComparison | None:
    """The panel against its best member by accuracy (ties go to the cheaper member); None without a panel."""
    panel = next((r for r in rows if r.kind == "panel"), None)
    if panel is None:
        return None
    singles = [r for r in rows if r.kind == "model" and r.accuracy is not None]
    best = max(singles, key=lambda r: (r.accuracy or 0.0, -(r.cost_usd or 0.0)), default=None)
    gain = None
    if best is not None and best.accuracy is not None and panel.accuracy is not None:
        gain = round((panel.accuracy - best.accuracy) * 100, 1)
    ratio = None
    if best is not None and best.cost_usd and panel.cost_usd is not None:
        ratio = round(panel.cost_usd / best.cost_usd, 3)
    return PanelComparison(
        best_model=best.contestant if best else None,
        best_model_accuracy=best.accuracy if best else None,
        panel_accuracy=panel.accuracy,
        gain_points=gain,
        best_model_cost_usd=best.cost_usd if best else None,
        panel_cost_usd=panel.cost_usd,
        cost_ratio=ratio,
        best_model_latency_median_s=best.latency_median_s if best else None,
        panel_latency_median_s=panel.latency_median_s,
    )


def cached(trial: Trial) -> bool:
    """The trial's reply came from OpenRouter's response cache (its timing is the cache's, not the model's)."""
    return trial.completion is not None and bool(trial.completion.cache_hit)


def _row(name: str, trials: Sequence[Trial]) -> ContestantRow:
    ok = [t for t in trials if t.status == "ok"]
    timed = [t for t in ok if not cached(t)]
    latencies = [t.latency_s for t in timed if t.latency_s is not None]
    ttfts = [t.ttft_s for t in timed if t.ttft_s is not None]
    speeds = [
        t.completion_tokens / max(t.latency_s - (t.ttft_s or 0.0), 1e-3)
        for t in timed
        if t.latency_s and t.completion_tokens and t.ttft_s is not None
    ]
    costs = [t.cost_usd for t in trials if t.cost_usd is not None]
    graded = [t.correct for t in trials if t.correct is not None]
    scores = [t.score for t in trials if t.score is not None]
    return ContestantRow(
        rank=0,
        contestant=name,
        kind="panel" if name == PANEL else "model",
        trials=len(trials),
        success_rate=round(len(ok) / len(trials), 4) if trials else 0.0,
        ttft_median_s=_r(_median(ttfts)),
        ttft_p90_s=_r(_p90(ttfts)),
        latency_median_s=_r(_median(latencies)),
        latency_p90_s=_r(_p90(latencies)),
        tokens_per_s=_r(_median(speeds), 1),
        cost_usd=_r(sum(costs), 10) if costs else None,
        cost_per_trial_usd=_r(sum(costs) / len(costs), 10) if costs else None,
        accuracy=_r(sum(graded) / len(graded)) if graded else None,
        judge_score=_r(statistics.fmean(scores)) if scores else None,
        graded=len(graded),
    )


def _rank_key(r: ContestantRow) -> tuple:
    quality = r.accuracy if r.accuracy is not None else r.judge_score
    latency = r.latency_median_s if r.latency_median_s is not None else math.inf
    return (quality is None, -(quality or 0.0), -r.success_rate, latency, r.contestant)


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _p90(values: Sequence[float]) -> float | None:
    """Nearest-rank 90th percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(0.9 * len(ordered))) - 1]


def _r(value: float | None, digits: int = 4) -> float | None:
    return round(value, digits) if value is not None else None
