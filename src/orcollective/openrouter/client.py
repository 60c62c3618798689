"""OpenRouterClient: the one HTTP boundary. Every httpx or JSON failure becomes an ``errors`` class here.

It also owns the concurrency limit: every chat request, whichever tool sends it, waits for one of
``max_concurrency`` slots, held for one attempt (a retry's back-off does not hold a slot).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from pydantic import SecretStr

from .. import __version__
from ..errors import (
    MISSING_KEY,
    AuthError,
    BadRequest,
    ConfigError,
    Forbidden,
    InsufficientCredits,
    MalformedResponse,
    ModelNotFound,
    RateLimited,
    ServerError,
    StreamInterrupted,
    UpstreamError,
    UpstreamTimeout,
)
from .retry import RetryPolicy
from .sse import StreamState, sse_events
from .wire import Completion, Usage

log = logging.getLogger("orcollective.client")

OnText = Callable[[str], Awaitable[None] | None]


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
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = api_key
        self._retry = retry or RetryPolicy()
        self._limiter = asyncio.Semaphore(max_concurrency)
        headers = {"User-Agent": f"orcollective/{__version__}"}
        if app_url:
            headers["HTTP-Referer"] = app_url
        if app_title:
            headers["X-Title"] = app_title
            headers["X-OpenRouter-Title"] = app_title
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

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

    async def key_info(self) -> dict:
        """``GET /key``: the key's limit, usage and tier."""
        body = await self._get_json("/key", headers=self._auth())
        return _data(body, "/key")

    async def credits(self) -> dict:
        """``GET /credits``: total credits bought and used (needs a management key on OpenRouter)."""
        body = await self._get_json("/credits", headers=self._auth())
        return _data(body, "/credits")

    async def generation(self, generation_id: str) -> dict:
        """``GET /generation?id=``: the stats record of one finished call."""
        body = await self._get_json("/generation", headers=self._auth(), params={"id": generation_id})
        return _data(body, "/generation")

    async def _get_json(self, path: str, *, headers: dict, params: dict | None = None) -> Any:
        async for attempt in self._retry.retrying():
            with attempt:
                try:
                    response = await self._http.get(path, headers=headers, params=params)
                except httpx.HTTPError as exc:
                    raise self._transport_error(exc) from exc
                return self._json_or_raise(response)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- chat --------------------------------------------------------------------------------------

    async def complete(self, body: dict) -> Completion:
        """One non-streaming chat completion, retried per the policy."""
        body = {**body, "stream": False}
        async for attempt in self._retry.retrying():
            with attempt:
                async with self._limiter:
                    started = time.perf_counter()
                    try:
                        response = await self._http.post("/chat/completions", json=body, headers=self._auth())
                    except httpx.HTTPError as exc:
                        raise self._transport_error(exc, model=body.get("model")) from exc
                payload = self._json_or_raise(response, model=body.get("model"))
                return _require_text(_completion(payload, body, response, time.perf_counter() - started))
        raise AssertionError("unreachable")  # pragma: no cover

    async def stream(self, body: dict, on_text: OnText | None = None) -> Completion:
        """One streaming chat completion. ``on_text`` sees each text delta as it arrives.

        Retried only while no text has arrived: once tokens were shown, a failure is final.
        """
        body = {**body, "stream": True}
        async for attempt in self._retry.retrying():
            with attempt:
                async with self._limiter:
                    return await self._stream_once(body, on_text)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _stream_once(self, body: dict, on_text: OnText | None) -> Completion:
        model = body.get("model")
        started = time.perf_counter()
        state = StreamState(requested=str(model or ""))
        try:
            async with self._http.stream("POST", "/chat/completions", json=body, headers=self._auth()) as response:
                if response.status_code != 200 or "text/event-stream" not in response.headers.get("content-type", ""):
                    await response.aread()
                    payload = self._json_or_raise(response, model=model)
                    return _completion(payload, body, response, time.perf_counter() - started)
                state.generation_id = response.headers.get("x-generation-id")
                async for data in sse_events(response.aiter_lines()):
                    if data == "[DONE]":
                        state.done = True
                        break
                    delta = state.feed(data, self._error_from_body)
                    if delta:
                        if state.ttft is None:
                            state.ttft = time.perf_counter() - started
                        result = on_text(delta) if on_text else None
                        if result is not None:
                            await result
        except httpx.HTTPError as exc:
            err = self._transport_error(exc, model=model, mid_stream=True)
            if state.text_parts:
                err.retryable = False
            raise err from exc
        except UpstreamError as exc:
            if state.text_parts:
                exc.retryable = False
            raise
        if not state.done and state.finish_reason is None:
            err = StreamInterrupted(
                f"The stream from {model} ended before the answer was complete; try again.", model=model
            )
            err.retryable = not state.text_parts
            raise err
        return _require_text(state.completion(time.perf_counter() - started))

    # -- error mapping -----------------------------------------------------------------------------

    def _json_or_raise(self, response: httpx.Response, *, model: str | None = None) -> Any:
        try:
            payload = json.loads(response.content) if response.content.strip() else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            payload = None
        if response.status_code >= 400:
            raise self._error_from_body(payload, response.status_code, model=model, headers=response.headers)
        if payload is None:
            raise MalformedResponse(
                f"{self.base_url} answered HTTP {response.status_code} with a body that is not JSON; "
                "retry, or check OPENROUTER_BASE_URL.",
                status=response.status_code,
                model=model,
            )
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict) and not payload.get("choices"):
            raise self._error_from_body(payload, response.status_code, model=model, headers=response.headers)
        choices = payload.get("choices") if isinstance(payload, dict) else None
        first = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
        if first.get("finish_reason") == "error" or isinstance(first.get("error"), dict):
            raise self._error_from_body({"error": first.get("error") or {}}, 502, model=model)
        return payload

    def _error_from_body(
        self, payload: Any, status: int, *, model: str | None = None, headers: httpx.Headers | None = None
    ) -> UpstreamError:
        error = payload.get("error") if isinstance(payload, dict) else None
        error = error if isinstance(error, dict) else {}
        code = error.get("code")
        if isinstance(code, int) and code >= 400:
            status = code
        elif status < 400:
            status = 502
        detail = self._scrub(_one_line(str(error.get("message") or "")))
        metadata = error.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        raw = metadata.get("raw")
        if detail == "Provider returned error" and isinstance(raw, str) and raw.strip():
            detail = f"{detail}: {self._scrub(_one_line(raw))}"
        detail = detail[:300] or f"HTTP {status}"
        who = f" for {model}" if model else ""
        if status == 401:
            return AuthError(
                f"OpenRouter rejected the API key ({detail}): set a valid OPENROUTER_API_KEY (keys start with sk-or-).",
                status=status,
                model=model,
            )
        if status == 402:
            return InsufficientCredits(
                f"Not enough credits{who} ({detail}): add credits at https://openrouter.ai/settings/credits "
                "or lower max_tokens.",
                status=status,
                model=model,
            )
        if status == 403:
            return Forbidden(
                f"The request{who} was blocked ({detail}): rephrase it or pick another model.",
                status=status,
                model=model,
            )
        if status == 404:
            return ModelNotFound(
                f"No provider serves{who or ' this model'} right now ({detail}): pick another with list_models.",
                status=status,
                model=model,
            )
        if status in (408, 524):
            return UpstreamTimeout(f"The provider timed out{who} ({detail}); try again.", status=status, model=model)
        if status == 429:
            reset = _limit_reset(headers, metadata)
            if reset is not None and reset - time.time() > self._retry.total_s:
                # A quota that resets later (e.g. the free models' daily cap) cannot succeed on a retry now.
                when = time.strftime("%H:%M UTC", time.gmtime(reset))
                limited = RateLimited(
                    f"Rate limit reached{who} ({detail}); it resets at {when}: use another model until then.",
                    retry_after=reset - time.time(),
                    status=status,
                    model=model,
                )
                limited.retryable = False
                return limited
            return RateLimited(
                f"Rate limited{who} ({detail}); wait a moment or use another model.",
                retry_after=_retry_after(headers, metadata),
                status=status,
                model=model,
            )
        if status >= 500:
            return ServerError(
                f"The provider failed{who} ({detail}); retry or pick another model.", status=status, model=model
            )
        hint = " Use list_models to find valid ids." if "model" in detail.lower() else ""
        return BadRequest(f"OpenRouter rejected the request{who} ({detail}).{hint}", status=status, model=model)

    def _transport_error(
        self, exc: httpx.HTTPError, *, model: str | None = None, mid_stream: bool = False
    ) -> UpstreamError:
        if isinstance(exc, httpx.TimeoutException):
            return UpstreamTimeout(
                f"No answer from {model or self.base_url} in time; retry or raise ORCOLLECTIVE_REQUEST_TIMEOUT_S.",
                model=model,
            )
        if mid_stream and isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
            return StreamInterrupted(
                f"The connection to {model or self.base_url} broke mid-answer; try again.", model=model
            )
        return ServerError(
            f"Cannot reach {self.base_url} ({type(exc).__name__}); check OPENROUTER_BASE_URL and the network.",
            model=model,
        )

    def _scrub(self, text: str) -> str:
        if key := self._secret():
            text = text.replace(key, "***")
        return text


