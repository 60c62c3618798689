"""chat's OpenRouter features end to end: argument -> request body -> simulator -> result, over the
in-memory MCP client and real HTTP."""

from __future__ import annotations

import pytest
from mcp import Client

from conftest import no_wait, settings_for
from orcollective.mcp import build_server
from orcollective.simulator import ScriptedModel, Simulator
from orcollective.store import RunStore

PDF = b"%PDF-1.4\n1 0 obj<<>>stream\nBT (The code word is heron) Tj ET\nendstream\n%%EOF\n"
SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "answer",
        "schema": {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
    },
}


def text_of(result) -> str:
    return " ".join(block.text for block in result.content if block.type == "text")


async def chat(sim: Simulator, tmp_path, **arguments):
    """One chat call; the structured result (or the error line) and the last body the simulator got."""
    async with Client(build_server(settings_for(sim, tmp_path), retry=no_wait())) as client:
        result = await client.call_tool("chat", {"model": "sim/echo", "prompt": "Read it.", **arguments})
    if result.is_error:
        return text_of(result), None
    chats = [r for r in sim.requests if r.path.endswith("/chat/completions")]
    return result.structured_content, chats[-1].json


async def test_a_pdf_goes_as_a_file_part_with_the_file_parser_plugin(simulator, tmp_path):
    """A PDF under the allowed root is a data-URL file part; pdf_engine picks the parser; the model reads it."""
    (tmp_path / "memo.pdf").write_bytes(PDF)
    result, sent = await chat(simulator, tmp_path, files=["memo.pdf"], pdf_engine="mistral-ocr")
    part = sent["messages"][-1]["content"][-1]
    assert part["type"] == "file" and part["file"]["filename"] == "memo.pdf"
    assert part["file"]["file_data"].startswith("data:application/pdf;base64,")
    assert sent["plugins"] == [{"id": "file-parser", "pdf": {"engine": "mistral-ocr"}}]
    assert "The code word is heron" in result["text"]


async def test_a_text_file_is_inlined_and_a_pdf_url_passes_through(simulator, tmp_path):
    """Markdown is inlined as a text part named after the file; a PDF URL is sent for OpenRouter to fetch."""
    (tmp_path / "notes.md").write_text("# Notes\nPlums are purple.\n")
    result, sent = await chat(simulator, tmp_path, files=["notes.md", "https://example.org/paper.pdf"])
    text, url = sent["messages"][-1]["content"][1:]
    assert text == {"type": "text", "text": '<file name="notes.md">\n# Notes\nPlums are purple.\n\n</file>'}
    assert url["file"] == {"filename": "paper.pdf", "file_data": "https://example.org/paper.pdf"}
    assert "Plums are purple." in result["text"]


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"files": ["/etc/hostname"]}, "outside the allowed folders"),
        ({"files": ["blob.bin"]}, "neither a PDF nor UTF-8 text"),
        ({"files": ["missing.pdf"]}, "No file at"),
        ({"files": ["notes.md"], "pdf_engine": "native"}, "'pdf_engine' applies to PDF files"),
        ({"max_results": 3}, "add web_search=true"),
        ({"pdf_engine": "pdf-magic"}, "pdf_engine"),
    ],
)
async def test_file_and_search_mistakes_are_one_line_and_send_nothing(simulator, tmp_path, arguments, expected):
    """Files outside the roots, binaries, misplaced pdf_engine or max_results are refused before any call."""
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02\xff" * 10)
    (tmp_path / "notes.md").write_text("hi")
    error, _ = await chat(simulator, tmp_path, **arguments)
    assert expected in error and "\n" not in error
    assert simulator.calls() == 0


