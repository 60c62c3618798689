"""The collective tools' ``openrouter`` argument end to end: chat's files, web search, routing and caching
reach every request of a run over real HTTP, and their results show the sources and the cache's saving."""

from __future__ import annotations

import json
import re

import pytest
from mcp import Client

from conftest import no_wait, settings_for
from orcollective.mcp import build_server
from orcollective.simulator import ScriptedModel, Simulator

PDF = b"%PDF-1.4\n1 0 obj<<>>stream\nBT (The code word is heron) Tj ET\nendstream\n%%EOF\n"
PANEL = ["r/one", "r/two", "r/three"]
ROUTING = {"zdr": True, "data_collection": "deny", "sort": "price", "ignore": ["together"]}
PROVIDER = {"zdr": True, "data_collection": "deny", "sort": "price", "ignore": ["together"]}


def text_of(body: dict) -> str:
    out = []
    for message in body["messages"]:
        content = message.get("content")
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
        out += [p.get("text") or "" for p in parts if p.get("type") == "text"]
    return "\n".join(out)


def reader(body: dict) -> str:
    """Answers the code word when the file's text reached it (and says so when it did not); ranks the
    responses of a council in the order shown; reviews with a fixed score."""
    text = text_of(body)
    if "Rank every response" in text:
        return json.dumps({"ranking": re.findall(r"Response ([A-Z]):", text), "reason": "ok"})
    if "scores" in json.dumps(body.get("response_format") or {}):
        return json.dumps({"scores": {"accuracy": 8}, "issues": [], "summary": "ok"})
    return "heron" if "heron" in text else "no file"


def script(sim: Simulator, models=PANEL, reply=reader, **extra) -> None:
    for model in models:
        sim.script(ScriptedModel(model, reply=reply, **extra))


def chats(sim: Simulator) -> list[dict]:
    return [r.json for r in sim.requests if r.path.endswith("/chat/completions")]


def has_file(body: dict) -> bool:
    return any(
        isinstance(m["content"], list) and any(p["type"] == "file" for p in m["content"]) for m in body["messages"]
    )


async def call(sim: Simulator, tmp_path, tool: str, arguments: dict):
    async with Client(build_server(settings_for(sim, tmp_path), retry=no_wait())) as client:
        result = await client.call_tool(tool, arguments)
    if result.is_error:
        return " ".join(b.text for b in result.content if b.type == "text")
    return result.structured_content


async def test_consensus_reads_a_pdf_searches_the_web_and_routes_every_call(simulator, tmp_path):
    """A PDF goes as a file part with the file-parser plugin to each panelist, beside the web search tool and
    the provider object; the answer comes from the file, and the cited pages come back once each."""
    script(simulator)
    (tmp_path / "memo.pdf").write_bytes(PDF)
    openrouter = {"files": ["memo.pdf"], "pdf_engine": "cloudflare-ai", "web_search": True, "max_results": 2,
                  "routing": ROUTING}  # fmt: skip
    result = await call(simulator, tmp_path, "consensus", {
        "prompt": "What is the code word?", "models": PANEL, "answer_type": "text", "early_stop": False,
        "openrouter": openrouter,
    })  # fmt: skip
    assert result["answer"] == "heron" and result["answered"] == 3
    sent = chats(simulator)
    assert len(sent) == 3 and all(has_file(b) for b in sent)
    for body in sent:
        assert body["plugins"] == [{"id": "file-parser", "pdf": {"engine": "cloudflare-ai"}}]
        assert body["tools"] == [{"type": "openrouter:web_search", "parameters": {"max_results": 2}}]
        assert body["provider"] == PROVIDER
    urls = [s["url"] for s in result["sources"]]
    assert urls and len(urls) == len(set(urls)) and all(u.startswith("https://example.org/result/") for u in urls)


