"""ModelInfo parsing and the ModelRegistry: search, lookups, the disk cache and its failure modes."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orcollective.catalog import ModelInfo, ModelRegistry
from orcollective.errors import InvalidArgument, MalformedResponse, ServerError, UnknownModel

T0 = 1_750_000_000.0
TTL = 3600.0


def catalog() -> list[dict]:
    """A small catalog in the shape of GET /api/v1/models ``data``."""
    return [
        {
            "id": "openai/gpt-4o",
            "canonical_slug": "openai/gpt-4o",
            "name": "OpenAI: GPT-4o",
            "created": 1715367049,
            "description": "GPT-4o is OpenAI's flagship multimodal model.",
            "context_length": 128000,
            "architecture": {
                "modality": "text+image+file->text",
                "input_modalities": ["text", "image", "file"],
                "output_modalities": ["text"],
                "tokenizer": "GPT",
                "instruct_type": None,
            },
            "pricing": {"prompt": "0.0000025", "completion": "0.00001", "request": "0", "image": "0.003613"},
            "top_provider": {"context_length": 128000, "max_completion_tokens": 16384, "is_moderated": True},
            "per_request_limits": None,
            "supported_parameters": ["max_tokens", "response_format", "temperature", "tool_choice", "tools"],
        },
        {
            "id": "openai/gpt-4o-mini",
            "name": "OpenAI: GPT-4o-mini",
            "created": 1721260800,
            "description": "A small, cheap GPT-4o.",
            "context_length": 128000,
            "architecture": {"input_modalities": ["text", "image"], "output_modalities": ["text"]},
            "pricing": {"prompt": "0.00000015", "completion": "0.0000006"},
            "top_provider": {"context_length": 128000, "max_completion_tokens": 16384, "is_moderated": True},
            "supported_parameters": ["max_tokens", "temperature", "tools"],
        },
        {
            "id": "anthropic/claude-3.5-sonnet",
            "name": "Anthropic: Claude 3.5 Sonnet",
            "created": 1718841600,
            "description": "Claude 3.5 Sonnet.",
            "context_length": 200000,
            "architecture": {"input_modalities": ["text", "image"], "output_modalities": ["text"]},
            "pricing": {"prompt": "0.000003", "completion": "0.000015"},
            "top_provider": {"context_length": 200000, "max_completion_tokens": 8192, "is_moderated": False},
            "supported_parameters": ["max_tokens", "temperature", "tools", "tool_choice"],
        },
        {
            "id": "meta-llama/llama-3.2-3b-instruct:free",
            "name": "Meta: Llama 3.2 3B Instruct (free)",
            "created": 1727222400,
            "description": "A small Llama.",
            "context_length": 131072,
            "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]},
            "pricing": {"prompt": "0", "completion": "0"},
            "top_provider": {"context_length": 131072, "max_completion_tokens": None, "is_moderated": False},
            "supported_parameters": ["max_tokens", "temperature"],
        },
        {
            "id": "mistralai/mistral-7b-instruct",
            "name": "Mistral: Mistral 7B Instruct",
            "created": 1716336000,
            "description": "Mistral 7B.",
            "context_length": 32768,
            "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]},
            "pricing": {"prompt": "0.00000003", "completion": "0.000000055"},
            "top_provider": {"context_length": 32768, "max_completion_tokens": 4096, "is_moderated": False},
            "supported_parameters": ["max_tokens", "temperature", "top_p"],
        },
        {
            "id": "openrouter/auto",
            "name": "Auto Router",
            "created": 1699401600,
            "description": "Picks a model for your prompt.",
            "context_length": 2000000,
            "architecture": {
                "modality": "text->text",
                "input_modalities": ["text"],
                "output_modalities": ["text"],
            },
            "pricing": {"prompt": "-1", "completion": "-1"},
            "top_provider": {"context_length": None, "max_completion_tokens": None, "is_moderated": False},
            "supported_parameters": [],
        },
        {
            "id": "deepseek/deepseek-r1",
            "name": "DeepSeek: R1",
            "created": 1737381600,
            "description": "Reasoning model.",
            "context_length": None,
            "architecture": {"modality": "text->text"},
            "pricing": {"prompt": "0.0000004", "completion": "0.000002"},
            "top_provider": {},
            "supported_parameters": ["max_tokens", "reasoning", "tools"],
        },
    ]


def ids(models) -> list[str]:
    return [m.id for m in models]


class FakeCatalogAPI:
    """Stands in for the client's ``models()``: returns a catalog, counts calls, can fail or hold."""

    def __init__(self, models: list[dict] | None = None) -> None:
        self.models = catalog() if models is None else models
        self.calls = 0
        self.error: Exception | None = None
        self.gate: asyncio.Event | None = None

    async def __call__(self) -> list[dict]:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return copy.deepcopy(self.models)


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def api() -> FakeCatalogAPI:
    return FakeCatalogAPI()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def make(tmp_path, api, clock):
    """Build registries on ``tmp_path/cache``; close them all and check no task is left behind."""
    built: list[ModelRegistry] = []

    def factory(fetch=None, *, directory: Path | None = None, **kw) -> ModelRegistry:
        kw.setdefault("ttl_s", TTL)
        kw.setdefault("clock", clock)
        registry = ModelRegistry(directory or tmp_path / "cache", fetch or api, **kw)
        built.append(registry)
        return registry

    yield factory
    if api.gate is not None:
        api.gate.set()
    for registry in built:
        registry.close()
    for _ in range(3):
        await asyncio.sleep(0)
    assert asyncio.all_tasks() == {asyncio.current_task()}


