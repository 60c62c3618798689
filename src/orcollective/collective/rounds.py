"""Put one question to a panel: waves (``adaptive``), early stop, and a ballot for every model asked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from .answers import Question, extract_answer
from .fanout import FanOut, Outcome
from .vote import Ballot, decided

FIRST_WAVE = 3

OnOutcome = Callable[[Outcome, list[Outcome]], Awaitable[None]]


@dataclass
class PanelRound:
    """Every model of the panel, in the order they finished, with the ballot each cast."""

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
    return Ballot(outcome.model, extract_answer(question, outcome.completion.text))


async def ask_panel(
    fan: FanOut,
    question: Question,
    order: Sequence[str],
    body: Callable[[str], dict],
    *,
    deadline: float,
    early_stop: bool,
    adaptive: bool,
    weights: Mapping[str, float] | None = None,
    on_outcome: OnOutcome | None = None,
) -> PanelRound:
    """Ask ``order`` (all at once, or the first ``FIRST_WAVE`` then the rest if they disagree).

    With ``early_stop`` the round ends once the leading answer cannot be overtaken by the models still
    running, counting each by its weight.
    """
    waves = (
        [list(order[:FIRST_WAVE]), list(order[FIRST_WAVE:])] if adaptive and len(order) > FIRST_WAVE else [list(order)]
    )
    outcomes: list[Outcome] = []
    ballots: list[Ballot] = []
    stopped = False

    async def seen(outcome: Outcome) -> None:
        outcomes.append(outcome)
        ballots.append(ballot(question, outcome))
        if on_outcome is not None:
            await on_outcome(outcome, outcomes)

    for i, wave in enumerate(waves):
        if i > 0 and _unanimous(ballots):
            # adaptive: the first, most trusted models agree, so the rest are not asked
            outcomes.extend(Outcome(m, "not_asked", error="not asked: the first models agreed") for m in wave)
            break

        def should_stop(finished: list[Outcome], still_running: int, wave: list[str] = wave) -> bool:
            if not early_stop:
                return False
            done = {o.model for o in finished}
            pending = [(weights or {}).get(m, 1.0) for m in wave if m not in done]
            return decided(ballots, pending, weights)

        wave_outcomes, wave_stopped = await fan.round(
            [body(model) for model in wave], deadline=deadline, on_outcome=seen, should_stop=should_stop
        )
        stopped = stopped or wave_stopped
        for outcome in wave_outcomes:
            if outcome.status == "cancelled":
                outcomes.append(outcome)
                ballots.append(Ballot(outcome.model, None))
    return PanelRound(outcomes, ballots, stopped)


def _unanimous(ballots: Sequence[Ballot]) -> bool:
    keys = [b.key for b in ballots if b.key is not None]
    return len(keys) >= 2 and len(set(keys)) == 1
