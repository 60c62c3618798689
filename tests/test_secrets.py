"""The API key stays secret: every tool, upstream fault and CLI command, at DEBUG, with a recognisable key.

The key is ``sk-or-v1-`` and a random marker. It must appear in no result, no log line (the logging records
of an in-memory server, the stderr of server processes and commands), no store row, no file under the cache,
data and output folders, and upstream only in the ``Authorization: Bearer`` header of requests sent to the
configured base URL. A "piece" of the key is any run of ``PIECE`` characters of its random part, so a key cut
short or partly masked is caught too.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import string
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from conftest import no_wait, server_env, settings_for
from orcollective.cli.doctor import server_params
from orcollective.errors import OrcError
from orcollective.features import FEATURES
from orcollective.mcp import build_server
from orcollective.runtime import open_runtime
from orcollective.simulator import ScriptedModel, Simulator

pytestmark = pytest.mark.e2e

MARKER = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(40))
KEY = f"sk-or-v1-{MARKER}"
PIECE = 12
PIECES = [KEY, *{MARKER[i : i + PIECE] for i in range(len(MARKER) - PIECE + 1)}]

MC = "Which gas do plants absorb?\nA) Oxygen\nB) Carbon dioxide\nC) Nitrogen\nD) Helium"
PANEL = ["s/alpha", "s/bravo", "s/charlie", "s/delta"]
CODE = "def add(a, b):\n    return a - b\n"
PLAN = {"subtasks": [{"id": "s1", "task": "facts", "depends_on": []}, {"id": "s2", "task": "sums", "depends_on": []},
                     {"id": "s3", "task": "check", "depends_on": ["s1", "s2"]}]}  # fmt: skip
CRITERIA = ["correctness", "readability", "robustness", "security"]
# One model per upstream failure: 429 once, 500 twice, 500 always, 402, a garbage body, a 200 carrying an
# error, an error chunk mid-stream, a stream cut mid-way, no answer within the timeout, and the rest.
FAULTS = {
    "f/429-once": {"faults": ["429"], "retry_after_s": 0.01},
    "f/500-twice": {"faults": ["500", "500"]},
    "f/500": {"always_fault": "500"},
    "f/402": {"always_fault": "402"},
    "f/401": {"always_fault": "401"},
    "f/403": {"always_fault": "403"},
    "f/404": {"always_fault": "404"},
    "f/408": {"always_fault": "408"},
    "f/garbage": {"always_fault": "garbage"},
    "f/error-200": {"always_fault": "error-200"},
    "f/choice-error": {"always_fault": "choice-error"},
    "f/midstream-error": {"always_fault": "midstream-error"},
    "f/cut": {"always_fault": "cut"},
    "f/empty": {"always_fault": "empty"},
    "f/slow": {"always_fault": "slow"},
}
RECOVERING = {"f/429-once", "f/500-twice"}
FAULT_TIMEOUT_S = 1.0  # the chat's own time limit against f/slow


def leaks(text: str | bytes) -> list[str]:
    """The pieces of the key found in ``text``."""
    if isinstance(text, bytes):
        return [piece for piece in PIECES if piece.encode() in text]
    return [piece for piece in PIECES if piece in text]


def texts(body: dict) -> str:
    return "\n".join(m["content"] for m in body.get("messages") or [] if isinstance(m.get("content"), str))


def cooperative(model: str) -> ScriptedModel:
    """A panel model that answers each step of each collective tool the way a well-behaved model would."""

    def reply(body: dict) -> str:
        t = texts(body)
        if "Rank every response" in t:
            letters = sorted(set(re.findall(r"Response ([A-Z]):", t)))
            return json.dumps({"ranking": letters, "reason": "by content"})
        if "Plan at most" in t:
            return json.dumps(PLAN)
        if "<draft>" in t:
            return json.dumps({"major": [], "minor": ["tone"]})
        if "<material-" in t:
            issue = {"criterion": "correctness", "severity": "major", "description": "subtracts", "quote": "a - b"}
            return json.dumps({"scores": dict.fromkeys(CRITERIA, 3), "issues": [issue]})
        if "Which" in t or "Other panelists answered" in t:
            return "Plants take in carbon dioxide.\nAnswer: B"
        return f"{model} says: a short answer."

    return ScriptedModel(model, reply=reply, latency_s=0.01)


def scripts() -> list[ScriptedModel]:
    return [cooperative(m) for m in PANEL] + [ScriptedModel(m, **spec) for m, spec in FAULTS.items()]


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """The simulator with the recognisable key, a cooperative panel and one model per fault."""
    with Simulator(scripts(), api_key=KEY, generation_delay_s=0.0) as running:
        yield running


# -- what every tool is called with --------------------------------------------------------------------------


def tool_calls() -> list[tuple[str, dict]]:
    """At least one call of every tool; runs and benchmark_report come after the calls they read."""
    return [
        ("chat", {"model": "sim/echo", "prompt": "say hello"}),
        ("chat", {"model": "sim/echo", "prompt": "json please", "response_format": {"type": "json_object"}}),
        ("list_models", {"query": "gpt-4o", "limit": 3}),
        ("model_info", {"model": "openai/gpt-4o-mini"}),
        ("consensus", {"prompt": MC, "models": PANEL[:3], "early_stop": False}),
        ("consensus", {"prompt": MC, "models": [*PANEL[:3], "f/500", "f/garbage"], "early_stop": False}),
        ("consensus", {"prompt": "Name a colour.", "models": PANEL[:3], "strategy": "synthesize"}),
        ("collaborate", {"prompt": "Suggest a name for a cat.", "mode": "council", "models": PANEL}),
        ("collaborate", {"prompt": MC, "mode": "debate", "models": PANEL[:3]}),
        ("collaborate", {"prompt": "Give the kinetic energy formula.", "mode": "refine", "models": PANEL[:3]}),
        ("cross_validate", {"content": CODE, "reviewers": PANEL[:3]}),
        ("ensemble_reasoning", {"problem": "Legs of 3 spiders and 2 ants?", "models": PANEL[:3]}),
        ("select_model", {"task": "cheap summaries of news articles", "count": 2}),
        ("benchmark", {"prompts": [MC], "models": PANEL[:2], "expected": ["B"], "include_consensus": True}),
        ("free_chat", {"prompt": "say hello"}),
        ("usage", {}),
        ("runs", {"limit": 50}),
        ("benchmark_report", {}),
    ]


def fault_calls() -> list[tuple[str, dict]]:
    calls: list[tuple[str, dict]] = [
        ("chat", {"model": model, "prompt": "hello", "timeout_s": FAULT_TIMEOUT_S}) for model in FAULTS
    ]
    calls.append(("chat", {"model": "f/500", "prompt": "hello", "fallback_models": ["f/402", "sim/echo"]}))
    calls.append(("chat", {"model": "no/such-model", "prompt": "hello"}))
    calls.append(("consensus", {"prompt": MC, "models": ["f/429-once", "f/cut", "f/midstream-error"]}))
    return calls


async def exercise(client: Client) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
    """Every tool, then every fault, then the follow-ups that read what they left: ``runs`` with each run's
    generation stats (the lazy ``/generation`` fetch), a benchmark export and the resources."""
    ok = [(name, await client.call_tool(name, args)) for name, args in tool_calls()]
    failed = [(name, await client.call_tool(name, args)) for name, args in fault_calls()]
    listed = await client.call_tool("runs", {"limit": 100})
    for run in listed.structured_content["runs"]:
        details = await client.call_tool("runs", {"run_id": run["id"], "details": True})
        ok.append(("runs", details))
        ok.append(("resource", await client.read_resource(f"orcollective://runs/{run['id']}")))
    ok.append(("benchmark_report", await client.call_tool("benchmark_report", {"format": "md"})))
    ok.append(("benchmark_report", await client.call_tool("benchmark_report", {"format": "png"})))
    for uri in ("orcollective://models", "orcollective://runs/recent", "orcollective://benchmarks"):
        ok.append(("resource", await client.read_resource(uri)))
    return ok, failed


def dumped(result: Any) -> str:
    return result.model_dump_json() if hasattr(result, "model_dump_json") else str(result)


def check_results(ok: list[tuple[str, Any]], failed: list[tuple[str, Any]]) -> None:
    assert {name for name, _ in ok} >= {f.name for f in FEATURES}
    for name, result in ok:
        assert not getattr(result, "is_error", False), (name, dumped(result)[:500])
    # Retries recover the 429 once and the 500 twice, and models[] falls back past the 500 and the 402.
    errors = [result.is_error for _, result in failed]
    assert errors == [model not in RECOVERING for model in FAULTS] + [False, True, True]
    for name, result in ok + failed:
        assert leaks(dumped(result)) == [], name
    details = [r for name, r in ok if name == "runs" and r.structured_content.get("run")]
    generations = [c.get("generation") for r in details for c in r.structured_content["run"].get("calls") or []]
    assert any(g and "error" not in g for g in generations)  # the /generation fetch was made and answered


# -- where the key must not be --------------------------------------------------------------------------------


def store_rows(path: Path) -> Iterator[str]:
    """Every value of every column of every table of the run store, as text."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert "runs" in tables and "calls" in tables
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - names read from the schema
                yield f"{table}: " + " | ".join(map(str, row))
    finally:
        db.close()


