"""The run store's schema as numbered migrations, each applied once and recorded in ``migrations``.

A new table or column is a new entry at the end of ``MIGRATIONS``; an entry is never edited once
released, because databases in the field have already applied it. Files written before migrations
were recorded carry ``PRAGMA user_version = 1`` and are taken to have applied migration 1.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

from ..errors import StoreError

Step = Callable[[sqlite3.Connection], None]


def _statements(*sql: str) -> Step:
    def apply(conn: sqlite3.Connection) -> None:
        # Statement by statement: executescript() would commit the open transaction.
        for statement in sql:
            conn.execute(statement)

    return apply


_INITIAL = _statements(
    """CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY, tool TEXT NOT NULL, status TEXT NOT NULL, created_at REAL NOT NULL,
        finished_at REAL, arguments TEXT NOT NULL, summary TEXT, result TEXT, error TEXT,
        cost_usd REAL)""",
    "CREATE INDEX IF NOT EXISTS runs_created ON runs (created_at)",
    """CREATE TABLE IF NOT EXISTS calls (
        id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, model TEXT NOT NULL, role TEXT NOT NULL,
        created_at REAL NOT NULL, answer TEXT, excerpt TEXT, latency_s REAL, cost_usd REAL,
        cost_source TEXT, prompt_tokens INTEGER, completion_tokens INTEGER, error TEXT,
        generation_id TEXT)""",
    "CREATE INDEX IF NOT EXISTS calls_run ON calls (run_id)",
    "CREATE INDEX IF NOT EXISTS calls_model ON calls (model)",
    "CREATE INDEX IF NOT EXISTS calls_created ON calls (created_at)",
    """CREATE TABLE IF NOT EXISTS outcomes (
        id INTEGER PRIMARY KEY, model TEXT NOT NULL, answer_type TEXT NOT NULL,
        agreed INTEGER NOT NULL, run_id TEXT, created_at REAL NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS outcomes_type_model ON outcomes (answer_type, model)",
)

_CALL_DETAILS = _statements(
    # Every call keeps what its Completion says: who was asked, who served, and the token split.
    "ALTER TABLE calls ADD COLUMN requested_model TEXT",
    "ALTER TABLE calls ADD COLUMN provider TEXT",
    "ALTER TABLE calls ADD COLUMN reasoning_tokens INTEGER",
    "ALTER TABLE calls ADD COLUMN cached_tokens INTEGER",
    # The role was once also written into the model name; the name is the model id again.
    "UPDATE calls SET model = substr(model, 1, length(model) - length(' (aggregator)')) "
    "WHERE role = 'aggregator' AND model LIKE '% (aggregator)'",
    # 'answer' meant a single chat call or a panel member, by the run's tool.
    "UPDATE calls SET role = CASE WHEN (SELECT tool FROM runs WHERE runs.id = calls.run_id) = 'chat' "
    "THEN 'single' ELSE 'panelist' END WHERE role = 'answer'",
)

