"""What every tool shares: error shaping, result shaping, annotations, access to the runtime."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel

from .errors import OrcError
from .runtime import Runtime

READ_ONLY = ToolAnnotations(readOnlyHint=True, openWorldHint=True)
READ_LOCAL = ToolAnnotations(readOnlyHint=True, openWorldHint=False)
SPENDS = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=False, openWorldHint=True)

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def tool_errors(fn: F) -> F:
    """Turn our errors into one-line ``isError`` results; everything else stays a crash (logged, not shown)."""

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return await fn(*args, **kwargs)
        except OrcError as exc:
            raise ToolError(str(exc)) from exc

    return wrapper  # type: ignore[return-value]


def shaped(result: BaseModel, text: str) -> CallToolResult:
    """Structured content for programs, a short text for people."""
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=result.model_dump(mode="json")
    )


def runtime_of(ctx: Context) -> Runtime:
    """The objects the server lifespan built for this process."""
    return ctx.request_context.lifespan_context
