"""Tests for the SQLite run store, on real files in tmp_path."""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from orcollective import store as store_module
from orcollective.errors import StoreError
from orcollective.store import Reliability, RunStore
from orcollective.store.migrations import LATEST

DAY = 86_400.0
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
KEY = "sk-or-v1-0123456789abcdef0123456789abcdef"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float = 1.0) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "runs.sqlite3"


@pytest.fixture
def store(db: Path, clock: Clock):
    s = RunStore(db, clock=clock)
    yield s
    s.close()


def test_run_lifecycle(store: RunStore, clock: Clock) -> None:
    """A run goes running -> done, keeps its arguments, result and calls in order."""
    run_id = store.start_run("consensus", {"prompt": "2+2?", "models": ["a/x", "b/y"]})
    assert re.fullmatch(r"r_[0-9a-f]{10}", run_id)
    started = store.get_run(run_id)
    assert started["status"] == "running" and started["finished_at"] is None
    assert started["arguments"] == {"prompt": "2+2?", "models": ["a/x", "b/y"]}
    assert started["cost_usd"] is None and started["calls"] == []

    store.record_call(
        run_id,
        "a/x",
        answer="4",
        latency_s=1.5,
        cost_usd=0.002,
        cost_source="usage",
        prompt_tokens=10,
        completion_tokens=3,
        generation_id="gen-1",
    )
    store.record_call(run_id, "b/y", error="timeout", latency_s=30.0)
    clock.tick(5)
    store.finish_run(run_id, status="done", result={"answer": "4", "confidence": 0.5})

    run = store.get_run(run_id)
    assert run["status"] == "done"
    assert run["created_at"] == T0 and run["finished_at"] == T0 + 5
    assert run["result"] == {"answer": "4", "confidence": 0.5}
    assert run["cost_usd"] == pytest.approx(0.002)  # summed from calls when the run gives none
    assert [c["model"] for c in run["calls"]] == ["a/x", "b/y"]
    first = run["calls"][0]
    assert (first["answer"], first["prompt_tokens"], first["generation_id"]) == ("4", 10, "gen-1")
    assert run["calls"][1]["error"] == "timeout"

    store.finish_run(run_id, status="done", cost_usd=0.01)
    assert store.get_run(run_id)["cost_usd"] == 0.01
    assert store.get_run(run_id)["result"] == {"answer": "4", "confidence": 0.5}


def test_run_ids_are_unique(store: RunStore) -> None:
    """Run ids are distinct across many runs."""
    ids = {store.start_run("chat", {}) for _ in range(300)}
    assert len(ids) == 300


def test_unknown_runs_and_statuses(store: RunStore) -> None:
    """An unknown run reads as None; finishing it or using a bad status raises StoreError."""
    assert store.get_run("r_0000000000") is None
    with pytest.raises(StoreError):
        store.finish_run("r_0000000000", status="done")
    run_id = store.start_run("chat", {})
    with pytest.raises(StoreError):
        store.finish_run(run_id, status="finished")
    store.finish_run(run_id, status="cancelled", error="client cancelled")
    assert store.get_run(run_id)["error"] == "client cancelled"


def test_list_runs_newest_first_with_paging_and_filters(store: RunStore, clock: Clock) -> None:
    """list_runs is newest first, pages with limit/offset and filters by tool and status."""
    ids = []
    for i in range(5):
        clock.tick()
        ids.append(store.start_run("chat" if i % 2 else "consensus", {"prompt": f"question {i}"}))
    store.record_call(ids[4], "a/x", cost_usd=0.5)
    store.record_call(ids[4], "b/y", cost_usd=0.25)
    store.finish_run(ids[0], status="error", error="boom")

    rows = store.list_runs()
    assert [r["id"] for r in rows] == ids[::-1]
    assert rows[0]["n_calls"] == 2 and rows[0]["cost_usd"] == pytest.approx(0.75)
    assert rows[0]["summary"] == "question 4"
    assert set(rows[0]) >= {"id", "tool", "status", "created_at", "finished_at", "cost_usd", "n_calls"}
    assert [r["id"] for r in store.list_runs(limit=2, offset=1)] == [ids[3], ids[2]]
    assert [r["id"] for r in store.list_runs(tool="chat")] == [ids[3], ids[1]]
    assert [r["id"] for r in store.list_runs(status="error")] == [ids[0]]
    assert store.list_runs(tool="chat", status="error") == []
    with pytest.raises(StoreError):
        store.list_runs(limit=-1)


