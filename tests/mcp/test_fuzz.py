"""Every tool's arguments, fuzzed through the real MCP client (hypothesis, derandomized, no database).

Each tool gets one in-memory server against the loopback simulator, where a chat, a consensus and a
benchmark have already run (so run and benchmark ids are real), and two passes:
- a sweep that puts each value of ``NASTY`` (wrong types, empty and 1 MB strings, control characters,
  NaN and infinities as the client sends them, 10**400, negative numbers, nested junk, 100-model panels,
  duplicates) into each argument of a small valid call, and under an unknown name;
- hypothesis, ``EXAMPLES`` calls per tool: a small valid call with up to four arguments replaced, mostly by
  values of the argument's type (in and just outside its limits; nested objects such as ``routing``,
  ``reasoning``, ``openrouter``, ``response_format``, ``tools`` and ``messages`` with their own keys and
  junk), otherwise by anything; sometimes an unknown name besides.

After every call:
- the session still works: a ``list_models`` call succeeds, and no server log record says a tool crashed;
- an error result is one line (no newline) under ``MAX_ERROR`` characters holding no run of a 1 MB argument
  (``ECHOED``), no traceback, exception class name (``ValueError``, ``ValidationError``...) or pydantic or
  httpx wording (``LEAKS``); and it names a fix: it holds one of ``FIX_WORDS`` (an imperative such as
  "use", "pass", "drop", "set"), and an "Invalid arguments" line names one of the tool's arguments.
At the end no run recorded by the server ended in an internal error (a crash inside a background run).
Over stdio, numbers JSON cannot hold (NaN, Infinity, 1e400, 400-digit integers) written raw into the line
by a lenient client are refused the same way.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import select
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import pytest
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from PIL import Image
from pydantic import BaseModel

from conftest import no_wait, server_env, settings_for
from orcollective.cli.doctor import server_params
from orcollective.features import FEATURES, Feature
from orcollective.mcp import build_server
from orcollective.simulator import ScriptedModel, Simulator

# Calls per tool: the spending tools make several loopback calls for each example that validates.
EXAMPLES = {"read": 150, "read_local": 150, "writes_local": 150, "spends": 80}
MAX_ERROR = 600
CALL_TIMEOUT_S = 60  # a call that takes longer is a hang, and fails the test

FIX_WORDS = re.compile(
    r"\b(use|pass|give|drop|add|pick|set|fix|choose|raise|lower|name|send|check|list|call|move|run|ask|write|"
    r"describe|retry|try|wait|remove|shorten|split|convert|save|resize|percent-encode|replace|keep|omit|leave|"
    r"relax|top up|buy)\b",
    re.IGNORECASE,
)
LEAKS = re.compile(
    r"Traceback|\b[A-Z][a-z]+(?:[A-Z][a-z]*)*(?:Error|Exception|Warning|Group)\b|pydantic|httpx|"
    r"input_value|\[type=|Error executing tool|object at 0x|File \"",
)

MB = "A" * 1_000_000
MB_UNICODE = "é中\u200b" * 333_334
ECHOED = ("A" * 100, "é中\u200b" * 30)  # a run of either means a 1 MB argument came back
CONTROL = "".join(chr(c) for c in range(32)) + "\x7f"
BIG = 10**400
HELPERS = ["fz/alpha", "fz/bravo", "fz/charlie"]  # answer every collective step at once (``cooperative``)
FAST_MODELS = [
    *HELPERS, "sim/echo", "sim/flaky", "sim/rate-limited", "sim/timeout", "sim/garbage", "sim/error-200",
    "sim/empty", "sim/cut", "sim/midstream-error", "sim/server-error", "sim/no-credits", "openai/gpt-5.1",
    "anthropic/claude-haiku-4.5", "minimax/minimax-m2:free", "deepseek/deepseek-chat-v3.1:free",
    "openai/gpt-5.1:nitro", "openrouter/auto", "@preset/none", "no/such-model",
]  # fmt: skip
NASTY: list[Any] = [
    None, True, -1, BIG, -BIG, 2**63, -1e308, 5e-324, float("nan"), float("inf"), "", " \t ", "\x00", CONTROL,
    "\u202eevil\u200b\ufeff💥", MB, MB_UNICODE, "../../etc/passwd", "~/.ssh/id_rsa", "http://[::1/", [],
    [None], [[[]]], ["http://[::1/"], ["sim/echo"] * 100, [f"sim/echo-{i}" for i in range(100)],
    ["sim/echo", "sim/echo"], [MB, MB], {}, {"a": {"b": {"c": [1, {"d": None}]}}}, {"type": {"type": {"type": []}}},
]  # fmt: skip

MODEL_FIELDS = {"model", "aggregator", "chairman", "planner", "judge"}
MODEL_LISTS = {"models", "reviewers", "fallback_models"}
PLAN = {"subtasks": [{"id": "s1", "task": "facts", "depends_on": []},
                     {"id": "s2", "task": "check", "depends_on": ["s1"]}]}  # fmt: skip
SETUP = [
    ("chat", {"model": "sim/echo", "prompt": "hi"}),
    ("consensus", {"prompt": "2+2? A) 3 B) 4", "models": HELPERS}),
    ("benchmark", {"prompts": ["2+2?"], "models": HELPERS[:2]}),
]


def cooperative(body: dict) -> str:
    """What a well-behaved model answers at every step of the collective tools: rankings, plans, critiques
    and reviews as the JSON asked for, a final answer line otherwise."""
    text = "\n".join(str(m.get("content")) for m in body.get("messages", []))
    if "Rank every response" in text:
        return json.dumps({"ranking": sorted(set(re.findall(r"Response ([A-Z])", text))), "reason": "by content"})
    if "Plan at most" in text:
        return json.dumps(PLAN)
    if "<draft>" in text:
        return json.dumps({"major": [], "minor": []})
    if asked := re.search(r"Score these criteria: (.*?)\. Reply", text):
        scores = dict.fromkeys(re.findall(r'"([^"]*)"', asked.group(1)), 7)
        return json.dumps({"scores": scores, "issues": [], "summary": "fine"})
    return "Reasoning.\nAnswer: B"


def valid_call(tool: str) -> dict:
    """A small valid call of ``tool``: the base each case changes."""
    calls: dict[str, dict] = {
        "chat": {"model": "sim/echo", "prompt": "hi", "timeout_s": 5},
        "model_info": {"model": "sim/echo"},
        "consensus": {"prompt": "2+2? A) 3 B) 4", "models": HELPERS, "timeout_s": 5},
        "benchmark": {"prompts": ["2+2?"], "models": HELPERS[:2], "timeout_s": 5},
        "free_chat": {"prompt": "hi"},
        "collaborate": {"prompt": "name a cat", "models": HELPERS, "chairman": HELPERS[0], "rounds": 1, "timeout_s": 5},
        "cross_validate": {"content": "def f(): pass", "reviewers": HELPERS, "timeout_s": 5},
        "select_model": {"task": "code review"},
        "ensemble_reasoning": {
            "problem": "plan a trip",
            "models": HELPERS,
            "planner": HELPERS[0],
            "aggregator": HELPERS[1],
            "timeout_s": 5,
        },  # fmt: skip
    }
    return dict(calls.get(tool, {}))


def text_of(result) -> str:
    return " ".join(b.text for b in result.content if b.type == "text")


class _Crashes(logging.Handler):
    """Log records at ERROR or above: the SDK logs a tool that raised something other than our errors."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(f"{record.name}: {record.getMessage()}")


