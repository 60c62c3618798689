"""serve --transport http stops on SIGTERM and leaves no run 'running': in-flight runs end as cancelled."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from mcp import Client

from conftest import server_env
from orcollective.simulator import ScriptedModel
from orcollective.store import RunStore

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_sigterm_marks_in_flight_runs_cancelled(simulator, tmp_path):
    """A consensus waiting on upstream when the server gets SIGTERM is recorded as cancelled, with why."""
    for model in ("stop/a", "stop/b"):
        simulator.script(ScriptedModel(model, reply="Answer: B", latency_s=30))
    port = free_port()
    env = {**os.environ, **server_env(simulator, tmp_path, ORCOLLECTIVE_LOG_LEVEL="WARNING")}
    server = subprocess.Popen(
        [sys.executable, "-m", "orcollective", "serve", "--transport", "http", "--port", str(port)],
        env=env, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            time.sleep(0.05)
        with contextlib.suppress(BaseException):  # the client sees its server go away
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                arguments = {"prompt": "Pick: A) x B) y", "models": ["stop/a", "stop/b"]}
                call = asyncio.create_task(client.call_tool("consensus", arguments))
                for _ in range(500):
                    if simulator.in_flight == 2:
                        break
                    await asyncio.sleep(0.01)
                server.send_signal(signal.SIGTERM)
                await asyncio.wait_for(call, 15)
        server.wait(15)
    finally:
        if server.poll() is None:
            server.kill()
    store = RunStore(tmp_path / "data" / "runs.sqlite3")
    try:
        (run,) = store.list_runs()
        error = store.get_run(run["id"])["error"]
    finally:
        store.close()
    assert run["status"] == "cancelled" and "shut down" in error
