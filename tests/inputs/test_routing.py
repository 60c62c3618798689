"""The shared call options: typed routing -> OpenRouter's provider object, body merging, the search tool."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from orcollective.errors import InvalidArgument
from orcollective.inputs.files import FilePolicy
from orcollective.inputs.routing import CallOptions, Routing, merge_body, prepare_call, web_search_tool


def test_routing_maps_to_the_provider_object():
    """Only the knobs given are sent; provider_order is 'order', the two prices one max_price object."""
    routing = Routing(provider_order=["groq"], sort="latency", max_completion_price=3, zdr=False)
    assert routing.provider() == {"order": ["groq"], "sort": "latency", "zdr": False, "max_price": {"completion": 3}}
    assert Routing().provider() is None


@pytest.mark.parametrize(
    "bad",
    [{"sort": "cheapest"}, {"data_collection": "never"}, {"only": ["UPPER"]}, {"order": ["x"]}, {"only": ["a"] * 33}],
)
def test_routing_refuses_what_openrouter_does_not_document(bad):
    """Unknown sorts, data policies, malformed or too many slugs and unknown knobs are validation errors."""
    with pytest.raises(ValidationError):
        Routing.model_validate(bad)


def test_merge_body_concatenates_plugins_and_tools():
    """Lists of plugins and tools from several sources are joined, other fields replaced."""
    body = {"tools": [{"type": "function"}], "plugins": [{"id": "a"}], "model": "x"}
    merged = merge_body(body, {"tools": [web_search_tool(2)], "plugins": [{"id": "b"}], "provider": {"zdr": True}})
    assert merged["tools"] == [
        {"type": "function"},
        {"type": "openrouter:web_search", "parameters": {"max_results": 2}},
    ]
    assert [p["id"] for p in merged["plugins"]] == ["a", "b"] and merged["provider"] == {"zdr": True}
    assert body["tools"] == [{"type": "function"}]  # the input is left alone


async def test_prepare_call_builds_the_body_fields(tmp_path):
    """web_search adds the server tool, allowed_models the auto-router plugin, routing the provider object."""
    options = CallOptions(web_search=True, routing=Routing(allowed_models=["openai/*"], data_collection="deny"))
    prepared = await prepare_call(options, FilePolicy(allowed_roots=(tmp_path,)), model="openrouter/auto")
    assert prepared.parts == []
    assert prepared.body == {
        "plugins": [{"id": "auto-router", "allowed_models": ["openai/*"]}],
        "tools": [{"type": "openrouter:web_search"}],
        "provider": {"data_collection": "deny"},
    }
    with pytest.raises(InvalidArgument, match="is not a model id or pattern"):
        await prepare_call(
            CallOptions(routing=Routing(allowed_models=["no spaces please"])),
            FilePolicy(allowed_roots=(tmp_path,)),
            model="openrouter/auto",
        )
