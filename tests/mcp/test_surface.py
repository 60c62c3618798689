"""The MCP surface beyond tools: resources, prompts, completions, logging/setLevel, JSON-RPC error codes,
the results view, portable schemas and the tools/list budgets."""

from __future__ import annotations

import json
import logging

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, PromptReference, ResourceTemplateReference

from conftest import no_wait, settings_for
from orcollective.features import FEATURES
from orcollective.mcp import build_server
from orcollective.mcp.apps import VIEW_URI, view_html
from orcollective.mcp.shaping import compact_schema
from orcollective.settings import TOOL_GROUPS

INPUT_BUDGET, WHOLE_BUDGET = 8_000, 20_000


@pytest.fixture
def connect(simulator, tmp_path):
    return lambda **kw: Client(build_server(settings_for(simulator, tmp_path), retry=no_wait(2)), **kw)


def _size(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":")))


async def test_resources_are_listed_and_readable(connect):
    """resources/list names the catalog, recent runs, benchmarks and the view; each one reads as JSON."""
    async with connect() as mcp:
        await mcp.call_tool("chat", {"model": "sim/echo", "prompt": "hello"})
        listed = [str(r.uri) for r in (await mcp.list_resources()).resources]
        assert listed[:3] == ["orcollective://models", "orcollective://runs/recent", "orcollective://benchmarks"]
        assert VIEW_URI in listed
        models = json.loads((await mcp.read_resource("orcollective://models")).contents[0].text)
        assert "sim/echo" in {m["id"] for m in models}
        one = json.loads((await mcp.read_resource("orcollective://models/sim/echo")).contents[0].text)
        assert one["id"] == "sim/echo" and "prompt_per_mtok" in one
        recent = json.loads((await mcp.read_resource("orcollective://runs/recent")).contents[0].text)
        assert recent[0]["tool"] == "chat"
        assert json.loads((await mcp.read_resource("orcollective://benchmarks")).contents[0].text) == []


async def test_unknown_resource_and_prompt_give_invalid_params(connect):
    """A missing run, model or prompt is JSON-RPC -32602 with a one-line message, never code 0."""
    async with connect() as mcp:
        for read in (
            mcp.read_resource("orcollective://runs/r_nope"),
            mcp.read_resource("orcollective://models/nobody/none"),
            mcp.get_prompt("no_such_prompt", {}),
        ):
            with pytest.raises(MCPError) as caught:
                await read
            assert caught.value.code == INVALID_PARAMS and "\n" not in caught.value.message


async def test_prompts_take_arguments_and_render(connect):
    """Each prompt names its tool and carries the user's arguments."""
    async with connect() as mcp:
        prompts = {p.name: p for p in (await mcp.list_prompts()).prompts}
        assert set(prompts) == {"second_opinion", "fact_check", "council", "code_review"}
        assert [a.name for a in prompts["fact_check"].arguments if a.required] == ["claim"]
        got = await mcp.get_prompt("fact_check", {"claim": "Water boils at 90 C", "models": "sim/echo,sim/wrong"})
        text = got.messages[0].content.text
        assert "consensus" in text and "Water boils at 90 C" in text and "'sim/wrong'" in text


async def test_completions_offer_model_and_run_ids(connect):
    """Model arguments complete from the catalog (after a comma too); run ids from the store."""
    async with connect() as mcp:
        found = await mcp.complete(PromptReference(name="second_opinion"), {"name": "model", "value": "sim/ec"})
        assert found.completion.values[0] == "sim/echo"
        panel = await mcp.complete(PromptReference(name="council"), {"name": "models", "value": "sim/echo,sim/ec"})
        assert panel.completion.values[0] == "sim/echo,sim/echo"
        await mcp.call_tool("chat", {"model": "sim/echo", "prompt": "hello"})
        ref = ResourceTemplateReference(uri="orcollective://runs/{run_id}")
        runs = (await mcp.complete(ref, {"name": "run_id", "value": "r_"})).completion.values
        assert len(runs) == 1 and runs[0].startswith("r_")


@pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")
async def test_logging_set_level_is_honoured(connect):
    """logging/setLevel (protocol 2025-11-25) sets the server's log level."""
    logger = logging.getLogger("orcollective")
    before = logger.level
    try:
        async with connect(mode="legacy") as mcp:
            await mcp.set_logging_level("error")
            assert logger.level == logging.ERROR
            await mcp.set_logging_level("debug")
            assert logger.level == logging.DEBUG
    finally:
        logger.setLevel(before)


async def test_consensus_and_benchmark_point_at_a_self_contained_view(connect):
    """The view is an MCP Apps resource with no network fetches; consensus and benchmark link to it."""
    async with connect() as mcp:
        tools = {t.name: t for t in (await mcp.list_tools()).tools}
        assert tools["consensus"].meta == {"ui": {"resourceUri": VIEW_URI}}
        assert tools["chat"].meta is None
        view = (await mcp.read_resource(VIEW_URI)).contents[0]
        assert view.mime_type == "text/html;profile=mcp-app"
    html = view_html()
    for fetch in ("src=", "href=", "fetch(", "XMLHttpRequest", "@import", "url("):
        assert fetch not in html, fetch


def _type_arrays(node: object) -> list[object]:
    if isinstance(node, dict):
        found = [node["type"]] if isinstance(node.get("type"), list) else []
        return found + [t for v in node.values() for t in _type_arrays(v)]
    if isinstance(node, list):
        return [t for v in node for t in _type_arrays(v)]
    return []


def test_schemas_have_no_type_arrays():
    """Nullable fields are anyOf branches, never ``type: [T, "null"]`` (Inspector --strict stays clean)."""
    for feature in FEATURES:
        for model, inputs in ((feature.request, True), (feature.result, False)):
            schema = compact_schema(model.model_json_schema(), inputs=inputs)
            assert _type_arrays(schema) == [], f"{feature.name} {model.__name__}"


def test_optional_inputs_stay_plain_and_nullable_outputs_stay_nullable():
    """An optional input with default null is its plain type; a nullable output still admits null."""
    schema = {"properties": {"x": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None, "title": "X"}}}
    assert compact_schema(json.loads(json.dumps(schema)), inputs=True) == {"properties": {"x": {"type": "string"}}}
    out = compact_schema(json.loads(json.dumps(schema)), inputs=False)["properties"]["x"]
    assert {"type": "null"} in out["anyOf"]


async def test_tools_list_stays_within_budget_and_groups_select(simulator, tmp_path):
    """Every tool on: input side <= 8,000 chars, whole tools/list <= 20,000; ORCOLLECTIVE_TOOLS selects."""
    server = build_server(settings_for(simulator, tmp_path, tools=list(TOOL_GROUPS)))
    async with Client(server) as mcp:
        tools = [t.model_dump(by_alias=True, mode="json", exclude_none=True) for t in (await mcp.list_tools()).tools]
    assert {t["name"] for t in tools} == {f.name for f in FEATURES}
    inputs = [{k: t[k] for k in ("name", "description", "inputSchema")} for t in tools]
    assert _size(inputs) <= INPUT_BUDGET, _size(inputs)
    assert _size(tools) <= WHOLE_BUDGET, _size(tools)
    async with Client(build_server(settings_for(simulator, tmp_path, tools=["core", "runs"]))) as mcp:
        names = {t.name for t in (await mcp.list_tools()).tools}
    assert names == {f.name for f in FEATURES if f.group in ("core", "runs")}