# -- ModelInfo -----------------------------------------------------------------------------------


def test_prices_are_exact_decimals_from_the_strings():
    """Prices parse to exact Decimals and per-1M-token prices come out as plain numbers."""
    info = ModelInfo.from_raw(catalog()[0])
    assert info.prompt_price == Decimal("0.0000025")
    assert str(info.prompt_price) == "0.0000025"
    assert str(info.prompt_per_mtok) == "2.5"
    assert str(info.completion_per_mtok) == "10"
    assert info.image_price == Decimal("0.003613")
    assert info.request_price == 0


def test_estimate_cost_is_exact():
    """estimate_cost multiplies tokens by prices without float rounding."""
    info = ModelInfo.from_raw(catalog()[0])
    assert info.estimate_cost(1000, 500) == Decimal("0.0075")
    mini = ModelInfo.from_raw(catalog()[1])
    assert mini.estimate_cost(1_000_000, 1_000_000) == Decimal("0.75")


def test_fields_and_flags_of_a_full_entry():
    """A complete entry fills every field, the flags, and keeps the raw dict."""
    raw = catalog()[0]
    info = ModelInfo.from_raw(raw)
    assert (info.id, info.name, info.context_length, info.created) == (
        "openai/gpt-4o",
        "OpenAI: GPT-4o",
        128000,
        1715367049,
    )
    assert info.input_modalities == ("text", "image", "file")
    assert info.output_modalities == ("text",)
    assert info.max_completion_tokens == 16384
    assert (info.vision, info.tools, info.free, info.variable_price) == (True, True, False, False)
    assert info.raw is raw


def test_free_from_suffix_or_zero_prices():
    """A model is free when its id ends with ':free' or both token prices are 0."""
    llama = ModelInfo.from_raw(catalog()[3])
    assert llama.free and not llama.vision and not llama.tools
    zero = ModelInfo.from_raw({"id": "x/y", "pricing": {"prompt": "0", "completion": "0"}})
    assert zero.free
    suffix_only = ModelInfo.from_raw({"id": "x/y:free", "pricing": {"prompt": "0.1", "completion": "0.1"}})
    assert suffix_only.free


def test_missing_keys_get_defaults():
    """An entry with only an id parses: name from id, zero prices, unknown sizes, text modalities."""
    info = ModelInfo.from_raw({"id": "acme/tiny"})
    assert info.name == "acme/tiny"
    assert info.description == ""
    assert info.context_length is None and info.created is None and info.max_completion_tokens is None
    assert info.prompt_price == info.completion_price == info.request_price == info.image_price == 0
    assert info.input_modalities == ("text",) and info.output_modalities == ("text",)
    assert info.supported_parameters == ()


def test_null_context_falls_back_to_top_provider():
    """A null context_length uses top_provider.context_length, else stays None."""
    raw = {"id": "a/b", "context_length": None, "top_provider": {"context_length": 4096}}
    assert ModelInfo.from_raw(raw).context_length == 4096
    assert ModelInfo.from_raw(catalog()[6]).context_length is None


