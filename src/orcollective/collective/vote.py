"""Pure vote arithmetic: groups, weights from reliability, winner, agreement, early stop.

Plurality counts each ballot once. ``weighted`` gives model *i* the weight ``log(p_i * m / (1 - p_i))``
(``reliability_weight``), where ``p_i`` is its learnt reliability and ``m`` the effective number of wrong
answers a wrong model picks from: summing these over an answer's supporters ranks answers as their
posterior does (``reliability.posterior``, which also gives the confidence). A model no better than
chance weighs nothing. ``tally``'s own confidence is the share (plain) or the softmax of the weights; the
consensus reports the posterior instead. Ties go to the answer whose supporters carry more weight, then
to the answer whose first supporter comes first in the ballots' order (the caller passes them in panel
order, so a tie never depends on which model happened to answer faster).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

P_FLOOR, P_CEIL = 0.02, 0.98


@dataclass(frozen=True)
class Ballot:
    model: str
    key: str | None  # normalised answer; None when nothing parseable came back
    found_by: str | None = None  # where in the reply the answer was read ("marker", "last line", ...)


@dataclass
class Group:
    key: str
    models: list[str]
    weight: float
    share: float  # of parsed answers (by count)


@dataclass
class Tally:
    groups: list[Group]  # winner first
    confidence: float | None
    agreement: float | None
    parsed: int

    @property
    def winner(self) -> str | None:
        return self.groups[0].key if self.groups else None


def log_odds_weight(p: float) -> float:
    """The weight of a model that is right with probability ``p`` (never below 0)."""
    p = min(max(p, P_FLOOR), P_CEIL)
    return max(0.0, math.log(p / (1 - p)))


def reliability_weight(p: float, alternatives: float) -> float:
    """The vote weight of a model right with probability ``p`` when a wrong model picks one of
    ``alternatives`` wrong answers: ``log(p * alternatives / (1 - p))``, never below 0. Summing these over
    an answer's supporters ranks answers exactly as their posterior does (see ``reliability.posterior``)."""
    p = min(max(p, P_FLOOR), P_CEIL)
    return max(0.0, math.log(p * alternatives / (1 - p)))


def group(ballots: Sequence[Ballot], weights: Mapping[str, float] | None = None) -> list[Group]:
    """Group parsed ballots by key, heaviest first (count decides when unweighted), then by ballot order."""
    order: dict[str, int] = {}
    members: dict[str, list[str]] = {}
    for ballot in ballots:
        if ballot.key is None:
            continue
        order.setdefault(ballot.key, len(order))
        members.setdefault(ballot.key, []).append(ballot.model)
    parsed = sum(len(m) for m in members.values())
    groups = [
        Group(
            key=key,
            models=models,
            weight=sum((weights or {}).get(m, 1.0) for m in models) if weights else float(len(models)),
            share=len(models) / parsed if parsed else 0.0,
        )
        for key, models in members.items()
    ]
    groups.sort(key=lambda g: (-g.weight, -len(g.models), order[g.key]))
    return groups


def tally(ballots: Sequence[Ballot], weights: Mapping[str, float] | None = None) -> Tally:
    """Winner, confidence and agreement of a finished set of ballots."""
    groups = group(ballots, weights)
    parsed = sum(len(g.models) for g in groups)
    if not groups:
        return Tally(groups=[], confidence=None, agreement=None, parsed=0)
    if weights and any(g.weight > 0 for g in groups):
        top = max(g.weight for g in groups)
        mass = [math.exp(g.weight - top) for g in groups]
        confidence = mass[0] / sum(mass)
    else:
        confidence = groups[0].share
    return Tally(groups=groups, confidence=confidence, agreement=agreement(groups), parsed=parsed)


def agreement(groups: Sequence[Group]) -> float:
    """1 when every parsed answer is the same, 0 when all differ: one minus the normalised entropy."""
    counts = [len(g.models) for g in groups]
    n = sum(counts)
    if n <= 1 or len(counts) == 1:
        return 1.0
    entropy = -sum(c / n * math.log(c / n) for c in counts)
    return round(max(0.0, 1.0 - entropy / math.log(n)), 12)


def decided(ballots: Sequence[Ballot], pending_weights: Sequence[float], weights: Mapping[str, float] | None) -> bool:
    """True when the leading answer can no longer be overtaken, even if every pending model opposes it."""
    groups = group(ballots, weights)
    if not groups:
        return False
    leader = groups[0].weight
    runner_up = groups[1].weight if len(groups) > 1 else 0.0
    return leader > runner_up + sum(pending_weights)


def peer_agreement(answers: Mapping[str, str]) -> dict[str, bool]:
    """For each model: does its answer match the plurality of the *other* models' answers?

    Leaving the model itself out keeps a heavy model from confirming its own reliability: agreement
    with a consensus it decided would make its weight grow without evidence. A tie among the others
    says nothing, so that model gets no observation.
    """
    verdicts: dict[str, bool] = {}
    for model, answer in answers.items():
        others = Counter(a for m, a in answers.items() if m != model)
        ranked = others.most_common(2)
        if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
            continue
        verdicts[model] = answer == ranked[0][0]
    return verdicts
