"""The MCP server through the official client, in memory, against the loopback simulator."""

from __future__ import annotations

import json

import pytest
from mcp import Client

from conftest import no_wait, settings_for
from orcollective.mcp import build_server
from orcollective.mcp.shaping import fold_error
from orcollective.simulator import ScriptedModel

NO_WAIT = no_wait(attempts=2)


@pytest.fixture
def connect(simulator, tmp_path):
    """Open an in-memory MCP session inside the test's own task (anyio scopes cannot cross tasks)."""
    return lambda: Client(build_server(settings_for(simulator, tmp_path), retry=NO_WAIT))


def text_of(result) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


async def test_tools_list_has_schemas_annotations_and_no_titles(connect):
    """Every tool has a short description, an output schema, annotations, and no generated titles."""
    async with connect() as mcp:
        tools = {t.name: t for t in (await mcp.list_tools()).tools}
        assert {"chat", "list_models", "model_info", "usage", "consensus", "runs"} <= set(tools)
        for tool in tools.values():
            assert len(tool.description) < 120
            assert tool.output_schema is not None
            assert tool.annotations is not None
            assert '"title"' not in json.dumps(tool.input_schema)
        assert tools["list_models"].annotations.read_only_hint is True
        assert tools["chat"].annotations.read_only_hint is False
        assert tools["chat"].input_schema["required"] == ["model"]


async def test_tool_groups_can_be_switched_off(simulator, tmp_path):
    """ORCOLLECTIVE_TOOLS=core exposes only the core tools."""
    server = build_server(settings_for(simulator, tmp_path, tools=["core"]))
    async with Client(server) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert names == {"chat", "list_models", "model_info", "usage"}


async def test_chat_returns_structured_result_and_progress(connect, simulator):
    """chat streams (progress arrives while tokens do) and returns text, model, usage and cost."""
    async with connect() as mcp:
        simulator.script(ScriptedModel("sim/story", reply="word " * 200, tokens_per_s=2000))
        progress: list[str] = []

        async def on_progress(done, total, message):
            progress.append(message)

        result = await mcp.call_tool("chat", {"model": "sim/story", "prompt": "tell me"}, progress_callback=on_progress)
        assert not result.is_error
        data = result.structured_content
        assert data["text"].strip().startswith("word word")
        assert data["model"] == "sim/story"
        assert data["cost_source"] == "usage.cost" and data["cost_usd"] > 0
        assert data["usage"]["completion_tokens"] > 0
        assert progress and "characters" in progress[-1]
        assert "sim/story" in text_of(result)


async def test_chat_with_messages_system_and_fallback(connect, simulator):
    """messages, system and fallback_models reach the API as OpenRouter expects."""
    async with connect() as mcp:
        result = await mcp.call_tool(
            "chat",
            {
                "model": "sim/no-credits",
                "messages": [{"role": "user", "content": "hello"}],
                "system": "be brief",
                "fallback_models": ["sim/echo"],
                "temperature": 0.2,
                "routing": {"sort": "price"},
            },
        )
        assert not result.is_error, text_of(result)
        assert result.structured_content["model"] == "sim/echo"
        sent = simulator.requests[-1].json
        assert sent["models"] == ["sim/no-credits", "sim/echo"]
        assert sent["messages"][0] == {"role": "system", "content": "be brief"}
        assert sent["provider"] == {"sort": "price"} and sent["stream"] is True


async def test_chat_sends_images_as_data_urls(connect, simulator, tmp_path):
    """A local image under the allowed root is sent as a data URL content part."""
    async with connect() as mcp:
        from PIL import Image

        Image.new("RGB", (8, 8), "red").save(tmp_path / "dot.png")
        result = await mcp.call_tool("chat", {"model": "sim/echo", "prompt": "what colour?", "images": ["dot.png"]})
        assert not result.is_error, text_of(result)
        parts = simulator.requests[-1].json["messages"][-1]["content"]
        assert parts[0] == {"type": "text", "text": "what colour?"}
        assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"model": "openai/gpt4o", "prompt": "hi"}, "Did you mean: openai/gpt-4o"),
        ({"model": "sim/echo", "prompt": "   "}, "'prompt' is empty"),
        ({"model": "sim/echo"}, "either 'prompt'"),
        ({"model": "sim/echo", "prompt": "hi", "temperature": 7}, "temperature"),
        ({"model": "sim/echo", "prompt": "hi", "max_tokens": -3}, "max_tokens"),
        ({"model": "sim/echo", "prompt": "hi", "routing": {"bogus": 1}}, "routing.bogus"),
        ({"model": "sim/echo", "prompt": "hi", "images": ["/etc/passwd"]}, "outside the allowed"),
        ({"model": "sim/no-credits", "prompt": "hi"}, "add credits"),
        ({"model": "sim/forbidden", "prompt": "hi"}, "blocked"),
        ({"model": "sim/server-error", "prompt": "hi"}, "retry or pick another model"),
        ({"model": "sim/garbage", "prompt": "hi"}, "not JSON"),
    ],
)
async def test_bad_input_and_upstream_faults_give_one_line(connect, simulator, args, expected):
    """Every failure is an isError result of one line that names the fix, without the key."""
    async with connect() as mcp:
        result = await mcp.call_tool("chat", args)
        assert result.is_error
        message = text_of(result)
        assert expected in message
        assert "\n" not in message and "Traceback" not in message
        assert simulator.api_key not in message


