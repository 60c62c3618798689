"""Numbered migrations: a new file gets them all, an old file is upgraded in place, a newer one refused."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from orcollective.errors import StoreError
from orcollective.store import RunStore
from orcollective.store.migrations import LATEST, MIGRATIONS, applied_versions

V1_FILE = Path(__file__).parent / "data" / "runs_v1.sqlite3"  # written by orcollective 0.1.0


def versions(db: Path) -> list[int]:
    conn = sqlite3.connect(db)
    try:
        return applied_versions(conn)
    finally:
        conn.close()


def test_a_new_store_applies_every_migration_once(tmp_path: Path) -> None:
    """A fresh file records each numbered migration, and opening it again applies none."""
    db = tmp_path / "runs.sqlite3"
    RunStore(db).close()
    assert versions(db) == [number for number, _, _ in MIGRATIONS]
    RunStore(db).close()
    assert versions(db) == [number for number, _, _ in MIGRATIONS]
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == LATEST


def test_a_store_of_version_1_is_upgraded_in_place_without_losing_runs(tmp_path: Path) -> None:
    """The 0.1.0 file keeps its runs, calls, ledger and outcomes; roles move out of model names."""
    db = tmp_path / "runs.sqlite3"
    shutil.copy(V1_FILE, db)
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == 1

    store = RunStore(db)
    try:
        runs = store.list_runs()
        assert sorted(r["tool"] for r in runs) == ["chat", "consensus"]
        consensus = store.get_run(next(r["id"] for r in runs if r["tool"] == "consensus"))
        chat = store.get_run(next(r["id"] for r in runs if r["tool"] == "chat"))
        assert consensus["result"] == {"answer": "A) x"}
        assert [(c["model"], c["role"]) for c in consensus["calls"]] == [
            ("sim/alpha", "panelist"),
            ("sim/beta", "panelist"),
            ("sim/judge", "aggregator"),
        ]
        assert [(c["model"], c["role"], c["generation_id"]) for c in chat["calls"]] == [
            ("sim/alpha", "single", "gen-1")
        ]
        assert store.ledger()["total_usd"] == pytest.approx(0.001)
        assert store.reliability(["sim/alpha"], "choice")["sim/alpha"].n == 1
        # The new columns exist and take values.
        store.record_call(chat["id"], "sim/alpha", role="single", provider="Sim", requested_model="sim/alpha")
        assert store.get_run(chat["id"])["calls"][-1]["provider"] == "Sim"
    finally:
        store.close()
    assert versions(db) == [number for number, _, _ in MIGRATIONS]


def test_a_store_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    """A migration number past ours means a newer orcollective wrote the file: refuse, change nothing."""
    db = tmp_path / "runs.sqlite3"
    RunStore(db).close()
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO migrations VALUES (?, 'from the future', NULL)", (LATEST + 1,))
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer orcollective"):
        RunStore(db)
    assert versions(db)[-1] == LATEST + 1


def test_an_unknown_role_is_refused(tmp_path: Path) -> None:
    """The role column takes only the known roles; a suffix-style name is not a role."""
    store = RunStore(tmp_path / "runs.sqlite3")
    try:
        run_id = store.start_run("consensus", {})
        with pytest.raises(StoreError, match="role"):
            store.record_call(run_id, "a/x", role="answer (aggregator)")
    finally:
        store.close()
