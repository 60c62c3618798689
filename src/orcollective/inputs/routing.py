"""OpenRouter request options shared by every tool that calls models: files, web search and routing.

A tool's Request inherits ``CallOptions`` (the arguments ``files``, ``pdf_engine``, ``web_search``,
``max_results`` and ``routing``); ``prepare_call`` turns them into content parts for the user message
and the request-body fields (``provider``, ``plugins``, ``tools``) that carry them upstream.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from ..catalog import ModelInfo, ModelRegistry
from ..catalog.registry import unchecked
from ..errors import InvalidArgument
from .files import FilePolicy, PdfEngine, load_files

AUTO_ROUTER = "openrouter/auto"
WEB_SEARCH_TOOL = "openrouter:web_search"
# Suffixes that pick providers or a mode for a catalog model; ``:free`` variants are catalog ids of their own.
VARIANTS = frozenset({"nitro", "floor", "online", "thinking", "exacto", "extended"})
_PRESET = re.compile(r"@preset/[a-z0-9][a-z0-9_-]{0,63}")
_SLUG = re.compile(r"[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)?")
_PATTERN = re.compile(r"[a-z0-9*][a-z0-9._*:-]*(/[a-z0-9*][a-z0-9._*:-]*)?")
QUANTIZATIONS = ("int4", "int8", "fp4", "fp6", "fp8", "fp16", "bf16", "fp32", "unknown")


def _slugs(value: list[str]) -> list[str]:
    # Checked here rather than as schema patterns: tools/list stays small.
    if len(value) > 32:
        raise ValueError("at most 32 provider slugs")
    for slug in value:
        if len(slug) > 80 or not _SLUG.fullmatch(slug):
            raise ValueError(f"'{slug[:40]}' is not a provider slug like 'anthropic' or 'deepinfra/turbo'")
    return value


def _quantizations(value: list[str]) -> list[str]:
    unknown = [q for q in value if q not in QUANTIZATIONS]
    if unknown:
        raise ValueError(f"unknown quantization '{unknown[0][:20]}'; use {', '.join(QUANTIZATIONS)}")
    return value


def _price(value: float) -> float:
    if not 0 <= value <= 10_000:
        raise ValueError("a price in USD per 1M tokens, 0 to 10000")
    return value


def _results(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= 20:
        raise ValueError("max_results is 1 to 20")
    return value


Slugs = Annotated[list[str], AfterValidator(_slugs)]
_PRICES = {"max_prompt_price", "max_completion_price"}
Price = Annotated[float, AfterValidator(_price)]


class _Strict(BaseModel, defer_build=True):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Routing(_Strict):
    """Provider routing as typed knobs (prices in USD per 1M tokens)."""

    provider_order: Slugs | None = None
    allow_fallbacks: bool | None = None
    sort: Literal["price", "throughput", "latency"] | None = None
    max_prompt_price: Price | None = None
    max_completion_price: Price | None = None
    data_collection: Literal["allow", "deny"] | None = None
    zdr: bool | None = None
    only: Slugs | None = None
    ignore: Slugs | None = None
    quantizations: Annotated[list[str], AfterValidator(_quantizations)] | None = None
    require_parameters: bool | None = None
    allowed_models: Annotated[list[str], Field(description="openrouter/auto only")] | None = None

    def provider(self) -> dict | None:
        """The request's ``provider`` object (None when no provider knob is set)."""
        out = self.model_dump(exclude_none=True, exclude={"provider_order", "allowed_models"} | _PRICES)
        if self.provider_order:
            out["order"] = self.provider_order
        prices = {"prompt": self.max_prompt_price, "completion": self.max_completion_price}
        if prices := {k: v for k, v in prices.items() if v is not None}:
            out["max_price"] = prices
        return out or None


class Reasoning(_Strict):
    """OpenRouter's ``reasoning`` object: an effort level or a token budget, and whether to leave it out."""

    effort: Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None = None
    max_tokens: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    exclude: bool | None = None

    @model_validator(mode="after")
    def _one_budget(self) -> Reasoning:
        if self.effort is not None and self.max_tokens is not None:
            raise ValueError("give effort or max_tokens, not both")
        return self

    def body(self) -> dict | None:
        return self.model_dump(exclude_none=True) or None


REASONING_SCHEMA = {"type": "object", "description": "effort|max_tokens, exclude"}


def no_default(schema: dict) -> None:
    """Leave ``"default": null`` out of a field's schema (leaving the field out means the same)."""
    schema.pop("default", None)


PLAIN = Field(json_schema_extra=no_default)
# Clients see a plain object and this list of knobs; the Routing model validates it (tools/list stays small).
ROUTING_SCHEMA = {
    "type": "object",
    "description": "provider_order only ignore quantizations sort max_prompt_price max_completion_price "
    "data_collection zdr allow_fallbacks require_parameters allowed_models",
}


