"""What a collective run learns from the run store, and what it leaves there.

Every function here tolerates a missing or failing store: history improves a run, it never blocks one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from ..errors import StoreError
from ..results import ConsensusResult
from ..store import RunStore
from .vote import log_odds_weight, peer_agreement

log = logging.getLogger("orcollective.history")

RELIABILITY_PRIOR = (4.0, 2.0)  # a new model is assumed to agree with its peers two times in three
AGGREGATOR_SUFFIX = " (aggregator)"

T = TypeVar("T")


def guarded(store: RunStore | None, action: Callable[[RunStore], T]) -> T | None:
    """Run one store action; a store error is logged and becomes None."""
    if store is None:
        return None
    try:
        return action(store)
    except StoreError as exc:
        log.warning("run store: %s", exc)
        return None


def weights(
    store: RunStore | None, models: Sequence[str], answer_type: str, notes: list[str]
) -> dict[str, float] | None:
    """Log-odds vote weights from each model's Beta reliability for this answer type."""
    if store is None:
        notes.append("no run store: weighted ran with equal weights")
        return None
    try:
        posterior = store.reliability(models, answer_type, prior=RELIABILITY_PRIOR)
    except StoreError as exc:
        notes.append(f"reliability unavailable ({exc}); equal weights used")
        return None
    return {m: round(log_odds_weight(posterior[m].mean), 4) for m in models}


def adaptive_order(store: RunStore | None, models: Sequence[str], answer_type: str) -> list[str]:
    """Most reliable first, then fastest: the first wave is the panel's best bet at agreeing quickly."""
    ids = list(models)
    if store is None:
        return ids
    try:
        posterior = store.reliability(ids, answer_type, prior=RELIABILITY_PRIOR)
        stats = store.model_stats(ids)
    except StoreError:
        return ids

    def rank(model: str) -> tuple[float, float]:
        latency = stats[model].median_latency_s if model in stats else None
        return (-round(posterior[model].mean, 2), latency if latency is not None else float("inf"))

    return sorted(ids, key=rank)


def record(store: RunStore | None, run_id: str | None, answer_type: str, result: ConsensusResult) -> None:
    """Calls, result and reliability observations go to the store; a failure becomes a note, not an error.

    Models that were not asked, or cancelled once the answer was decided, made no call worth counting.
    Reliability is agreement with the other models' plurality (see ``peer_agreement``), never with the
    run's own winner, which a heavy weighted model would have decided itself.
    """
    if store is None or run_id is None:
        return
    try:
        for r in result.responses:
            if r.status in ("not_asked", "cancelled"):
                continue
            store.record_call(
                run_id, r.model, answer=r.answer, excerpt=r.excerpt, latency_s=r.latency_s,
                cost_usd=r.cost_usd, error=r.error,
                role="aggregator" if r.model.endswith(AGGREGATOR_SUFFIX) else "answer",
            )  # fmt: skip
        if answer_type != "long_text":
            answers = {
                r.model: r.answer
                for r in result.responses
                if r.answer is not None and not r.model.endswith(AGGREGATOR_SUFFIX)
            }
            for model, agreed in peer_agreement(answers).items():
                store.record_outcome(model, answer_type, agreed, run_id=run_id)
        store.finish_run(run_id, status="done", result=result.model_dump(mode="json"), cost_usd=result.cost_usd)
    except StoreError as exc:
        log.warning("run %s not fully saved: %s", run_id, exc)
        result.notes.append(f"run not fully saved: {exc}")
