"""Protocol-level shaping: one-line errors and compact schemas (tools/list is read into every session)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS
from pydantic import ValidationError

_PREFIX = re.compile(r"^Error executing tool [\w-]+: ")


async def jsonrpc_codes(ctx: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
    """A handler's plain exception leaves as a JSON-RPC error with a real code (the SDK would send 0):
    a bad name or argument (``ValueError``, e.g. an unknown prompt) is -32602, anything else -32603."""
    try:
        return await call_next(ctx)
    except (MCPError, ValidationError):
        raise
    except (ValueError, KeyError, LookupError) as exc:
        raise MCPError(code=INVALID_PARAMS, message=fold_error(str(exc))) from exc
    except Exception as exc:
        raise MCPError(code=INTERNAL_ERROR, message=f"Internal error in {getattr(ctx, 'method', 'a request')}") from exc


async def one_line_errors(ctx: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
    """Every error result leaves as one line, without the SDK's "Error executing tool" prefix."""
    result = await call_next(ctx)
    if getattr(ctx, "method", None) == "tools/call" and isinstance(result, dict) and result.get("isError"):
        text = " ".join(str(b.get("text", "")) for b in result.get("content") or [] if isinstance(b, dict))
        result = {**result, "content": [{"type": "text", "text": fold_error(text)}]}
    return result


# An error line is read by a person and by the client's model: one over this (every failure of a 16-model
# panel, say) keeps its start and its end, where the fix is named.
MAX_ERROR_CHARS = 500


def fold_error(text: str) -> str:
    """``Error executing tool chat: ...`` -> ``...`` on one line of at most ``MAX_ERROR_CHARS``."""
    line = " ".join(_PREFIX.sub("", text.strip()).split())
    if len(line) <= MAX_ERROR_CHARS:
        return line
    tail = MAX_ERROR_CHARS // 3
    return f"{line[: MAX_ERROR_CHARS - tail - 5]} ... {line[-tail:]}"


def validation_line(problems: list[str]) -> str:
    """``Invalid arguments: temperature: ...; prompt: .... Fix them and call again.``"""
    return "Invalid arguments: " + "; ".join(problems) + ". Fix them and call again."


# Limits the Request model enforces itself, refusing a value with one line that names the limit. The
# published input schemas leave them out: tools/list is read into every session's context.
SERVER_CHECKED = (
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "minLength", "maxLength",
)  # fmt: skip


def compact_schema(schema: dict, *, inputs: bool) -> dict:
    """A smaller schema, portable to strict clients.

    Generated ``title`` keys and ``additionalProperties: true`` (the default) go; an optional input
    ``anyOf [T, null]`` with default ``null`` becomes plain ``T`` (leaving it out means the same);
    every other nullable stays an ``anyOf`` of single types, never a ``type`` array, which clients that
    map schemas onto a one-type dialect (Gemini's OpenAPI subset) reject.

    Inputs also drop the limits in ``SERVER_CHECKED``, defaults other than an enum's (leaving an argument
    out lets the server fill it in) and ``additionalProperties: false`` on nested objects: the Request
    model checks all of it and says which limit a value broke. Outputs drop ``required`` (every result
    carries every field) and describe nested objects as ``{"type": "object"}``: a client reads the top
    level from the schema and the rest from the result.
    """
    _compact(schema, inputs=inputs)
    if not inputs:
        schema.pop("$defs", None)
        _shallow(schema)
    return schema


def _shallow(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _shallow(item)
    elif isinstance(node, dict):
        for key, value in list(node.items()):
            if isinstance(value, dict) and "$ref" in value:
                node[key] = {"type": "object"}
            elif isinstance(value, list):
                node[key] = [{"type": "object"} if isinstance(v, dict) and "$ref" in v else v for v in value]
                _shallow(node[key])
            else:
                _shallow(value)


def _compact(node: Any, *, inputs: bool) -> None:
    if isinstance(node, list):
        for item in node:
            _compact(item, inputs=inputs)
        return
    if not isinstance(node, dict):
        return
    variants = node.get("anyOf")
    if inputs and node.get("default", ...) is None and isinstance(variants, list) and len(variants) == 2:
        if {"type": "null"} in variants:
            (inner,) = [v for v in variants if v != {"type": "null"}]
            if isinstance(inner, dict) and isinstance(inner.get("type"), str) and "$ref" not in inner:
                del node["anyOf"], node["default"]
                node.update(inner)
    if isinstance(node.get("title"), str):
        del node["title"]
    if node.get("additionalProperties") is True:
        del node["additionalProperties"]
    if inputs:
        for key in SERVER_CHECKED:
            if isinstance(node.get(key), (int, float)):
                del node[key]
        if "default" in node and "enum" not in node:
            del node["default"]  # a switch or a number the server fills in; an enum keeps it, naming its pick
        if node.get("additionalProperties") is False and "properties" in node:
            del node["additionalProperties"]
    if not inputs and isinstance(node.get("required"), list):
        del node["required"]
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            for prop in value.values():
                _compact(prop, inputs=inputs)
        else:
            _compact(value, inputs=inputs)