def _completion(payload: Any, body: dict, response: httpx.Response, latency: float) -> Completion:
    requested = str(body.get("model") or "")
    choices = payload.get("choices") if isinstance(payload, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise MalformedResponse(f"The answer from {requested} had no choices; try again.", model=requested)
    choice = choices[0]
    message = choice.get("message") or {}
    text = message.get("content")
    if isinstance(text, list):  # some providers send content parts
        text = "".join(part.get("text", "") for part in text if isinstance(part, dict))
    usage = Usage.from_wire(payload.get("usage"))
    return Completion(
        text=text if isinstance(text, str) else "",
        model=payload.get("model") or requested,
        requested_model=requested,
        provider=payload.get("provider"),
        finish_reason=choice.get("finish_reason"),
        generation_id=payload.get("id") or response.headers.get("x-generation-id"),
        usage=usage,
        cost_usd=usage.cost_usd,
        cost_source="usage.cost" if usage.cost_usd is not None else "unknown",
        latency_s=latency,
        ttft_s=latency,
        reasoning=message.get("reasoning") if isinstance(message.get("reasoning"), str) else None,
    )


def _require_text(completion: Completion) -> Completion:
    """An empty answer (a provider's cold start) is billed but useless: treat it as retryable."""
    if not completion.text.strip() and completion.finish_reason != "length":
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


def _limit_reset(headers: httpx.Headers | None, metadata: dict) -> float | None:
    """When an exhausted OpenRouter quota resets (unix seconds), from ``X-RateLimit-*`` headers or body."""
    body_headers = metadata.get("headers")
    body_headers = body_headers if isinstance(body_headers, dict) else {}
    remaining = (headers.get("x-ratelimit-remaining") if headers is not None else None) or body_headers.get(
        "X-RateLimit-Remaining"
    )
    reset = (headers.get("x-ratelimit-reset") if headers is not None else None) or body_headers.get("X-RateLimit-Reset")
    try:
        if remaining is None or float(remaining) > 0 or reset is None:
            return None
        return float(reset) / 1000  # OpenRouter sends epoch milliseconds
    except (TypeError, ValueError):
        return None


def _retry_after(headers: httpx.Headers | None, metadata: dict) -> float | None:
    candidates = [
        headers.get("retry-after") if headers is not None else None,
        metadata.get("retry_after_seconds"),
    ]
    for value in candidates:
        try:
            if value is not None:
                return max(float(value), 0.0)
        except (TypeError, ValueError):
            continue
    return None


def _one_line(text: str) -> str:
    return " ".join(text.split())
