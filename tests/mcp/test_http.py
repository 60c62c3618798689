"""Streamable HTTP as a client meets it: a real ``orcollective serve --transport http`` subprocess on a
127.x address, the official MCP client, and raw requests for the guards (token, Host, Origin, /healthz)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import server_env, settings_for
from orcollective.errors import ConfigError
from orcollective.mcp.http import plan_http

pytestmark = pytest.mark.e2e
INFO = {"name": "t", "version": "1"}
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": INFO}}  # fmt: skip
MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def serve(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "orcollective", "serve", "--transport", "http", *args],
        env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_healthy(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("server did not come up")


@pytest.fixture
def guarded(simulator, tmp_path) -> Iterator[str]:
    """A server bound to 127.0.0.2 (not a default loopback name) with a token; yields its base URL."""
    port = free_port("127.0.0.2")
    proc = serve(server_env(simulator, tmp_path, ORCOLLECTIVE_HTTP_TOKEN="t0ken"), "--host", "127.0.0.2",
                 "--port", str(port))  # fmt: skip
    base = f"http://127.0.0.2:{port}"
    try:
        wait_healthy(base, proc)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=15)  # uvicorn shuts down, then re-raises the signal it caught
        err = proc.stderr.read() if proc.stderr else ""
        assert code in (0, -signal.SIGINT, 130) and "Traceback" not in err, err
        assert "http://127.0.0.2" in err


def test_a_bind_other_than_loopback_needs_a_token(simulator, tmp_path):
    """127.0.0.2 without a token is refused before anything listens; with one, Host/Origin stay checked."""
    settings = settings_for(simulator, tmp_path)
    with pytest.raises(ConfigError, match="ORCOLLECTIVE_HTTP_TOKEN"):
        plan_http(settings, "127.0.0.2", 8765)
    plan = plan_http(settings, "127.0.0.2", 8765, token="x", hosts=["mcp.example:*"])
    assert plan.security.enable_dns_rebinding_protection and "mcp.example:*" in plan.security.allowed_hosts
    assert plan_http(settings, "127.0.0.1", 8765).token is None


def test_refusals_are_one_line_exit_2(simulator, tmp_path):
    """No token on 127.0.0.2, or a port in use: one line on stderr, exit 2."""
    env = server_env(simulator, tmp_path, ORCOLLECTIVE_LOG_LEVEL="WARNING")
    done = serve(env, "--host", "127.0.0.2", "--port", str(free_port("127.0.0.2")))
    _, err = done.communicate(timeout=30)
    assert done.returncode == 2 and "ORCOLLECTIVE_HTTP_TOKEN" in err and len(err.strip().splitlines()) == 1
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = serve(env, "--port", str(taken.getsockname()[1]))
        _, err = busy.communicate(timeout=30)
    assert busy.returncode == 2 and "in use" in err and "Traceback" not in err


def test_guards_token_host_origin_and_healthz(guarded):
    """No token: 401; wrong Host: 421; foreign Origin: 403; /healthz open and says nothing else."""
    auth = {"authorization": "Bearer t0ken"}
    health = httpx.get(guarded + "/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert httpx.post(guarded + "/mcp", json=INIT, headers=MCP_HEADERS).status_code == 401
    assert (
        httpx.post(guarded + "/mcp", json=INIT, headers={**MCP_HEADERS, "authorization": "Bearer no"}).status_code
        == 401
    )
    evil_host = {**MCP_HEADERS, **auth, "host": "evil.example"}
    assert httpx.post(guarded + "/mcp", json=INIT, headers=evil_host).status_code == 421
    evil_origin = {**MCP_HEADERS, **auth, "origin": "http://evil.example"}
    assert httpx.post(guarded + "/mcp", json=INIT, headers=evil_origin).status_code == 403
    assert httpx.post(guarded + "/mcp", json=INIT, headers={**MCP_HEADERS, **auth}).status_code == 200


async def test_official_client_with_the_token_calls_a_tool(guarded):
    """The MCP client sending the bearer token initialises, lists tools and calls one."""
    http = httpx2.AsyncClient(headers={"authorization": "Bearer t0ken"})
    async with Client(streamable_http_client(guarded + "/mcp", http_client=http)) as mcp:
        names = {t.name for t in (await mcp.list_tools()).tools}
        assert {"chat", "consensus"} <= names
        result = await mcp.call_tool("chat", {"model": "sim/echo", "prompt": "over http"})
        assert not result.is_error and "over http" in result.structured_content["text"]
