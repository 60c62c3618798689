"""Server-sent events: the event parser and the accumulator that turns chunks into one Completion."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable

from ..errors import MalformedResponse, UpstreamError
from .wire import Completion, Usage


class StreamState:
    """Accumulates SSE chunks into one Completion."""

    def __init__(self, requested: str) -> None:
        self.requested = requested
        self.text_parts: list[str] = []
        self.reasoning_parts: list[str] = []
        self.model: str | None = None
        self.provider: str | None = None
        self.generation_id: str | None = None
        self.finish_reason: str | None = None
        self.usage: dict | None = None
        self.ttft: float | None = None
        self.done = False

    def feed(self, data: str, error_from_body: Callable[..., UpstreamError]) -> str:
        try:
            chunk = json.loads(data)
        except json.JSONDecodeError as exc:
            raise MalformedResponse(
                f"The stream from {self.requested} carried a chunk that is not JSON; try again.",
                model=self.requested,
            ) from exc
        if not isinstance(chunk, dict):
            return ""
        self.model = chunk.get("model") or self.model
        self.provider = chunk.get("provider") or self.provider
        self.generation_id = self.generation_id or chunk.get("id")
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        if isinstance(chunk.get("error"), dict):
            raise error_from_body(chunk, 502, model=self.requested)
        delta_text = ""
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            if choice.get("finish_reason") == "error":
                raise error_from_body({"error": choice.get("error") or {}}, 502, model=self.requested)
            delta = choice.get("delta") or {}
            if isinstance(delta.get("content"), str):
                delta_text += delta["content"]
            if isinstance(delta.get("reasoning"), str):
                self.reasoning_parts.append(delta["reasoning"])
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        if delta_text:
            self.text_parts.append(delta_text)
        return delta_text

    def completion(self, latency: float) -> Completion:
        usage = Usage.from_wire(self.usage)
        return Completion(
            text="".join(self.text_parts),
            model=self.model or self.requested,
            requested_model=self.requested,
            provider=self.provider,
            finish_reason=self.finish_reason,
            generation_id=self.generation_id,
            usage=usage,
            cost_usd=usage.cost_usd,
            cost_source="usage.cost" if usage.cost_usd is not None else "unknown",
            latency_s=latency,
            ttft_s=self.ttft,
            reasoning="".join(self.reasoning_parts) or None,
            streamed=True,
        )


async def sse_events(lines: AsyncIterator[str]) -> AsyncIterator[str]:
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
