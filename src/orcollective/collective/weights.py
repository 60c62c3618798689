"""What a collective run learns from the run store: reliability, vote weights, the order to ask models in,
and completion lengths for cost estimates.

Reliability is fitted by ``reliability.estimate`` over the latest ``HISTORY_RUNS`` runs of the same answer
type, with the user's feedback and graded benchmark trials as ground truth. Every function here tolerates
a missing or failing store: history improves a run, it never blocks one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import StoreError
from ..store import RunStore
from ..store.ballots import PastRun, completion_lengths, past_runs
from ..store.benchmarks import ground_truth
from .reliability import Estimates, Item, estimate
from .vote import reliability_weight

log = logging.getLogger("orcollective.weights")

HISTORY_RUNS = 300
MIN_EVIDENCE = 8.0  # runs a model must have been scored on before ``auto`` trusts its learnt weight


@dataclass
class Learned:
    estimates: Estimates
    weights: dict[str, float]
    enough: bool  # every panel member has MIN_EVIDENCE behind its estimate


def learn(store: RunStore | None, models: Sequence[str], answer_type: str, notes: list[str]) -> Learned:
    """Reliability of ``models`` for ``answer_type`` from the store (the prior alone without history)."""
    items: list[Item] = []
    graded: dict[str, tuple[int, int]] = {}
    if store is None:
        notes.append("no run store: reliability is the prior for every model")
    else:
        try:
            items = [_item(run) for run in past_runs(store, answer_type, limit=HISTORY_RUNS)]
            graded = ground_truth(store, models)
        except StoreError as exc:
            notes.append(f"reliability unavailable ({exc}); the prior is used")
    fitted = estimate([i for i in items if i.answers], answer_type, graded)
    weights = {m: round(reliability_weight(fitted.of(m), fitted.alternatives), 4) for m in models}
    enough = all(fitted.evidence.get(m, 0.0) >= MIN_EVIDENCE for m in models)
    return Learned(fitted, weights, enough)


def weights(store: RunStore | None, models: Sequence[str], answer_type: str, notes: list[str]) -> dict[str, float]:
    """The vote weight of each model for ``answer_type``, from its learnt reliability."""
    return learn(store, models, answer_type, notes).weights


def _item(run: PastRun) -> Item:
    answers: dict[str, str] = {}
    votes: dict[str, dict[str, int]] = {}
    for b in run.ballots:
        if b.key is not None:
            votes.setdefault(b.model, {}).setdefault(b.key, 0)
            votes[b.model][b.key] += 1
    for model, counts in votes.items():  # samples: a model's most frequent answer is its ballot
        answers[model] = max(counts, key=lambda k: counts[k])
    truth = run.answer if run.verdict == "right" else None
    wrong = run.answer if run.verdict == "wrong" else None
    return Item(answers, truth, wrong)


def adaptive_order(
    learned: Learned, models: Sequence[str], latency: Mapping[str, float], price: Mapping[str, float]
) -> list[str]:
    """Cheap reliable models first: reliability (to 0.05), then price of one answer, then median latency."""

    def rank(model: str) -> tuple[float, float, float]:
        return (
            -round(learned.estimates.of(model) * 20) / 20,
            price.get(model, float("inf")),
            latency.get(model, float("inf")),
        )

    return sorted(models, key=rank)


def latencies(store: RunStore | None, models: Sequence[str]) -> dict[str, float]:
    """Median latency of each model's successful calls, where the store has any."""
    if store is None:
        return {}
    try:
        stats = store.model_stats(models)
    except StoreError:
        return {}
    return {m: s.median_latency_s for m, s in stats.items() if s.median_latency_s is not None}


def learnt_completion(store: RunStore | None, models: Sequence[str], answer_type: str) -> dict[str, int]:
    """Median completion tokens per model for this answer type, where the store has history."""
    if store is None:
        return {}
    try:
        return completion_lengths(store, models, answer_type)
    except StoreError as exc:
        log.warning("completion lengths unavailable: %s", exc)
        return {}
