"""Saved benchmarks: one row per benchmark (its whole result) and one per contestant x prompt x run.

The trials keep ground truth (``correct``) where an expected answer was given, so other tools can
learn which models are right, not only which agree.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .runs import RunStore

TRIAL_COLUMNS = (
    "contestant", "prompt_index", "run", "status", "ttft_s", "latency_s", "completion_tokens", "cost_usd",
    "answer", "correct", "score", "error",
)  # fmt: skip


@dataclass(frozen=True)
class SavedBenchmark:
    id: str
    run_id: str | None
    created_at: float
    label: str | None
    models: list[str]
    prompts: int
    runs: int
    cost_usd: float | None
    result: dict | None  # None in listings


def save_benchmark(
    store: RunStore,
    *,
    run_id: str | None,
    label: str | None,
    models: Sequence[str],
    prompts: int,
    runs: int,
    cost_usd: float | None,
    result: dict[str, Any],
    trials: Sequence[dict[str, Any]],
) -> str:
    """Store one finished benchmark with its trials; returns its id, e.g. "b_3f9a1c2b"."""
    now = store._clock()

    def insert(conn: sqlite3.Connection) -> str:
        bench_id = "b_" + secrets.token_hex(4)
        while conn.execute("SELECT 1 FROM benchmarks WHERE id = ?", (bench_id,)).fetchone():
            bench_id = "b_" + secrets.token_hex(4)
        conn.execute(
            "INSERT INTO benchmarks (id, run_id, created_at, label, models, prompts, runs, cost_usd, result) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (bench_id, run_id, now, label, json.dumps(list(models)), prompts, runs, cost_usd,
             json.dumps({**result, "benchmark_id": bench_id})),
        )  # fmt: skip
        sql = (
            f"INSERT INTO benchmark_trials (benchmark_id, created_at, {', '.join(TRIAL_COLUMNS)}) "
            f"VALUES (?, ?, {', '.join('?' * len(TRIAL_COLUMNS))})"
        )
        conn.executemany(sql, [(bench_id, now, *(_cell(t.get(c)) for c in TRIAL_COLUMNS)) for t in trials])
        return bench_id

    return store._db.run("save a benchmark", insert, write=True)


def list_benchmarks(store: RunStore, limit: int = 20) -> list[SavedBenchmark]:
    """The most recent benchmarks first, without their results."""
    sql = (
        "SELECT id, run_id, created_at, label, models, prompts, runs, cost_usd FROM benchmarks "
        "ORDER BY created_at DESC, rowid DESC LIMIT ?"
    )
    rows = store._db.run("list benchmarks", lambda conn: conn.execute(sql, (limit,)).fetchall())
    return [_saved(row, None) for row in rows]


def get_benchmark(store: RunStore, benchmark_id: str | None = None) -> SavedBenchmark | None:
    """One benchmark with its result; the latest when no id is given."""
    columns = "id, run_id, created_at, label, models, prompts, runs, cost_usd, result"
    params: tuple[str, ...] = ()
    if benchmark_id is None:
        sql = f"SELECT {columns} FROM benchmarks ORDER BY created_at DESC, rowid DESC LIMIT 1"
    else:
        sql, params = f"SELECT {columns} FROM benchmarks WHERE id = ?", (benchmark_id,)
    row = store._db.run("read a benchmark", lambda conn: conn.execute(sql, params).fetchone())
    return _saved(row, json.loads(row["result"])) if row is not None else None


def ground_truth(store: RunStore, models: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Per model: (trials graded correct, trials graded) over every benchmark with expected answers."""
    wanted = tuple(dict.fromkeys(models))
    if not wanted:
        return {}
    sql = (
        "SELECT contestant, TOTAL(correct), COUNT(correct) FROM benchmark_trials "
        f"WHERE correct IS NOT NULL AND contestant IN ({', '.join('?' * len(wanted))}) GROUP BY contestant"
    )
    rows = store._db.run("read ground truth", lambda conn: conn.execute(sql, wanted).fetchall())
    return {model: (int(right), int(graded)) for model, right, graded in rows}


def _saved(row: sqlite3.Row, result: dict | None) -> SavedBenchmark:
    return SavedBenchmark(
        id=row["id"],
        run_id=row["run_id"],
        created_at=row["created_at"],
        label=row["label"],
        models=json.loads(row["models"]),
        prompts=row["prompts"],
        runs=row["runs"],
        cost_usd=row["cost_usd"],
        result=result,
    )


def _cell(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value
