"""The tools' schemas kept in the cache folder: the same tools/list whether worked out or read back, and a
damaged or foreign file never used."""

from __future__ import annotations

import json

from mcp import Client

from conftest import settings_for
from orcollective.features import FEATURES
from orcollective.mcp import build_server
from orcollective.mcp.schemas import fingerprint, tool_schemas, work_out
from orcollective.settings import TOOL_GROUPS


async def listed(settings) -> list[dict]:
    async with Client(build_server(settings)) as client:
        return [t.model_dump(by_alias=True, mode="json", exclude_none=True) for t in (await client.list_tools()).tools]


async def test_a_second_start_reads_the_schemas_the_first_worked_out(simulator, tmp_path):
    settings = settings_for(simulator, tmp_path, tools=list(TOOL_GROUPS))
    first = await listed(settings)
    kept = settings.cache_dir / f"tool-schemas-{fingerprint()}.json"
    assert set(json.loads(kept.read_text())) == {f.name for f in FEATURES}
    assert await listed(settings) == first


async def test_a_damaged_file_is_worked_out_again_and_an_older_build_s_file_removed(simulator, tmp_path):
    settings = settings_for(simulator, tmp_path, tools=list(TOOL_GROUPS))
    settings.cache_dir.mkdir(parents=True)
    kept = settings.cache_dir / f"tool-schemas-{fingerprint()}.json"
    older = settings.cache_dir / "tool-schemas-0000000000000000.json"
    older.write_text("{}")
    kept.write_text('{"chat": {"input": "not a schema"}, "consensus": ')
    fresh = await listed(settings_for(simulator, tmp_path / "elsewhere", tools=list(TOOL_GROUPS)))
    assert await listed(settings) == fresh
    assert not older.exists() and json.loads(kept.read_text())["chat"]["input"]["properties"]["model"]


def test_kept_schemas_are_the_models_own(tmp_path):
    """What is read back is exactly what the Request and Result models give, tool by tool."""
    tool_schemas(FEATURES, tmp_path)
    assert tool_schemas(FEATURES, tmp_path) == work_out(FEATURES)
    core = [f for f in FEATURES if f.group == "core"]
    assert set(tool_schemas(core, tmp_path / "new")) == {f.name for f in core}
