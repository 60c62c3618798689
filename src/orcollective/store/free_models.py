"""Free-model routing state: every attempt on a free model, and the cooldowns 429s put models in.

Attempts give the learned success rate and latency per model, and the count of free requests sent
today; a cooldown row says a model (or ``ACCOUNT`` for the whole free tier) may not be asked before
``until`` (unix seconds).
"""

from __future__ import annotations

import sqlite3
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from .runs import RunStore

ACCOUNT = "*"  # the cooldown key of an account-wide limit (the daily free quota)


@dataclass(frozen=True)
class FreeStats:
    model: str
    attempts: int
    successes: int
    median_latency_s: float | None


@dataclass(frozen=True)
class Cooldown:
    model: str
    until: float
    reason: str | None


def record_attempt(
    store: RunStore, model: str, *, ok: bool, latency_s: float | None, status: int | None, error: str | None
) -> None:
    values = (model, store._clock(), int(ok), latency_s, status, error)
    sql = "INSERT INTO free_attempts (model, created_at, ok, latency_s, status, error) VALUES (?, ?, ?, ?, ?, ?)"
    store._db.run("record a free attempt", lambda conn: conn.execute(sql, values), write=True)


FELL_THROUGH = 0  # the status of a model skipped inside one ``models[]`` request: not a request of its own


def attempts_since(store: RunStore, since: float) -> int:
    """Free requests sent since ``since`` (what the daily quota counts: one per request, not per fallback)."""
    sql = f"SELECT COUNT(*) FROM free_attempts WHERE created_at >= ? AND (status IS NULL OR status <> {FELL_THROUGH})"
    return int(store._db.run("count free attempts", lambda conn: conn.execute(sql, (since,)).fetchone()[0]))


def stats(store: RunStore, models: Sequence[str]) -> dict[str, FreeStats]:
    """Learned behaviour per model; models never tried are left out."""
    wanted = tuple(dict.fromkeys(models))
    if not wanted:
        return {}
    where = f"model IN ({', '.join('?' * len(wanted))})"

    def read(conn: sqlite3.Connection) -> dict[str, FreeStats]:
        counts = conn.execute(
            f"SELECT model, COUNT(*), TOTAL(ok) FROM free_attempts WHERE {where} GROUP BY model", wanted
        ).fetchall()
        latencies: dict[str, list[float]] = {}
        for model, latency in conn.execute(
            f"SELECT model, latency_s FROM free_attempts WHERE {where} AND ok = 1 AND latency_s IS NOT NULL", wanted
        ):
            latencies.setdefault(model, []).append(latency)
        return {
            model: FreeStats(model, n, int(ok), statistics.median(latencies[model]) if model in latencies else None)
            for model, n, ok in counts
        }

    return store._db.run("read free-model stats", read)


def set_cooldown(store: RunStore, model: str, until: float, reason: str | None) -> None:
    sql = (
        "INSERT INTO free_cooldowns (model, until, reason) VALUES (?, ?, ?) "
        "ON CONFLICT (model) DO UPDATE SET until = MAX(until, excluded.until), reason = excluded.reason"
    )
    store._db.run("set a cooldown", lambda conn: conn.execute(sql, (model, until, reason)), write=True)


def cooldowns(store: RunStore, now: float) -> dict[str, Cooldown]:
    """Cooldowns still running at ``now``."""
    sql = "SELECT model, until, reason FROM free_cooldowns WHERE until > ?"
    rows = store._db.run("read cooldowns", lambda conn: conn.execute(sql, (now,)).fetchall())
    return {model: Cooldown(model, until, reason) for model, until, reason in rows}