def check_folders(*folders: Path, allowed: Iterable[Path] = ()) -> int:
    """No file under ``folders`` holds a piece of the key (bytes), except the ``allowed`` ones; the run
    store's rows too. Returns how many files were read."""
    files = [p for folder in folders for p in folder.rglob("*") if p.is_file() and p not in set(allowed)]
    for path in files:
        assert leaks(path.read_bytes()) == [], path
    for store in (p for p in files if p.name == "runs.sqlite3"):
        for row in store_rows(store):
            assert leaks(row) == [], row
    return len(files)


def check_upstream(sim: Simulator) -> None:
    """Every request reached the configured base with the key in its Authorization header only."""
    host = sim.base_url.split("/")[2]
    assert sim.requests
    for request in sim.requests:
        assert request.path.startswith("/api/v1/"), request.path
        assert request.headers.get("host") == host
        assert request.headers.get("authorization") == "REDACTED"  # present (the simulator hides its value)
        others = {k: v for k, v in request.headers.items() if k != "authorization"}
        where = f"{request.method} {request.path}"
        assert leaks(json.dumps(others)) == [], where
        assert leaks(request.path + json.dumps(request.query)) == [], where
        assert leaks(json.dumps(request.json, default=str)) == [], where


class RecordingTransport(httpx.AsyncBaseTransport):
    """The real HTTP transport, keeping each request's URL, headers and body as sent."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.sent: list[tuple[str, dict[str, str], bytes]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        self.sent.append((str(request.url), dict(request.headers), body))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def check_sent(sent: list[tuple[str, dict[str, str], bytes]], base_url: str) -> None:
    """As the server sent them: only to the base URL, the key exactly as ``Bearer`` and nowhere else."""
    assert sent
    for url, headers, body in sent:
        assert url.startswith(base_url + "/"), url
        assert headers.get("authorization") == f"Bearer {KEY}", url
        others = {k: v for k, v in headers.items() if k != "authorization"}
        assert leaks(url) == [] and leaks(json.dumps(others)) == [] and leaks(body) == [], url


# -- in memory ---------------------------------------------------------------------------------------------


async def test_every_tool_and_fault_in_memory_keeps_the_key_out_of_results_logs_and_files(sim, tmp_path, caplog):
    """In memory, at DEBUG: no result, logging record, store row or file holds the key; every request went
    to the base URL with the key in its Authorization header and nowhere else."""
    caplog.set_level(logging.DEBUG)
    transport = RecordingTransport()
    settings = settings_for(
        sim, tmp_path, log_level="DEBUG", output_dir=tmp_path / "output", request_timeout_s=FAULT_TIMEOUT_S * 2
    )
    async with Client(build_server(settings, transport=transport, retry=no_wait())) as client:
        ok, failed = await exercise(client)
    check_results(ok, failed)
    # The account endpoints no tool reads directly: /credits, and /generation for an id it does not know.
    async with open_runtime(settings, transport=transport, retry=no_wait()) as rt:
        credits = await rt.client.credits()
        with pytest.raises(OrcError) as missing:
            await rt.client.generation_stats("gen-unknown", waits_s=())
    assert credits["total_credits"] > 0 and leaks(json.dumps(credits)) == [] and leaks(str(missing.value)) == []
    formatter = logging.Formatter("%(levelname)s %(name)s: %(message)s")
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    for record in caplog.records:
        line = formatter.format(record)  # with the traceback of any exception logged
        assert leaks(line) == [] and leaks(repr(record.__dict__)) == [], line
    assert check_folders(tmp_path) >= 3
    check_sent(transport.sent, sim.base_url)
    check_upstream(sim)
    assert {"/api/v1/generation", "/api/v1/key", "/api/v1/credits", "/api/v1/models"} <= {r.path for r in sim.requests}


@pytest.mark.parametrize(
    "pasted",
    [f"{KEY}\nmore", f"{KEY}\x00", f"\u201c{KEY}\u201d", f"{KEY} {KEY}"],
    ids=["line-break", "nul", "curly-quotes", "space"],
)
async def test_a_key_that_cannot_be_sent_is_refused_in_one_line_and_never_logged(tmp_path, caplog, pasted):
    """A key pasted with a line break, a NUL, curly quotes or a space inside: one line naming the fix,
    no request sent, and the key in no log (httpcore would name the header's value in a DEBUG line)."""
    caplog.set_level(logging.DEBUG)
    with Simulator(api_key=KEY) as running:
        settings = settings_for(running, tmp_path, api_key=pasted, log_level="DEBUG")
        async with Client(build_server(settings, retry=no_wait())) as client:
            results = [
                await client.call_tool("chat", {"model": "sim/echo", "prompt": "hi"}),
                await client.call_tool("usage", {}),
                await client.call_tool("list_models", {"limit": 1}),
            ]
        assert running.calls() == 0
    for result in results:
        message = dumped(result.content[0].text) if result.content else ""
        assert result.is_error and "OPENROUTER_API_KEY" in message and "\n" not in message
        assert leaks(dumped(result)) == []
    assert all(leaks(logging.Formatter().format(r)) == [] for r in caplog.records)


# -- over stdio -----------------------------------------------------------------------------------------------


async def test_every_tool_and_fault_over_stdio_keeps_the_key_out_of_results_stderr_and_files(sim, tmp_path):
    """The same through ``orcollective serve`` over stdio at DEBUG: nothing on its stderr either."""
    errlog_path = tmp_path / "stderr.log"
    env = server_env(
        sim, tmp_path, ORCOLLECTIVE_OUTPUT_DIR=str(tmp_path / "output"), ORCOLLECTIVE_MAX_ATTEMPTS="3",
        ORCOLLECTIVE_REQUEST_TIMEOUT_S=str(FAULT_TIMEOUT_S * 2),
    )  # fmt: skip
    with errlog_path.open("w") as errlog:
        async with Client(stdio_client(server_params(env), errlog=errlog), read_timeout_seconds=60) as client:
            ok, failed = await exercise(client)
    check_results(ok, failed)
    logs = errlog_path.read_text()
    assert " DEBUG " in logs  # the server did log at DEBUG, on stderr
    assert leaks(logs) == []
    assert check_folders(tmp_path, allowed=[errlog_path]) >= 3
    check_upstream(sim)


# -- every CLI command ----------------------------------------------------------------------------------------


def healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli_env(sim: Simulator, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENROUTER_", "ORCOLLECTIVE_"))}
    env.update(server_env(sim, tmp_path))
    env.update(
        ORCOLLECTIVE_OUTPUT_DIR=str(tmp_path / "output"),
        ORCOLLECTIVE_CONFIG_DIR=str(tmp_path / "config"),
        HOME=str(tmp_path / "home"),
        COLUMNS="120",
        **extra,
    )
    return env


def run_cli(args: list[str], env: dict[str, str], timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "orcollective", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def panel(flag: str, models: list[str]) -> list[str]:
    return [part for model in models for part in (flag, model)]


# Each command with arguments that work against the simulator, and the exit code it ends with.
INSTALLED = 0 if shutil.which("uvx") else 2  # a checkout's entry launches uvx; without it install says so
CALLING: list[tuple[list[str], int]] = [
    (["--help"], 0),
    (["--version"], 0),
    (["ask", "sim/echo", "say hello"], 0),
    (["ask", "f/402", "hello"], 1),
    (["ask", "f/midstream-error", "hello"], 1),
    (["ask", "f/slow", "hello", "--timeout-s", "1"], 1),
    (["ask", "no/such-model", "hello"], 2),
    (["models", "gpt-4o", "--limit", "3"], 0),
    (["model", "openai/gpt-4o-mini", "--json"], 0),
    (["consensus", MC, *panel("-m", PANEL[:3]), "--no-early-stop"], 0),
    (["consensus", MC, *panel("-m", [PANEL[0], PANEL[1], "f/500", "f/429-once"]), "--json"], 0),
    (["collaborate", "Suggest a name for a cat.", *panel("-m", PANEL)], 0),
    (["collaborate", MC, "--mode", "debate", *panel("-m", PANEL[:3])], 0),
    (["validate", CODE, *panel("-r", PANEL[:3])], 0),
    (["plan", "Legs of 3 spiders and 2 ants?", *panel("-m", PANEL[:3])], 0),
    (["select", "cheap summaries", "--count", "2"], 0),
    (["free", "say hello"], 0),
    (["doctor"], 0),
    (["demo"], 0),
    (["serve", "--transport", "nonsense"], 2),
]
# The commands that read or write what is stored: runs, benchmarks, the ledger, the key file, client configs.
WRITING: list[tuple[list[str], int]] = [
    (["ask", "sim/echo", "say hello", "--json"], 0),
    (["bench", "-p", MC, "--expected", "B", *panel("-m", PANEL[:2])], 0),
]
READING: list[tuple[list[str], int]] = [
    (["bench-report"], 0),
    (["bench-report", "--format", "md"], 0),
    (["usage"], 0),
    (["runs"], 0),
    (["runs", "--json", "--limit", "100"], 0),
    (["config", "table"], 0),
    (["install", "cursor", "--dry-run"], INSTALLED),
    (["install", "cursor", "--print"], INSTALLED),
    (["install", "cursor"], INSTALLED),
    (["install", "claude-desktop"], INSTALLED),
    (["install", "codex"], INSTALLED),
    (["uninstall", "cursor"], 0),
]


def check_output(args: list[str], done: subprocess.CompletedProcess, code: int = 0) -> None:
    what = f"orcollective {' '.join(args)[:80]} (exit {done.returncode})"
    assert done.returncode == code, f"{what}\n{done.stdout[-1000:]}\n{done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr, what
    assert leaks(done.stdout) == [] and leaks(done.stderr) == [], what


def run_all(commands: list[list[str]], env: dict[str, str]) -> list[subprocess.CompletedProcess]:
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda args: run_cli(args, env), commands))


def run_checked(
    commands: list[tuple[list[str], int]], env: dict[str, str]
) -> dict[tuple[str, ...], subprocess.CompletedProcess]:
    """Run ``commands`` two at a time; each exits as expected, with no key in what it printed."""
    done = run_all([args for args, _ in commands], env)
    for (args, code), finished in zip(commands, done, strict=True):
        check_output(args, finished, code)
    return {tuple(args): finished for (args, _), finished in zip(commands, done, strict=True)}


def test_every_calling_cli_command_at_debug_keeps_the_key_secret(sim, tmp_path):
    """Each command that asks models, at DEBUG against the simulator, faults included: the key is in no
    output and no file, and upstream only in the Authorization header."""
    env = cli_env(sim, tmp_path)
    outputs = run_checked(CALLING, env)
    asked = outputs[("ask", "sim/echo", "say hello")]
    assert asked.stdout.startswith("say hello") and "\nDEBUG " in "\n" + asked.stderr
    assert check_folders(tmp_path) >= 3
    check_upstream(sim)


def test_every_storing_cli_command_at_debug_keeps_the_key_secret(sim, tmp_path):
    """The commands that read and write what is stored (runs with their generation stats, benchmarks, the
    ledger, client configs, the key file): the key is in no output and no file but the key file."""
    env = cli_env(sim, tmp_path)
    run_checked(WRITING, env)
    listed = json.loads(run_checked(READING, env)[("runs", "--json", "--limit", "100")].stdout)["runs"]
    assert {run["tool"] for run in listed} == {"chat", "benchmark"}
    details = run_checked([(["runs", run["id"], "--details", "--json"], 0) for run in listed], env)
    generations = [c.get("generation") for d in details.values() for c in json.loads(d.stdout)["calls"]]
    assert any(g and "error" not in g for g in generations)  # /generation was asked and answered
    # The key set with `config set api-key` is read from the user config file, and kept only there.
    keyless = {k: v for k, v in env.items() if k != "OPENROUTER_API_KEY"}
    stored = run_cli(["config", "set", "api-key", KEY], keyless)
    check_output(["config", "set", "api-key"], stored)
    key_file = tmp_path / "config" / "config.toml"
    assert KEY in key_file.read_text() and key_file.stat().st_mode & 0o777 == 0o600
    usage, ask = run_all([["usage", "--json"], ["ask", "sim/echo", "with the stored key"]], keyless)
    check_output(["usage"], usage)
    check_output(["ask"], ask)
    assert json.loads(usage.stdout)["account"] is not None and ask.stdout.startswith("with the stored key")
    # `install` without --key never copies the key from the environment into a client's config.
    assert check_folders(tmp_path, allowed=[key_file]) >= (4 if INSTALLED else 5)  # client configs when installed
    assert INSTALLED or (tmp_path / "home" / ".codex" / "config.toml").is_file()
    check_upstream(sim)
    assert "/api/v1/generation" in {r.path for r in sim.requests}


def test_the_simulator_and_http_serve_commands_keep_the_key_secret(sim, tmp_path):
    """``serve --transport http`` at DEBUG, driven over streamable HTTP, and ``simulator``, stopped with
    SIGTERM and Ctrl-C: neither prints the key."""
    env = cli_env(sim, tmp_path)
    port = free_port()
    logs = {name: tmp_path / f"{name}.log" for name in ("serve.out", "serve.err", "simulator.out", "simulator.err")}
    with contextlib.ExitStack() as files:
        out = {name: files.enter_context(path.open("w")) for name, path in logs.items()}
        command = [sys.executable, "-m", "orcollective"]
        serve = [*command, "serve", "--transport", "http", "--port", str(port)]
        server = subprocess.Popen(serve, env=env, stdout=out["serve.out"], stderr=out["serve.err"])
        simulator = subprocess.Popen(
            [*command, "simulator", "--port", "0"], env=env, stdout=out["simulator.out"], stderr=out["simulator.err"]
        )
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(300):  # up to 30 s for both to start
                if "Ctrl-C" in logs["simulator.out"].read_text() and healthy(url):
                    break
                assert server.poll() is None and simulator.poll() is None
                time.sleep(0.1)

            async def drive() -> list[Any]:
                async with Client(streamable_http_client(url + "/mcp")) as client:
                    return [
                        await client.call_tool("chat", {"model": "sim/echo", "prompt": "over http"}),
                        await client.call_tool("chat", {"model": "f/402", "prompt": "over http"}),
                        await client.call_tool("usage", {}),
                    ]

            results = anyio.run(drive)
        finally:
            server.send_signal(signal.SIGTERM)
            simulator.send_signal(signal.SIGINT)
            # uvicorn raises the signal again once it has shut down cleanly
            assert server.wait(30) in (0, -signal.SIGTERM) and simulator.wait(30) == 0
    assert results[0].structured_content["text"] == "over http" and results[1].is_error
    assert all(leaks(dumped(r)) == [] for r in results)
    assert " DEBUG " in logs["serve.err"].read_text()
    assert "export OPENROUTER_BASE_URL=" in logs["simulator.out"].read_text()
    for path in logs.values():
        assert leaks(path.read_text()) == [], path.name
    check_folders(tmp_path)
    check_upstream(sim)
