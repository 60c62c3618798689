"""Every upstream fault, driven through the official MCP client against the simulator, ends in its expected
result or in one clear line, and the call returns; none in a traceback, a hang or a memory spike.

``chat`` reads the reply streamed (SSE), ``consensus`` reads each panel member's reply whole (JSON), so each
fault is met on both paths. ``f/x`` carries the fault; ``f/ok1`` and ``f/ok2`` answer normally.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.stdio import stdio_client

from conftest import no_wait, server_env, settings_for
from orcollective.cli.doctor import server_params
from orcollective.mcp import build_server
from orcollective.simulator import ScriptedModel, Simulator
from orcollective.store import RunStore

MC = "Which gas do plants absorb?\nA) Oxygen\nB) Carbon dioxide\nC) Nitrogen"
PANEL = ["f/x", "f/ok1", "f/ok2"]
HOURS = 3 * 3600.0
MAX_CHARS = 2_000_000  # the default ORCOLLECTIVE_MAX_REPLY_CHARS
BIG_IN_PIECES = ("x" * 65_535 + " ") * 800  # 50 MB in 800 deltas
BIG_IN_ONE = "x" * 50_000_000  # 50 MB in one delta
HANG_GUARD_S = 60  # a call that has not returned by then is hung; not a timing assertion
# Exception class names and tracebacks never reach a client.
LEAKS = re.compile(r"Traceback|\b[A-Za-z]+(Error|Exception)\b|httpx\.|\bFile \"")

Check = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Case:
    id: str
    script: dict[str, Any]  # ScriptedModel fields of f/x
    tool: str  # "chat" | "panel" (consensus of f/x, f/ok1, f/ok2) | "alone" (consensus of f/x, 2 samples)
    error: str | None = None  # a fragment of the one error line; None: a result
    check: Check | None = None  # on the structured result
    calls: int | None = None  # attempts f/x received
    arguments: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


def answered(text: str = "Answer: B") -> Check:
    def check(r: dict) -> None:
        assert text in r["text"]

    return check


def panel(status: str = "ok", also: Check | None = None) -> Check:
    """The panel's answer is B; f/x's response has ``status`` (and an error that says why unless ok)."""

    def check(r: dict) -> None:
        assert r["answer"].startswith("B"), r["answer"]
        (x,) = [row for row in r["responses"] if row["model"] == "f/x"]
        assert x["status"] == status, x
        assert (x["error"] is None) == (status == "ok"), x
        if also is not None:
            also(r)

    return check


def cost_known_and_not_negative(r: dict) -> None:
    if "text" in r:
        assert r["cost_source"] == "catalog estimate" and 0 <= r["cost_usd"] < 1, r
    else:
        (x,) = [row for row in r["responses"] if row["model"] == "f/x"]
        assert x["cost_usd"] is not None and 0 <= x["cost_usd"] < 1, x
        assert 0 <= r["cost_usd"] < 1


def served_by_another_model(r: dict) -> None:
    assert r["model"] == "openai/gpt-4o" and r["requested_model"] == "f/x", r


def cut_at_the_cap(r: dict) -> None:
    assert r["truncated"] is True and len(r["text"]) == MAX_CHARS


def answer_b(r: dict) -> None:
    assert r["answer"].startswith("B"), r["answer"]


def replacement_characters(r: dict) -> None:
    assert "\ufffd" in r["text"] and "Answer: B" in r["text"]


CASES = [
    Case("429 once, chat", {"faults": ["429"]}, "chat", check=answered(), calls=2),
    Case("429 once, panel", {"faults": ["429"]}, "panel", check=panel(), calls=2),
    Case("500 twice, chat", {"faults": ["500", "500"]}, "chat", check=answered(), calls=3),
    Case("500 twice, panel", {"faults": ["500", "500"]}, "panel", check=panel(), calls=3),
    Case("always 500, chat", {"always_fault": "500"}, "chat", error="The provider failed for f/x", calls=3),
    Case("always 500, panel", {"always_fault": "500"}, "panel", check=panel("error"), calls=3),
    Case("always 500, alone", {"always_fault": "500"}, "alone", error="Only 0 of 2 models answered", calls=6),
    Case("402, chat", {"always_fault": "402"}, "chat", error="Not enough credits for f/x", calls=1),
    Case("402, alone", {"always_fault": "402"}, "alone", error="add credits", calls=2),
    Case("garbage body, chat", {"always_fault": "garbage"}, "chat", error="not JSON"),
    Case("garbage body, panel", {"always_fault": "garbage"}, "panel", check=panel("error")),
    Case("garbage body, alone", {"always_fault": "garbage"}, "alone", error="body that is not JSON"),
    Case("200 with an error body, chat", {"always_fault": "error-200"}, "chat", error="The provider failed"),
    Case("200 with an error body, alone", {"always_fault": "error-200"}, "alone", error="Provider returned error"),
    Case("error inside a choice, alone", {"always_fault": "choice-error"}, "alone", error="Provider returned error"),
    Case(
        "slow beyond the timeout, chat",
        {"latency_s": 60},
        "chat",
        error="No complete answer from f/x within 2s",
        arguments={"timeout_s": 2},
    ),  # fmt: skip
    Case(
        "slow beyond the timeout, panel", {"latency_s": 60}, "panel", check=panel("timeout"), arguments={"timeout_s": 2}
    ),  # fmt: skip
    Case("stream cut mid-way, chat", {"always_fault": "cut"}, "chat", error="broke mid-answer", calls=1),
    Case("connection cut, panel", {"always_fault": "cut"}, "panel", check=panel("error")),
    Case(
        "error chunk mid-stream, chat",
        {"always_fault": "midstream-error"},
        "chat",
        error="The provider failed for f/x",
        calls=1,
    ),  # fmt: skip
    Case(
        "a stream that never ends, chat",
        {"always_fault": "endless"},
        "chat",
        error="No complete answer from f/x within 2s",
        arguments={"timeout_s": 2},
    ),  # fmt: skip
    Case(
        "a body that never comes, panel",
        {"always_fault": "endless"},
        "panel",
        check=panel("timeout"),
        arguments={"timeout_s": 2},
    ),  # fmt: skip
    Case(
        "a stream of keep-alives only, chat",
        {"always_fault": "keepalive"},
        "chat",
        error="sent nothing for 1s",
        settings={"stream_idle_s": 1},
    ),  # fmt: skip
    Case(
        "429 with X-RateLimit-Reset hours away, chat",
        {"faults": ["429"], "retry_after_s": HOURS},
        "chat",
        error="it resets at",
        calls=1,
    ),  # fmt: skip
    Case(
        "429 with Retry-After hours, chat",
        {"faults": ["429-retry-after"], "retry_after_s": HOURS},
        "chat",
        error="use another model until then",
        calls=1,
    ),  # fmt: skip
    Case(
        "429 with Retry-After hours, panel",
        {"always_fault": "429-retry-after", "retry_after_s": HOURS},
        "panel",
        check=panel("error"),
        calls=1,
    ),  # fmt: skip
    Case("50 MB streamed in pieces, chat", {"reply": BIG_IN_PIECES}, "chat", check=cut_at_the_cap),
    Case("50 MB in one stream event, chat", {"reply": BIG_IN_ONE}, "chat", error="sent one event over", calls=1),
    Case(
        "50 MB JSON body, chat",
        {"reply": BIG_IN_PIECES},
        "chat",
        error="is over 12 MB",
        calls=1,
        arguments={"response_format": {"type": "json_object"}},
    ),  # fmt: skip
    Case("invalid UTF-8, chat", {"always_fault": "bad-utf8"}, "chat", check=replacement_characters, calls=1),
    Case("invalid UTF-8, alone", {"always_fault": "bad-utf8"}, "alone", check=answer_b, calls=2),
    Case("reply names another model, chat", {"served_as": "openai/gpt-4o"}, "chat", check=served_by_another_model),
    Case("reply names another model, panel", {"served_as": "openai/gpt-4o"}, "panel", check=panel()),
    Case("usage.cost missing, chat", {"always_fault": "no-cost"}, "chat", check=cost_known_and_not_negative),
    Case(
        "usage.cost missing, panel", {"always_fault": "no-cost"}, "panel", check=panel(also=cost_known_and_not_negative)
    ),  # fmt: skip
    Case("usage.cost negative, chat", {"always_fault": "negative-cost"}, "chat", check=cost_known_and_not_negative),
    Case(
        "usage.cost negative, panel",
        {"always_fault": "negative-cost"},
        "panel",
        check=panel(also=cost_known_and_not_negative),
    ),  # fmt: skip
    Case("a model failing inside a panel", {"always_fault": "502"}, "panel", check=panel("error")),
]


def arguments_for(case: Case) -> tuple[str, dict[str, Any]]:
    if case.tool == "chat":
        return "chat", {"model": "f/x", "prompt": MC, **case.arguments}
    models = {"panel": PANEL, "alone": ["f/x"]}[case.tool]
    samples = {"samples": 2} if case.tool == "alone" else {}
    return "consensus", {"prompt": MC, "models": models, "early_stop": False, **samples, **case.arguments}


def text_of(result) -> str:
    return "\n".join(b.text for b in result.content if b.type == "text")


def statuses(path: Path) -> list[str]:
    store = RunStore(path)
    try:
        return [run["status"] for run in store.list_runs(limit=100)]
    finally:
        store.close()


def script(sim: Simulator, **fx: Any) -> None:
    sim.script(ScriptedModel("f/x", **{"reply": "Answer: B", **fx}))
    for model in ("f/ok1", "f/ok2"):
        sim.script(ScriptedModel(model, reply="Answer: B"))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_a_fault_ends_in_its_result_or_one_clear_line(simulator, tmp_path, case):
    """The expected result (checked) or an isError of one line naming the model or the fix; no traceback or
    exception class; the call returns; the run it started is not left running."""
    script(simulator, **case.script)
    settings = settings_for(simulator, tmp_path, **case.settings)
    tool, arguments = arguments_for(case)
    async with Client(build_server(settings, retry=no_wait())) as client:
        with anyio.fail_after(HANG_GUARD_S):
            result = await client.call_tool(tool, arguments)
    text = text_of(result)
    assert not LEAKS.search(text), text
    if case.error is not None:
        assert result.is_error, text
        assert "\n" not in text and case.error in text, text
    else:
        assert not result.is_error, text
        assert case.check is not None
        case.check(result.structured_content)
        x = [row for row in result.structured_content.get("responses", []) if row["model"] == "f/x"]
        if x and x[0]["status"] != "ok":
            assert re.search(r"^failed: (.*; )?f/x: ", text, re.M), text  # a failure inside the panel is named
    if case.calls is not None:
        assert simulator.calls("f/x") == case.calls
    assert "running" not in statuses(settings.store_path)


async def test_a_panel_names_its_failed_model_in_the_summary(simulator, tmp_path):
    """Consensus still answers when a panel member fails, and its summary says which one failed and why."""
    script(simulator, always_fault="503")
    async with Client(build_server(settings_for(simulator, tmp_path), retry=no_wait())) as client:
        with anyio.fail_after(HANG_GUARD_S):
            result = await client.call_tool("consensus", {"prompt": MC, "models": PANEL, "early_stop": False})
    text = text_of(result)
    assert not result.is_error and result.structured_content["answer"].startswith("B")
    assert re.search(r"^failed: f/x: .*try again|^failed: f/x: .*retry", text, re.M), text
    assert result.structured_content["answered"] == 2


async def test_the_served_model_is_recorded_beside_the_one_asked(simulator, tmp_path):
    """A reply that names another model: the vote stays f/x's, the store keeps both ids."""
    script(simulator, served_as="openai/gpt-4o")
    settings = settings_for(simulator, tmp_path)
    async with Client(build_server(settings, retry=no_wait())) as client:
        with anyio.fail_after(HANG_GUARD_S):
            result = await client.call_tool("consensus", {"prompt": MC, "models": PANEL, "early_stop": False})
    run_id = result.structured_content["run_id"]
    store = RunStore(settings.store_path)
    try:
        calls = store.get_run(run_id)["calls"]
    finally:
        store.close()
    (x,) = [c for c in calls if c.get("requested_model") == "f/x"]
    assert x["model"] == "openai/gpt-4o"


