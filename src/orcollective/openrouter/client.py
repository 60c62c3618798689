"""OpenRouterClient: the one HTTP boundary. Every httpx or JSON failure becomes an ``errors`` class here.

It also owns the concurrency limit: every chat request, whichever tool sends it, waits for one of
``max_concurrency`` slots, held for one attempt (a retry's back-off does not hold a slot).

Every response is read in streaming mode and closed in a shielded step: a close interrupted by the
caller's cancellation would leave its pooled connection marked busy for good, and enough of those
wedge every later request. Replies are read up to a size cap, and a stream that sends nothing for
``stream_idle_s`` is given up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing, asynccontextmanager
from typing import Any

import anyio
import httpx
from pydantic import SecretStr

from .. import __version__
from ..errors import MISSING_KEY, ConfigError, MalformedResponse, ModelNotFound, StreamInterrupted, UpstreamError
from .retry import RetryPolicy
from .sse import StreamState, sse_events, sse_lines
from .status import StatusMap
from .wire import (
    Completion,
    GenerationStats,
    KeyInfo,
    Usage,
    WireCompletion,
    parse,
    sources_of,
    text_of,
    tool_calls_of,
)

log = logging.getLogger("orcollective.client")

OnText = Callable[[str], Awaitable[None] | None]
JSON_OVERHEAD_BYTES = 1 << 20  # room for the envelope around a reply of max_reply_chars
UNSENDABLE_KEY = (
    "OPENROUTER_API_KEY holds a space, line break, curly quote or other character no key has: "
    "set it again, copied exactly from https://openrouter.ai/settings/keys."
)


class OpenRouterClient:
    """Async client for OpenRouter (or any OpenAI-compatible base URL) with one pooled connection set."""

    def __init__(
        self,
        base_url: str,
        api_key: SecretStr | None,
        *,
        timeout_s: float = 120.0,
        connect_timeout_s: float = 10.0,
        retry: RetryPolicy | None = None,
        app_url: str | None = None,
        app_title: str | None = None,
        max_connections: int = 64,
        max_concurrency: int = 16,
        max_reply_chars: int = 2_000_000,
        stream_idle_s: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = api_key
        self._retry = retry or RetryPolicy()
        self._limiter = asyncio.Semaphore(max_concurrency)
        self._max_chars = max_reply_chars
        # UTF-8 takes up to 4 bytes a character, and JSON escapes some; the envelope adds a little.
        self._max_bytes = 6 * max_reply_chars + JSON_OVERHEAD_BYTES
        self._idle_s = stream_idle_s
        self._status = StatusMap(self.base_url, self._scrub, self._retry.total_s)
        headers = {"User-Agent": f"orcollective/{__version__}"}
        if app_url:
            headers["HTTP-Referer"] = app_url
        if app_title:
            headers["X-Title"] = app_title
            headers["X-OpenRouter-Title"] = app_title
        # The HTTP client (and its TLS context, the slow part) is made at the first request, not at start-up:
        # a server answers initialize and tools/list before it has asked OpenRouter anything.
        self._make_http = lambda: httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            transport=transport,
        )
        self._made: httpx.AsyncClient | None = None
        self._closed = False

    @property
    def _http(self) -> httpx.AsyncClient:
        if self._made is None:
            if self._closed:
                raise RuntimeError("the OpenRouter client is closed")
            self._made = self._make_http()
        return self._made

    async def aclose(self) -> None:
        self._closed = True
        if self._made is not None:
            await self._made.aclose()

    async def __aenter__(self) -> OpenRouterClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def has_key(self) -> bool:
        return bool(self._secret())

    def _secret(self) -> str:
        """The API key, stripped; empty without one."""
        return self._key.get_secret_value().strip() if self._key is not None else ""

    def _auth(self) -> dict[str, str]:
        key = self._secret()
        if not key:
            raise ConfigError(MISSING_KEY)
        if not key.isascii() or not key.isprintable() or " " in key:
            # httpx would send it or fail naming the header's value (the key itself) in its logs.
            raise ConfigError(UNSENDABLE_KEY)
        return {"Authorization": f"Bearer {key}"}

    # -- plain endpoints ---------------------------------------------------------------------------

    async def models(self) -> list[dict]:
        """The raw catalog (``data`` of ``GET /models``); works without a key."""
        headers = self._auth() if self.has_key else {}
        body = await self._get_json("/models", headers=headers)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise MalformedResponse(f"{self.base_url}/models did not return a model list.")
        return [item for item in data if isinstance(item, dict) and isinstance(item.get("id"), str)]

    async def key_info(self) -> KeyInfo:
        """``GET /key``: the key's limit, usage and tier."""
        body = await self._get_json("/key", headers=self._auth())
        return parse(KeyInfo, _data(body, "/key"), "/key")

    async def credits(self) -> dict:
        """``GET /credits``: total credits bought and used (needs a management key on OpenRouter)."""
        body = await self._get_json("/credits", headers=self._auth())
        return _data(body, "/credits")

    async def generation(self, generation_id: str) -> dict:
        """``GET /generation?id=``: the stats record of one finished call."""
        body = await self._get_json("/generation", headers=self._auth(), params={"id": generation_id})
        return _data(body, "/generation")

    async def generation_stats(
        self, generation_id: str, *, waits_s: tuple[float, ...] = (0.5, 1.0, 2.0)
    ) -> GenerationStats:
        """The stats of one finished call, fetched only when asked. OpenRouter answers 404 for a short while
        after a call ends, so a 404 is asked again after each of ``waits_s``."""
        for wait in (*waits_s, None):
            try:
                return parse(GenerationStats, await self.generation(generation_id), "/generation")
            except ModelNotFound:
                if wait is None:
                    raise ModelNotFound(
                        f"No generation stats for '{generation_id[:60]}' yet; ask again in a few seconds."
                    ) from None
                await anyio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _get_json(self, path: str, *, headers: dict, params: dict | None = None) -> Any:
        async for attempt in self._retry.retrying():
            with attempt:
                async with self._open("GET", path, None, headers=headers, params=params) as response:
                    content = await self._read(response, path)
                return self._json_or_raise(response, content)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- chat --------------------------------------------------------------------------------------

    async def complete(self, body: dict, *, headers: dict[str, str] | None = None) -> Completion:
        """One non-streaming chat completion, retried per the policy; ``headers`` are added to the request."""
        body = {**body, "stream": False}
        model = str(body.get("model") or "")
        async for attempt in self._retry.retrying():
            with attempt:
                async with self._limiter:
                    started = time.perf_counter()
                    sent = {**(headers or {}), **self._auth()}
                    async with self._open("POST", "/chat/completions", model, json=body, headers=sent) as r:
                        content = await self._read(r, model)
                payload = self._json_or_raise(r, content, model=model)
                return _require_text(_completion(payload, body, r, time.perf_counter() - started))
        raise AssertionError("unreachable")  # pragma: no cover

    async def stream(
        self, body: dict, on_text: OnText | None = None, *, headers: dict[str, str] | None = None
    ) -> Completion:
        """One streaming chat completion. ``on_text`` sees each text delta as it arrives; ``headers`` are
        added to the request.

        Retried only while no text has arrived: once tokens were shown, a failure is final.
        """
        body = {**body, "stream": True}
        async for attempt in self._retry.retrying():
            with attempt:
                async with self._limiter:
                    return await self._stream_once(body, on_text, headers or {})
        raise AssertionError("unreachable")  # pragma: no cover

    async def _stream_once(self, body: dict, on_text: OnText | None, headers: dict[str, str]) -> Completion:
        model = str(body.get("model") or "")
        started = time.perf_counter()
        state = StreamState(requested=model, max_chars=self._max_chars)
        sent = {**headers, **self._auth()}
        try:
            async with self._open("POST", "/chat/completions", model, json=body, headers=sent) as response:
                if response.status_code != 200 or "text/event-stream" not in response.headers.get("content-type", ""):
                    content = await self._read(response, model)
                    payload = self._json_or_raise(response, content, model=model)
                    return _completion(payload, body, response, time.perf_counter() - started)
                state.generation_id = response.headers.get("x-generation-id")
                state.cache_status = response.headers.get("x-openrouter-cache-status")
                await self._consume(response, state, on_text, started)
        except UpstreamError as exc:
            if state.text_parts:
                exc.retryable = False
            raise
        if not state.done and state.finish_reason is None and not state.truncated:
            err = StreamInterrupted(
                f"The stream from {model} ended before the answer was complete; try again.", model=model
            )
            err.retryable = not state.text_parts
            raise err
        return _require_text(state.completion(time.perf_counter() - started))

    async def _consume(
        self, response: httpx.Response, state: StreamState, on_text: OnText | None, started: float
    ) -> None:
        lines = sse_lines(response.aiter_text(), self._max_bytes, state.requested)
        async with aclosing(sse_events(lines)) as events:
            while True:
                try:
                    with anyio.fail_after(self._idle_s):
                        data = await anext(events, None)
                except TimeoutError:
                    raise StreamInterrupted(
                        f"The stream from {state.requested} sent nothing for {self._idle_s:g}s; try again, or raise "
                        "ORCOLLECTIVE_STREAM_IDLE_S for slow reasoning models.",
                        model=state.requested,
                    ) from None
                if data is None:
                    return
                if data == "[DONE]":
                    state.done = True
                    return
                delta = state.feed(data, self._status.from_body)
                if delta:
                    if state.ttft is None:
                        state.ttft = time.perf_counter() - started
                    result = on_text(delta) if on_text else None
                    if result is not None:
                        await result
                if state.truncated:
                    return  # the rest is over the reply cap: stop reading and close the stream

    # -- one request -------------------------------------------------------------------------------

    @asynccontextmanager
    async def _open(self, method: str, path: str, model: str | None, **kw: Any) -> AsyncIterator[httpx.Response]:
        """Send one request; yield the response with its body unread; always close it, shielded."""
        request = self._http.build_request(method, path, **kw)
        try:
            response = await self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise self._status.transport(exc, model=model) from exc
        try:
            yield response
        except httpx.HTTPError as exc:
            raise self._status.transport(exc, model=model) from exc
        finally:
            await _close(response)

    async def _read(self, response: httpx.Response, who: str) -> bytes:
        """The whole body, or MalformedResponse once it passes the size cap."""
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self._max_bytes:
                err = MalformedResponse(
                    f"The reply from {who} is over {self._max_bytes >> 20} MB; lower max_tokens or raise "
                    "ORCOLLECTIVE_MAX_REPLY_CHARS.",
                    model=who,
                )
                err.retryable = False
                raise err
            chunks.append(chunk)
        return b"".join(chunks)

    # -- error mapping -----------------------------------------------------------------------------

    def _json_or_raise(self, response: httpx.Response, content: bytes, *, model: str | None = None) -> Any:
        try:
            # Bytes that are not UTF-8 become U+FFFD, as in a stream, rather than costing the whole answer.
            payload = json.loads(content.decode("utf-8-sig", errors="replace")) if content.strip() else None
        except (json.JSONDecodeError, RecursionError):
            payload = None
        if response.status_code >= 400:
            raise self._status.from_body(payload, response.status_code, model=model, headers=response.headers)
        if payload is None:
            raise MalformedResponse(
                f"{self.base_url} answered HTTP {response.status_code} with a body that is not JSON; "
                "retry, or check OPENROUTER_BASE_URL.",
                status=response.status_code,
                model=model,
            )
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict) and not payload.get("choices"):
            raise self._status.from_body(payload, response.status_code, model=model, headers=response.headers)
        choices = payload.get("choices") if isinstance(payload, dict) else None
        first = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
        if first.get("finish_reason") == "error" or isinstance(first.get("error"), dict):
            raise self._status.from_body({"error": first.get("error") or {}}, 502, model=model)
        return payload

    def _scrub(self, text: str) -> str:
        if key := self._secret():
            text = text.replace(key, "***")
        return text


