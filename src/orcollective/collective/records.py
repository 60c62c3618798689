"""What a panel round leaves in the run store: the aggregator's call, the ballots reliability is learnt
from, and each model's exchange for follow-ups."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import StoreError
from ..inputs.messages import text_only
from ..store import RunRecorder
from ..store.ballots import BallotRow, record_ballots
from .answers import Question
from .consensus import Decision
from .rounds import PanelRound


def record_round(recorder: RunRecorder, q: Question, round_: PanelRound, decision: Decision) -> None:
    """The aggregator's call and, for closed answers, the ballots reliability is learnt from. The panel's
    calls are recorded as each finishes, so a run cut short keeps them."""
    if decision.aggregator is not None:
        agg = decision.aggregator
        recorder.call(agg.model, agg.completion, role="aggregator", error=agg.error, latency_s=agg.latency_s)
    if q.answer_type == "long_text" or recorder.store is None or recorder.run_id is None:
        return
    rows = [
        BallotRow(o.model, b.key, o.completion.usage.completion_tokens if o.completion else None)
        for o, b in zip(round_.outcomes, round_.ballots, strict=True)
        if o.ok
    ]
    try:
        record_ballots(recorder.store, recorder.run_id, q.answer_type, decision.key, rows)
    except StoreError as exc:
        recorder.notes.append(f"ballots not saved: {exc}")


def keep_exchanges(recorder: RunRecorder, round_: PanelRound, asked: Callable[[str], list[dict]]) -> None:
    """Each model's question (``asked(model)``) and answer, so ``continue_from`` can follow up with it."""
    kept: set[str] = set()
    for o in round_.outcomes:
        if o.ok and o.completion is not None and o.model not in kept:
            kept.add(o.model)
            recorder.exchange(
                o.model, text_only([*asked(o.model), {"role": "assistant", "content": o.completion.text}])
            )