class CallOptions(BaseModel, defer_build=True):
    """The arguments every model-calling tool shares; inherit it beside ``features.base.Request``."""

    files: Annotated[list[str] | None, Field(description="PDF/text: paths, URLs, base64")] = None
    pdf_engine: Annotated[PdfEngine | None, WithJsonSchema({"type": "string"}), PLAIN] = None  # values in its error
    web_search: bool | None = None
    max_results: Annotated[int | None, AfterValidator(_results)] = None
    routing: Annotated[Routing, WithJsonSchema(ROUTING_SCHEMA), Field(default_factory=Routing)]


@dataclass
class PreparedCall:
    """What ``CallOptions`` add to a request: parts for the last user message, fields for the body."""

    parts: list[dict] = field(default_factory=list)
    body: dict[str, Any] = field(default_factory=dict)


async def prepare_call(options: CallOptions, policy: FilePolicy, *, model: str | None = None) -> PreparedCall:
    """Load the files and build ``provider``/``plugins``/``tools`` for ``options``; ``model`` is the main
    model id, checked against ``routing.allowed_models`` (only ``openrouter/auto`` takes them)."""
    if options.max_results is not None and not options.web_search:
        raise InvalidArgument("'max_results' applies to web search: add web_search=true or drop it.")
    routing = options.routing
    if len(routing.allowed_models or []) > 32:
        raise InvalidArgument("routing.allowed_models: at most 32 patterns.")
    if routing.allowed_models is not None and model is not None and model != AUTO_ROUTER:
        raise InvalidArgument(f"routing.allowed_models applies to model '{AUTO_ROUTER}' only; drop it or use it.")
    for pattern in routing.allowed_models or []:
        if not _PATTERN.fullmatch(pattern):
            raise InvalidArgument(
                f"routing.allowed_models: '{pattern[:60]}' is not a model id or pattern like 'openai/*'."
            )
    files = await load_files(options.files, policy) if options.files else None
    if options.pdf_engine is not None and not (files and files.pdfs):
        raise InvalidArgument("'pdf_engine' applies to PDF files: pass a PDF in 'files' or drop it.")
    prepared = PreparedCall(parts=files.parts if files else [])
    plugins: list[dict] = []
    if files and files.pdfs:
        plugins.append({"id": "file-parser", **({"pdf": {"engine": options.pdf_engine}} if options.pdf_engine else {})})
    if routing.allowed_models:
        plugins.append({"id": "auto-router", "allowed_models": routing.allowed_models})
    if plugins:
        prepared.body["plugins"] = plugins
    if options.web_search:
        prepared.body["tools"] = [web_search_tool(options.max_results)]
    if provider := routing.provider():
        prepared.body["provider"] = provider
    return prepared


def web_search_tool(max_results: int | None = None) -> dict:
    """OpenRouter's web search server tool (the ``web`` plugin and ``:online`` are deprecated)."""
    tool: dict[str, Any] = {"type": WEB_SEARCH_TOOL}
    if max_results is not None:
        tool["parameters"] = {"max_results": max_results}
    return tool


def merge_body(body: dict, extra: dict) -> dict:
    """``body`` with ``extra``'s fields added; ``plugins`` and ``tools`` lists are concatenated."""
    out = dict(body)
    for key, value in extra.items():
        if key in ("plugins", "tools") and isinstance(out.get(key), list):
            out[key] = [*out[key], *value]
        else:
            out[key] = value
    return out


def is_preset(model_id: str) -> bool:
    return model_id.startswith("@preset/")


async def resolve_models(registry: ModelRegistry, model_ids: Sequence[str]) -> list[ModelInfo]:
    """The catalog entry of every id, in order. ``@preset/...`` ids (configurations saved on OpenRouter)
    and ``openrouter/auto`` pass unchecked; a variant (``:nitro``, ``:floor``, ``:online``, ``:thinking``,
    ``:exacto``, ``:extended``) must name a catalog model, and ``:thinking`` one that reasons."""
    bases: list[str] = []
    for model_id in model_ids:
        if is_preset(model_id) and not _PRESET.fullmatch(model_id):
            raise InvalidArgument(f"'{model_id[:60]}' is not a preset id: use @preset/<slug> (lowercase, digits, -).")
        base, sep, variant = model_id.rpartition(":")
        if sep and variant not in VARIANTS and variant != "free" and "/" in base:
            raise InvalidArgument(
                f"Unknown variant ':{variant[:20]}' in '{model_id[:60]}': use one of "
                f"{', '.join(':' + v for v in sorted(VARIANTS | {'free'}))}."
            )
        bases.append(base if sep and variant in VARIANTS else model_id)
    checked = [b for b in bases if not is_preset(b) and b != AUTO_ROUTER]
    found = iter((await registry.resolve(checked)).models) if checked else iter(())
    out = []
    for model_id, base in zip(model_ids, bases, strict=True):
        info = unchecked(model_id) if is_preset(base) or base == AUTO_ROUTER else next(found)
        if model_id.endswith(":thinking") and not {"reasoning", "include_reasoning"} & set(info.supported_parameters):
            raise InvalidArgument(f"'{base}' does not reason, so ':thinking' does not apply; drop the suffix.")
        out.append(replace(info, id=model_id) if base != model_id else info)
    return out