Call = Callable[[str, dict], Any]


@contextmanager
def session(simulator: Simulator, tmp_path: Path) -> Iterator[Call]:
    """One in-memory server for a whole test, with ``SETUP`` run; ``call(tool, arguments)`` works from
    synchronous (hypothesis) code. A failed assertion is raised after the server has closed."""
    crashes = _Crashes()
    loggers = [logging.getLogger("mcp"), logging.getLogger("orcollective")]
    for logger in loggers:
        logger.addHandler(crashes)
    for model in HELPERS:
        simulator.script(ScriptedModel(model, reply=cooperative))
    failed: AssertionError | None = None
    try:
        with start_blocking_portal() as portal:
            client = Client(
                build_server(settings_for(simulator, tmp_path, output_dir=tmp_path / "out"), retry=no_wait())
            )
            with portal.wrap_async_context_manager(client) as connected:

                def call(tool: str, arguments: dict) -> Any:
                    before = len(crashes.seen)
                    result = portal.call(lambda: connected.call_tool(tool, arguments, CALL_TIMEOUT_S))
                    assert crashes.seen[before:] == [], crashes.seen[before:]
                    return result

                try:
                    for tool, arguments in SETUP:
                        assert not call(tool, arguments).is_error, tool
                    yield call
                except AssertionError as exc:
                    failed = exc
    finally:
        for logger in loggers:
            logger.removeHandler(crashes)
    if failed is not None:
        raise failed


