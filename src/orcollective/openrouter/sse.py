"""Server-sent events: the event parser and the accumulator that turns chunks into one Completion."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, AsyncIterator, Callable

from ..errors import MalformedResponse, UpstreamError
from .wire import Completion, Source, ToolCall, Usage, WireChunk, parse, sources_of, text_of


class StreamState:
    """Accumulates SSE chunks into one Completion; text beyond ``max_chars`` is dropped and marked."""

    def __init__(self, requested: str, max_chars: int = 2_000_000) -> None:
        self.requested = requested
        self.max_chars = max_chars
        self.text_parts: list[str] = []
        self.chars = 0
        self.reasoning_parts: list[str] = []
        self.model: str | None = None
        self.provider: str | None = None
        self.generation_id: str | None = None
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.ttft: float | None = None
        self.done = False
        self.truncated = False
        self.cache_status: str | None = None
        self.sources: list[Source] = []
        # Tool-call fragments by index: the first carries id and name, later ones add to the arguments.
        self.calls: dict[int, ToolCall] = {}

    def feed(self, data: str, error_from_body: Callable[..., UpstreamError]) -> str:
        """Take one event's data; return the text it adds (empty once the cap is reached)."""
        try:
            raw = json.loads(data)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise MalformedResponse(
                f"The stream from {self.requested} carried a chunk that is not JSON; try again.",
                model=self.requested,
            ) from exc
        if not isinstance(raw, dict):
            return ""
        if isinstance(raw.get("error"), dict):
            raise error_from_body(raw, 502, model=self.requested)
        choices = raw.get("choices")
        for choice in choices if isinstance(choices, list) else []:
            if isinstance(choice, dict) and choice.get("finish_reason") == "error":
                raise error_from_body({"error": choice.get("error") or {}}, 502, model=self.requested)
        chunk: WireChunk = parse(WireChunk, raw, self.requested)
        self.model = chunk.model or self.model
        self.provider = chunk.provider or self.provider
        self.generation_id = self.generation_id or chunk.id
        if chunk.usage is not None:
            self.usage = chunk.usage.usage()
        delta_text = ""
        for choice in chunk.choices:
            if choice.delta is not None:
                delta_text += text_of(choice.delta.content)
                if choice.delta.reasoning:
                    self.reasoning_parts.append(choice.delta.reasoning)
                self._add_calls(choice.delta.tool_calls or [])
                known = {s.url for s in self.sources}
                self.sources += [s for s in sources_of(choice.delta.annotations) if s.url not in known]
            if choice.finish_reason:
                self.finish_reason = choice.finish_reason
        return self._keep(delta_text)

    def _add_calls(self, fragments: list) -> None:
        for position, fragment in enumerate(fragments):
            index = fragment.index if fragment.index is not None else position
            call = self.calls.setdefault(index, ToolCall(fragment.id or f"call_{index}", "", ""))
            if fragment.id:
                call.id = fragment.id
            if fragment.function is not None:
                call.name = call.name or fragment.function.name or ""
                call.arguments += fragment.function.arguments or ""

    def _keep(self, text: str) -> str:
        room = self.max_chars - self.chars
        if len(text) > room:
            text, self.truncated = text[: max(room, 0)], True
        if text:
            self.text_parts.append(text)
            self.chars += len(text)
        return text

    def completion(self, latency: float) -> Completion:
        usage = self.usage or Usage()
        return Completion(
            text="".join(self.text_parts),
            model=self.model or self.requested,
            requested_model=self.requested,
            provider=self.provider,
            finish_reason="length" if self.truncated else self.finish_reason,
            generation_id=self.generation_id,
            usage=usage,
            cost_usd=usage.cost_usd,
            cost_source="usage.cost" if usage.cost_usd is not None else "unknown",
            latency_s=latency,
            ttft_s=self.ttft,
            reasoning="".join(self.reasoning_parts) or None,
            streamed=True,
            truncated=self.truncated,
            tool_calls=[self.calls[i] for i in sorted(self.calls)],
            sources=self.sources,
            cache_status=self.cache_status,
        )


_NEWLINE = re.compile(r"\r\n|\r|\n")


async def sse_lines(texts: AsyncIterator[str], max_chars: int, who: str) -> AsyncGenerator[str, None]:
    """Split decoded text into SSE lines (ended by CRLF, CR or LF), none longer than ``max_chars``: a line
    that grows past it is given up on before it is held whole, however long the upstream makes it."""
    pending: list[str] = []
    size = 0
    held_cr = False  # a chunk that ends in CR: the next one may start with the LF of the same CRLF
    async for text in texts:
        if held_cr:
            text, held_cr = "\r" + text, False
        if text.endswith("\r"):
            text, held_cr = text[:-1], True
        *ended, rest = _NEWLINE.split(text)
        for part in ended:
            pending.append(part)
            yield "".join(pending)
            pending, size = [], 0
        if rest:
            pending.append(rest)
            size += len(rest)
        if size > max_chars:
            err = MalformedResponse(
                f"The stream from {who} sent one event over {max_chars >> 20} M characters; lower max_tokens "
                "or raise ORCOLLECTIVE_MAX_REPLY_CHARS.",
                model=who,
            )
            err.retryable = False
            raise err
    if pending or held_cr:
        yield "".join(pending)


async def sse_events(lines: AsyncIterator[str]) -> AsyncGenerator[str, None]:
    """Yield each SSE event's data; skip comments such as ``: OPENROUTER PROCESSING``."""
    buffer: list[str] = []
    async for line in lines:
        if line == "":
            if buffer:
                yield "\n".join(buffer)
                buffer = []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if field == "data":
            buffer.append(value[1:] if value.startswith(" ") else value)
    if buffer:
        yield "\n".join(buffer)