def test_modalities_from_the_modality_string():
    """Without modality lists, 'text+image->text' gives the input and output modalities."""
    info = ModelInfo.from_raw({"id": "a/b", "architecture": {"modality": "text+image->text"}})
    assert info.input_modalities == ("text", "image") and info.vision
    assert info.output_modalities == ("text",)


def test_bad_values_become_defaults():
    """Unparseable prices become 0 and malformed fields become defaults, without raising."""
    raw = {
        "id": "a/b",
        "name": None,
        "context_length": "lots",
        "created": "yesterday",
        "architecture": "text",
        "pricing": {"prompt": "abc", "completion": None, "request": "NaN", "image": True},
        "top_provider": ["not", "a", "dict"],
        "supported_parameters": "tools",
    }
    info = ModelInfo.from_raw(raw)
    assert info.prompt_price == info.completion_price == info.request_price == info.image_price == 0
    assert info.name == "a/b" and info.context_length is None and info.created is None
    assert info.supported_parameters == () and not info.tools


def test_numeric_prices_are_accepted():
    """Prices sent as JSON numbers parse too."""
    info = ModelInfo.from_raw({"id": "a/b", "pricing": {"prompt": 0.000001, "completion": 2}})
    assert info.prompt_price == Decimal("0.000001") and info.completion_price == 2


def test_negative_prices_mark_a_variable_price_router():
    """Negative catalog prices (routers) are variable, not free, and estimate as 0."""
    auto = ModelInfo.from_raw(catalog()[5])
    assert auto.variable_price and not auto.free
    assert auto.estimate_cost(1000, 1000) == 0


def test_model_info_is_hashable_despite_raw():
    """ModelInfo can go in sets; the raw dict is left out of equality and hashing."""
    a, b = ModelInfo.from_raw(catalog()[0]), ModelInfo.from_raw(catalog()[0])
    assert a == b and len({a, b}) == 1


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_keys = st.sampled_from(
    [
        "id",
        "name",
        "description",
        "context_length",
        "created",
        "architecture",
        "pricing",
        "top_provider",
        "supported_parameters",
        "prompt",
        "completion",
        "modality",
        "input_modalities",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_keys, _json | st.dictionaries(_keys, _json, max_size=5), max_size=9))
def test_from_raw_never_raises(raw):
    """from_raw accepts any JSON object and its derived values are computable."""
    info = ModelInfo.from_raw(raw)
    info.estimate_cost(10, 10)
    assert isinstance(info.prompt_per_mtok, Decimal) and isinstance(info.free, bool)


# -- search --------------------------------------------------------------------------------------


async def test_boolean_filters(make):
    """vision/free/tools keep models with the feature when True and without it when False."""
    reg = make()
    vision = await reg.search(vision=True)
    assert ids(vision.models) == ["anthropic/claude-3.5-sonnet", "openai/gpt-4o", "openai/gpt-4o-mini"]
    assert (await reg.search(vision=False)).total == 4
    assert ids((await reg.search(free=True)).models) == ["meta-llama/llama-3.2-3b-instruct:free"]
    assert (await reg.search(free=False)).total == 6
    tools = await reg.search(tools=True)
    assert ids(tools.models) == [
        "anthropic/claude-3.5-sonnet",
        "deepseek/deepseek-r1",
        "openai/gpt-4o",
        "openai/gpt-4o-mini",
    ]
    assert ids((await reg.search(vision=True, tools=True, free=False, query="mini")).models) == ["openai/gpt-4o-mini"]


async def test_max_price_uses_the_larger_of_prompt_and_completion(make):
    """max_price_per_mtok compares the larger per-1M price and never admits a variable-price router."""
    reg = make()
    cheap = await reg.search(max_price_per_mtok=0.6)
    assert ids(cheap.models) == [
        "meta-llama/llama-3.2-3b-instruct:free",
        "mistralai/mistral-7b-instruct",
        "openai/gpt-4o-mini",
    ]
    assert "openai/gpt-4o-mini" not in ids((await reg.search(max_price_per_mtok=0.59)).models)
    assert (await reg.search(max_price_per_mtok=10)).total == 5


async def test_min_context_excludes_unknown_context(make):
    """min_context keeps models with at least that context; unknown context never passes."""
    reg = make()
    page = await reg.search(min_context=150_000)
    assert ids(page.models) == ["anthropic/claude-3.5-sonnet", "openrouter/auto"]
    assert "deepseek/deepseek-r1" not in ids((await reg.search(min_context=0)).models)