@pytest.mark.parametrize("tool", ["consensus", "collaborate"])
async def test_cancelling_a_fan_out_cancels_its_upstream_requests(simulator, tmp_path, tool):
    """The client cancels a consensus or a council while three models are thinking: the simulator sees the three
    requests go away, the run is recorded as cancelled, and the server answers the next call."""
    for model in PANEL:
        simulator.script(ScriptedModel(model, reply="Answer: B", latency_s=60))
    settings = settings_for(simulator, tmp_path)
    arguments = {"prompt": MC, "models": PANEL, "timeout_s": 120}
    if tool == "collaborate":
        arguments |= {"mode": "council", "chairman": "f/ok1"}
    async with Client(build_server(settings, retry=no_wait())) as client:
        with anyio.fail_after(HANG_GUARD_S):
            call = asyncio.create_task(client.call_tool(tool, arguments))
            while simulator.in_flight < 3:
                await asyncio.sleep(0.01)
            call.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await call
            while simulator.in_flight or simulator.cancelled < 3:
                await asyncio.sleep(0.01)
            answer = await client.call_tool("chat", {"model": "sim/echo", "prompt": "still here"})
    assert simulator.cancelled == 3
    assert answer.structured_content["text"] == "still here"
    with anyio.fail_after(HANG_GUARD_S):
        while "running" in statuses(settings.store_path):
            await asyncio.sleep(0.02)
    assert statuses(settings.store_path) == ["done", "cancelled"]


