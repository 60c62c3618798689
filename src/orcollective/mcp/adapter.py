"""Turn a feature into an MCP tool: its Request model is the input schema and the one validator."""

from __future__ import annotations

import base64
from typing import Any, cast

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp_types import CallToolResult, ContentBlock, ImageContent, TextContent, ToolAnnotations
from pydantic import ConfigDict, ValidationError

from ..errors import OrcError
from ..features import Feature, Progress
from ..runtime import Runtime
from .shaping import validation_line

ANNOTATIONS = {
    "read": ToolAnnotations(read_only_hint=True, open_world_hint=True),
    "read_local": ToolAnnotations(read_only_hint=True, open_world_hint=False),
    "spends": ToolAnnotations(
        read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
    ),
    # Writes a file in the output folder (the same name is overwritten with the same content).
    "writes_local": ToolAnnotations(
        read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
    ),
}


class _RawArguments(ArgModelBase):
    """Hands the arguments through untouched: the feature's Request model validates them, once."""

    model_config = ConfigDict(extra="allow")

    def model_dump_one_level(self) -> dict[str, Any]:
        return {"arguments": dict(self.model_extra or {})}


class _McpProgress(Progress):
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def step(self, done: float, total: float | None, message: str) -> None:
        await self.ctx.report_progress(done, total, message)


def runtime_of(ctx: Context) -> Runtime:
    """The objects the server lifespan built for this process."""
    return cast(Runtime, ctx.request_context.lifespan_context)


def feature_tool(feature: Feature, schemas: dict[str, dict]) -> Tool:
    """The MCP tool for ``feature`` with its ``schemas`` (``input``, ``output``; see ``mcp.schemas``): our
    errors become one-line ``isError`` results; anything else is a crash the SDK logs without showing it."""

    async def call(ctx: Context, arguments: dict[str, Any]) -> CallToolResult:
        try:
            request = feature.request.model_validate(arguments)
        except ValidationError as exc:
            raise ToolError(validation_line(feature.request.problems(exc))) from exc
        try:
            result = await feature.run(runtime_of(ctx), request, _McpProgress(ctx))
        except OrcError as exc:
            raise ToolError(str(exc)) from exc
        content: list[ContentBlock] = [TextContent(type="text", text=feature.summary(result))]
        if feature.images is not None:
            content += [ImageContent(type="image", data=base64.b64encode(png).decode(), mime_type="image/png")
                        for png in feature.images(result)]  # fmt: skip
        return CallToolResult(content=content, structured_content=result.model_dump(mode="json"))

    return Tool(
        fn=call,
        name=feature.name,
        title=None,
        description=feature.description,
        parameters=schemas["input"],
        fn_metadata=FuncMetadata(
            arg_model=_RawArguments,
            output_schema=schemas["output"],
            output_model=feature.result,
        ),
        is_async=True,
        context_kwarg="ctx",
        annotations=ANNOTATIONS[feature.kind],
    )
