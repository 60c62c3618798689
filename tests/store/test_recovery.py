"""A broken run store (garbage, truncated, a directory, a broken symlink...) is moved aside with a warning and a
fresh one started; no tool fails because of it, whether found at start-up or under a running server."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from mcp import Client
from mcp.client.stdio import stdio_client

from conftest import no_wait, server_env, settings_for
from orcollective.cli.doctor import server_params
from orcollective.mcp import build_server
from orcollective.store import RunStore

MC = "Which gas do plants absorb?\nA) Oxygen\nB) Carbon dioxide"


def filled(path: Path) -> str:
    """A store at ``path`` with one finished run of 100 calls, checkpointed into the main file."""
    store = RunStore(path)
    try:
        run_id = store.start_run("chat", {"prompt": "before"})
        for _ in range(100):
            store.record_call(run_id, "a/x", role="single", answer="y" * 400)
        store.finish_run(run_id, status="done")
    finally:
        store.close()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    return run_id


def cut(fraction: float) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * fraction)])

    return damage


def pages_overwritten(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[4096:] = os.urandom(len(data) - 4096)
    path.write_bytes(bytes(data))


def replaced_by(make: Callable[[Path], None]) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        path.unlink()
        make(path)

    return damage


def a_directory(path: Path) -> None:
    path.mkdir()
    (path / "stray").write_text("x")


BROKEN = {
    "garbage bytes": lambda p: p.write_bytes(os.urandom(20_000)),
    "truncated to half": cut(0.5),
    "truncated inside the header": lambda p: p.write_bytes(p.read_bytes()[:60]),
    "one page left": lambda p: p.write_bytes(p.read_bytes()[:4096]),
    "every page after the first overwritten": pages_overwritten,
    "a directory": replaced_by(a_directory),
    "a dangling symlink": replaced_by(lambda p: p.symlink_to(p.parent / "gone" / "runs.sqlite3")),
    "a symlink to itself": replaced_by(lambda p: p.symlink_to(p)),
    "a fifo": replaced_by(os.mkfifo),
}
# Damage beside the database: it keeps its runs.
SIDE = {
    "the -wal file is a directory": lambda p: Path(f"{p}-wal").mkdir(),
    "the -wal file is garbage": lambda p: Path(f"{p}-wal").write_bytes(os.urandom(10_000)),
    "the -shm file is garbage": lambda p: Path(f"{p}-shm").write_bytes(os.urandom(32_768)),
}


def integrity(path: Path) -> str:
    raw = sqlite3.connect(path)
    try:
        return raw.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        raw.close()


@pytest.mark.parametrize("damage", list(BROKEN))
def test_a_broken_store_is_moved_aside_and_a_fresh_one_started(tmp_path, caplog, damage):
    """The broken file is kept aside as runs.sqlite3.corrupt-<time>, a warning names both paths, and the fresh
    store takes runs at once."""
    path = tmp_path / "runs.sqlite3"
    filled(path)
    BROKEN[damage](path)
    with caplog.at_level(logging.WARNING, logger="orcollective.store"):
        store = RunStore(path)
    try:
        run_id = store.start_run("chat", {"prompt": "after"})
        store.record_call(run_id, "a/x", role="single", answer="z")
        store.finish_run(run_id, status="done")
        assert [run["id"] for run in store.list_runs()] == [run_id]
        assert store.mark_interrupted() == []
    finally:
        store.close()
    (aside,) = [p for p in tmp_path.iterdir() if p.name.startswith("runs.sqlite3.corrupt-")]
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert str(path) in warning and aside.name in warning and "fresh store" in warning
    assert path.is_file() and not path.is_symlink() and integrity(path) == "ok"


@pytest.mark.parametrize("damage", list(SIDE))
def test_damage_beside_the_database_keeps_its_runs(tmp_path, damage):
    """A -wal or -shm file that is garbage or a directory: the runs already in the database are still there."""
    path = tmp_path / "runs.sqlite3"
    old = filled(path)
    SIDE[damage](path)
    store = RunStore(path)
    try:
        new = store.start_run("chat", {})
        assert {run["id"] for run in store.list_runs()} == {old, new}
        assert len(store.get_run(old)["calls"]) == 100
    finally:
        store.close()
    assert integrity(path) == "ok"


@pytest.mark.parametrize("damage", ["garbage bytes", "truncated to half", "a directory"])
async def test_no_tool_fails_on_a_broken_store(simulator, tmp_path, caplog, damage):
    """A server starting on a broken store answers chat, consensus and runs; runs lists only the new runs."""
    settings = settings_for(simulator, tmp_path)
    settings.store_path.parent.mkdir(parents=True)
    filled(settings.store_path)
    BROKEN[damage](settings.store_path)
    with caplog.at_level(logging.WARNING, logger="orcollective.store"):
        async with Client(build_server(settings, retry=no_wait())) as client:
            chat = await client.call_tool("chat", {"model": "sim/echo", "prompt": "hi"})
            vote = await client.call_tool("consensus", {"prompt": MC, "models": ["sim/echo", "openai/gpt-4o"]})
            listed = await client.call_tool("runs", {})
            one = await client.call_tool("runs", {"run_id": vote.structured_content["run_id"]})
    assert not chat.is_error and not vote.is_error and not listed.is_error and not one.is_error
    assert one.structured_content["run"]["status"] == "done"
    assert "moved it to" in caplog.text
    assert list(settings.store_path.parent.glob("runs.sqlite3.corrupt-*"))


async def test_a_store_damaged_under_a_running_server_is_rebuilt(simulator, tmp_path, caplog):
    """The file is overwritten between two calls: the next call still answers and its run is recorded afresh."""
    settings = settings_for(simulator, tmp_path)
    async with Client(build_server(settings, retry=no_wait())) as client:
        first = await client.call_tool("chat", {"model": "sim/echo", "prompt": "one"})
        for _ in range(20):  # enough calls that the runs table spans pages past the first
            await client.call_tool("chat", {"model": "sim/echo", "prompt": "x" * 2000})
        raw = sqlite3.connect(settings.store_path, isolation_level=None)
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.close()
        pages_overwritten(settings.store_path)
        with caplog.at_level(logging.WARNING, logger="orcollective.store"):
            second = await client.call_tool("chat", {"model": "sim/echo", "prompt": "two"})
            listed = await client.call_tool("runs", {})
    assert not first.is_error and not second.is_error, second.content[0].text
    assert not listed.is_error
    assert second.structured_content["run_id"] in listed.content[0].text
    assert list(settings.store_path.parent.glob("runs.sqlite3.corrupt-*"))
    assert integrity(settings.store_path) == "ok"


async def test_an_uncreatable_store_costs_no_answer(simulator, tmp_path):
    """The data folder is a file, so no store can be made: chat and consensus still answer, and runs says in
    one line where to look."""
    settings = settings_for(simulator, tmp_path)
    settings.data_dir.write_text("not a folder")
    async with Client(build_server(settings, retry=no_wait())) as client:
        chat = await client.call_tool("chat", {"model": "sim/echo", "prompt": "hi"})
        vote = await client.call_tool("consensus", {"prompt": MC, "models": ["sim/echo", "openai/gpt-4o"]})
        listed = await client.call_tool("runs", {})
    assert not chat.is_error and chat.structured_content["text"] == "hi"
    assert not vote.is_error
    assert listed.is_error and listed.content[0].text == (
        "The run store is unavailable (see the server log); check ORCOLLECTIVE_DATA_DIR."
    )


@pytest.mark.e2e
async def test_the_warning_reaches_stderr(simulator, tmp_path):
    """Over stdio the move aside is one warning line on stderr, and the tools answer on stdout."""
    env = server_env(simulator, tmp_path, ORCOLLECTIVE_LOG_LEVEL="WARNING")
    path = tmp_path / "data" / "runs.sqlite3"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(8000))
    log = tmp_path / "stderr.log"
    with log.open("w") as errlog:
        async with Client(stdio_client(server_params(env), errlog=errlog), read_timeout_seconds=30) as client:
            chat = await client.call_tool("chat", {"model": "sim/echo", "prompt": "hi"})
    assert not chat.is_error
    lines = [line for line in log.read_text().splitlines() if "moved it to" in line]
    assert len(lines) == 1 and "WARNING" in lines[0] and "runs.sqlite3.corrupt-" in lines[0], log.read_text()
