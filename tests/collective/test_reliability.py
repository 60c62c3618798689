"""One-coin EM reliability: learnt without labels, ground truth outweighs agreement, posteriors calibrated."""

from __future__ import annotations

import random
from collections import Counter

from orcollective.collective.reliability import Item, estimate, posterior
from orcollective.collective.vote import Ballot, reliability_weight, tally

ACCURACY = {"m/a": 0.8, "m/b": 0.72, "m/c": 0.68, "m/d": 0.62, "m/e": 0.55, "m/f": 0.5, "m/foil": 0.0}


def quiz(seed: int, n: int = 100) -> list[Item]:
    """Wrong models fall for the shared distractor D 70% of the time; the foil always does."""
    rng = random.Random(seed)
    items = []
    for _ in range(n):
        answers = {}
        for model, p in ACCURACY.items():
            if rng.random() < p:
                answers[model] = "T"
            elif model == "m/foil" or rng.random() < 0.7:
                answers[model] = "D"
            else:
                answers[model] = rng.choice("XY")
        items.append(Item(answers))
    return items


def test_an_always_wrong_model_weighs_nothing_and_the_best_keep_their_weight():
    """From ballots alone the foil falls to the floor and the best model stays above the median one."""
    fitted = estimate(quiz(1), "choice")
    assert fitted.of("m/foil") < 0.2 < 0.6 < fitted.of("m/a")
    assert fitted.of("m/a") > fitted.of("m/e")
    assert reliability_weight(fitted.of("m/foil"), fitted.alternatives) == 0.0


def test_weighted_beats_plurality_from_a_cold_start():
    """Learning after every question from an empty history, the posterior's pick beats plurality."""
    plurality = learnt = 0
    confidence = 0.0
    for seed in range(2):
        items = quiz(seed, 60)
        for t, item in enumerate(items):
            fitted = estimate(items[:t], "choice")
            plurality += Counter(item.answers.values()).most_common(1)[0][0] == "T"
            weights = {m: reliability_weight(fitted.of(m), fitted.alternatives) for m in item.answers}
            winner = tally([Ballot(m, k) for m, k in item.answers.items()], weights).winner
            learnt += winner == "T"
            post = posterior(list(item.answers.items()), fitted.p, fitted.alternatives, fitted.prior)
            confidence += post[winner]
    assert learnt >= plurality + 5
    assert abs(confidence / 120 - learnt / 120) < 0.1  # mean confidence tracks accuracy


def test_ground_truth_outweighs_agreement():
    """Runs marked right or wrong override what the majority said about a model."""
    items = [Item({"g/a": "1", "g/b": "1", "g/lone": "2"}, truth="2") for _ in range(6)]
    items += [Item({"g/a": "3", "g/b": "3", "g/lone": "4"}, ruled_out="3") for _ in range(6)]
    fitted = estimate(items, "number")
    assert fitted.of("g/lone") > 0.8 > 0.2 > fitted.of("g/a")


def test_graded_benchmark_trials_count_as_ground_truth():
    """A model right on 20 of 20 graded trials is trusted more than one right on 2 of 20."""
    fitted = estimate([], "choice", {"b/good": (20, 20), "b/bad": (2, 20)})
    assert fitted.of("b/good") > 0.9 and fitted.of("b/bad") < 0.2


def test_posterior_leaves_room_for_an_answer_nobody_gave():
    """Two agreeing models are not certainty, a 2-2 tie is under one half, and the posterior sums to 1."""
    fitted = estimate([], "choice")
    two = posterior([("x", "B"), ("y", "B")], {}, fitted.alternatives, fitted.prior)
    tie = posterior([("w", "A"), ("x", "B"), ("y", "A"), ("z", "B")], {}, fitted.alternatives, fitted.prior)
    assert 0.8 < two["B"] < 1 and tie["A"] == tie["B"] < 0.5
    assert abs(sum(tie.values()) - 1) < 1e-9