def _server_pid() -> int:
    """The one child process of this test process that is an ``orcollective serve``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            if int(stat.rpartition(")")[2].split()[1]) == os.getpid() and b"serve" in cmdline:
                found.append(int(entry))
    (pid,) = found
    return pid


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@pytest.mark.e2e
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads peak memory from /proc")
async def test_50_mb_replies_do_not_grow_the_server_by_their_size(tmp_path):
    """Over stdio: a 50 MB reply streamed in pieces, in one event, and as one JSON body each end (cut at the cap,
    or one line), and the server's peak memory grows by less than one such reply."""
    scripts = [ScriptedModel("f/pieces", reply=BIG_IN_PIECES), ScriptedModel("f/one", reply=BIG_IN_ONE)]
    with Simulator(scripts) as sim, (tmp_path / "stderr.log").open("w") as errlog:
        transport = stdio_client(server_params(server_env(sim, tmp_path, ORCOLLECTIVE_LOG_LEVEL="INFO")), errlog=errlog)
        async with Client(transport, read_timeout_seconds=HANG_GUARD_S) as client:
            warm = await client.call_tool("chat", {"model": "sim/echo", "prompt": "warm up"})
            pid = _server_pid()
            before = _peak_rss_mb(pid)
            results = []
            for arguments in (
                {"model": "f/pieces", "prompt": "hi"},
                {"model": "f/one", "prompt": "hi"},
                {"model": "f/pieces", "prompt": "hi", "response_format": {"type": "json_object"}},
            ):
                with anyio.fail_after(HANG_GUARD_S):
                    results.append(await client.call_tool("chat", arguments))
            after = _peak_rss_mb(pid)
    assert not warm.is_error
    pieces, one, whole = results
    assert not pieces.is_error and pieces.structured_content["truncated"] is True
    assert one.is_error and "sent one event over" in text_of(one)
    assert whole.is_error and "is over 12 MB" in text_of(whole)
    assert after - before < 50, (before, after)