async def test_a_repeated_consensus_from_the_response_cache_costs_nothing(simulator, tmp_path):
    """cache='response' asks OpenRouter's response cache on every call; the identical re-run is billed $0 and
    the result says what the cache saved."""
    script(simulator, reply="B")
    arguments = {"prompt": "A or B?", "answer_type": "text", "models": PANEL, "early_stop": False,
                 "openrouter": {"cache": "response"}}  # fmt: skip
    first = await call(simulator, tmp_path, "consensus", arguments)
    second = await call(simulator, tmp_path, "consensus", arguments)
    assert all(
        r.headers.get("x-openrouter-cache") == "true"
        for r in simulator.requests
        if r.path.endswith("/chat/completions")
    )
    assert first["cost_usd"] > 0 and first["cache_saving_usd"] is None
    assert second["answer"] == first["answer"] == "b"
    assert second["cost_usd"] == 0 and second["cache_saving_usd"] > 0
    assert any("3 of 3 calls came from OpenRouter's response cache" in n for n in second["notes"])


async def test_prompt_caching_marks_every_panel_call(simulator, tmp_path):
    """cache='prompt' puts cache_control breakpoints on the system prompt and the question of each call."""
    script(simulator, models=["anthropic/claude-3.5-haiku", "r/one"], reply="B")
    await call(simulator, tmp_path, "consensus", {
        "prompt": "A or B?", "system": "Read carefully. " * 300, "models": ["anthropic/claude-3.5-haiku", "r/one"],
        "early_stop": False, "openrouter": {"cache": "prompt"},
    })  # fmt: skip
    for body in chats(simulator):
        assert body["messages"][0]["content"][-1]["cache_control"] == {"type": "ephemeral"}
        assert body["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}


async def test_council_sends_files_only_where_they_are_and_routes_every_step(simulator, tmp_path):
    """A council's answers carry the inlined text file; its rankings and chairman carry none, and no
    file-parser plugin either; the provider object reaches every call."""
    script(simulator)
    (tmp_path / "notes.md").write_text("The code word is heron.\n")
    result = await call(simulator, tmp_path, "collaborate", {
        "prompt": "What is the code word?", "models": PANEL, "chairman": "r/one",
        "openrouter": {"files": ["notes.md"], "routing": ROUTING},
    })  # fmt: skip
    assert result["status"] == "done"
    sent = chats(simulator)
    assert len(sent) == 7  # 3 answers, 3 rankings, 1 chairman
    answers = [b for b in sent if '<file name="notes.md">' in text_of(b)]
    assert len(answers) == 3 and {b["model"] for b in answers} == set(PANEL)
    assert all(b["provider"] == PROVIDER and "plugins" not in b for b in sent)
    assert set(result["answers"].values()) == {"heron"}


async def test_cross_validate_and_ensemble_take_files_and_web_search(simulator, tmp_path):
    """Reviewers and an ensemble's planner and workers all see the file; each call may search the web."""
    (tmp_path / "memo.pdf").write_bytes(PDF)
    script(simulator, models=["r/one", "r/two"])
    openrouter = {"files": ["memo.pdf"], "web_search": True}
    reviewed = await call(simulator, tmp_path, "cross_validate", {
        "content": "The code word is heron.", "reviewers": ["r/one", "r/two"], "criteria": ["accuracy"],
        "openrouter": openrouter,
    })  # fmt: skip
    assert isinstance(reviewed, dict) and reviewed["calls"]
    review_bodies = chats(simulator)
    assert len(review_bodies) >= 2 and all(has_file(b) and b["tools"][0]["type"] == "openrouter:web_search"
                                            for b in review_bodies)  # fmt: skip
    simulator.reset()
    script(simulator, models=["r/one", "r/two"])
    solved = await call(simulator, tmp_path, "ensemble_reasoning", {
        "problem": "What is the code word?", "models": ["r/one", "r/two"], "planner": "r/one",
        "aggregator": "r/two", "openrouter": openrouter,
    })  # fmt: skip
    assert solved["answer"] == "heron"
    planner, *rest = chats(simulator)
    assert has_file(planner) and has_file(rest[0])
    assert solved["sources"] and all(s["url"].startswith("https://example.org/result/") for s in solved["sources"])


async def test_the_auto_router_takes_allowed_models_in_a_panel(simulator, tmp_path):
    """routing.allowed_models goes with openrouter/auto's request only, as the auto-router plugin."""
    script(simulator, models=["r/one"], reply="B")
    await call(simulator, tmp_path, "consensus", {
        "prompt": "A or B?", "answer_type": "text", "models": ["openrouter/auto", "r/one"], "early_stop": False,
        "openrouter": {"routing": {"allowed_models": ["r/*"]}},
    })  # fmt: skip
    by_model = {b["model"]: b for b in chats(simulator)}
    assert by_model["openrouter/auto"]["plugins"] == [{"id": "auto-router", "allowed_models": ["r/*"]}]
    assert "plugins" not in by_model["r/one"]


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        (
            "consensus",
            {"openrouter": {"filez": ["a.pdf"]}},
            "unknown argument 'openrouter.filez'; did you mean 'files'?",
        ),
        ("consensus", {"openrouter": {"routing": {"zdrr": True}}}, "'openrouter.routing.zdrr'; did you mean 'zdr'?"),
        ("collaborate", {"openrouter": {"max_results": 3}}, "add web_search=true"),
        ("consensus", {"openrouter": {"files": ["/etc/hostname"]}}, "outside the allowed folders"),
        ("cross_validate", {"openrouter": {"routing": {"allowed_models": ["r/*"]}}}, "add it to the models"),
        ("ensemble_reasoning", {"openrouter": {"cache": "forever"}}, "openrouter.cache"),
        ("consensus", {"openrouter": "web"}, "openrouter"),
    ],
)
async def test_openrouter_mistakes_are_one_line_and_send_nothing(simulator, tmp_path, tool, arguments, expected):
    script(simulator)
    first = {"consensus": {"prompt": "A or B?", "answer_type": "text", "models": PANEL},
             "collaborate": {"prompt": "Why?", "models": PANEL},
             "cross_validate": {"content": "text", "reviewers": PANEL},
             "ensemble_reasoning": {"problem": "Why?", "models": PANEL}}[tool]  # fmt: skip
    error = await call(simulator, tmp_path, tool, {**first, **arguments})
    assert isinstance(error, str) and expected in error and "\n" not in error
    assert simulator.calls() == 0