def check(call: Call, tool: str, arguments: dict) -> None:
    """One case: the properties of the module docstring."""
    result = call(tool, arguments)
    text = text_of(result)
    if result.is_error:
        assert "\n" not in text and "\r" not in text, text[:MAX_ERROR]
        assert 0 < len(text) < MAX_ERROR, text[:MAX_ERROR]
        assert not [mark for mark in ECHOED if mark in text], text[:MAX_ERROR]
        found = LEAKS.search(text)
        assert found is None, f"{found.group(0)!r} in {text!r}"
        assert FIX_WORDS.search(text), text
        if text.startswith("Invalid arguments: "):
            names = [*FEATURES_BY_NAME[tool].request.model_fields, "unknown argument"]
            assert any(re.search(rf"\b{name}\b", text) for name in names), text
    else:
        assert "Traceback (most recent call last)" not in text
    alive = call("list_models", {"limit": 1})
    assert not alive.is_error, text_of(alive)


def saved_runs(call: Call) -> list[dict]:
    """Every run the server recorded, newest first (pages of 100, at most 100 pages)."""
    runs: list[dict] = []
    for offset in range(0, 10_000, 100):
        page = call("runs", {"limit": 100, "offset": offset})
        assert not page.is_error, text_of(page)
        runs += page.structured_content["runs"]
        if len(page.structured_content["runs"]) < 100:
            break
    return runs


def recorded(call: Call) -> dict[str, list[str]]:
    """The ids of the runs and benchmarks the server has saved."""
    benchmarks = call("benchmark_report", {}).structured_content["benchmarks"]
    return {"runs": [r["id"] for r in saved_runs(call)], "benchmarks": [b["benchmark_id"] for b in benchmarks]}


def no_internal_errors(call: Call) -> None:
    """No run this server recorded ended in an internal error (a crash inside a tool, foreground or not)."""
    failed = [r["id"] for r in saved_runs(call) if r["status"] == "error"]
    errors = [str(call("runs", {"run_id": run_id}).structured_content["run"]["error"]) for run_id in failed]
    assert not [e for e in errors if "internal error" in e], errors


# Values for each argument, by name first, then by its JSON schema.

JSON_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)  # any character JSON carries
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from([BIG, -BIG, 2**64]),
    st.floats(allow_nan=True, allow_infinity=True), JSON_TEXT, st.sampled_from(["", CONTROL, MB]),
)  # fmt: skip
JUNK = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(JSON_TEXT, inner, max_size=4), max_leaves=10
)


def keyed(keys: list[str], value: st.SearchStrategy = JUNK) -> st.SearchStrategy:
    """An object with some of ``keys`` (or other names) set to ``value``."""
    return st.dictionaries(st.sampled_from(keys) | JSON_TEXT, value, max_size=5)


@dataclass
class Known:
    """Values that mean something to this server: local paths and URLs, saved run and benchmark ids."""

    paths: st.SearchStrategy
    runs: st.SearchStrategy
    benchmarks: st.SearchStrategy


