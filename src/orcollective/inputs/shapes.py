"""Typed checks for the free-form arguments clients send (messages, provider routing, response format,
tools, model ids): the schema clients see stays a plain object, and anything outside OpenRouter's documented
shapes is refused with one line that quotes at most a few characters of it."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MODEL_ID_CHARS = 200
QUOTE = 40


class _Strict(BaseModel, defer_build=True):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class _Part(BaseModel, defer_build=True):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)
    type: Literal["text", "image_url", "file", "input_audio"]
    text: str | None = None


class _Message(BaseModel, defer_build=True):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[_Part] | None = None
    name: str | None = None
    tool_call_id: str | None = None


class _MaxPrice(_Strict):
    prompt: float | None = Field(default=None, ge=0)
    completion: float | None = Field(default=None, ge=0)
    request: float | None = Field(default=None, ge=0)
    image: float | None = Field(default=None, ge=0)


class _Provider(_Strict):
    """OpenRouter's ``provider`` routing object, as documented."""

    order: list[str] | None = None
    allow_fallbacks: bool | None = None
    require_parameters: bool | None = None
    data_collection: Literal["allow", "deny"] | None = None
    zdr: bool | None = None
    enforce_distillable_text: bool | None = None
    only: list[str] | None = None
    ignore: list[str] | None = None
    quantizations: list[str] | None = None
    sort: Literal["price", "throughput", "latency"] | dict | None = None
    preferred_min_throughput: float | dict | None = None
    preferred_max_latency: float | dict | None = None
    max_price: _MaxPrice | None = None


class _JsonSchema(BaseModel, defer_build=True):
    model_config = ConfigDict(extra="allow")
    name: str = Field(min_length=1, max_length=64)
    schema_: dict = Field(alias="schema")
    strict: bool | None = None


class _ResponseFormat(_Strict):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: _JsonSchema | None = None


class _FunctionSpec(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    description: str | None = Field(default=None, max_length=4000)
    parameters: dict | None = None
    strict: bool | None = None


class _Tool(_Strict):
    type: Literal["function"]
    function: _FunctionSpec


class _NamedChoice(_Strict):
    type: Literal["function"]
    function: dict[Literal["name"], str]


PROVIDER_KEYS = tuple(_Provider.model_fields)


def check_messages(value: list[dict] | None) -> list[dict] | None:
    """OpenAI-style messages: a known role each, content a string or a list of typed parts."""
    if value is None:
        return None
    for i, message in enumerate(value):
        _check(_Message, message, f"[{i}]")
    return value


def check_provider(value: dict | None) -> dict | None:
    if value is not None:
        _check(_Provider, value)
        _finite(value)
    return value


def check_response_format(value: dict | None) -> dict | None:
    if value is not None:
        parsed = _check(_ResponseFormat, value)
        if parsed.type == "json_schema" and parsed.json_schema is None:
            raise ValueError("type 'json_schema' needs a 'json_schema' object with 'name' and 'schema'")
        if parsed.json_schema is not None:
            _schema_ok(parsed.json_schema.schema_, "json_schema.schema")
        _finite(value)
    return value


def check_tools(value: list[dict] | None) -> list[dict] | None:
    """OpenAI-style function tools, each with a name and a JSON Schema for its parameters."""
    for i, tool in enumerate(value or []):
        parsed = _check(_Tool, tool, f"[{i}]")
        if parsed.function.parameters is not None:
            _schema_ok(parsed.function.parameters, f"[{i}].function.parameters")
        _finite(tool)
    return value


def check_tool_choice(value: Any) -> str | dict | None:
    """``none``, ``auto``, ``required`` or ``{"type": "function", "function": {"name": ...}}``."""
    if value is not None and not isinstance(value, (str, dict)):
        raise ValueError("use none, auto, required or {'type': 'function', 'function': {'name': ...}}")
    if isinstance(value, str) and value not in ("none", "auto", "required"):
        raise ValueError(f"'{quote(value)}' is not a tool choice: use none, auto, required or a function")
    if isinstance(value, dict):
        _check(_NamedChoice, value)
    return value


def check_model_id(value: str) -> str:
    """A model id as OpenRouter spells them: ``vendor/name[:variant]`` or ``@preset/name``, no spaces."""
    if not value.strip():
        raise ValueError("empty: pass an id like 'openai/gpt-4o' (see list_models)")
    if len(value) > MODEL_ID_CHARS:
        raise ValueError(f"{len(value)} characters long; model ids are at most {MODEL_ID_CHARS}")
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise ValueError(f"'{quote(value)}' contains spaces or control characters; pass a model id")
    return value


def quote(text: str, limit: int = QUOTE) -> str:
    """``text`` on one line, cut to about ``limit`` characters."""
    flat = " ".join(str(text)[: limit * 4].split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _check(model: type[BaseModel], value: Any, where: str = "") -> Any:
    """``value`` as ``model``; the first problem as a ValueError (``where`` leads the path, e.g. ``[2]``)."""
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        parts = [str(p) for p in error["loc"]]
        if error["type"] == "extra_forbidden" and parts:
            message = f"unknown key '{quote(parts.pop())}'; allowed: {', '.join(model.model_fields)}"
        else:
            message = quote(error["msg"], 120)
        path = where + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in parts)
        raise ValueError(f"{quote(path.lstrip('.'), 60)}: {message}" if path else message) from None


def _schema_ok(schema: dict, where: str) -> None:
    """``schema`` is a valid JSON Schema (checked before anything is sent)."""
    from jsonschema import Draft202012Validator, SchemaError  # loads with the first schema, not the server

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in exc.path)
        raise ValueError(f"{where}{quote(path, 40)} is not valid JSON Schema: {quote(exc.message, 100)}") from None


def _finite(value: Any) -> None:
    """No NaN or infinity anywhere inside (JSON has none, and the API would reject the request)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError("holds a NaN or infinite number; use finite values")
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