async def test_web_search_uses_the_server_tool_and_returns_cited_sources(simulator, tmp_path):
    """web_search=true sends the openrouter:web_search tool; url_citation annotations become sources."""
    result, sent = await chat(simulator, tmp_path, web_search=True, max_results=3)
    assert sent["tools"] == [{"type": "openrouter:web_search", "parameters": {"max_results": 3}}]
    assert [s["url"].split("?")[0] for s in result["sources"]] == [f"https://example.org/result/{i}" for i in (1, 2, 3)]
    plain, _ = await chat(simulator, tmp_path)
    assert result["cost_usd"] > plain["cost_usd"] and plain["sources"] == []


async def test_routing_knobs_become_the_provider_object(simulator, tmp_path):
    """The typed routing argument is sent as OpenRouter's provider object, prices per 1M tokens."""
    routing = {
        "provider_order": ["anthropic", "deepinfra/turbo"], "allow_fallbacks": False, "sort": "throughput",
        "max_prompt_price": 1, "max_completion_price": 2.5, "data_collection": "deny", "zdr": True,
        "only": ["anthropic"], "ignore": ["together"], "quantizations": ["fp8"], "require_parameters": True,
    }  # fmt: skip
    result, sent = await chat(simulator, tmp_path, routing=routing)
    assert result["provider"] == "anthropic"  # the simulator serves from the first provider in order
    assert sent["provider"] == {
        "order": ["anthropic", "deepinfra/turbo"], "allow_fallbacks": False, "sort": "throughput",
        "max_price": {"prompt": 1, "completion": 2.5}, "data_collection": "deny", "zdr": True,
        "only": ["anthropic"], "ignore": ["together"], "quantizations": ["fp8"], "require_parameters": True,
    }  # fmt: skip


async def test_a_max_price_below_the_model_price_fails_naming_it(simulator, tmp_path):
    """max_price is a hard filter upstream: a model priced above it is not served, and the error says why."""
    error, _ = await chat(simulator, tmp_path, routing={"max_prompt_price": 0.05})
    assert "max_price.prompt = 0.05" in error


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"routing": {"quantizations": ["fp7"]}}, "unknown quantization 'fp7'"),
        ({"routing": {"only": ["Not A Slug"]}}, "is not a provider slug"),
        ({"routing": {"max_prompt_price": -1}}, "0 to 10000"),
        ({"routing": {"allowed_models": ["openai/*"]}}, "applies to model 'openrouter/auto' only"),
        ({"model": "openai/gpt-4o-mini:turbo"}, "Unknown variant ':turbo'"),
        ({"model": "openai/gpt-4o-mini:thinking"}, "does not reason"),
        ({"model": "@preset/Bad Name"}, "spaces"),
        ({"model": "@preset/BadName"}, "is not a preset id"),
    ],
)
async def test_routing_and_variant_mistakes_are_refused(simulator, tmp_path, arguments, expected):
    """Bad knobs, unknown variants, :thinking on a model that does not reason and bad preset ids are refused."""
    error, _ = await chat(simulator, tmp_path, **arguments)
    assert expected in error
    assert simulator.calls() == 0


async def test_variants_are_checked_against_the_catalog_and_sent_as_given(simulator, tmp_path):
    """:nitro is sent as given and served by its base model; :thinking on a reasoning model returns reasoning."""
    result, sent = await chat(simulator, tmp_path, model="openai/gpt-4o-mini:nitro")
    assert sent["model"] == "openai/gpt-4o-mini:nitro" and result["model"] == "openai/gpt-4o-mini"
    result, _ = await chat(simulator, tmp_path, model="moonshotai/kimi-k2-thinking:thinking")
    assert result["reasoning"].startswith("Thinking about") and not result["text"].startswith("Thinking")


async def test_free_variants_must_be_in_the_catalog(simulator, tmp_path):
    """A :free id is a catalog id of its own: a listed one answers, an unlisted one is refused with suggestions."""
    result, sent = await chat(simulator, tmp_path, model="meta-llama/llama-3.3-70b-instruct:free")
    assert sent["model"] == result["model"] == "meta-llama/llama-3.3-70b-instruct:free" and result["cost_usd"] == 0
    error, _ = await chat(simulator, tmp_path, model="openai/gpt-4o:free")
    assert "openai/gpt-4o:free" in error and "list_models" in error


