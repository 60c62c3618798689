"""Upstream failures as our errors: the HTTP status (or the code in an error body) -> an error class and
a one-line message that names the fix, and transport failures by the phase they happened in."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from ..errors import (
    AuthError,
    BadRequest,
    Forbidden,
    InsufficientCredits,
    ModelNotFound,
    RateLimited,
    ServerError,
    StreamInterrupted,
    UpstreamError,
    UpstreamTimeout,
)

DETAIL_CHARS = 300
DAY_S = 86_400.0
# Waits and reset times further off than this are taken as this far: the clock cannot print a year 10**300.
_LONGEST_S = 366 * DAY_S
# status -> (error class, message template); {who} is " for MODEL" or "", {detail} the upstream's words.
TIMED_OUT = "The provider timed out{who} ({detail}); try again."
TABLE: dict[int, tuple[type[UpstreamError], str]] = {
    401: (AuthError,
          "OpenRouter rejected the API key ({detail}): set a valid OPENROUTER_API_KEY (keys start with sk-or-)."),
    402: (InsufficientCredits,
          "Not enough credits{who} ({detail}): add credits at https://openrouter.ai/settings/credits "
          "or lower max_tokens."),
    403: (Forbidden, "The request{who} was blocked ({detail}): rephrase it or pick another model."),
    404: (ModelNotFound, "No provider serves{who_or_model} right now ({detail}): pick another with list_models."),
    408: (UpstreamTimeout, TIMED_OUT),
    524: (UpstreamTimeout, TIMED_OUT),
}  # fmt: skip


class StatusMap:
    """Builds the error for one failed answer; ``scrub`` removes the key from upstream text."""

    def __init__(self, base_url: str, scrub: Callable[[str], str], retry_budget_s: float) -> None:
        self.base_url = base_url
        self.scrub = scrub
        self.retry_budget_s = retry_budget_s

    def from_body(
        self, payload: Any, status: int, *, model: str | None = None, headers: httpx.Headers | None = None
    ) -> UpstreamError:
        error = payload.get("error") if isinstance(payload, dict) else None
        error = error if isinstance(error, dict) else {}
        code = error.get("code")
        if isinstance(code, int) and not isinstance(code, bool) and 400 <= code < 600:
            status = code
        elif status < 400:
            status = 502
        detail = self.scrub(one_line(str(error.get("message") or "")))
        metadata = error.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        raw = metadata.get("raw")
        if detail == "Provider returned error" and isinstance(raw, str) and raw.strip():
            detail = f"{detail}: {self.scrub(one_line(raw))}"
        detail = detail[:DETAIL_CHARS] or f"HTTP {status}"
        who = f" for {model}" if model else ""
        if status in TABLE:
            cls, template = TABLE[status]
            text = template.format(who=who, detail=detail, who_or_model=who or " this model")
            return cls(text, status=status, model=model)
        if status == 429:
            return self._rate_limited(detail, who, status, model, headers, metadata)
        if status >= 500:
            return ServerError(
                f"The provider failed{who} ({detail}); retry or pick another model.", status=status, model=model
            )
        hint = " Use list_models to find valid ids." if "model" in detail.lower() else ""
        return BadRequest(f"OpenRouter rejected the request{who} ({detail}).{hint}", status=status, model=model)

    def _rate_limited(
        self, detail: str, who: str, status: int, model: str | None, headers: httpx.Headers | None, metadata: dict
    ) -> RateLimited:
        reset = limit_reset(headers, metadata)
        wait = retry_after(headers, metadata)
        if reset is None and wait is not None and wait > self.retry_budget_s:
            reset = time.time() + wait  # a Retry-After longer than every retry together
        if reset is not None and reset - time.time() > self.retry_budget_s:
            # A quota that resets later (e.g. the free models' daily cap) cannot succeed on a retry now.
            when = time.strftime(
                "%H:%M UTC" if reset - time.time() < DAY_S else "%Y-%m-%d %H:%M UTC", time.gmtime(reset)
            )
            limited = RateLimited(
                f"Rate limit reached{who} ({detail}); it resets at {when}: use another model until then.",
                retry_after=reset - time.time(),
                status=status,
                model=model,
            )
            limited.retryable = False
            return limited
        resets = f"; it resets at {time.strftime('%H:%M:%S UTC', time.gmtime(reset))}" if reset is not None else ""
        return RateLimited(
            f"Rate limited{who} ({detail}){resets}; wait a moment or use another model.",
            retry_after=wait,
            status=status,
            model=model,
        )

    def transport(self, exc: httpx.HTTPError, *, model: str | None = None) -> UpstreamError:
        """A transport failure: no connection means the server is unreachable; a connection that broke
        after it was made means the answer was cut off."""
        who = model or self.base_url
        if isinstance(exc, httpx.TimeoutException):
            return UpstreamTimeout(
                f"No answer from {who} in time; retry or raise ORCOLLECTIVE_REQUEST_TIMEOUT_S.", model=model
            )
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
            return StreamInterrupted(f"The connection to {who} broke mid-answer; try again.", model=model)
        return ServerError(
            f"Cannot reach {self.base_url} ({type(exc).__name__}); check OPENROUTER_BASE_URL and the network.",
            model=model,
        )


def limit_reset(headers: httpx.Headers | None, metadata: Mapping[str, Any]) -> float | None:
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
        value = float(reset) / 1000  # OpenRouter sends epoch milliseconds
    except (TypeError, ValueError, OverflowError):
        return None
    return min(value, time.time() + _LONGEST_S) if math.isfinite(value) else None


def retry_after(headers: httpx.Headers | None, metadata: Mapping[str, Any]) -> float | None:
    candidates = [
        headers.get("retry-after") if headers is not None else None,
        metadata.get("retry_after_seconds"),
    ]
    for value in candidates:
        try:
            if value is not None and math.isfinite(float(value)):
                return min(max(float(value), 0.0), _LONGEST_S)
        except (TypeError, ValueError, OverflowError):
            continue
    return None


def one_line(text: str) -> str:
    return " ".join(text.split())