def test_list_runs_same_tick_and_long_prompt(store: RunStore) -> None:
    """Runs started in one clock tick still list newest first; the summary is 120 chars."""
    first = store.start_run("chat", {"prompt": "x" * 500})
    second = store.start_run("chat", {"messages": [{"role": "user", "content": "hi"}]})
    rows = store.list_runs()
    assert [r["id"] for r in rows] == [second, first]
    assert rows[0]["summary"] is None and rows[1]["summary"] == "x" * 120


def test_persists_across_reopen(db: Path, clock: Clock) -> None:
    """Runs, calls and outcomes survive closing and reopening the file."""
    s = RunStore(db, clock=clock)
    run_id = s.start_run("consensus", {"prompt": "p"})
    s.record_call(run_id, "a/x", cost_usd=0.1)
    s.finish_run(run_id, status="done", result={"answer": "B"})
    s.record_outcome("a/x", "choice", True, run_id=run_id)
    s.close()

    again = RunStore(db, clock=clock)
    try:
        assert again.get_run(run_id)["result"] == {"answer": "B"}
        assert again.ledger()["total_usd"] == pytest.approx(0.1)
        assert again.reliability(["a/x"], "choice")["a/x"].n == 1
        assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == LATEST
    finally:
        again.close()


def test_ledger_sums_and_groups(store: RunStore, clock: Clock) -> None:
    """The ledger sums call costs by model, tool and UTC day, and honours since."""
    chat = store.start_run("chat", {})
    store.record_call(chat, "a/x", cost_usd=0.10)
    store.record_call(chat, "b/y", cost_usd=0.05)
    clock.tick(DAY - 1)  # 23:59:59 on day one
    consensus = store.start_run("consensus", {})
    store.record_call(consensus, "a/x", cost_usd=0.20)
    clock.tick(2)  # just past midnight UTC: day two
    store.record_call(consensus, "c/z", cost_usd=0.40)
    store.record_call(consensus, "b/y", error="rate limited")  # counted, costs nothing

    ledger = store.ledger()
    assert ledger["total_usd"] == pytest.approx(0.75) and ledger["calls"] == 5
    assert [(m["model"], m["calls"]) for m in ledger["by_model"]] == [("c/z", 1), ("a/x", 2), ("b/y", 2)]
    assert [m["cost_usd"] for m in ledger["by_model"]] == pytest.approx([0.40, 0.30, 0.05])
    assert [(t["tool"], t["calls"]) for t in ledger["by_tool"]] == [("consensus", 3), ("chat", 2)]
    assert [t["cost_usd"] for t in ledger["by_tool"]] == pytest.approx([0.60, 0.15])
    assert [(d["day"], d["calls"]) for d in ledger["by_day"]] == [("2026-01-02", 2), ("2026-01-01", 3)]
    assert [d["cost_usd"] for d in ledger["by_day"]] == pytest.approx([0.40, 0.35])

    recent = store.ledger(since=T0 + DAY)
    assert recent["calls"] == 2 and recent["total_usd"] == pytest.approx(0.40)
    assert [d["day"] for d in recent["by_day"]] == ["2026-01-02"]


def test_ledger_empty(store: RunStore) -> None:
    """An empty store has a zero ledger."""
    assert store.ledger() == {"total_usd": 0.0, "calls": 0, "by_model": [], "by_tool": [], "by_day": []}


def test_reliability_posterior(store: RunStore) -> None:
    """Agreements raise alpha, disagreements raise beta, per answer type, starting at the prior."""
    for _ in range(8):
        store.record_outcome("good/m", "choice", True)
        store.record_outcome("bad/m", "choice", False)
    store.record_outcome("good/m", "number", False)

    rel = store.reliability(["good/m", "bad/m", "new/m"], "choice")
    assert rel["good/m"] == Reliability(9.0, 1.0)
    assert rel["bad/m"] == Reliability(1.0, 9.0)
    assert rel["new/m"] == Reliability(1.0, 1.0) and rel["new/m"].n == 0
    assert rel["good/m"].mean == pytest.approx(0.9) and rel["good/m"].n == 8
    assert rel["good/m"].mean > rel["new/m"].mean > rel["bad/m"].mean

    number = store.reliability(["good/m"], "number", prior=(2.0, 3.0))["good/m"]
    assert (number.alpha, number.beta, number.n) == (2.0, 4.0, 1)
    assert store.reliability([], "choice") == {}
    with pytest.raises(StoreError):
        store.reliability(["good/m"], "choice", prior=(0.0, 1.0))