async def test_sorts(make):
    """name sorts by id, price cheapest first (routers last), context and newest descending."""
    reg = make()
    by = {s: ids((await reg.search(sort=s, limit=100)).models) for s in ("name", "price", "context", "newest")}
    assert by["name"] == sorted(by["name"])
    assert by["price"] == [
        "meta-llama/llama-3.2-3b-instruct:free",
        "mistralai/mistral-7b-instruct",
        "openai/gpt-4o-mini",
        "deepseek/deepseek-r1",
        "openai/gpt-4o",
        "anthropic/claude-3.5-sonnet",
        "openrouter/auto",
    ]
    assert by["context"] == [
        "openrouter/auto",
        "anthropic/claude-3.5-sonnet",
        "meta-llama/llama-3.2-3b-instruct:free",
        "openai/gpt-4o",
        "openai/gpt-4o-mini",
        "mistralai/mistral-7b-instruct",
        "deepseek/deepseek-r1",
    ]
    assert by["newest"] == [
        "deepseek/deepseek-r1",
        "meta-llama/llama-3.2-3b-instruct:free",
        "openai/gpt-4o-mini",
        "anthropic/claude-3.5-sonnet",
        "mistralai/mistral-7b-instruct",
        "openai/gpt-4o",
        "openrouter/auto",
    ]


async def test_paging(make):
    """limit/offset slice the sorted matches; total counts them all."""
    reg = make()
    everything = ids((await reg.search(sort="price", limit=100)).models)
    pages = [await reg.search(sort="price", limit=3, offset=o) for o in (0, 3, 6)]
    assert [p.total for p in pages] == [7, 7, 7]
    assert [p.offset for p in pages] == [0, 3, 6]
    assert [m.id for p in pages for m in p.models] == everything
    beyond = await reg.search(limit=3, offset=50)
    assert beyond.models == [] and beyond.total == 7
    assert (await reg.search(limit=0)).models == []


async def test_query_matches_id_and_name_case_insensitively(make):
    """Every query word must appear in the id or the name, ignoring case."""
    reg = make()
    assert ids((await reg.search("GPT")).models) == ["openai/gpt-4o", "openai/gpt-4o-mini"]
    assert ids((await reg.search("openai MINI")).models) == ["openai/gpt-4o-mini"]
    assert ids((await reg.search("meta: llama")).models) == ["meta-llama/llama-3.2-3b-instruct:free"]
    assert ids((await reg.search("auto router")).models) == ["openrouter/auto"]
    assert (await reg.search("gpt claude")).total == 0
    assert (await reg.search("   ")).total == 7


async def test_search_rejects_bad_arguments(make):
    """An unknown sort or a negative limit/offset is an InvalidArgument."""
    reg = make()
    with pytest.raises(InvalidArgument, match="sort"):
        await reg.search(sort="popular")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        await reg.search(offset=-1)
    with pytest.raises(InvalidArgument):
        await reg.search(limit=-1)


# -- get / check ---------------------------------------------------------------------------------


async def test_get_returns_the_model(make):
    """get returns the parsed model for a known id."""
    info = await (make()).get("anthropic/claude-3.5-sonnet")
    assert info.name == "Anthropic: Claude 3.5 Sonnet" and info.context_length == 200000


async def test_get_unknown_suggests_close_ids(make):
    """An unknown id raises UnknownModel with at most 3 close matches, the closest first."""
    reg = make()
    with pytest.raises(UnknownModel) as caught:
        await reg.get("openai/gpt4o")
    assert caught.value.suggestions[0] == "openai/gpt-4o"
    assert len(caught.value.suggestions) <= 3
    assert "openai/gpt-4o" in str(caught.value)
    with pytest.raises(UnknownModel) as caught:
        await reg.get("OpenAI/GPT-4o")
    assert caught.value.suggestions[0] == "openai/gpt-4o"


async def test_suggestions_match_the_part_after_the_slash(make):
    """A bare or mis-authored slug suggests the catalog id with that slug."""
    reg = make()
    with pytest.raises(UnknownModel) as caught:
        await reg.get("claude-3.5-sonnet")
    assert caught.value.suggestions[0] == "anthropic/claude-3.5-sonnet"
    with pytest.raises(UnknownModel) as caught:
        await reg.get("deepseek-ai/deepseek-r1")
    assert caught.value.suggestions[0] == "deepseek/deepseek-r1"
    with pytest.raises(UnknownModel) as caught:
        await reg.get("zzzz/qqqq")
    assert caught.value.suggestions == []