async def test_validation_errors_spend_nothing(connect, simulator):
    """An unknown model is refused before any chat request is sent."""
    async with connect() as mcp:
        await mcp.call_tool("chat", {"model": "nope/never", "prompt": "hi"})
        assert simulator.calls() == 0


async def test_missing_key_answers_with_how_to_set_it(simulator, tmp_path):
    """Without a key the server starts and chat explains how to set OPENROUTER_API_KEY."""
    settings = settings_for(simulator, tmp_path)
    settings.api_key = None
    async with Client(build_server(settings)) as client:
        result = await client.call_tool("chat", {"model": "sim/echo", "prompt": "hi"})
        usage = await client.call_tool("usage", {})
    assert result.is_error and "OPENROUTER_API_KEY" in text_of(result)
    assert not usage.is_error and "OPENROUTER_API_KEY" in usage.structured_content["account_error"]


async def test_list_models_filters_and_pages(connect):
    """list_models returns compact rows with prices per 1M tokens, filtered and paged."""
    async with connect() as mcp:
        result = await mcp.call_tool("list_models", {"vision": True, "sort": "price", "limit": 5})
        data = result.structured_content
        assert data["total"] > 5 and len(data["models"]) == 5
        assert all(m["vision"] for m in data["models"])
        prices = [m["prompt_per_mtok"] + m["completion_per_mtok"] for m in data["models"]]
        assert prices == sorted(prices)
        assert set(data["models"][0]) == {"id", "name", "context", "prompt_per_mtok", "completion_per_mtok",
                                          "vision", "free", "tools"}  # fmt: skip
        free = (await mcp.call_tool("list_models", {"free": True, "limit": 200})).structured_content
        assert free["models"] and all(m["free"] for m in free["models"])
        page2 = (await mcp.call_tool("list_models", {"query": "gpt", "offset": 2, "limit": 2})).structured_content
        assert page2["offset"] == 2 and all("gpt" in m["id"] or "GPT" in m["name"] for m in page2["models"])


async def test_model_info_has_prices_per_million(connect):
    """model_info shows a model's metadata with exact prices per 1M tokens."""
    async with connect() as mcp:
        result = await mcp.call_tool("model_info", {"model": "openai/gpt-4o"})
        data = result.structured_content
        assert data["id"] == "openai/gpt-4o" and data["prompt_per_mtok"] == 2.5 and data["vision"] is True


async def test_usage_combines_account_and_ledger(connect, simulator):
    """usage reports /key credits and this server's own spend by model and tool."""
    async with connect() as mcp:
        await mcp.call_tool("chat", {"model": "sim/echo", "prompt": "count me"})
        data = (await mcp.call_tool("usage", {})).structured_content
        assert data["account"]["limit_usd"] == 25.0
        assert data["ledger_calls"] == 1 and data["ledger_total_usd"] > 0
        assert data["by_model"][0]["key"] == "sim/echo" and data["by_tool"][0]["key"] == "chat"


async def test_runs_tool_and_resource(connect):
    """Each call is a run, listed by the runs tool and readable as a resource."""
    async with connect() as mcp:
        await mcp.call_tool("chat", {"model": "sim/echo", "prompt": "remember me"})
        listed = (await mcp.call_tool("runs", {})).structured_content["runs"]
        run_id = listed[0]["id"]
        one = (await mcp.call_tool("runs", {"run_id": run_id})).structured_content["run"]
        assert one["tool"] == "chat" and one["calls"][0]["model"] == "sim/echo"
        resource = await mcp.read_resource(f"orcollective://runs/{run_id}")
        assert json.loads(resource.contents[0].text)["id"] == run_id
        recent = await mcp.read_resource("orcollective://runs/recent")
        assert json.loads(recent.contents[0].text)[0]["id"] == run_id
        templates = (await mcp.list_resource_templates()).resource_templates
        assert "orcollective://runs/{run_id}" in [t.uri_template for t in templates]
        missing = await mcp.call_tool("runs", {"run_id": "r_nope"})
        assert missing.is_error and "runs tool" in text_of(missing)


def test_fold_error_drops_the_sdk_prefix_and_newlines():
    """The SDK's "Error executing tool" prefix goes and the message is one line."""
    assert fold_error("Error executing tool chat: Unknown model 'x'.\n Did you mean: y?") == (
        "Unknown model 'x'. Did you mean: y?"
    )


async def test_argument_errors_are_one_line_naming_each_field(connect):
    """Several bad arguments come back as one line that names each field and never echoes the input."""
    async with connect() as mcp:
        result = await mcp.call_tool("chat", {"model": "sim/echo", "prompt": 3, "temperature": 9, "secret": "x" * 500})
    text = text_of(result)
    assert result.is_error and "\n" not in text
    assert text.startswith("Invalid arguments: ")
    for problem in ("prompt: Input should be a valid string", "temperature: ", "unknown argument 'secret'"):
        assert problem in text
    assert "x" * 50 not in text