async def _close(response: httpx.Response) -> None:
    """Close ``response`` even while the caller is being cancelled: the close runs as a task of its own,
    shielded from cancel scopes (anyio) and from a task's own cancellation (asyncio)."""
    closing = asyncio.ensure_future(response.aclose())
    with anyio.CancelScope(shield=True):
        await asyncio.shield(closing)


def _completion(payload: Any, body: dict, response: httpx.Response, latency: float) -> Completion:
    requested = str(body.get("model") or "")
    wire: WireCompletion = parse(WireCompletion, payload, requested)
    choice = wire.choices[0]
    message = choice.message
    usage = wire.usage.usage() if wire.usage is not None else Usage()
    return Completion(
        text=text_of(message.content) if message else "",
        model=wire.model or requested,
        requested_model=requested,
        provider=wire.provider,
        finish_reason=choice.finish_reason,
        generation_id=wire.id or response.headers.get("x-generation-id"),
        usage=usage,
        cost_usd=usage.cost_usd,
        cost_source="usage.cost" if usage.cost_usd is not None else "unknown",
        latency_s=latency,
        ttft_s=latency,
        reasoning=message.reasoning if message else None,
        tool_calls=tool_calls_of(message.tool_calls) if message else [],
        sources=sources_of(message.annotations) if message else [],
        cache_status=response.headers.get("x-openrouter-cache-status"),
    )


def _require_text(completion: Completion) -> Completion:
    """An empty answer (a provider's cold start) is billed but useless: treat it as retryable. A reply
    that is only tool calls is an answer."""
    if not completion.text.strip() and completion.finish_reason != "length" and not completion.tool_calls:
        raise MalformedResponse(
            f"{completion.model} returned an empty answer; try again or pick another model.",
            model=completion.requested_model,
        )
    return completion


def _data(body: Any, path: str) -> dict:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise MalformedResponse(f"{path} did not return a data object.")
    return data