async def test_routing_variants_resolve_to_the_base_model(make):
    """':nitro', ':floor' and ':online' resolve to the catalog model under the requested id."""
    reg = make()
    nitro = await reg.get("openai/gpt-4o:nitro")
    assert nitro.id == "openai/gpt-4o:nitro" and nitro.prompt_price == Decimal("0.0000025")
    with pytest.raises(UnknownModel):
        await reg.get("openai/gpt-4o:bogus")
    with pytest.raises(UnknownModel):
        await reg.get("nobody/nothing:nitro")


async def test_check_is_all_or_nothing(make):
    """check returns every model in order, or raises UnknownModel for the first unknown id."""
    reg = make()
    found = await reg.check(["openai/gpt-4o-mini", "openai/gpt-4o"])
    assert ids(found) == ["openai/gpt-4o-mini", "openai/gpt-4o"]
    with pytest.raises(UnknownModel) as caught:
        await reg.check(["openai/gpt-4o", "x/unknown-one", "y/unknown-two"])
    assert caught.value.model == "x/unknown-one"
    assert ids(await reg.check("openai/gpt-4o")) == ["openai/gpt-4o"]
    assert await reg.check([]) == []


async def test_all_keeps_catalog_order_and_skips_entries_without_id(make, api):
    """all() lists models in catalog order; entries without a usable id are skipped."""
    api.models = [
        {"name": "no id"},
        "junk",
        {"id": ""},
        *catalog()[:2],
        {"id": "openai/gpt-4o", "name": "dup"},
    ]
    models = await make().all()
    assert ids(models) == ["openai/gpt-4o", "openai/gpt-4o-mini"]
    assert models[0].name == "OpenAI: GPT-4o"


async def test_get_is_fast(make, api):
    """get on a fresh catalog is an in-memory lookup: thousands per second, one fetch."""
    reg = make()
    await reg.get("openai/gpt-4o")
    start = time.perf_counter()
    for _ in range(10_000):
        await reg.get("openai/gpt-4o")
    assert time.perf_counter() - start < 1.0
    assert api.calls == 1


# -- caching -------------------------------------------------------------------------------------


async def test_fresh_cache_is_served_without_fetching(make, api, clock):
    """Within the TTL neither this registry nor a new one on the same dir fetches again."""
    first = make()
    await first.all()
    clock.advance(TTL - 1)
    await first.get("openai/gpt-4o")
    second = make()
    assert ids(await second.all()) == ids(await first.all())
    assert api.calls == 1


async def test_concurrent_first_calls_fetch_once(make, api):
    """Callers racing on an empty cache share one fetch."""
    reg = make()
    await asyncio.gather(reg.all(), reg.get("openai/gpt-4o"), reg.search(), reg.check(["openai/gpt-4o"]))
    assert api.calls == 1


async def test_stale_is_served_at_once_and_refreshed_in_background(make, api, clock):
    """A stale copy answers immediately while one background fetch replaces it."""
    reg = make()
    await reg.get("openai/gpt-4o")
    clock.advance(TTL + 1)
    api.models[0]["pricing"]["prompt"] = "0.000005"
    api.gate = asyncio.Event()

    for _ in range(5):  # the fetch is held, so these can only be answered from the stale copy
        assert (await reg.get("openai/gpt-4o")).prompt_price == Decimal("0.0000025")
    await asyncio.sleep(0)
    assert api.calls == 2

    api.gate.set()
    await reg.wait_refreshed()
    assert (await reg.get("openai/gpt-4o")).prompt_price == Decimal("0.000005")
    other = make()
    assert (await other.get("openai/gpt-4o")).prompt_price == Decimal("0.000005")
    assert api.calls == 2


async def test_stale_disk_copy_is_served_to_a_new_registry(make, api, clock):
    """A new registry finding only a stale disk copy serves it and refreshes in the background."""
    await make().all()
    clock.advance(TTL * 5)
    api.models = api.models[:1]
    reg = make()
    assert len(await reg.all()) == 7
    await reg.wait_refreshed()
    assert ids(await reg.all()) == ["openai/gpt-4o"]
    assert api.calls == 2


