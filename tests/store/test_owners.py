"""Runs end: a run whose server process died is marked interrupted; one a live process owns is not."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from orcollective.store import RunStore
from orcollective.store.owners import Owner, process_start

CHILD = """
import sys
from pathlib import Path
from orcollective.store import RunStore
store = RunStore(Path(sys.argv[1]))
print(store.start_run("consensus", {"prompt": "left running"}), flush=True)
sys.stdin.readline()
"""


def start_child(db: Path) -> tuple[subprocess.Popen, str]:
    """A process that starts a run and then waits, holding it ``running``."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    return child, child.stdout.readline().strip()


def test_a_killed_owner_leaves_an_interrupted_run_and_a_live_one_a_running_run(tmp_path: Path) -> None:
    """SIGKILL one owner; keep another alive: only the dead one's run is marked, with its reason."""
    db = tmp_path / "runs.sqlite3"
    RunStore(db).close()
    dead, dead_run = start_child(db)
    alive, alive_run = start_child(db)
    try:
        os.kill(dead.pid, signal.SIGKILL)
        dead.wait(10)
        store = RunStore(db)
        try:
            assert store.mark_interrupted() == [dead_run]
            assert store.get_run(dead_run)["status"] == "interrupted"
            assert "stopped before the run finished" in store.get_run(dead_run)["error"]
            assert store.get_run(alive_run)["status"] == "running"
            assert store.mark_interrupted() == []  # once only
        finally:
            store.close()
    finally:
        alive.communicate("\n", timeout=10)


def test_a_reused_pid_does_not_keep_a_dead_run_alive() -> None:
    """Same pid, another start time: the owner is gone."""
    me = Owner.current()
    assert me.alive()
    assert process_start(os.getpid()) == me.started
    assert not Owner(me.pid, me.host, "another-boot:1").alive()
    assert Owner(me.pid, "some-other-host", None).alive()  # another host's runs are never judged