async def test_reasoning_is_never_counted_as_the_answer(simulator, tmp_path):
    """Models that reason towards A but answer B are read as B: the reasoning comes apart from the text."""
    script(simulator, reply="B", reasoning="The answer is clearly A. A. A.")
    arguments = {"prompt": "A or B?", "answer_type": "text", "models": PANEL, "early_stop": False}
    result = await call(simulator, tmp_path, "consensus", arguments)
    assert result["answer"] == "b" and result["agreement"] == 1.0


async def test_web_search_is_priced_before_any_spend(simulator, tmp_path):
    """Search results are billed apart from tokens ($4 per 1,000): the estimate counts them, and a budget
    they would break is refused before a call is made."""
    script(simulator, reply="B")
    ask = {"prompt": "A or B?", "answer_type": "text", "models": PANEL, "early_stop": False}
    plain = await call(simulator, tmp_path, "consensus", ask)
    searched = await call(
        simulator, tmp_path, "consensus", {**ask, "openrouter": {"web_search": True, "max_results": 5}}
    )
    assert searched["estimate_usd"] >= 3 * 5 * 0.004 > 100 * plain["estimate_usd"] > 0
    asked = simulator.calls()
    refused = await call(simulator, tmp_path, "collaborate", {
        "prompt": "Why?", "models": PANEL, "max_cost_usd": 0.01, "openrouter": {"web_search": True},
    })  # fmt: skip
    assert isinstance(refused, str) and "over max_cost_usd" in refused and simulator.calls() == asked


async def test_a_benchmark_rerun_from_the_response_cache_costs_nothing(simulator, tmp_path):
    """A benchmark's contestants get the routing and cache options; the identical re-run is billed $0 and its
    cached timings are left out of the latency figures."""
    script(simulator, reply="B")
    arguments = {"prompts": ["A or B?"], "models": PANEL, "expected": ["B"], "answer_type": "text",
                 "openrouter": {"cache": "response", "routing": ROUTING}}  # fmt: skip
    first = await call(simulator, tmp_path, "benchmark", arguments)
    second = await call(simulator, tmp_path, "benchmark", arguments)
    assert all(b["provider"] == PROVIDER for b in chats(simulator))
    assert first["cost_usd"] > 0 and second["cost_usd"] == 0
    assert {r["accuracy"] for r in second["rows"]} == {1.0}
    assert all(r["latency_median_s"] is None for r in second["rows"])
    assert any("3 of 3 trials came from OpenRouter's response cache" in n for n in second["notes"])
