"""Put one question to a panel: waves (``adaptive``), early stop, and a ballot for every call.

A panel is a list of calls: each model once, or ``samples`` times (self-consistency); ``order`` holds
one model id per call, so a model asked three times appears three times.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from .answers import Question, read_answer
from .fanout import FanOut, Outcome
from .vote import Ballot, decided, group

OnOutcome = Callable[[Outcome, list[Outcome]], Awaitable[None]]


@dataclass
class PanelRound:
    """Every call of the panel, in the order they finished, each with the ballot it cast (same index)."""

    outcomes: list[Outcome]
    ballots: list[Ballot]
    stopped_early: bool

    @property
    def answered(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.ok]


def ballot(question: Question, outcome: Outcome) -> Ballot:
    """The normalised answer of one outcome; none for a failure or a long free-text answer."""
    if not outcome.ok or outcome.completion is None or question.answer_type == "long_text":
        return Ballot(outcome.model, None)
    reading = read_answer(question, outcome.completion.text)
    return Ballot(outcome.model, reading.key, reading.found_by)


async def ask_panel(
    fan: FanOut,
    question: Question,
    order: Sequence[str],
    body: Callable[[str, int], dict],
    *,
    deadline: float,
    early_stop: bool,
    adaptive: bool,
    weights: Mapping[str, float] | None = None,
    on_outcome: OnOutcome | None = None,
) -> PanelRound:
    """Ask every call of ``order`` at once or, with ``adaptive``, the fewest first calls that could settle the
    answer on their own (3 of 5, 4 of 6 when unweighted), then only as many more as could still settle it,
    until the leader cannot be overtaken.

    ``body(model, n)`` builds the request of the n-th call of ``model``. With ``early_stop`` a wave ends
    once the leading answer cannot be overtaken by the calls still running, each counted by its weight.
    """
    outcomes: list[Outcome] = []
    ballots: list[Ballot] = []
    stopped = False
    asked: Counter[str] = Counter()

    def weight(model: str) -> float:
        return (weights or {}).get(model, 1.0) if weights else 1.0

    async def seen(outcome: Outcome) -> None:
        outcomes.append(outcome)
        ballots.append(ballot(question, outcome))
        if on_outcome is not None:
            await on_outcome(outcome, outcomes)

    rest = list(order)
    wave = _next_wave([], rest, weight, weights) if adaptive else rest
    while wave:
        rest = rest[len(wave) :]

        def should_stop(finished: list[Outcome], still_running: int, wave: list[str] = wave) -> bool:
            if not early_stop:
                return False
            pending = Counter(wave) - Counter(o.model for o in finished)
            return decided(ballots, [weight(m) for m in pending.elements()], weights)

        bodies = []
        for model in wave:
            bodies.append(body(model, asked[model]))
            asked[model] += 1
        wave_outcomes, wave_stopped = await fan.round(
            bodies, deadline=deadline, on_outcome=seen, should_stop=should_stop
        )
        stopped = stopped or wave_stopped
        for outcome in wave_outcomes:
            if outcome.status == "cancelled":
                outcomes.append(outcome)
                ballots.append(Ballot(outcome.model, None))
        wave = _next_wave(ballots, rest, weight, weights) if rest and not wave_stopped else []
    for model in rest:
        # adaptive: the models asked so far decided, so these are not asked
        outcomes.append(Outcome(model, "not_asked", error="not asked: the models asked first had decided"))
        ballots.append(Ballot(model, None))
    return PanelRound(outcomes, ballots, stopped)


def _next_wave(
    ballots: Sequence[Ballot], rest: list[str], weight: Callable[[str], float], weights: Mapping[str, float] | None
) -> list[str]:
    """The fewest next calls that could settle the answer if they all backed the leader; none once settled."""
    remaining = [weight(m) for m in rest]
    if decided(ballots, remaining, weights):
        return []
    groups = group(ballots, weights)
    leader = groups[0].weight if groups else 0.0
    runner_up = groups[1].weight if len(groups) > 1 else 0.0
    for k in range(1, len(rest) + 1):
        if leader + sum(remaining[:k]) > runner_up + sum(remaining[k:]):
            return rest[:k]
    return rest