_BENCHMARKS = _statements(
    """CREATE TABLE IF NOT EXISTS benchmarks (
        id TEXT PRIMARY KEY, run_id TEXT, created_at REAL NOT NULL, label TEXT, models TEXT NOT NULL,
        prompts INTEGER NOT NULL, runs INTEGER NOT NULL, cost_usd REAL, result TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS benchmarks_created ON benchmarks (created_at)",
    # One row per contestant x prompt x run; 'correct' is ground truth when an expected answer was given.
    """CREATE TABLE IF NOT EXISTS benchmark_trials (
        id INTEGER PRIMARY KEY, benchmark_id TEXT NOT NULL, contestant TEXT NOT NULL, prompt_index INTEGER NOT NULL,
        run INTEGER NOT NULL, status TEXT NOT NULL, ttft_s REAL, latency_s REAL, completion_tokens INTEGER,
        cost_usd REAL, answer TEXT, correct INTEGER, score REAL, error TEXT, created_at REAL NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS benchmark_trials_contestant ON benchmark_trials (contestant)",
    # Free-model routing: every attempt (for learned success, latency and the daily count) and cooldowns.
    """CREATE TABLE IF NOT EXISTS free_attempts (
        id INTEGER PRIMARY KEY, model TEXT NOT NULL, created_at REAL NOT NULL, ok INTEGER NOT NULL,
        latency_s REAL, status INTEGER, error TEXT)""",
    "CREATE INDEX IF NOT EXISTS free_attempts_created ON free_attempts (created_at)",
    "CREATE INDEX IF NOT EXISTS free_attempts_model ON free_attempts (model)",
    "CREATE TABLE IF NOT EXISTS free_cooldowns (model TEXT PRIMARY KEY, until REAL NOT NULL, reason TEXT)",
)

# Numbers 3 and 4 are taken by work in progress: add them before 5 so the tuple stays in order.
_RUN_OWNERS = _statements(
    # The process that runs a run: a server starting later marks runs of dead owners interrupted.
    "ALTER TABLE runs ADD COLUMN owner_pid INTEGER",
    "ALTER TABLE runs ADD COLUMN owner_host TEXT",
    "ALTER TABLE runs ADD COLUMN owner_start TEXT",
    "CREATE INDEX IF NOT EXISTS runs_status ON runs (status)",
)

_EXCHANGES = _statements(
    # Each model's own exchange of a run (its messages and its last reply), for follow-ups (continue_from).
    """CREATE TABLE IF NOT EXISTS exchanges (
        id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, model TEXT NOT NULL, messages TEXT NOT NULL,
        created_at REAL NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS exchanges_run ON exchanges (run_id)",
)

_BALLOTS = _statements(
    # What each model answered in each closed-answer run (reliability without labels, completion lengths),
    # the answer each run gave, and the user's verdict on it (ground truth).
    """CREATE TABLE IF NOT EXISTS ballots (
        id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, model TEXT NOT NULL, answer_type TEXT NOT NULL,
        key TEXT, completion_tokens INTEGER, created_at REAL NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ballots_run ON ballots (run_id)",
    "CREATE INDEX IF NOT EXISTS ballots_model_type ON ballots (model, answer_type)",
    """CREATE TABLE IF NOT EXISTS run_answers (
        run_id TEXT PRIMARY KEY, answer_type TEXT NOT NULL, key TEXT, created_at REAL NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS run_answers_type ON run_answers (answer_type, created_at)",
    "CREATE TABLE IF NOT EXISTS feedback (run_id TEXT PRIMARY KEY, verdict TEXT NOT NULL, created_at REAL NOT NULL)",
)

MIGRATIONS: tuple[tuple[int, str, Step], ...] = (
    (1, "runs, calls and outcomes", _INITIAL),
    (2, "call details from the completion; the role only in its column", _CALL_DETAILS),
    (3, "the owner process of each run", _RUN_OWNERS),
    (4, "ballots per closed-answer run, each run's answer and the user's feedback on it", _BALLOTS),
    (5, "benchmarks and their trials; free-model attempts and cooldowns", _BENCHMARKS),
    (6, "each model's exchange of a run, for follow-ups", _EXCHANGES),
)
LATEST = max(version for version, _, _ in MIGRATIONS)
_LEGACY_VERSION = 1  # PRAGMA user_version of files written before this table existed


def migrate(conn: sqlite3.Connection, clock: Callable[[], float] = time.time) -> None:
    """Apply the migrations this file lacks, once, however many processes open it at the same time."""
    if _version(conn) == LATEST and _recorded(conn) >= {version for version, _, _ in MIGRATIONS}:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL)"
        )
        applied = {row[0] for row in conn.execute("SELECT version FROM migrations")}
        version = max(applied | {_version(conn)})
        if version > LATEST:
            raise StoreError(
                f"The run store was written by a newer orcollective (schema {version}); upgrade orcollective."
            )
        if not applied and version == _LEGACY_VERSION:
            conn.execute("INSERT INTO migrations VALUES (1, ?, NULL)", (MIGRATIONS[0][1],))
            applied.add(1)
        for version, name, step in MIGRATIONS:
            if version not in applied:
                step(conn)
                conn.execute("INSERT INTO migrations VALUES (?, ?, ?)", (version, name, clock()))
        conn.execute(f"PRAGMA user_version = {LATEST}")
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


def applied_versions(conn: sqlite3.Connection) -> list[int]:
    """The migration numbers recorded in this database, in order."""
    return [row[0] for row in conn.execute("SELECT version FROM migrations ORDER BY version")]


def _recorded(conn: sqlite3.Connection) -> set[int]:
    try:
        return {row[0] for row in conn.execute("SELECT version FROM migrations")}
    except sqlite3.OperationalError:  # no migrations table yet
        return set()


def _version(conn: sqlite3.Connection) -> int:
    # user_version mirrors the latest applied migration (files from before the migrations table have 1).
    return conn.execute("PRAGMA user_version").fetchone()[0]