async def test_web_search_joins_the_callers_tools(simulator, tmp_path):
    """With tools and web_search both given, the function tools come first and the search tool after."""
    tools = [{"type": "function", "function": {"name": "f"}}]
    _, sent = await chat(simulator, tmp_path, tools=tools, web_search=True)
    assert sent["tools"] == [*tools, {"type": "openrouter:web_search"}]


async def test_auto_router_takes_allowed_models(simulator, tmp_path):
    """openrouter/auto sends allowed_models through the auto-router plugin; the result names the model used."""
    result, sent = await chat(simulator, tmp_path, model="openrouter/auto", routing={"allowed_models": ["anthropic/*"]})
    assert sent["plugins"] == [{"id": "auto-router", "allowed_models": ["anthropic/*"]}]
    assert result["model"].startswith("anthropic/") and result["requested_model"] == "openrouter/auto"


async def test_a_preset_is_accepted_and_an_unknown_one_named(tmp_path):
    """model='@preset/name' is sent as is; the preset's model answers; an unknown preset is a clear error."""
    with Simulator(presets={"fast": {"model": "sim/echo"}}) as sim:
        result, sent = await chat(sim, tmp_path, model="@preset/fast")
        assert sent["model"] == "@preset/fast" and result["model"] == "sim/echo"
        error, _ = await chat(sim, tmp_path, model="@preset/nope")
    assert "Preset '@preset/nope' not found" in error


async def test_reasoning_comes_back_apart_from_the_answer(simulator, tmp_path):
    """The reasoning text is its own field; exclude asks for none; effort and max_tokens are exclusive."""
    simulator.script(ScriptedModel("r/thinker", reply="42", reasoning="six times seven"))
    result, sent = await chat(simulator, tmp_path, model="r/thinker", reasoning={"max_tokens": 500})
    assert (result["text"], result["reasoning"]) == ("42", "six times seven")
    assert sent["reasoning"] == {"max_tokens": 500} and result["usage"]["reasoning_tokens"] > 0
    result, sent = await chat(simulator, tmp_path, model="r/thinker", reasoning={"effort": "low", "exclude": True})
    assert sent["reasoning"] == {"effort": "low", "exclude": True} and result["reasoning"] is None
    error, _ = await chat(simulator, tmp_path, reasoning={"effort": "low", "max_tokens": 10})
    assert "not both" in error
    error, _ = await chat(simulator, tmp_path, reasoning={"effort": "huge"})
    assert "reasoning.effort" in error and "'xhigh'" in error


async def test_structured_output_is_parsed_and_checked_against_the_schema(simulator, tmp_path):
    """A json_schema reply is parsed into 'json'; a reply off the schema says where; prose says it is not JSON."""
    simulator.script(ScriptedModel("j/good", reply='{"a": 7}'))
    simulator.script(ScriptedModel("j/off", reply='{"a": "seven"}'))
    simulator.script(ScriptedModel("j/prose", reply="Sure! Here it is: a is 7"))
    result, sent = await chat(simulator, tmp_path, model="j/good", response_format=SCHEMA)
    assert sent["response_format"] == SCHEMA and (result["json"], result["json_error"]) == ({"a": 7}, None)
    result, _ = await chat(simulator, tmp_path, model="j/off", response_format=SCHEMA)
    assert result["json"] == {"a": "seven"} and "schema at a" in result["json_error"]
    result, _ = await chat(simulator, tmp_path, model="j/prose", response_format=SCHEMA)
    assert result["json"] is None and "not valid JSON" in result["json_error"]


