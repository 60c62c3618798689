"""Ballots, run answers and feedback in the run store: what reliability and cost estimates learn from."""

from __future__ import annotations

from pathlib import Path

import pytest

from orcollective.errors import StoreError
from orcollective.store import RunStore
from orcollective.store.ballots import BallotRow, completion_lengths, past_runs, record_ballots, record_feedback


def test_ballots_come_back_per_run_oldest_first_with_the_verdict(tmp_path: Path):
    """Each run keeps its ballots (unparsed ones too), its answer and the user's latest verdict."""
    store = RunStore(tmp_path / "runs.db")
    first = store.start_run("consensus", {"prompt": "q1"})
    second = store.start_run("consensus", {"prompt": "q2"})
    record_ballots(store, first, "number", "42", [BallotRow("m/a", "42", 10), BallotRow("m/b", None, 30)])
    record_ballots(store, second, "number", "7", [BallotRow("m/a", "7", 20)])
    assert record_feedback(store, first, "right") == "42"
    assert record_feedback(store, first, "wrong") == "42"  # the latest verdict counts
    runs = past_runs(store, "number", limit=10)
    assert [r.run_id for r in runs] == [first, second]
    assert runs[0].ballots == [BallotRow("m/a", "42", 10), BallotRow("m/b", None, 30)]
    assert (runs[0].answer, runs[0].verdict, runs[1].verdict) == ("42", "wrong", None)
    assert past_runs(store, "number", limit=1)[0].run_id == second
    assert past_runs(store, "choice", limit=10) == []
    assert completion_lengths(store, ["m/a", "m/b", "m/new"], "number") == {"m/a": 15, "m/b": 30}


def test_feedback_needs_a_closed_answer_run(tmp_path: Path):
    """Feedback on a run without a recorded answer, or an unknown verdict, is one clear line."""
    store = RunStore(tmp_path / "runs.db")
    run_id = store.start_run("chat", {"prompt": "hi"})
    with pytest.raises(StoreError, match="no closed answer"):
        record_feedback(store, run_id, "right")
    with pytest.raises(StoreError, match="right or wrong"):
        record_feedback(store, run_id, "maybe")
