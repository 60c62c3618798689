"""``orcollective serve`` answers tools/list without loading the heavy packages it does not need yet, and
loads each of them with the first tool call that needs it."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from conftest import server_env
from orcollective.simulator import Simulator

# Loaded only by the tool calls (or commands) that use them; never by the SDK itself.
OURS_ONLY = ("PIL", "matplotlib", "typer", "tomlkit", "diskcache", "jsonschema", "tenacity")
# Loaded by the MCP SDK or httpx on their own: allowed only as long as a bare SDK server loads them too.
SDK_MAY_LOAD = ("rich", "pygments", "click", "uvicorn", "starlette", "sse_starlette")
# The command line's own modules: the server path runs without them.
CLI_ONLY = ("orcollective.cli.commands", "orcollective.cli.render", "orcollective.cli.live",
            "orcollective.cli.install", "orcollective.cli.options", "orcollective.cli.extensions",
            "orcollective.cli.doctor", "orcollective.mcp.http")  # fmt: skip
DEADLINE_S = 120
HELLO = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}
SCHEMA = {"type": "json_schema", "json_schema": {"name": "a", "schema": {"type": "object"}}}

# ``python -m orcollective serve`` as it is, writing the modules it loaded to a file as it exits.
SERVE = """
import atexit, json, os, runpy, sys
atexit.register(lambda: open(os.environ["MODULES_OUT"], "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["orcollective", "serve"]
runpy.run_module("orcollective", run_name="__main__", alter_sys=True)
"""
BARE = """
import json, sys
import httpx
from mcp.server.mcpserver import MCPServer
MCPServer("bare")
print(json.dumps(sorted(sys.modules)))
"""


class Replies:
    """The JSON-RPC messages a server writes on stdout, read within a deadline."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc, self.buffer = proc, b""
        self.deadline = time.monotonic() + DEADLINE_S

    def to(self, request_id: int) -> dict:
        """The reply to ``request_id`` (notifications before it are passed over)."""
        while True:
            line, newline, rest = self.buffer.partition(b"\n")
            if newline:
                self.buffer = rest
                message = json.loads(line)
                if message.get("id") == request_id:
                    return message
                continue
            left = self.deadline - time.monotonic()
            assert left > 0, "the server did not answer in time"
            fd = self.proc.stdout.fileno()
            if select.select([fd], [], [], left)[0]:
                chunk = os.read(fd, 65536)
                assert chunk, f"the server exited (code {self.proc.wait()}) before answering"
                self.buffer += chunk


def serve(env: dict[str, str], tmp_path: Path, calls: list[tuple[str, dict]] = ()) -> tuple[list[Any], set[str]]:
    """``python -m orcollective serve`` over stdio: initialize, tools/list, then each tool call in turn, then
    end of input. The results (tools/list's first) and the modules the server had loaded when it exited."""
    out = tmp_path / "modules.json"
    out.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE],
        env={**env, "MODULES_OUT": str(out)},
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )

    def send(message: dict) -> None:
        proc.stdin.write((json.dumps({"jsonrpc": "2.0", **message}) + "\n").encode())
        proc.stdin.flush()

    try:
        replies = Replies(proc)
        send({"id": 1, "method": "initialize", "params": HELLO})
        assert "result" in replies.to(1)
        send({"method": "notifications/initialized"})
        results = []
        requests = [("tools/list", {}), *(("tools/call", {"name": n, "arguments": a}) for n, a in calls)]
        for request_id, (method, params) in enumerate(requests, start=2):
            send({"id": request_id, "method": method, "params": params})
            results.append(replies.to(request_id)["result"])
        proc.stdin.close()  # end of input: the server shuts down and exits
        assert proc.wait(DEADLINE_S) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return results, set(json.loads(out.read_text()))


def clean_env(**extra: str) -> dict[str, str]:
    own = ("OPENROUTER_", "ORCOLLECTIVE_")
    return {**{k: v for k, v in os.environ.items() if not k.startswith(own)}, **extra}


def modules_of_bare_sdk_server() -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", BARE], env=clean_env(), capture_output=True, text=True, timeout=DEADLINE_S, check=True
    )
    return set(json.loads(done.stdout))


def test_serve_answers_tools_list_without_heavy_or_cli_modules(tmp_path: Path) -> None:
    """`python -m orcollective serve` lists its tools having loaded none of Pillow, typer, tomlkit,
    diskcache, jsonschema or tenacity, nothing of the command line's rendering, and no heavy package
    beyond those the MCP SDK and httpx load on their own."""
    env = clean_env(
        OPENROUTER_API_KEY="sk-test",
        OPENROUTER_BASE_URL="http://127.0.0.1:9/api/v1",  # nothing is asked upstream before tools/list
        ORCOLLECTIVE_CACHE_DIR=str(tmp_path / "cache"),
        ORCOLLECTIVE_DATA_DIR=str(tmp_path / "data"),
    )
    (listed,), loaded = serve(env, tmp_path)
    assert {"chat", "consensus", "benchmark"} <= {tool["name"] for tool in listed["tools"]}

    assert "orcollective.mcp.server" in loaded and "orcollective.features.chat" in loaded
    assert sorted(m for m in OURS_ONLY if m in loaded) == []
    assert sorted(m for m in CLI_ONLY if m in loaded) == []
    bare = modules_of_bare_sdk_server()
    assert sorted(m for m in SDK_MAY_LOAD if m in loaded and m not in bare) == []


def test_heavy_packages_load_with_the_first_call_that_needs_them(simulator: Simulator, tmp_path: Path) -> None:
    """diskcache comes with the first catalog read and tenacity with the first call upstream; Pillow with
    the first image, jsonschema with the first JSON schema, and neither before."""
    from PIL import Image

    Image.new("RGB", (8, 8), "red").save(tmp_path / "dot.png")  # images are read under the working directory
    env = clean_env(**server_env(simulator, tmp_path, ORCOLLECTIVE_LOG_LEVEL="ERROR"))
    chat = {"model": "sim/echo", "prompt": "hi"}
    watch = ("PIL", "diskcache", "jsonschema", "tenacity")
    expected = {
        "list_models": ("list_models", {"limit": 1}, {"diskcache", "tenacity"}),
        "chat with an image": ("chat", {**chat, "images": ["dot.png"]}, {"diskcache", "tenacity", "PIL"}),
        "chat with a schema": ("chat", {**chat, "prompt": "{}", "response_format": SCHEMA}, {*watch} - {"PIL"}),
    }
    for what, (tool, arguments, wanted) in expected.items():
        (_, result), loaded = serve(env, tmp_path, [(tool, arguments)])
        assert not result.get("isError"), (what, result["content"])
        assert {m for m in watch if m in loaded} == wanted, what