# -- the simulator's faults keep OpenRouter's wire format -----------------------------------------


def _post(sim: Simulator, model: str, *, stream: bool) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": stream}
    headers = {"Authorization": f"Bearer {sim.api_key}"}
    return httpx.post(f"{sim.base_url}/chat/completions", json=body, headers=headers, timeout=10)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_cost_faults_change_only_usage_cost(stream):
    """ "no-cost" drops ``usage.cost`` and "negative-cost" makes it negative; the rest of usage stays, and the
    simulator bills what the answer really cost."""
    with Simulator([ScriptedModel("w/none", always_fault="no-cost"),
                    ScriptedModel("w/neg", always_fault="negative-cost")]) as sim:  # fmt: skip
        for model, expect in (("w/none", None), ("w/neg", -0.25)):
            response = _post(sim, model, stream=stream)
            if stream:
                usage = [line for line in response.text.splitlines() if '"usage"' in line][-1]
                usage = httpx.Response(200, content=usage.removeprefix("data: ")).json()["usage"]
            else:
                usage = response.json()["usage"]
            assert usage.get("cost") == expect and usage["completion_tokens"] > 0
        assert sim.spent_usd >= 0


def test_bad_utf8_is_in_the_bytes_only():
    """ "bad-utf8" puts bytes that are not UTF-8 into the answer's JSON string and stream delta."""
    with Simulator([ScriptedModel("w/bad", reply="Answer: B", always_fault="bad-utf8")]) as sim:
        whole, streamed = _post(sim, "w/bad", stream=False), _post(sim, "w/bad", stream=True)
    for raw in (whole.content, streamed.content):
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert b"Answer: " in raw
    assert whole.content.decode("utf-8", "replace").count("\ufffd") >= 1


def test_retry_after_fault_sends_only_the_header():
    """ "429-retry-after": a provider's 429 body with a Retry-After header and no X-RateLimit-* headers."""
    with Simulator([ScriptedModel("w/ra", always_fault="429-retry-after", retry_after_s=HOURS)]) as sim:
        response = _post(sim, "w/ra", stream=False)
    assert response.status_code == 429 and response.headers["retry-after"] == "10800"
    assert not any(name.lower().startswith("x-ratelimit") for name in response.headers)
    assert response.json()["error"]["message"] == "Provider returned error"


def test_endless_faults_keep_sending_until_the_client_leaves():
    """ "endless": a stream of deltas with no finish, or a JSON answer of whitespace only; the simulator counts the
    client leaving as a cancel."""
    with Simulator([ScriptedModel("w/endless", always_fault="endless")]) as sim:
        body = {"model": "w/endless", "messages": [{"role": "user", "content": "hi"}]}
        headers = {"Authorization": f"Bearer {sim.api_key}"}
        with httpx.Client(timeout=10) as http:
            for stream in (True, False):
                with http.stream("POST", f"{sim.base_url}/chat/completions", json={**body, "stream": stream},
                                 headers=headers) as response:  # fmt: skip
                    received = b""
                    for piece in response.iter_bytes():
                        received += piece
                        if received.count(b'"content":"more "') >= 3 or (not stream and len(received) >= 3):
                            break
                if stream:
                    assert b'"finish_reason":"stop"' not in received
                else:
                    assert received == b"   "
        deadline = time.monotonic() + 10
        while sim.cancelled < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sim.cancelled == 2
