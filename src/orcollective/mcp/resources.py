"""MCP resources: the model catalog, runs and saved benchmarks, as JSON.

``orcollective://models`` (every model, compact rows; ``?query=`` filters), ``orcollective://models/{id}``,
``orcollective://runs/recent``, ``orcollective://runs/{run_id}``, ``orcollective://benchmarks`` and
``orcollective://benchmarks/{benchmark_id}``. The SDK gives a context (and so the runtime) only to templates,
so the lists are templates too (an optional query); ``listed_resources`` adds them to resources/list.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from dataclasses import asdict
from typing import Any

from mcp.server.context import ServerMiddleware
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from mcp_types import ListResourcesResult, Resource

from ..errors import OrcError
from ..features import Progress
from ..features.list_models import model_row
from ..features.model_info import ModelInfoRequest
from ..features.model_info import run as model_info
from ..features.runs import get_run, store_of
from ..store.benchmarks import get_benchmark, list_benchmarks
from .adapter import runtime_of

RECENT = "recent"  # run ids are "r_" + hex, so this name cannot collide
JSON = "application/json"
LISTED = (
    ("orcollective://models", "models", "Every model in the catalog: id, name, context, prices per 1M tokens."),
    ("orcollective://runs/recent", "recent runs", "The latest 20 runs with their status and cost."),
    ("orcollective://benchmarks", "benchmarks", "Saved benchmarks, newest first."),
)


def _dump(data: Any) -> str:
    return json.dumps(data, default=str, separators=(",", ":"))


async def _or_not_found(read: Awaitable[Any]) -> str:
    try:
        return _dump(await read)
    except OrcError as exc:
        raise ResourceNotFoundError(str(exc)) from exc


def register_resources(server: MCPServer, groups: list[str]) -> None:
    """The catalog always; runs and benchmarks with their tool groups."""

    @server.resource("orcollective://models{?query}", mime_type=JSON, description=LISTED[0][2])
    async def models(ctx: Context, query: str = "") -> str:
        async def read() -> list[dict]:
            needle = query.lower()
            return [model_row(m).model_dump() for m in await runtime_of(ctx).registry.all()
                    if needle in m.id.lower() or needle in m.name.lower()]  # fmt: skip

        return await _or_not_found(read())

    @server.resource("orcollective://models/{+model_id}", mime_type=JSON, description="One model's metadata.")
    async def model(model_id: str, ctx: Context) -> str:
        async def read() -> dict:
            return (await model_info(runtime_of(ctx), ModelInfoRequest(model=model_id), Progress())).model_dump()

        return await _or_not_found(read())

    if "runs" in groups:

        @server.resource("orcollective://runs/{run_id}", mime_type=JSON, description="One run by id, or 'recent'.")
        async def run_resource(run_id: str, ctx: Context) -> str:
            async def read() -> Any:
                rt = runtime_of(ctx)
                return store_of(rt).list_runs(limit=20) if run_id == RECENT else get_run(rt, run_id)

            return await _or_not_found(read())

    if "benchmark" in groups:

        @server.resource("orcollective://benchmarks{?limit}", mime_type=JSON, description=LISTED[2][2])
        async def benchmarks(ctx: Context, limit: int = 20) -> str:
            async def read() -> list[dict]:
                return [asdict(b) for b in list_benchmarks(store_of(runtime_of(ctx)), limit=max(1, min(limit, 200)))]

            return await _or_not_found(read())

        @server.resource("orcollective://benchmarks/{benchmark_id}", mime_type=JSON, description="One benchmark.")
        async def benchmark(benchmark_id: str, ctx: Context) -> str:
            async def read() -> dict:
                saved = get_benchmark(store_of(runtime_of(ctx)), benchmark_id)
                if saved is None:
                    raise ResourceNotFoundError(f"No benchmark '{benchmark_id}': read orcollective://benchmarks.")
                return asdict(saved)

            return await _or_not_found(read())


def listed_resources(groups: list[str]) -> ServerMiddleware[Any]:
    """Middleware: resources/list also names the lists (served by the templates above)."""
    wanted = {"orcollective://runs/recent": "runs", "orcollective://benchmarks": "benchmark"}
    entries = [{"uri": uri, "name": name, "description": text, "mimeType": JSON}
               for uri, name, text in LISTED if wanted.get(uri, "core") in [*groups, "core"]]  # fmt: skip

    async def middleware(ctx: Any, call_next: Any) -> Any:
        result = await call_next(ctx)
        if getattr(ctx, "method", None) == "resources/list" and not (ctx.params or {}).get("cursor"):
            if isinstance(result, dict):
                return {**result, "resources": [*entries, *(result.get("resources") or [])]}
            if isinstance(result, ListResourcesResult):
                return result.model_copy(
                    update={"resources": [*(Resource.model_validate(e) for e in entries), *result.resources]}
                )
        return result

    return middleware
