"""OpenRouter's request features for the tools that ask several models: one ``openrouter`` argument with
chat's ``files``, ``pdf_engine``, ``web_search``, ``max_results``, ``routing`` and ``cache``, applied to every
call a run makes.

``Upstream`` validates the argument; ``prepare_upstream`` loads the files and checks the knobs against the
panel once, before any spend; ``Prepared.apply(body)`` adds what each request body needs: the provider
object always, the ``file-parser`` plugin when the body carries a file part, the ``auto-router`` plugin for
``openrouter/auto`` only, the web search server tool, and ``cache_control`` breakpoints with
``cache="prompt"``. ``Prepared.headers`` asks for OpenRouter's response cache with ``cache="response"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, WithJsonSchema

from ..errors import InvalidArgument
from .files import FilePolicy
from .routing import AUTO_ROUTER, CallOptions, merge_body, prepare_call

CACHE_HEADER = {"X-OpenRouter-Cache": "true"}
# OpenRouter's web search bills its results apart from tokens: $4 per 1,000, 5 results unless max_results says.
WEB_RESULT_USD, WEB_RESULTS = 0.004, 5
EPHEMERAL = {"type": "ephemeral"}
Cache = Literal["prompt", "response", "both"]
# Clients see one plain object; Upstream validates it and names the valid keys of a wrong one.
UPSTREAM_SCHEMA = {"type": "object", "description": "chat's files web_search routing cache..."}


class Upstream(CallOptions):
    """chat's OpenRouter arguments, as one object of a collective tool."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    cache: Cache | None = None

    def recorded(self) -> dict[str, Any]:
        """What a run's arguments keep of it: the knobs set, and how many files (not their contents)."""
        out = self.model_dump(mode="json", exclude_defaults=True, exclude={"files"})
        return {**out, "files": len(self.files)} if self.files else out


# A Request field: ``openrouter: OpenRouterArgument`` (absent means none of it).
OpenRouterArgument = Annotated[Upstream, WithJsonSchema(UPSTREAM_SCHEMA), Field(default_factory=Upstream)]


@dataclass
class Prepared:
    """What an ``openrouter`` argument adds to every request of a run."""

    parts: list[dict] = field(default_factory=list)  # for the user message that carries the question
    body: dict[str, Any] = field(default_factory=dict)
    prompt_cache: bool = False
    headers: dict[str, str] | None = None
    per_call_usd: float = 0.0  # what each request costs beyond its tokens (web search results)

    def apply(self, body: dict) -> dict:
        """``body`` with the run's provider routing, plugins, web search and cache breakpoints."""
        extra = dict(self.body)
        plugins = []
        for plugin in extra.pop("plugins", []):
            if _wanted(plugin["id"], body):
                plugins.append(plugin)
        if plugins:
            extra["plugins"] = plugins
        out = merge_body(body, extra)
        if self.prompt_cache:
            out["messages"] = mark_cache(out["messages"])
        return out

    @property
    def text(self) -> str:
        """The inlined text files, for a token estimate."""
        return "".join(p.get("text", "") for p in self.parts if p.get("type") == "text")

    def with_question(self, messages: list[dict], images: list[dict] | None = None) -> list[dict]:
        """``messages`` with ``images`` (image parts), then the files' parts, added to the last user message."""
        added = [*(images or []), *self.parts]
        if not added:
            return messages
        out = list(messages)
        last = max(i for i, m in enumerate(out) if m["role"] == "user")
        content = out[last].get("content")
        head = [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])
        out[last] = {**out[last], "content": [*head, *added]}
        return out


NOTHING = Prepared()


async def prepare_upstream(options: Upstream, policy: FilePolicy, models: Sequence[str]) -> Prepared:
    """Load ``options``' files and check its knobs for a run asking ``models`` (``routing.allowed_models``
    needs ``openrouter/auto`` among them)."""
    auto = AUTO_ROUTER if AUTO_ROUTER in models else None
    if options.routing.allowed_models is not None and auto is None:
        raise InvalidArgument(f"openrouter.routing.allowed_models applies to '{AUTO_ROUTER}': add it to the models.")
    prepared = await prepare_call(options, policy, model=auto)
    return Prepared(
        parts=prepared.parts,
        body=prepared.body,
        prompt_cache=options.cache in ("prompt", "both"),
        headers=CACHE_HEADER if options.cache in ("response", "both") else None,
        per_call_usd=WEB_RESULT_USD * (options.max_results or WEB_RESULTS) if options.web_search else 0.0,
    )


def mark_cache(messages: list[dict]) -> list[dict]:
    """``cache_control`` breakpoints on the system prompt and on the last part of the last user message
    (the question with its inlined files): the long, repeated prefix a provider can cache."""
    out = [dict(m) for m in messages]
    users = [i for i, m in enumerate(out) if m["role"] == "user"]
    for i, message in enumerate(out):
        if message["role"] != "system" and (not users or i != users[-1]):
            continue
        content = message.get("content")
        parts: list[dict[str, Any]] = (
            [{"type": "text", "text": content}] if isinstance(content, str) else [dict(p) for p in content or []]
        )
        text_parts = [j for j, p in enumerate(parts) if p.get("type") == "text"]
        if text_parts:
            parts[text_parts[-1]] = {**parts[text_parts[-1]], "cache_control": EPHEMERAL}
        message["content"] = parts
    return out


def _wanted(plugin: str, body: dict) -> bool:
    if plugin == "file-parser":
        return _has_file(body.get("messages") or [])
    if plugin == "auto-router":
        return body.get("model") == AUTO_ROUTER or AUTO_ROUTER in (body.get("models") or [])
    return True


def _has_file(messages: Iterable[dict]) -> bool:
    return any(
        isinstance(m.get("content"), list) and any(p.get("type") == "file" for p in m["content"]) for m in messages
    )
