"""What a collective run learns from the run store: vote weights and the order to ask models in.

Every function here tolerates a missing or failing store: history improves a run, it never blocks one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ..errors import StoreError
from ..store import RunStore
from .vote import log_odds_weight

log = logging.getLogger("orcollective.weights")

RELIABILITY_PRIOR = (4.0, 2.0)  # a new model is assumed to agree with its peers two times in three


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
