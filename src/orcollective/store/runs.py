"""The run store: every collective run and single chat call, kept in SQLite.

It survives restarts, feeds the per-model reliability used by weighted voting and is the
spend ledger behind the ``usage`` tool. Every failure surfaces as ``StoreError``, so a caller
can log it and still return the answer. The database itself (schema, connection sharing across
threads and processes, recovery from a corrupted file) is ``orcollective.database``.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

from ..errors import StoreError
from ..openrouter.wire import MAX_CALL_COST_USD, plausible_cost
from .database import Database
from .owners import Owner

STATUSES = ("done", "error", "cancelled", "running", "interrupted")
# Sums count only costs a call could have had: a file written before costs were checked may hold inf.
PLAUSIBLE_COST = f"CASE WHEN c.cost_usd BETWEEN 0 AND {MAX_CALL_COST_USD} THEN c.cost_usd END"
INTERRUPTED = "the server stopped before the run finished"
STOPPED = "the server was shut down before the run finished"
# What a call was for: a single chat, a panel member's answer, the aggregator's verdict; later tools add theirs.
ROLES = (
    "single", "panelist", "aggregator", "planner", "worker", "reviewer", "ranker", "chairman", "critic",
    "contestant", "judge",
)  # fmt: skip
SUMMARY_CHARS = 120
_CALL_COLUMNS = (
    "model", "role", "created_at", "answer", "excerpt", "latency_s", "cost_usd", "cost_source",
    "prompt_tokens", "completion_tokens", "error", "generation_id", "requested_model", "provider",
    "reasoning_tokens", "cached_tokens",
)  # fmt: skip
# A run without a final cost reports what its calls cost.
_RUN_COLUMNS = (
    "id, tool, status, created_at, finished_at, "
    "COALESCE(cost_usd, (SELECT SUM(c.cost_usd) FROM calls c WHERE c.run_id = runs.id)) AS cost_usd"
)
_SECRET_NAME = re.compile(r"(?:^|[_-])(?:(?:api[_-]?)?key|authorization|secret|password|token)$", re.IGNORECASE)
# OpenRouter keys, and OpenAI-style keys for other OpenAI-compatible base URLs.
_SECRET_VALUE = re.compile(r"sk-or-[A-Za-z0-9_-]+|sk-[A-Za-z0-9_-]{20,}")
_REDACTED = "[redacted]"
# Image data URLs run to megabytes; a run record keeps only their media type and size.
_DATA_URL_KEEP = 256


@dataclass(frozen=True)
class Reliability:
    """Beta posterior of how often a model agrees with the consensus."""

    alpha: float
    beta: float
    prior: tuple[float, float] = (1.0, 1.0)

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def n(self) -> int:
        """Observations behind the posterior (the prior's pseudo-counts excluded)."""
        return max(0, round(self.alpha + self.beta - sum(self.prior)))


@dataclass(frozen=True)
class ModelStats:
    """Measured behaviour of one model over its recorded calls."""

    model: str
    calls: int
    errors: int
    success_rate: float
    median_latency_s: float | None
    mean_cost_usd: float | None


class RunStore:
    """SQLite store of runs, their model calls, and consensus outcomes per model."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time, busy_timeout: float = 5.0) -> None:
        self.path = Path(path)
        self._clock = clock
        self._db = Database(self.path, clock=clock, busy_timeout=busy_timeout)
        self._owner = Owner.current()

    def start_run(self, tool: str, arguments: Mapping[str, Any]) -> str:
        """Record a new run with status "running" and return its id, e.g. "r_3f9a1c2b7d"."""
        clean = _scrub(arguments)
        prompt = clean.get("prompt") if isinstance(clean, dict) else None
        summary = _redact(" ".join(prompt.split())[:SUMMARY_CHARS]) if isinstance(prompt, str) else None
        owner = self._owner
        values = (tool, self._clock(), _dumps(clean), summary, owner.pid, owner.host, owner.started)

        def insert(conn: sqlite3.Connection) -> str:
            # 40 random bits meet a used id about once in a million runs: draw again. The write
            # lock is held, so no other process can take the id between the check and the insert.
            run_id = "r_" + secrets.token_hex(5)
            while conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone():
                run_id = "r_" + secrets.token_hex(5)
            conn.execute(
                "INSERT INTO runs (id, tool, status, created_at, arguments, summary, owner_pid, owner_host, "
                "owner_start) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?)",
                (run_id, *values),
            )
            return run_id

        return self._db.run("start a run", insert, write=True)

    def record_call(
        self,
        run_id: str,
        model: str,
        *,
        answer: str | None = None,
        excerpt: str | None = None,
        latency_s: float | None = None,
        cost_usd: float | None = None,
        cost_source: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        error: str | None = None,
        generation_id: str | None = None,
        role: str = "panelist",
        requested_model: str | None = None,
        provider: str | None = None,
        reasoning_tokens: int | None = None,
        cached_tokens: int | None = None,
    ) -> None:
        """Record one model call; its cost counts in the ledger even if the run is unknown."""
        if role not in ROLES:
            raise StoreError(f"Unknown call role {role!r}; use one of {', '.join(ROLES)}.")
        cost_usd = plausible_cost(cost_usd) if cost_usd is not None else None
        values = (
            run_id, model, role, self._clock(), _redact(answer), _redact(excerpt), latency_s, cost_usd,
            cost_source, prompt_tokens, completion_tokens, _redact(error), generation_id, requested_model,
            provider, reasoning_tokens, cached_tokens,
        )  # fmt: skip
        sql = f"INSERT INTO calls (run_id, {', '.join(_CALL_COLUMNS)}) VALUES ({', '.join('?' * len(values))})"
        self._db.run("record a call", lambda conn: conn.execute(sql, values), write=True)

    def finish_run(
        self,
        run_id: str,
        *,
        status: str,
        result: dict | None = None,
        cost_usd: float | None = None,
        error: str | None = None,
    ) -> None:
        """Set a run's status; ``None`` for result, cost or error keeps what is stored."""
        if status not in STATUSES:
            raise StoreError(f"Unknown run status {status!r}; use one of {', '.join(STATUSES)}.")
        finished_at = None if status == "running" else self._clock()
        values = (
            status, finished_at, None if result is None else _dumps(_scrub(result)), cost_usd,
            _redact(error), run_id,
        )  # fmt: skip

        def update(conn: sqlite3.Connection) -> None:
            cursor = conn.execute(
                "UPDATE runs SET status = ?, finished_at = ?, result = COALESCE(?, result), "
                "cost_usd = COALESCE(?, cost_usd), error = COALESCE(?, error) WHERE id = ?",
                values,
            )
            if cursor.rowcount == 0:
                raise StoreError(f"No run {run_id!r} in the run store; use the id start_run returned.")

        self._db.run("finish a run", update, write=True)

    def get_run(self, run_id: str) -> dict | None:
        """One run with its arguments, result and calls (in order), or None if unknown."""

        def read(conn: sqlite3.Connection) -> dict | None:
            row = conn.execute(
                f"SELECT {_RUN_COLUMNS}, arguments, result, error FROM runs WHERE id = ?", (run_id,)
            ).fetchone()
            if row is None:
                return None
            calls = conn.execute(
                f"SELECT {', '.join(_CALL_COLUMNS)} FROM calls WHERE run_id = ? ORDER BY id", (run_id,)
            ).fetchall()
            run = dict(row)
            run["arguments"] = json.loads(run["arguments"])
            run["result"] = None if run["result"] is None else json.loads(run["result"])
            run["calls"] = [dict(call) for call in calls]
            return run

        return self._db.run("read a run", read)

    def list_runs(
        self, *, limit: int = 20, offset: int = 0, tool: str | None = None, status: str | None = None
    ) -> list[dict]:
        """Runs newest first, with their call count and the start of their prompt."""
        if limit < 0 or offset < 0:
            raise StoreError("limit and offset must be zero or more.")
        filters = {column: value for column, value in (("tool", tool), ("status", status)) if value is not None}
        where = " AND ".join(f"{column} = ?" for column in filters)
        sql = (
            f"SELECT {_RUN_COLUMNS}, summary, "
            "(SELECT COUNT(*) FROM calls c WHERE c.run_id = runs.id) AS n_calls FROM runs "
            f"{'WHERE ' + where if where else ''} "
            # rowid breaks ties between runs started within one clock tick.
            "ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?"
        )
        params = (*filters.values(), limit, offset)
        return self._db.run("list runs", lambda conn: [dict(row) for row in conn.execute(sql, params)])

    def ledger(self, *, since: float | None = None) -> dict:
        """Spend recorded by this server's calls: total, and by model, tool and UTC day."""
        where, params = ("WHERE c.created_at >= ?", (since,)) if since is not None else ("", ())

        def read(conn: sqlite3.Connection) -> dict:
            def group(key: str, name: str, order: str) -> list[dict]:
                rows = conn.execute(
                    f"SELECT {key} AS {name}, COUNT(*) AS calls, TOTAL({PLAUSIBLE_COST}) AS cost_usd "
                    f"FROM calls c LEFT JOIN runs r ON r.id = c.run_id {where} "
                    f"GROUP BY 1 ORDER BY {order}",
                    params,
                )
                return [dict(row) for row in rows]

            calls, total = conn.execute(
                f"SELECT COUNT(*), TOTAL({PLAUSIBLE_COST}) FROM calls c {where}", params
            ).fetchone()
            return {
                "total_usd": total,
                "calls": calls,
                "by_model": group("c.model", "model", "cost_usd DESC, model"),
                "by_tool": group("COALESCE(r.tool, 'unknown')", "tool", "cost_usd DESC, tool"),
                "by_day": group("strftime('%Y-%m-%d', c.created_at, 'unixepoch')", "day", "day DESC"),
            }

        return self._db.run("read the ledger", read)

    def record_outcome(self, model: str, answer_type: str, agreed: bool, *, run_id: str | None = None) -> None:
        """Record whether ``model``'s answer agreed with a run's consensus answer."""
        values = (model, answer_type, int(bool(agreed)), run_id, self._clock())
        sql = "INSERT INTO outcomes (model, answer_type, agreed, run_id, created_at) VALUES (?, ?, ?, ?, ?)"
        self._db.run("record an outcome", lambda conn: conn.execute(sql, values), write=True)

    def reliability(
        self, models: Sequence[str], answer_type: str, *, prior: tuple[float, float] = (1.0, 1.0)
    ) -> dict[str, Reliability]:
        """Beta posterior per model for ``answer_type``; a model never observed gets the prior."""
        prior_a, prior_b = float(prior[0]), float(prior[1])
        if prior_a <= 0 or prior_b <= 0:
            raise StoreError("The reliability prior needs two positive pseudo-counts, e.g. (1, 1).")
        wanted = list(dict.fromkeys(models))
        if not wanted:
            return {}
        sql = (
            "SELECT model, TOTAL(agreed), COUNT(*) FROM outcomes "
            f"WHERE answer_type = ? AND model IN ({', '.join('?' * len(wanted))}) GROUP BY model"
        )
        params = (answer_type, *wanted)
        rows = self._db.run("read reliability", lambda conn: conn.execute(sql, params).fetchall())
        counts = {model: (agreed, n - agreed) for model, agreed, n in rows}
        return {
            model: Reliability(prior_a + agreed, prior_b + disagreed, (prior_a, prior_b))
            for model in wanted
            for agreed, disagreed in [counts.get(model, (0.0, 0.0))]
        }

    def model_stats(self, models: Sequence[str] | None = None) -> dict[str, ModelStats]:
        """Per-model stats measured from recorded calls; models with no calls are left out.

        Latency is the median over successful calls only: a failure's latency is time to fail.
        """
        params = tuple(dict.fromkeys(models)) if models is not None else ()
        if models is not None and not params:
            return {}
        where = f"WHERE model IN ({', '.join('?' * len(params))})" if params else "WHERE TRUE"

        def read(conn: sqlite3.Connection) -> tuple[list, dict[str, list[float]]]:
            totals = conn.execute(
                f"SELECT model, COUNT(*), COUNT(error), AVG(cost_usd) FROM calls {where} GROUP BY model ORDER BY model",
                params,
            ).fetchall()
            latencies: dict[str, list[float]] = {}
            ok = f"{where} AND error IS NULL AND latency_s IS NOT NULL"
            for model, latency in conn.execute(f"SELECT model, latency_s FROM calls {ok}", params):
                latencies.setdefault(model, []).append(latency)
            return totals, latencies

        totals, latencies = self._db.run("read model stats", read)
        stats = {}
        for model, calls, errors, mean_cost in totals:
            latency = statistics.median(latencies[model]) if model in latencies else None
            stats[model] = ModelStats(model, calls, errors, (calls - errors) / calls, latency, mean_cost)
        return stats

    def save_exchange(self, run_id: str, model: str, messages: Sequence[Mapping[str, Any]]) -> None:
        """Keep ``model``'s conversation in run ``run_id`` (replaces an earlier one) for a follow-up."""
        values = (run_id, model, _dumps(_scrub(list(messages))), self._clock())

        def save(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM exchanges WHERE run_id = ? AND model = ?", values[:2])
            conn.execute("INSERT INTO exchanges (run_id, model, messages, created_at) VALUES (?, ?, ?, ?)", values)

        self._db.run("save an exchange", save, write=True)

    def exchanges(self, run_id: str) -> dict[str, list[dict]]:
        """Each model's conversation in run ``run_id``, by model id (empty for an unknown run)."""
        sql = "SELECT model, messages FROM exchanges WHERE run_id = ? ORDER BY id"
        rows = self._db.run("read exchanges", lambda conn: conn.execute(sql, (run_id,)).fetchall())
        return {model: json.loads(messages) for model, messages in rows}

    def mark_interrupted(self) -> list[str]:
        """Mark ``interrupted`` the running runs whose owner process is gone (killed, crashed); runs of live
        processes sharing the store, and of other hosts, are left alone. Returns the ids marked."""

        def mark(conn: sqlite3.Connection) -> list[str]:
            rows = conn.execute(
                "SELECT id, owner_pid, owner_host, owner_start FROM runs WHERE status = 'running' "
                "AND owner_pid IS NOT NULL"
            ).fetchall()
            dead = [row["id"] for row in rows if not Owner(row[1], row[2], row[3]).alive()]
            for run_id in dead:
                conn.execute(
                    "UPDATE runs SET status = 'interrupted', finished_at = ?, error = ? WHERE id = ?",
                    (self._clock(), INTERRUPTED, run_id),
                )
            return dead

        return self._db.run("mark interrupted runs", mark, write=True)

    def cancel_own_running(self) -> list[str]:
        """Mark ``cancelled`` the runs this process still has running (it is shutting down)."""
        owner = self._owner

        def mark(conn: sqlite3.Connection) -> list[str]:
            rows = conn.execute(
                "SELECT id FROM runs WHERE status = 'running' AND owner_pid = ? AND owner_host = ? "
                "AND owner_start IS ?",
                (owner.pid, owner.host, owner.started),
            ).fetchall()
            ids = [row["id"] for row in rows]
            conn.executemany(
                "UPDATE runs SET status = 'cancelled', finished_at = ?, error = ? WHERE id = ?",
                [(self._clock(), STOPPED, run_id) for run_id in ids],
            )
            return ids

        return self._db.run("cancel this server's runs", mark, write=True)

    def close(self) -> None:
        """Close the connection; any later call raises StoreError."""
        self._db.close()


def _scrub(value: Any) -> Any:
    """A copy of ``value`` without secret-named keys and with long data URLs elided."""
    if isinstance(value, Mapping):
        return {str(k): _scrub(v) for k, v in value.items() if not _SECRET_NAME.search(str(k))}
    if isinstance(value, (list, tuple)):
        return [_scrub(item) for item in value]
    if isinstance(value, str) and value.startswith("data:") and len(value) > _DATA_URL_KEEP:
        return f"{value.split(',', 1)[0]},<{len(value)} chars elided>"
    return value


@overload
def _redact(text: str) -> str: ...
@overload
def _redact(text: str | None) -> str | None: ...
def _redact(text: str | None) -> str | None:
    return _SECRET_VALUE.sub(_REDACTED, text) if text else text


def _dumps(value: Any) -> str:
    # Redacting the JSON text also covers objects that default=str turned into text.
    return _redact(json.dumps(value, ensure_ascii=False, default=str))
