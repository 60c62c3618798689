"""Ballots and feedback: what each model answered in each closed-answer run, and the user's verdicts.

Reliability is learnt from these without labels (agreement structure across runs) and with them
(feedback on a run's answer). Completion lengths per model and answer type come from here too.
"""

from __future__ import annotations

import sqlite3
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import StoreError
from .runs import RunStore

VERDICTS = ("right", "wrong")


@dataclass(frozen=True)
class BallotRow:
    model: str
    key: str | None  # None: the model answered but nothing could be read
    completion_tokens: int | None


@dataclass(frozen=True)
class PastRun:
    """One past closed-answer run: each ballot, the run's answer and the user's verdict on it, if any."""

    run_id: str
    ballots: list[BallotRow]
    answer: str | None
    verdict: str | None  # "right", "wrong" or None


def record_ballots(
    store: RunStore, run_id: str, answer_type: str, answer: str | None, ballots: Sequence[BallotRow]
) -> None:
    """Store one run's ballots (one row per call that answered) and the answer it gave."""
    now = store._clock()
    rows = [(run_id, b.model, answer_type, b.key, b.completion_tokens, now) for b in ballots]

    def insert(conn: sqlite3.Connection) -> None:
        conn.executemany(
            "INSERT INTO ballots (run_id, model, answer_type, key, completion_tokens, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute(
            "INSERT OR REPLACE INTO run_answers (run_id, answer_type, key, created_at) VALUES (?, ?, ?, ?)",
            (run_id, answer_type, answer, now),
        )

    store._db.run("record ballots", insert, write=True)


def record_feedback(store: RunStore, run_id: str, verdict: str) -> str | None:
    """Mark a run's answer right or wrong (the latest verdict counts); returns the answer it applies to."""
    if verdict not in VERDICTS:
        raise StoreError(f"Unknown verdict {verdict!r}; use right or wrong.")

    def write(conn: sqlite3.Connection) -> str | None:
        row = conn.execute("SELECT key FROM run_answers WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise StoreError(
                f"Run {run_id!r} has no closed answer to mark; feedback applies to consensus runs with a "
                "choice, number, boolean or short text answer."
            )
        conn.execute(
            "INSERT OR REPLACE INTO feedback (run_id, verdict, created_at) VALUES (?, ?, ?)",
            (run_id, verdict, store._clock()),
        )
        return row[0]

    return store._db.run("record feedback", write, write=True)


def past_runs(store: RunStore, answer_type: str, *, limit: int) -> list[PastRun]:
    """The latest ``limit`` runs of ``answer_type`` with their ballots, oldest first."""

    def read(conn: sqlite3.Connection) -> list[PastRun]:
        runs = conn.execute(
            "SELECT a.run_id, a.key, f.verdict FROM run_answers a LEFT JOIN feedback f ON f.run_id = a.run_id "
            "WHERE a.answer_type = ? ORDER BY a.created_at DESC, a.rowid DESC LIMIT ?",
            (answer_type, limit),
        ).fetchall()
        if not runs:
            return []
        ids = [r[0] for r in runs]
        ballots: dict[str, list[BallotRow]] = {run_id: [] for run_id in ids}
        for run_id, model, key, tokens in conn.execute(
            f"SELECT run_id, model, key, completion_tokens FROM ballots WHERE run_id IN ({', '.join('?' * len(ids))}) "
            "ORDER BY id",
            ids,
        ):
            ballots[run_id].append(BallotRow(model, key, tokens))
        return [PastRun(run_id, ballots[run_id], key, verdict) for run_id, key, verdict in reversed(runs)]

    return store._db.run("read past ballots", read)


def completion_lengths(store: RunStore, models: Sequence[str], answer_type: str, *, limit: int = 50) -> dict[str, int]:
    """Median completion tokens of each model's latest ``limit`` answers of ``answer_type``."""
    wanted = tuple(dict.fromkeys(models))
    if not wanted:
        return {}

    def read(conn: sqlite3.Connection) -> dict[str, int]:
        out = {}
        for model in wanted:
            rows = conn.execute(
                "SELECT completion_tokens FROM ballots WHERE model = ? AND answer_type = ? "
                "AND completion_tokens IS NOT NULL ORDER BY id DESC LIMIT ?",
                (model, answer_type, limit),
            ).fetchall()
            if rows:
                out[model] = round(statistics.median(r[0] for r in rows))
        return out

    return store._db.run("read completion lengths", read)