async def test_failed_refresh_keeps_the_stale_copy(make, api, clock, caplog):
    """A failing background fetch logs a warning, keeps the stale copy and waits before retrying."""
    reg = make()
    await reg.all()
    clock.advance(TTL + 1)
    api.error = ServerError("Upstream returned 503.", status=503)
    with caplog.at_level(logging.WARNING, logger="orcollective.registry"):
        assert len(await reg.all()) == 7
        await reg.wait_refreshed()
    assert any(r.name == "orcollective.registry" and "503" in r.getMessage() for r in caplog.records)
    assert api.calls == 2

    assert len(await reg.all()) == 7
    await reg.wait_refreshed()
    assert api.calls == 2  # no retry storm while the API is down

    api.error = None
    api.models = api.models[:2]
    clock.advance(61)
    await reg.all()
    await reg.wait_refreshed()
    assert len(await reg.all()) == 2 and api.calls == 3


async def test_fetch_failure_without_cache_propagates(make, api):
    """With nothing cached, the fetch's exception reaches the caller and nothing is stored."""
    reg = make()
    api.error = ServerError("Upstream returned 503.", status=503)
    with pytest.raises(ServerError):
        await reg.get("openai/gpt-4o")
    api.error = None
    assert (await reg.get("openai/gpt-4o")).id == "openai/gpt-4o"
    assert api.calls == 2


async def test_refresh_fetches_now(make, api):
    """refresh() fetches even when the cache is fresh, and its errors propagate."""
    reg = make()
    await reg.all()
    api.models = api.models[:3]
    assert len(await reg.refresh()) == 3
    assert len(await reg.all()) == 3 and api.calls == 2
    api.error = RuntimeError("network down")
    with pytest.raises(RuntimeError):
        await reg.refresh()
    assert len(await reg.all()) == 3


async def test_a_non_list_catalog_is_malformed(make):
    """A fetch returning something other than a list raises MalformedResponse."""

    async def fetch():
        return {"data": []}

    with pytest.raises(MalformedResponse):
        await make(fetch).all()


async def test_close_cancels_the_refresh_and_frees_the_lease(make, api, clock):
    """close() cancels an in-flight refresh and releases its lease for other processes."""
    reg = make()
    await reg.all()
    clock.advance(TTL + 1)
    api.gate = asyncio.Event()
    await reg.all()
    await asyncio.sleep(0)
    assert api.calls == 2
    reg.close()
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == {asyncio.current_task()}

    api.gate = None
    api.models = api.models[:1]
    other = make()
    await other.all()
    await other.wait_refreshed()
    assert api.calls == 3 and len(await other.all()) == 1


# -- corruption and sharing ----------------------------------------------------------------------


async def test_corrupted_database_is_rebuilt(make, api, tmp_path, caplog):
    """Garbage over cache.db is moved aside, the cache rebuilt and the catalog refetched."""
    first = make()
    await first.all()
    first.close()
    db = tmp_path / "cache" / "cache.db"
    db.write_bytes(os.urandom(8192))

    with caplog.at_level(logging.WARNING, logger="orcollective.registry"):
        assert len(await make().all()) == 7
    assert api.calls == 2
    assert (tmp_path / "cache" / "cache.db.corrupt").exists()
    assert any("corrupted" in r.getMessage() for r in caplog.records)
    assert len(await make().all()) == 7 and api.calls == 2  # the rebuilt cache serves the next one


async def test_corruption_under_a_running_registry(make, api, clock, tmp_path):
    """A database corrupted under a running registry: another one rebuilds it, the first follows."""
    running = make()
    await running.all()
    (tmp_path / "cache" / "cache.db").write_bytes(os.urandom(16384))
    assert len(await running.all()) == 7  # fresh in memory: the disk is not read

    clock.advance(10)
    api.models = api.models[:4]
    assert len(await make().all()) == 4  # moved the garbage aside, rebuilt, fetched
    assert (tmp_path / "cache" / "cache.db.corrupt").exists()

    clock.advance(TTL - 5)  # the first copy is stale, the rebuilt one still fresh
    assert len(await running.all()) == 4
    await running.wait_refreshed()
    assert api.calls == 2


