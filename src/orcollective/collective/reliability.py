"""Per-model reliability learnt without labels: one-coin Dawid–Skene EM over past ballots.

Each model *i* is right with probability ``p_i`` whatever the question; when wrong, its answer is one of
``m`` plausible wrong answers. The true answer of each past run is hidden; EM alternates between the
posterior of every run's answer under the current ``p`` and the expected share of runs each model got
right. Two guards keep it honest where the textbook model is not:

- leave-one-out: a model's own ballot is left out of the posterior it is scored against, so a model
  that is trusted cannot confirm itself, and models that fall for the same distractor (correlated
  errors) do not make it the truth for the one model that resisted it unless the rest agree;
- ground truth wins: a run the user marked right fixes its answer, one marked wrong rules its answer out,
  and such runs count ``TRUTH_WEIGHT`` times; benchmark trials graded against an expected answer are
  added to a model's counts the same way.

``m`` is estimated too: the chance that two models that are both wrong give the same wrong answer.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

PRIOR = (3.5, 1.5)  # Beta prior on p: a new model is taken to be right seven times in ten
TRUTH_WEIGHT = 4.0  # a run with the user's verdict, or a graded benchmark trial, counts this many times
ITERATIONS = 12
CONVERGED = 1e-3  # largest change in any p that ends the iterations
P_FLOOR, P_CEIL = 0.02, 0.98
DEFAULT_ALTERNATIVES = {"choice": 2.0, "number": 2.0, "boolean": 1.0, "text": 2.0}


@dataclass(frozen=True)
class Item:
    """One past run: each model's answer, and what the user said about the run's answer."""

    answers: Mapping[str, str]
    truth: str | None = None  # the run's answer, marked right
    ruled_out: str | None = None  # the run's answer, marked wrong


@dataclass
class Estimates:
    """Reliability per model, the evidence behind it, and the effective number of wrong answers."""

    p: dict[str, float]
    evidence: dict[str, float]  # runs (and graded trials, weighted) each model was scored on
    alternatives: float
    prior: float = PRIOR[0] / sum(PRIOR)
    labelled: dict[str, float] = field(default_factory=dict)  # of the evidence, from ground truth

    def of(self, model: str) -> float:
        return self.p.get(model, self.prior)


def posterior(
    answers: Sequence[tuple[str, str]], p: Mapping[str, float], alternatives: float, default: float
) -> dict[str | None, float]:
    """P(each answer given is right | ballots), plus ``None``: every ballot is wrong.

    ``answers`` holds (model, key) for every ballot (a model may cast several: samples).
    """
    if not answers:
        return {}
    wrong = {m: math.log((1 - _clip(p.get(m, default))) / alternatives) for m, _ in answers}
    right = {m: math.log(_clip(p.get(m, default))) for m, _ in answers}
    base = sum(wrong[m] for m, _ in answers)
    scores: dict[str | None, float] = {}
    for model, key in answers:
        scores[key] = scores.get(key, base) + right[model] - wrong[model]
    scores[None] = base + math.log(alternatives)  # the truth is an answer nobody gave
    top = max(scores.values())
    mass = {k: math.exp(s - top) for k, s in scores.items()}
    total = sum(mass.values())
    return {k: v / total for k, v in mass.items()}


def estimate(items: Sequence[Item], answer_type: str, graded: Mapping[str, tuple[int, int]] | None = None) -> Estimates:
    """Fit ``p`` per model and the number of plausible wrong answers by leave-one-out EM."""
    prior_mean = PRIOR[0] / sum(PRIOR)
    models = sorted({m for item in items for m in item.answers} | set(graded or {}))
    p = dict.fromkeys(models, prior_mean)
    alternatives = DEFAULT_ALTERNATIVES.get(answer_type, 2.0)
    evidence: dict[str, float] = {}
    labelled: dict[str, float] = {}
    for iteration in range(ITERATIONS):
        right: dict[str, float] = dict.fromkeys(models, 0.0)
        seen: dict[str, float] = dict.fromkeys(models, 0.0)
        collide, collide_pairs = 0.0, 0.0
        for item in items:
            weight = TRUTH_WEIGHT if item.truth is not None or item.ruled_out is not None else 1.0
            ballots = list(item.answers.items())
            everyone = posterior(ballots, p, alternatives, prior_mean)
            for model, key in ballots:
                # The first pass scores each model against the others only (leave-one-out agreement), so a
                # start from equal weights cannot let any model confirm itself; later passes are plain EM.
                post = everyone
                if iteration == 0:
                    post = posterior([(m, k) for m, k in ballots if m != model], p, alternatives, prior_mean)
                chance = _chance_right(item, key, post, alternatives)
                if chance is None:
                    continue
                right[model] += weight * chance
                seen[model] += weight
            if item.truth is None and len(ballots) > 1:
                c, n = _wrong_collisions(item, everyone)
                collide, collide_pairs = collide + c, collide_pairs + n
        for model, (ok, n) in (graded or {}).items():
            right[model] += TRUTH_WEIGHT * ok
            seen[model] += TRUTH_WEIGHT * n
        before = p
        p = {m: _clip((PRIOR[0] + right[m]) / (sum(PRIOR) + seen[m])) for m in models}
        if collide_pairs >= 3:
            alternatives = min(max(collide_pairs / max(collide, 1e-9), 1.0), 9.0)
        evidence = dict(seen)
        if iteration and max((abs(p[m] - before[m]) for m in models), default=0.0) < CONVERGED:
            break
    labelled = {
        m: sum(TRUTH_WEIGHT for it in items if m in it.answers and (it.truth or it.ruled_out))
        + TRUTH_WEIGHT * (graded or {}).get(m, (0, 0))[1]
        for m in models
    }
    return Estimates(p=p, evidence=evidence, alternatives=alternatives, prior=prior_mean, labelled=labelled)


def _chance_right(item: Item, key: str, post: dict[str | None, float], alternatives: float) -> float | None:
    """The chance ``key`` is the item's answer, given a posterior over its answers and the user's verdict."""
    if item.truth is not None:
        return float(key == item.truth)
    if not post:
        return None
    if item.ruled_out is not None:
        if key == item.ruled_out:
            return 0.0
        post = {k: v for k, v in post.items() if k != item.ruled_out}
        total = sum(post.values()) or 1.0
        post = {k: v / total for k, v in post.items()}
    # A key the posterior does not hold is right only if every ballot it weighed is wrong.
    return post.get(key, post.get(None, 0.0) / alternatives)


def _wrong_collisions(item: Item, post: Mapping[str | None, float]) -> tuple[float, float]:
    """Expected (pairs of wrong ballots that agree, pairs of wrong ballots) for one item."""
    counts = Counter(item.answers.values())
    same = pairs = 0.0
    for truth, chance in post.items():
        wrong = [c for k, c in counts.items() if k != truth]
        n = sum(wrong)
        pairs += chance * n * (n - 1) / 2
        same += chance * sum(c * (c - 1) / 2 for c in wrong)
    return same, pairs


def _clip(p: float) -> float:
    return min(max(p, P_FLOOR), P_CEIL)
