"""End to end: `orcollective serve` as a subprocess, driven by the official MCP client, against the simulator."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from mcp import Client
from mcp.client.stdio import stdio_client

from conftest import server_env
from orcollective.cli.doctor import server_params
from orcollective.simulator import ScriptedModel, Simulator

pytestmark = pytest.mark.e2e
MC = "Which gas do plants absorb?\nA) Oxygen\nB) Carbon dioxide\nC) Nitrogen\nD) Helium"


def stdio(sim: Simulator, tmp_path: Path, errlog, **extra: str):
    """A client transport that spawns the server and keeps its stderr in ``errlog``."""
    return stdio_client(server_params(server_env(sim, tmp_path, **extra)), errlog=errlog)


def text_of(result) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


async def test_every_core_tool_over_stdio_and_the_key_stays_secret(simulator, tmp_path):
    """tools/list and each core tool work over stdio; the key is in no log, result or file."""
    log_path = tmp_path / "stderr.log"
    with log_path.open("w") as errlog:
        async with Client(stdio(simulator, tmp_path, errlog), read_timeout_seconds=30) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            chat = await client.call_tool("chat", {"model": "sim/echo", "prompt": "ping over stdio"})
            models = await client.call_tool("list_models", {"query": "claude", "limit": 3})
            info = await client.call_tool("model_info", {"model": "anthropic/claude-sonnet-4"})
            usage = await client.call_tool("usage", {})
    assert {"chat", "list_models", "model_info", "usage", "consensus", "runs"} <= names
    assert chat.structured_content["text"] == "ping over stdio"
    assert models.structured_content["total"] >= 1 and "claude" in models.structured_content["models"][0]["id"]
    assert info.structured_content["id"] == "anthropic/claude-sonnet-4"
    assert usage.structured_content["ledger_calls"] == 1
    logs = log_path.read_text()
    assert "orcollective" in logs  # logging reached stderr, not stdout
    everything = logs + text_of(chat) + str(chat.structured_content) + text_of(usage)
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != log_path:
            everything += path.read_bytes().decode("latin-1")
    assert simulator.api_key not in everything


async def test_upstream_faults_over_stdio_are_one_line_errors(simulator, tmp_path):
    """Each simulated fault reaches the client as one clear line; retryable ones recover."""
    expectations = {
        "sim/rate-limited": None,
        "sim/flaky": None,
        "sim/server-error": "retry or pick another model",
        "sim/no-credits": "add credits",
        "sim/forbidden": "blocked",
        "sim/garbage": "not JSON",
        "sim/error-200": "Provider returned error",
        "sim/midstream-error": "Provider returned error",
        "sim/cut": "broke mid-answer",
        "sim/empty": "empty answer",
        "sim/slow": "No answer",
    }
    with (tmp_path / "stderr.log").open("w") as errlog:
        transport = stdio(
            simulator, tmp_path, errlog, ORCOLLECTIVE_REQUEST_TIMEOUT_S="1", ORCOLLECTIVE_MAX_ATTEMPTS="2"
        )
        async with Client(transport, read_timeout_seconds=30) as client:
            results = {m: await client.call_tool("chat", {"model": m, "prompt": "hello"}) for m in expectations}
    for model, expected in expectations.items():
        result = results[model]
        if expected is None:
            assert not result.is_error, (model, text_of(result))
        else:
            message = text_of(result)
            assert result.is_error and expected in message, (model, message)
            assert "\n" not in message and "Traceback" not in message


async def test_consensus_over_stdio_with_progress_and_cancellation(simulator, tmp_path):
    """consensus reports progress per model; cancelling a call cancels its upstream requests."""
    for model, reply in (("e/a", "Answer: B"), ("e/b", "(B)"), ("e/c", "A")):
        simulator.script(ScriptedModel(model, reply=reply, latency_s=0.1))
    progress: list[str] = []

    async def on_progress(done, total, message):
        progress.append(message)

    with (tmp_path / "stderr.log").open("w") as errlog:
        async with Client(stdio(simulator, tmp_path, errlog), read_timeout_seconds=30) as client:
            result = await client.call_tool(
                "consensus",
                {"prompt": MC, "models": ["e/a", "e/b", "e/c"], "early_stop": False},
                progress_callback=on_progress,
            )
            call = asyncio.create_task(
                client.call_tool("consensus", {"prompt": MC, "models": ["sim/slow", "sim/echo"]})
            )
            await asyncio.sleep(1.0)
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
            for _ in range(150):
                if simulator.cancelled:
                    break
                await asyncio.sleep(0.02)
            runs = await client.call_tool("runs", {"tool": "consensus"})
    assert result.structured_content["answer"] == "B) Carbon dioxide"
    assert len(progress) == 3 and progress[-1].startswith("3/3 answered")
    assert simulator.cancelled == 1
    statuses = [r["status"] for r in runs.structured_content["runs"]]
    assert statuses == ["cancelled", "done"]


async def test_server_starts_without_a_key_and_says_how_to_set_it(simulator, tmp_path):
    """A missing key does not stop the server; tools that need it explain how to set it."""
    env = {k: v for k, v in server_env(simulator, tmp_path).items() if k != "OPENROUTER_API_KEY"}
    params = server_params(env)
    params.env = {k: v for k, v in params.env.items() if k != "OPENROUTER_API_KEY"}
    with (tmp_path / "stderr.log").open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog), read_timeout_seconds=30) as client:
            tools = (await client.list_tools()).tools
            result = await client.call_tool("chat", {"model": "sim/echo", "prompt": "hi"})
    assert tools
    assert result.is_error and "OPENROUTER_API_KEY" in text_of(result)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_streamable_http_transport(simulator, tmp_path):
    """`serve --transport http` answers MCP over streamable HTTP on the given port."""
    port = free_port()
    env = {**os.environ, **server_env(simulator, tmp_path, ORCOLLECTIVE_LOG_LEVEL="WARNING")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "orcollective", "serve", "--transport", "http", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/mcp", timeout=0.5)
                break
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
        async with Client(f"http://127.0.0.1:{port}/mcp", read_timeout_seconds=30) as client:
            result = await client.call_tool("chat", {"model": "sim/echo", "prompt": "over http"})
        assert result.structured_content["text"] == "over http"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