async def test_json_replies_use_response_healing_without_streaming(simulator, tmp_path):
    """A JSON response_format adds the response-healing plugin and asks for a whole reply, repaired upstream."""
    simulator.script(ScriptedModel("j/fenced", reply='Here you go:\n```json\n{"a": 7,}\n```'))
    result, sent = await chat(simulator, tmp_path, model="j/fenced", response_format=SCHEMA)
    assert sent["plugins"] == [{"id": "response-healing"}] and sent["stream"] is False
    assert result["json"] == {"a": 7} and result["json_error"] is None


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "bogus"}}}},
         "not valid JSON Schema"),
        ({"pdf_engine": "native"}, "'pdf_engine' applies to PDF files"),
        ({"tools": [{"type": "function", "function": {"name": "bad name"}}]}, "tools: [0].function.name"),
        ({"tool_choice": "auto"}, "tool_choice needs tools"),
        ({"tools": [{"type": "function", "function": {"name": "f"}}],
          "tool_choice": {"type": "function", "function": {"name": "g"}}}, "names 'g', which is not in tools"),
    ],
)  # fmt: skip
async def test_bad_schemas_and_tools_are_refused_before_sending(simulator, tmp_path, arguments, expected):
    """An invalid JSON Schema, a misplaced pdf_engine, a bad tool or tool_choice never reach the API."""
    error, _ = await chat(simulator, tmp_path, **arguments)
    assert expected in error
    assert simulator.calls() == 0


async def test_tools_pass_through_and_tool_calls_come_back_structured(simulator, tmp_path):
    """tools/tool_choice are sent as given; the proposed calls come back with parsed arguments."""
    simulator.script(ScriptedModel("t/caller", tool_calls=[{"name": "get_weather", "arguments": {"city": "Paris"}}]))
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    choice = {"type": "function", "function": {"name": "get_weather"}}
    result, sent = await chat(simulator, tmp_path, model="t/caller", tools=tools, tool_choice=choice)
    assert sent["tools"] == tools and sent["tool_choice"] == choice
    assert result["tool_calls"] == [{"id": "call_0", "name": "get_weather", "arguments": {"city": "Paris"}}]
    assert result["finish_reason"] == "tool_calls"


async def test_prompt_caching_marks_breakpoints_and_the_repeat_costs_less(simulator, tmp_path):
    """cache='prompt' marks the system prompt and question; the second call reads cached tokens, cheaper."""
    arguments = {"model": "anthropic/claude-3.5-haiku", "system": "You are a careful reader. " * 200, "cache": "prompt"}
    first, sent = await chat(simulator, tmp_path, **arguments)
    second, _ = await chat(simulator, tmp_path, **arguments)
    assert sent["messages"][0]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert sent["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert first["usage"]["cached_tokens"] == 0 and second["usage"]["cached_tokens"] > 1000
    assert second["cost_usd"] < first["cost_usd"] / 2 and second["cache_saving_usd"] > 0


async def test_response_caching_makes_the_repeat_free(simulator, tmp_path):
    """cache='response' sends X-OpenRouter-Cache; the identical repeat is a hit that costs nothing."""
    first, _ = await chat(simulator, tmp_path, model="openai/gpt-4o-mini", cache="response")
    second, _ = await chat(simulator, tmp_path, model="openai/gpt-4o-mini", cache="response")
    assert simulator.requests[-1].headers.get("x-openrouter-cache") == "true"
    assert (first["cache_hit"], second["cache_hit"]) == (False, True)
    assert first["cost_usd"] > 0 and second["cost_usd"] == 0 and second["text"] == first["text"]


async def test_the_result_carries_its_run_id(simulator, tmp_path):
    """Every chat result names its run, which the store holds with the call's generation id."""
    settings = settings_for(simulator, tmp_path)
    result, _ = await chat(simulator, tmp_path)
    store = RunStore(settings.store_path)
    try:
        run = store.get_run(result["run_id"])
    finally:
        store.close()
    assert run["calls"][0]["generation_id"] == result["generation_id"]