def known(tmp_path: Path, ids: dict[str, list[str]]) -> Known:
    image = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(image, format="PNG")
    (tmp_path / "img.png").write_bytes(image.getvalue())
    (tmp_path / "doc.txt").write_text("a small text file\n")
    b64 = base64.b64encode(image.getvalue()).decode()
    paths = st.sampled_from([
        "img.png", str(tmp_path / "img.png"), "doc.txt", str(tmp_path / "doc.txt"), "../../etc/passwd", "/etc/passwd",
        "~/.bashrc", "img.png\x00.txt", str(tmp_path), "", "http://example.com/a.png", "https://example.com/a.pdf",
        "file:///etc/passwd", "javascript:alert(1)", f"data:image/png;base64,{b64}", "data:image/png;base64,!!!!",
        "data:text/plain,hello", b64, "A" * 2000, "http://[::1/", "http://exa mple.com/a.png",
    ]) | JSON_TEXT  # fmt: skip
    runs = st.sampled_from(ids["runs"]) | JSON_TEXT
    return Known(paths=paths, runs=runs, benchmarks=st.sampled_from(ids["benchmarks"]) | JSON_TEXT)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model of an object argument (``Routing``, ``Reasoning | None``, ``Upstream``...)."""
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and not get_args(candidate) and issubclass(candidate, BaseModel):
            return candidate
    return None


def model_strategy(model: type[BaseModel], ids: Known) -> st.SearchStrategy:
    """An object for ``model``: some of its keys with values of their type or junk, or other keys."""
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    fields = {
        name: st.one_of(typed(name, schema["properties"][name], defs, ids, info.annotation), JUNK)
        for name, info in model.model_fields.items()
    }
    return st.fixed_dictionaries({}, optional=fields) | keyed(list(fields))


def typed(name: str, schema: dict, defs: dict, ids: Known, annotation: Any = None) -> st.SearchStrategy:
    """Values of an argument's type, in and just outside its limits."""
    if (nested := _model_of(annotation)) is not None:
        return model_strategy(nested, ids)
    if name in MODEL_FIELDS:
        return st.sampled_from(FAST_MODELS) | JSON_TEXT
    if name in MODEL_LISTS:
        return st.lists(st.sampled_from(FAST_MODELS), max_size=18) | st.lists(JSON_TEXT, max_size=3)
    if name in ("images", "files"):
        return st.lists(ids.paths, max_size=12)
    if name in ("run_id", "continue_from"):
        return ids.runs
    if name == "benchmark_id":
        return ids.benchmarks
    if name == "timeout_s":
        return st.sampled_from([0.5, 1, 1.5, 2, 600, 601, 10**9, BIG, float("nan")])
    if name == "max_cost_usd":
        return st.sampled_from([1e-12, 1e-6, 0.01, 1e6, 1e308, 0, -1, BIG])
    if name == "pdf_engine":
        return st.sampled_from(["native", "cloudflare-ai", "mistral-ocr", "pdf-text"]) | JSON_TEXT
    if name == "messages":
        role = st.sampled_from(["user", "assistant", "system", "tool", "developer"]) | JSON_TEXT
        content = JSON_TEXT | st.lists(keyed(["type", "text", "image_url"], JSON_TEXT | JUNK), max_size=3) | JUNK
        return st.lists(st.fixed_dictionaries({"role": role, "content": content}, optional={"name": JUNK}), max_size=4)
    if name == "tools" and any(v.get("type") == "array" for v in schema.get("anyOf", [])):
        function = keyed(["name", "description", "parameters"], JSON_TEXT | JUNK)
        return st.lists(st.fixed_dictionaries({"type": st.just("function") | JUNK, "function": function}), max_size=3)
    if name == "response_format":
        json_schema = keyed(["name", "schema", "strict"], JSON_TEXT | JUNK)
        kind = st.sampled_from(["json_object", "json_schema", "text"]) | JUNK
        return st.fixed_dictionaries({"type": kind}, optional={"json_schema": json_schema})
    variants = schema.get("anyOf", [schema])
    options = [_of_type(v, defs) for v in variants if v.get("type") != "null"]
    return st.one_of(*options, *([st.none()] if len(options) < len(variants) else []))


def _of_type(schema: dict, defs: dict) -> st.SearchStrategy:
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    if "enum" in schema:
        return st.sampled_from(schema["enum"]) | st.sampled_from(schema["enum"]) | JSON_TEXT
    kind = schema.get("type")
    low = schema.get("minimum", schema.get("exclusiveMinimum", -(10**6)))
    high = schema.get("maximum", 10**6)
    if kind == "integer":
        return st.integers(int(low) - 2, int(high) + 2) | st.sampled_from([BIG, -BIG])
    if kind == "number":
        return st.floats(float(low) - 1, float(high) + 1) | st.sampled_from([float("nan"), float("inf"), BIG])
    if kind == "boolean":
        return st.booleans()
    if kind == "string":
        return JSON_TEXT | st.sampled_from(["", "   ", MB, CONTROL, "What is 2+2? A) 3 B) 4"])
    if kind == "array":
        return st.lists(_of_type(schema.get("items", {}), defs), max_size=min(schema.get("maxItems", 6) + 1, 6))
    return JUNK


