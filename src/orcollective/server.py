"""build_server(settings) -> MCPServer: thin tools that validate, delegate to one function, shape the result."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

import httpx
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult
from pydantic import Field

from . import __version__, catalog, core
from .results import ChatResult, ModelDetail, ModelList, UsageResult, price_text
from .retry import RetryPolicy
from .runtime import Runtime, open_runtime
from .settings import Settings
from .tooling import READ_ONLY, SPENDS, runtime_of, shaped, tool_errors
from .tools_collective import register_collective, register_runs

log = logging.getLogger("orcollective.server")

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

    server = MCPServer(
        "orcollective",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        log_level=settings.log_level,  # type: ignore[arg-type]
        middleware=[one_line_errors],
    )
    if "core" in settings.tools:
        register_core(server)
    if "collective" in settings.tools:
        register_collective(server)
    if "runs" in settings.tools:
        register_runs(server)
    compact_schemas(server)
    return server


def register_core(server: MCPServer) -> None:
    @server.tool(description="Ask one model; streams, returns text, model used, usage and cost.", annotations=SPENDS)
    @tool_errors
    async def chat(
        model: Annotated[str, Field(description="Model id, e.g. openai/gpt-4o")],
        ctx: Context,
        prompt: str | None = None,
        messages: Annotated[list[dict] | None, Field(description="OpenAI-style messages instead of prompt")] = None,
        system: str | None = None,
        images: Annotated[list[str] | None, Field(description="Paths, URLs or base64")] = None,
        temperature: Annotated[float | None, Field(ge=0, le=2)] = None,
        max_tokens: Annotated[int | None, Field(ge=1)] = None,
        reasoning_effort: Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None = None,
        fallback_models: Annotated[list[str] | None, Field(description="Tried in order if model fails")] = None,
        provider: Annotated[dict | None, Field(description="OpenRouter provider routing object")] = None,
        response_format: dict | None = None,
    ) -> Annotated[CallToolResult, ChatResult]:
        async def progress(chars: int, message: str) -> None:
            await ctx.report_progress(chars, None, message)

        result = await core.chat(
            runtime_of(ctx),
            model=model,
            prompt=prompt,
            messages=messages,
            system=system,
            images=images,
            temperature=temperature,
            max_tokens=max_tokens,
            reasoning_effort=reasoning_effort,
            fallback_models=fallback_models,
            provider=provider,
            response_format=response_format,
            on_progress=progress,
        )
        cost = f"${result.cost_usd:.6f}" if result.cost_usd is not None else "cost unknown"
        return shaped(result, f"{result.text}\n\n[{result.model} · {result.latency_s:.2f}s · {cost}]")

    @server.tool(description="Search the model catalog; prices are USD per 1M tokens.", annotations=READ_ONLY)
    @tool_errors
    async def list_models(
        ctx: Context,
        query: str | None = None,
        vision: bool | None = None,
        free: bool | None = None,
        tools: bool | None = None,
        max_price_per_mtok: Annotated[float | None, Field(ge=0)] = None,
        min_context: Annotated[int | None, Field(ge=0)] = None,
        sort: Literal["name", "price", "context", "newest"] = "name",
        limit: Annotated[int, Field(ge=1, le=200)] = 20,
        offset: Annotated[int, Field(ge=0)] = 0,
    ) -> Annotated[CallToolResult, ModelList]:
        result = await catalog.list_models(
            runtime_of(ctx),
            query=query,
            vision=vision,
            free=free,
            tools=tools,
            max_price_per_mtok=max_price_per_mtok,
            min_context=min_context,
            sort=sort,
            limit=limit,
            offset=offset,
        )
        lines = [
            f"{m.id}  ctx {m.context or '?'}  {price_text(m.prompt_per_mtok, m.completion_per_mtok)}"
            + ("  vision" if m.vision else "")
            + ("  free" if m.free else "")
            for m in result.models
        ]
        head = f"{result.total} models match; showing {len(result.models)} from {result.offset}."
        return shaped(result, "\n".join([head, *lines]))

    @server.tool(description="One model's full metadata and prices.", annotations=READ_ONLY)
    @tool_errors
    async def model_info(model: str, ctx: Context) -> Annotated[CallToolResult, ModelDetail]:
        result = await catalog.model_info(runtime_of(ctx), model)
        text = (
            f"{result.name} ({result.id}): context {result.context or '?'}, "
            f"{price_text(result.prompt_per_mtok, result.completion_per_mtok)} tokens."
        )
        return shaped(result, text)

    @server.tool(description="Account credits and limits, plus this server's spend ledger.", annotations=READ_ONLY)
    @tool_errors
    async def usage(
        ctx: Context, days: Annotated[int | None, Field(ge=1, description="Ledger window")] = None
    ) -> Annotated[CallToolResult, UsageResult]:
        result = await core.usage(runtime_of(ctx), days=days)
        account = result.account
        if account is not None:
            left = f"${account.limit_remaining_usd:.2f} left" if account.limit_remaining_usd is not None else "no limit"
            head = f"Account: {left}, ${account.usage_usd or 0:.6f} used."
        else:
            head = f"Account: {result.account_error}"
        text = f"{head} This server spent ${result.ledger_total_usd:.6f} over {result.ledger_calls} calls."
        return shaped(result, text)


# -- protocol-level shaping ------------------------------------------------------------------------

_PREFIX = re.compile(r"^Error executing tool [\w-]+: ")
_VALIDATION_HEAD = re.compile(r"^\d+ validation errors? for \w+$")


async def one_line_errors(ctx: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
    """Every error result leaves as one line: SDK argument-validation reports are folded."""
    result = await call_next(ctx)
    if getattr(ctx, "method", None) == "tools/call" and isinstance(result, dict) and result.get("isError"):
        text = " ".join(str(b.get("text", "")) for b in result.get("content") or [] if isinstance(b, dict))
        result = {**result, "content": [{"type": "text", "text": fold_error(text)}]}
    return result


def fold_error(text: str) -> str:
    """``Error executing tool chat: 2 validation errors ...`` -> ``Invalid arguments: prompt: ...; n: ...``."""
    text = _PREFIX.sub("", text.strip())
    lines = text.splitlines()
    if lines and _VALIDATION_HEAD.match(lines[0].strip()):
        problems, field = [], None
        for line in lines[1:]:
            if not line.startswith(" "):
                field = line.strip()
            elif line.startswith("  ") and not line.startswith("    ") and field:
                message = re.sub(r"\s*\[type=.*$", "", line.strip())
                problems.append(f"{field}: {message}")
        return "Invalid arguments: " + "; ".join(problems) + ". Fix them and call again."
    return " ".join(text.split())


def compact_schemas(server: MCPServer) -> None:
    """Shrink every tool schema (tools/list is read into the client's context on every session).

    What a schema accepts does not change: generated ``title`` keys and ``additionalProperties: true`` (the
    default) go; ``anyOf [T, null]`` becomes ``type: [T, "null"]``, or plain ``T`` for an optional input;
    output schemas drop ``required``, since every result always carries every field.
    """
    for tool in server._tool_manager.list_tools():  # the SDK exposes no public hook for schema shaping
        _compact(tool.parameters, inputs=True)
        if tool.output_schema is not None:
            _compact(tool.output_schema, inputs=False)


def _compact(node: Any, *, inputs: bool) -> None:
    if isinstance(node, list):
        for item in node:
            _compact(item, inputs=inputs)
        return
    if not isinstance(node, dict):
        return
    variants = node.get("anyOf")
    if isinstance(variants, list) and len(variants) == 2 and {"type": "null"} in variants:
        (inner,) = [v for v in variants if v != {"type": "null"}]
        if isinstance(inner, dict) and isinstance(inner.get("type"), str) and "$ref" not in inner:
            del node["anyOf"]
            node.update(inner)
            if inputs and "default" in node and node["default"] is None:
                del node["default"]
            else:
                node["type"] = [inner["type"], "null"]
    if isinstance(node.get("title"), str):
        del node["title"]
    if node.get("additionalProperties") is True:
        del node["additionalProperties"]
    if not inputs and isinstance(node.get("required"), list):
        del node["required"]
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            for prop in value.values():
                _compact(prop, inputs=inputs)
        else:
            _compact(value, inputs=inputs)