def test_model_stats(store: RunStore) -> None:
    """model_stats measures calls, errors, success rate, median latency and mean cost."""
    run_id = store.start_run("benchmark", {})
    for latency, cost in [(1.0, 0.01), (3.0, 0.03), (2.0, None), (10.0, 0.02)]:
        store.record_call(run_id, "a/x", latency_s=latency, cost_usd=cost)
    store.record_call(run_id, "a/x", latency_s=99.0, error="timeout")
    store.record_call(run_id, "b/y", latency_s=4.0, cost_usd=0.5)

    stats = store.model_stats()
    a = stats["a/x"]
    assert (a.calls, a.errors, a.success_rate) == (5, 1, 0.8)
    assert a.median_latency_s == 2.5  # failed calls' latency is left out
    assert a.mean_cost_usd == pytest.approx(0.02)
    assert stats["b/y"].median_latency_s == 4.0
    assert list(store.model_stats(["b/y", "never/called"])) == ["b/y"]
    assert store.model_stats([]) == {}


def test_never_stores_api_keys(db: Path, store: RunStore) -> None:
    """Secret-named keys are dropped and sk-or- keys redacted everywhere, on disk too."""
    run_id = store.start_run(
        "chat",
        {
            "prompt": f"my key is {KEY}, use it",
            "api_key": KEY,
            "Authorization": f"Bearer {KEY}",
            "key": "plain-secret",
            "provider": {"x-api-key": "hidden", "order": ["openai"]},
            "messages": [{"role": "user", "content": f"token={KEY}"}],
            "max_tokens": 100,
        },
    )
    store.record_call(run_id, "a/x", answer=f"echo {KEY}", excerpt=KEY, error=f"401 for {KEY}")
    store.finish_run(run_id, status="error", error=f"bad key {KEY}", result={"api_key": KEY, "ok": KEY})

    run = store.get_run(run_id)
    assert run["arguments"] == {
        "prompt": "my key is [redacted], use it",
        "provider": {"order": ["openai"]},
        "messages": [{"role": "user", "content": "token=[redacted]"}],
        "max_tokens": 100,
    }
    assert run["result"] == {"ok": "[redacted]"}
    assert store.list_runs()[0]["summary"] == "my key is [redacted], use it"
    on_disk = b"".join(p.read_bytes() for p in db.parent.iterdir())
    assert KEY.encode() not in on_disk and b"sk-or-" not in on_disk and b"plain-secret" not in on_disk


def test_data_urls_are_elided(store: RunStore) -> None:
    """A large image data URL in the arguments is stored as its media type and size only."""
    url = "data:image/png;base64," + "A" * 10_000
    run_id = store.start_run("consensus", {"images": [url]})
    assert store.get_run(run_id)["arguments"]["images"] == [f"data:image/png;base64,<{len(url)} chars elided>"]