def arguments_strategy(feature: Feature, ids: Known) -> st.SearchStrategy:
    """``valid_call`` with up to four arguments replaced or added: two examples in three by values of each
    argument's type, the third by those, NASTY values or any JSON; one in five with an unknown name besides."""
    schema = feature.request.model_json_schema()
    defs = schema.get("$defs", {})
    annotations = {name: info.annotation for name, info in feature.request.model_fields.items()}
    kinds = {k: typed(k, v, defs, ids, annotations.get(k)) for k, v in schema["properties"].items()}
    wild = {k: st.one_of(s, st.sampled_from(NASTY), JUNK) for k, s in kinds.items()}
    base = valid_call(feature.name)
    required = [k for k in schema.get("required", []) if k not in base]

    def replaced(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy:
        names = st.lists(st.sampled_from(sorted(fields)), max_size=4, unique=True)
        given = st.fixed_dictionaries({k: fields[k] for k in required})
        picked = names.flatmap(lambda chosen: st.fixed_dictionaries({n: fields[n] for n in chosen}))
        return st.builds(lambda g, p: {**base, **g, **p}, given, picked)

    unknown = st.dictionaries(st.sampled_from(["modle", "prompts", "temprature", "x" * 300, ""]) | JSON_TEXT, JUNK,
                              min_size=1, max_size=1)  # fmt: skip
    sometimes = st.sampled_from([False] * 4 + [True]).flatmap(lambda on: unknown if on else st.just({}))
    calls = st.sampled_from(["typed", "typed", "wild"]).flatmap(lambda m: replaced(kinds if m == "typed" else wild))
    return st.builds(lambda call, extra: {**extra, **call}, calls, sometimes)


FEATURE_IDS = [f.name for f in FEATURES]
FEATURES_BY_NAME = {f.name: f for f in FEATURES}


@pytest.mark.parametrize("feature", FEATURES, ids=FEATURE_IDS)
def test_each_nasty_value_in_each_argument(simulator, tmp_path, feature):
    """Every value of NASTY in every argument of a valid call (and under an unknown name) keeps the
    properties of the module docstring; every failing case is reported."""
    base = valid_call(feature.name)
    failures = []
    with session(simulator, tmp_path) as call:
        for name in [*feature.request.model_fields, "no_such_argument"]:
            for index, value in enumerate(NASTY):
                try:
                    check(call, feature.name, {**base, name: value})
                except AssertionError as exc:
                    failures.append(f"{name}=NASTY[{index}]: {str(exc)[:700]}")
        no_internal_errors(call)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("feature", FEATURES, ids=FEATURE_IDS)
def test_fuzzed_arguments(simulator, tmp_path, feature):
    """Hypothesis mixes valid-ish values, junk of every JSON type and unknown names in one call."""
    with session(simulator, tmp_path) as call:

        @settings(
            max_examples=EXAMPLES[feature.kind], deadline=None, derandomize=True, database=None,
            suppress_health_check=list(HealthCheck), print_blob=True,
        )  # fmt: skip
        @given(arguments_strategy(feature, known(tmp_path, recorded(call))))
        def fuzz(arguments: dict) -> None:
            check(call, feature.name, arguments)

        fuzz()
        no_internal_errors(call)


RAW_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e400", "9" * 400, "-" + "9" * 400]


def test_numbers_json_cannot_hold_over_stdio(simulator, tmp_path):
    """A lenient client's encoder writes NaN, Infinity, 1e400 and 400-digit integers into the JSON line
    itself: each is refused in one line naming the argument, and the server goes on answering."""
    params = server_params(server_env(simulator, tmp_path))
    with subprocess.Popen(
        [params.command, *params.args], env=params.env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    ) as server:  # fmt: skip
        assert server.stdin is not None and server.stdout is not None and server.stderr is not None

        def ask(ident: int, method: str, params: str) -> dict:
            server.stdin.write(f'{{"jsonrpc":"2.0","id":{ident},"method":"{method}","params":{params}}}\n')
            server.stdin.flush()
            for _ in range(100):  # replies only, but skip anything else the server writes
                ready, _, _ = select.select([server.stdout], [], [], CALL_TIMEOUT_S)
                assert ready, f"no answer to {method}"
                message = json.loads(server.stdout.readline())
                if message.get("id") == ident:
                    return message
            raise AssertionError(f"no answer to {method}")

        hello = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}
        assert "result" in ask(0, "initialize", json.dumps(hello))
        server.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        answers = {}
        for ident, (name, raw) in enumerate(((n, r) for n in ("temperature", "max_tokens") for r in RAW_NUMBERS), 1):
            arguments = f'{{"model":"sim/echo","prompt":"hi","{name}":{raw}}}'
            answers[(name, raw)] = ask(ident, "tools/call", f'{{"name":"chat","arguments":{arguments}}}')["result"]
        alive = ask(99, "tools/call", '{"name":"list_models","arguments":{"limit":1}}')["result"]
        server.stdin.close()
        server.wait(CALL_TIMEOUT_S)
        log = server.stderr.read()
    for (name, raw), result in answers.items():
        text = " ".join(block["text"] for block in result["content"])
        assert result["isError"] and text.startswith(f"Invalid arguments: {name}: ") and "\n" not in text, (raw, text)
        assert len(text) < 200 and FIX_WORDS.search(text), text
    assert not alive.get("isError") and "Traceback" not in log
    assert simulator.calls() == 0
