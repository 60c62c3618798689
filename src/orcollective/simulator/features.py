"""OpenRouter features the simulator plays: variants, presets, ``openrouter/auto``, PDFs through the
``file-parser`` plugin, the web search server tool (``url_citation`` annotations), tool calls,
reasoning, prompt caching (``cache_control`` -> ``cached_tokens`` at the cache-read price), the
response cache (``X-OpenRouter-Cache``) and the ``response-healing`` plugin."""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from .wire import dumps, estimate_tokens, last_user_text

VARIANTS = frozenset({"nitro", "floor", "online", "thinking", "exacto", "extended"})
PDF_ENGINES = frozenset({"native", "cloudflare-ai", "mistral-ocr", "pdf-text"})
WEB_RESULT_USD = Decimal("0.004")
_PDF_TEXT = re.compile(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj")
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


@dataclass
class Route:
    """Which catalog model answers a requested id, and what the id asked for on the way."""

    model: str
    router: str | None = None
    preset: str | None = None
    online: bool = False
    thinking: bool = False


@dataclass
class Extras:
    """What the request's features add to an answer."""

    reasoning: str | None = None
    reasoning_tokens: int = 0
    tool_calls: list[dict] = field(default_factory=list)
    annotations: list[dict] = field(default_factory=list)
    web_results: int = 0


def route(requested: str, body: dict, presets: dict[str, dict], known: Any) -> Route | str:
    """The model that serves ``requested``, or why none does (an error message)."""
    if requested.startswith("@preset/"):
        preset = presets.get(requested.removeprefix("@preset/"))
        if preset is None:
            return f"Preset '{requested}' not found"
        return Route(preset["model"], preset=requested)
    if requested == "openrouter/auto":
        allowed = next((p.get("allowed_models") for p in plugins(body) if p.get("id") == "auto-router"), None)
        for pattern in allowed or ["openai/gpt-4o-mini"]:
            chosen = next((m for m in known() if fnmatch.fnmatchcase(m, pattern)), None)
            if chosen:
                return Route(chosen, router="openrouter/auto")
        return "No models match allowed_models"
    base, sep, variant = requested.rpartition(":")
    if sep and variant in VARIANTS:
        return Route(base, online=variant == "online", thinking=variant == "thinking")
    return Route(requested)


def plugins(body: dict) -> list[dict]:
    found = body.get("plugins")
    return [p for p in found if isinstance(p, dict)] if isinstance(found, list) else []


def invalid_features(body: dict) -> str | None:
    """Why the request's files, plugins or tools are unacceptable, or None."""
    for p in plugins(body):
        engine = (p.get("pdf") or {}).get("engine") if p.get("id") == "file-parser" else None
        if engine is not None and engine not in PDF_ENGINES:
            return f'Invalid file-parser engine "{engine}"'
    for part in _parts(body):
        if part.get("type") == "file":
            data = (part.get("file") or {}).get("file_data")
            if not isinstance(data, str) or not data.startswith(("data:application/pdf;base64,", "http")):
                return "Invalid file part: file_data must be a PDF data URL or an http(s) URL"
    names = [(t.get("function") or {}).get("name") for t in _tools(body) if t.get("type") == "function"]
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and (choice.get("function") or {}).get("name") not in names:
        return "tool_choice names a function that is not in tools"
    return None


def file_text(body: dict) -> str:
    """What the file parser reads out of the request's PDF parts (``(text) Tj`` operators)."""
    texts = []
    for part in _parts(body):
        data = (part.get("file") or {}).get("file_data") if part.get("type") == "file" else None
        if isinstance(data, str) and data.startswith("data:application/pdf;base64,"):
            raw = base64.b64decode(data.partition(",")[2])
            texts += [m.decode("latin-1") for m in _PDF_TEXT.findall(raw)]
    return "\n".join(texts)


def extras(body: dict, script: Any, answer_text: str, where: Route) -> Extras:
    """Reasoning, tool calls and web citations for one answer."""
    out = Extras()
    asked = body.get("reasoning")
    reasoning: dict = asked if isinstance(asked, dict) else {}
    if script.reasoning or where.thinking or reasoning:
        text = script.reasoning or f"Thinking about: {last_user_text(body)[:80]}"
        out.reasoning_tokens = estimate_tokens(text)
        out.reasoning = None if reasoning.get("exclude") else text
    functions = [t for t in _tools(body) if t.get("type") == "function"]
    if script.tool_calls and functions and body.get("tool_choice") != "none":
        out.tool_calls = [
            {"id": f"call_{i}", "type": "function",
             "function": {"name": c["name"], "arguments": dumps(c.get("arguments", {}))}}
            for i, c in enumerate(script.tool_calls)
        ]  # fmt: skip
    search = next((t for t in _tools(body) if t.get("type") == "openrouter:web_search"), None)
    web_plugin = next((p for p in plugins(body) if p.get("id") == "web"), None)
    if search is not None or web_plugin is not None or where.online:
        config = (search or {}).get("parameters") or web_plugin or {}
        out.web_results = int(config.get("max_results") or 5)
        query = quote(last_user_text(body)[:40])
        out.annotations = [
            {"type": "url_citation",
             "url_citation": {"url": f"https://example.org/result/{i}?q={query}", "title": f"Result {i} for the query",
                              "content": answer_text[:80], "start_index": 0, "end_index": min(len(answer_text), 10)}}
            for i in range(1, out.web_results + 1)
        ]  # fmt: skip
    return out


def routed_provider(body: dict, default: str) -> str:
    """The provider the ``provider`` routing object picks: the first of ``order`` (or ``only``), as sent."""
    routing = _object(body.get("provider"))
    for key in ("order", "only"):
        slugs = routing.get(key)
        if isinstance(slugs, list) and slugs and isinstance(slugs[0], str):
            return slugs[0]
    return default


def over_max_price(body: dict, pricing: dict[str, str]) -> str | None:
    """Why ``provider.max_price`` (USD per 1M tokens) rules the model out, or None."""
    limits = _object(_object(body.get("provider")).get("max_price"))
    for key in ("prompt", "completion"):
        limit = limits.get(key)
        if isinstance(limit, (int, float)) and Decimal(pricing.get(key, "0")) * 1_000_000 > Decimal(str(limit)):
            return f"No endpoints found that match max_price.{key} = {limit}"
    return None


def heal(body: dict, text: str) -> str:
    """The ``response-healing`` plugin (non-streaming JSON replies only): JSON out of fences or prose."""
    wants_json = (body.get("response_format") or {}).get("type") in ("json_object", "json_schema")
    if body.get("stream") or not wants_json or not any(p.get("id") == "response-healing" for p in plugins(body)):
        return text
    fenced = _FENCE.search(text)
    candidate = fenced.group(1) if fenced else text[text.find("{") : text.rfind("}") + 1]
    candidate = re.sub(r",\s*([}\]])", r"\1", candidate)
    try:
        return dumps(json.loads(candidate))
    except ValueError:
        return text


class PromptCache:
    """Prompt prefixes marked with ``cache_control``, per model: a repeat reads them at the cache price."""

    def __init__(self) -> None:
        self._seen: set[tuple[str, str]] = set()

    def tokens(self, model: str, body: dict) -> tuple[int, int]:
        """(cached tokens read, tokens written) for the request's longest marked prefix."""
        prefix, marked = [], ""
        for message in body.get("messages") or []:
            content = message.get("content") if isinstance(message, dict) else None
            for part in content if isinstance(content, list) else [{"text": content}]:
                if isinstance(part, dict):
                    prefix.append(str(part.get("text") or (part.get("file") or {}).get("file_data") or ""))
                    if part.get("cache_control"):
                        marked = "".join(prefix)
        if not marked:
            return 0, 0
        key = (model, hashlib.sha256(marked.encode()).hexdigest())
        if key in self._seen:
            return estimate_tokens(marked), 0
        self._seen.add(key)
        return 0, estimate_tokens(marked)

    def reset(self) -> None:
        self._seen.clear()


def response_cache_key(model: str, body: dict) -> str:
    return hashlib.sha256(f"{model}\n{dumps(body)}".encode()).hexdigest()


def _object(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _parts(body: dict) -> list[dict]:
    out = []
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        out += [p for p in content if isinstance(p, dict)] if isinstance(content, list) else []
    return out


def _tools(body: dict) -> list[dict]:
    tools = body.get("tools")
    return [t for t in tools if isinstance(t, dict)] if isinstance(tools, list) else []
