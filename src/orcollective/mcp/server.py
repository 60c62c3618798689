"""build_server(settings) -> MCPServer: one tool per enabled feature, resources, prompts, completions, the
results view (MCP Apps)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from mcp.server.mcpserver import MCPServer

from .. import __version__
from ..features import FEATURES
from ..openrouter import RetryPolicy
from ..runtime import Runtime, open_runtime
from ..settings import Settings
from .adapter import feature_tool
from .apps import results_view, with_view
from .completions import register_protocol
from .prompts import register_prompts
from .resources import listed_resources, register_resources
from .schemas import tool_schemas
from .shaping import jsonrpc_codes, one_line_errors

INSTRUCTIONS = (
    "Every OpenRouter model. chat asks one model; consensus asks several and aggregates their answers "
    "with a measured confidence. list_models/model_info find ids and prices; usage shows spend."
)


def build_server(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None, retry: RetryPolicy | None = None
) -> MCPServer:
    """The MCP server with the tool groups enabled in ``settings.tools``."""

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[Runtime]:
        async with open_runtime(settings, transport=transport, retry=retry) as runtime:
            yield runtime

    features = [f for f in FEATURES if f.group in settings.tools]
    schemas = tool_schemas(features, settings.cache_dir)
    server = MCPServer(
        "orcollective",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        log_level=settings.log_level,  # type: ignore[arg-type]
        middleware=[jsonrpc_codes, one_line_errors, listed_resources(settings.tools)],
        tools=[with_view(feature_tool(f, schemas[f.name])) for f in features],
        extensions=[results_view()],
    )
    register_resources(server, settings.tools)
    register_prompts(server, settings.tools)
    register_protocol(server)
    return server