async def test_damaged_cached_value_is_discarded(make, tmp_path):
    """A catalog value file that no longer decodes is dropped and the catalog refetched."""
    words = [f"w{i:05d}" for i in range(40_000)]
    big = FakeCatalogAPI(
        [{"id": f"p{i}/m{i}", "description": " ".join(words[i * 100 : i * 100 + 100])} for i in range(400)]
    )
    await make(big).all()
    value_files = [p for p in (tmp_path / "cache").rglob("*.val")]
    assert value_files, "the catalog is large enough to live in its own file"
    for path in value_files:
        path.write_bytes(b"\x00garbage" * 100)
    assert len(await make(big).all()) == 400
    assert big.calls == 2


async def test_two_registries_share_one_refresh(make, api, clock):
    """Two registries on one dir: one fetch fills both, and a stale copy is refetched once."""
    a, b = make(), make()
    await a.all()
    await b.all()
    assert api.calls == 1

    clock.advance(TTL + 1)
    api.gate = asyncio.Event()
    api.models = api.models[:2]
    await a.all()
    await asyncio.sleep(0)  # a's refresh takes the lease and waits in the fetch
    await b.all()
    await b.wait_refreshed()  # b finds the lease taken and leaves the refetch to a
    assert api.calls == 2

    api.gate.set()
    await a.wait_refreshed()
    assert len(await b.all()) == 2  # picked up from disk
    assert api.calls == 2


CHILD = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from pathlib import Path
    from orcollective.catalog import ModelRegistry

    async def main(directory, mode):
        calls = 0

        async def fetch():
            nonlocal calls
            calls += 1
            return [{"id": "child/model-%d" % i, "pricing": {"prompt": "0.000001", "completion": "0"}}
                    for i in range(3)]

        registry = ModelRegistry(Path(directory), fetch)
        try:
            if mode == "fill":
                models = await registry.all()
            else:
                for _ in range(20):
                    models = await registry.refresh()
                    await registry.get(models[0].id)
        finally:
            registry.close()
        print(json.dumps({"calls": calls, "ids": [m.id for m in models]}))

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


def run_child(directory: Path, mode: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(directory), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_a_second_process_shares_the_cache(make, api, tmp_path):
    """A catalog cached by another process is served here without fetching, and both can write at once."""
    directory = tmp_path / "cache"
    child = run_child(directory, "fill")
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert json.loads(out)["calls"] == 1

    reg = make(directory=directory, clock=time.time)
    assert ids(await reg.all()) == ["child/model-0", "child/model-1", "child/model-2"]
    assert api.calls == 0

    child = run_child(directory, "hammer")
    for _ in range(20):
        await reg.refresh()
        await reg.get("openai/gpt-4o")
    out, err = await asyncio.to_thread(child.communicate, timeout=60)
    assert child.returncode == 0, err
    assert json.loads(out)["calls"] == 20
    assert len(await make(directory=directory, clock=time.time).all()) in (3, 7)


async def test_resolve_looks_up_a_list_in_one_pass(make, api):
    """Known ids come back in order after one catalog load; unknown ones are dropped when asked to."""
    reg = make()
    resolved = await reg.resolve(["openai/gpt-4o-mini", "nope/one", "openai/gpt-4o", "nope/two"], drop_unknown=True)
    assert ids(resolved.models) == ["openai/gpt-4o-mini", "openai/gpt-4o"]
    assert resolved.unknown == ["nope/one", "nope/two"] and resolved.checked
    # The unknown ids forced one refetch (a model released since the cache was written), not one per id.
    assert api.calls == 2


async def test_resolve_refetches_for_unknown_ids_at_most_once_a_minute(make, api):
    """A typo does not refetch the catalog on every call."""
    reg = make()
    for _ in range(3):
        with pytest.raises(UnknownModel, match="openai/gpt-4o"):
            await reg.resolve(["openai/gpt4o"])
    assert api.calls == 2


async def test_resolve_finds_a_model_released_after_the_cache(make, api):
    """An id missing from the cached catalog but present upstream resolves after the forced refetch."""
    reg = make()
    await reg.all()
    api.models = [*api.models, {"id": "new/model", "name": "New"}]
    (info,) = (await reg.resolve(["new/model"])).models
    assert info.id == "new/model"


async def test_resolve_lets_ids_through_when_the_catalog_is_down(make, api):
    """No catalog at all: the ids pass unchecked rather than block the request."""
    api.error = ServerError("Upstream returned 503.", status=503)
    resolved = await make().resolve(["a/x", "b/y"])
    assert not resolved.checked and ids(resolved.models) == ["a/x", "b/y"]