def test_garbage_file_is_moved_aside(db: Path, clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    """Opening a file of garbage bytes moves it aside and starts a fresh, working store."""
    db.parent.mkdir(parents=True)
    garbage = b"this is not sqlite\x00" * 512
    db.write_bytes(garbage)
    with caplog.at_level(logging.WARNING, logger="orcollective.store"):
        s = RunStore(db, clock=clock)
    try:
        aside = db.with_name(f"{db.name}.corrupt-20260101T000000Z")
        assert aside.read_bytes() == garbage
        assert any("corrupt" in r.message for r in caplog.records)
        run_id = s.start_run("chat", {})
        assert s.get_run(run_id)["status"] == "running"
    finally:
        s.close()


def test_corruption_after_open_is_rebuilt(db: Path, store: RunStore, caplog: pytest.LogCaptureFixture) -> None:
    """Damage found by a later operation moves the file aside and the operation succeeds."""
    old = store.start_run("chat", {"prompt": "before"})
    for _ in range(50):
        store.record_call(old, "a/x", answer="y" * 400)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = other.execute("PRAGMA page_size").fetchone()[0]
    with open(db, "r+b") as f:  # keep the header page, overwrite every table page
        f.seek(page)
        f.write(b"\xde\xad\xbe\xef" * ((db.stat().st_size - page) // 4))
    other.execute("PRAGMA user_version = 1")  # another writer: this process must re-read the pages
    other.close()

    with caplog.at_level(logging.WARNING, logger="orcollective.store"):
        new = store.start_run("chat", {"prompt": "after"})
    assert list(db.parent.glob("runs.sqlite3.corrupt-*"))
    assert any("corrupt" in r.message for r in caplog.records)
    assert store.get_run(old) is None
    assert store.get_run(new)["arguments"] == {"prompt": "after"}


def test_newer_schema_is_refused(db: Path) -> None:
    """A file from a newer schema version raises StoreError instead of being rewritten."""
    db.parent.mkdir(parents=True)
    raw = sqlite3.connect(db)
    raw.execute("PRAGMA user_version = 99")
    raw.close()
    with pytest.raises(StoreError, match="newer"):
        RunStore(db)


def test_locked_database_raises_store_error_quickly(db: Path, clock: Clock) -> None:
    """A write blocked past busy_timeout raises StoreError (chaining sqlite's error), not a hang."""
    s = RunStore(db, clock=clock, busy_timeout=0.1)
    run_id = s.start_run("chat", {})
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO outcomes (model, answer_type, agreed, created_at) VALUES ('m', 't', 1, 0)")
    try:
        started = time.monotonic()
        with pytest.raises(StoreError, match="locked") as info:
            s.record_call(run_id, "a/x", cost_usd=0.1)
        assert time.monotonic() - started < 2
        assert isinstance(info.value.__cause__, sqlite3.OperationalError)
        assert s.get_run(run_id)["status"] == "running"  # WAL readers are not blocked
    finally:
        holder.rollback()
        holder.close()
    s.record_call(run_id, "a/x", cost_usd=0.1)
    assert s.ledger()["calls"] == 1
    s.close()


def test_closed_store_raises_store_error(store: RunStore) -> None:
    """Any call after close raises StoreError."""
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.list_runs()


def test_threads_share_one_store(store: RunStore) -> None:
    """Concurrent writes from many threads (as asyncio.to_thread does) all land."""
    run_id = store.start_run("consensus", {})

    def write(n: int) -> None:
        for _ in range(50):
            store.record_call(run_id, f"m/{n}", cost_usd=0.001)
            store.record_outcome(f"m/{n}", "choice", True)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.get_run(run_id)["calls"]) == 400
    assert store.reliability(["m/3"], "choice")["m/3"].n == 50


CHILD = """
import sys
from pathlib import Path
from orcollective.store import RunStore
store = RunStore(Path(sys.argv[1]))
print("ready", flush=True)
sys.stdin.readline()
run_id = store.start_run("child", {})
for _ in range(int(sys.argv[2])):
    store.record_call(run_id, "child/model", cost_usd=0.001)
store.finish_run(run_id, status="done")
store.close()
"""


def test_two_processes_write_concurrently(db: Path) -> None:
    """A second process writing the same file at the same time loses no rows on either side."""
    n = 1000
    parent = RunStore(db)
    src = str(Path(store_module.__file__).parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), str(n)],
        env=env,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        child.stdin.write("go\n")
        child.stdin.flush()
        run_id = parent.start_run("parent", {})
        for _ in range(n):
            parent.record_call(run_id, "parent/model", cost_usd=0.001)
        assert child.wait(timeout=30) == 0
    finally:
        if child.poll() is None:
            child.kill()
    ledger = parent.ledger()
    assert ledger["calls"] == 2 * n
    assert {m["model"]: m["calls"] for m in ledger["by_model"]} == {"child/model": n, "parent/model": n}
    assert [r["status"] for r in parent.list_runs(tool="child")] == ["done"]
    parent.close()


def test_implausible_costs_never_reach_the_ledger_total(store: RunStore, db: Path) -> None:
    """A NaN, negative or huge cost is stored as unknown; an inf already in an old file is left out of sums."""
    run_id = store.start_run("chat", {})
    for cost in (float("nan"), -5.0, 1e308, 0.25):
        store.record_call(run_id, "a/x", cost_usd=cost)
    raw = sqlite3.connect(db)
    raw.execute("INSERT INTO calls (run_id, model, role, created_at, cost_usd) VALUES (?, 'b/y', 'single', 0, ?)",
                (run_id, float("inf")))  # fmt: skip
    raw.commit()
    raw.close()
    ledger = store.ledger()
    assert ledger["total_usd"] == pytest.approx(0.25)
    assert all(row["cost_usd"] >= 0 and row["cost_usd"] < 1e6 for row in ledger["by_model"])
