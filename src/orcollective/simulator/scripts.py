"""Scripted simulator models and the failures they can inject, shaped as OpenRouter sends them."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .wire import error_body, last_user_text

# Faults answered with an HTTP error status before any token; these trigger ``models[]`` fallback.
HTTP_FAULTS = frozenset({
    "400", "401", "402", "403", "404", "408", "429", "429-no-retry-after",
    "429-retry-after",  # a provider's 429 with only a Retry-After header (retry_after_s), no X-RateLimit-*
    "500", "502", "503",
})  # fmt: skip
FAULTS = HTTP_FAULTS | {
    "garbage", "error-200", "choice-error", "empty", "midstream-error", "cut", "slow",
    "keepalive",  # a stream of ": OPENROUTER PROCESSING" comments and nothing else, for SLOW_S
    "endless",  # deltas that never finish (streamed) or whitespace before a body that never comes, for SLOW_S
    "bad-utf8",  # the answer's bytes start with a sequence that is not UTF-8
    "no-cost", "negative-cost",  # usage without ``cost``, or with a negative one
}  # fmt: skip
KEEPALIVE_EVERY_S = 0.2
ENDLESS_EVERY_S = 0.02
# Bytes that are not UTF-8, and the line they open in a "bad-utf8" answer.
BAD_UTF8 = b"\xff\xfe\xc3"
SLOW_S = 120.0
USAGE_VARIANTS = ("documented", "observed")

GARBAGE_HTML = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
    b"</center><hr><center>cloudflare</center></body></html>"
)
GARBAGE_EVENT = b'data: {"id":"gen-broken","choices":[{"delta":{"content":"Hel\n\n'
# The error carried inside a 200: mid-stream chunks and failed choices.
STREAM_ERROR = {
    "code": 502,
    "message": "Provider returned error",
    "metadata": {"error_type": "provider_unavailable"},
}

# Upstream providers' own error bodies, passed on as ``metadata.raw`` strings.
_UPSTREAM_5XX = (
    '{"error":{"message":"upstream connect error or disconnect/reset before headers","type":"server_error"}}'
)
_UPSTREAM_400 = (
    '{"error":{"message":"Invalid request: unsupported parameter combination","type":"invalid_request_error"}}'
)


@dataclass
class ScriptedModel:
    """A model whose answers, pace and failures are decided in advance.

    ``faults`` are consumed one per request, in order, then ``always_fault`` (if any) applies to every
    later request. ``model_info`` overrides fields of the model's catalog record (e.g. ``pricing``).
    """

    id: str
    reply: str | Callable[[dict], str] | None = None  # None: the default simulated answer
    latency_s: float = 0.0
    tokens_per_s: float = 0.0
    faults: list[str] = field(default_factory=list)
    always_fault: str | None = None
    provider: str | None = None  # display name; None: the catalog's provider for this id
    usage_variant: str = "documented"  # or "observed": the usage chunk carries one empty choice
    retry_after_s: float = 1.0
    model_info: dict = field(default_factory=dict)
    rpm: int | None = None  # OpenRouter's per-model requests-per-minute cap (a 429 with X-RateLimit-* over it)
    reasoning: str | None = None  # reasoning text returned beside the answer (unless reasoning.exclude)
    tool_calls: list[dict] | None = None  # [{"name", "arguments"}] proposed when the request has function tools
    served_as: str | None = None  # the model id the reply names, when it differs from the one asked for

    def __post_init__(self) -> None:
        unknown = [fault for fault in [*self.faults, self.always_fault] if fault and fault not in FAULTS]
        if unknown:
            raise ValueError(f"unknown fault {unknown[0]!r}; choose from {sorted(FAULTS)}")
        if self.usage_variant not in USAGE_VARIANTS:
            raise ValueError(f"usage_variant must be one of {USAGE_VARIANTS}")

    def answer(self, body: dict) -> str:
        """The reply text for one request body."""
        if self.reply is None:
            return default_reply(self.id, body)
        return self.reply(body) if callable(self.reply) else self.reply


def default_reply(model_id: str, body: dict) -> str:
    """What a model without a script answers: its id and the start of the question."""
    return f"Simulated answer from {model_id} to: {last_user_text(body)[:200]}"


def echo(body: dict) -> str:
    """Reply with the last user message, unchanged."""
    return last_user_text(body)


def default_scripts() -> list[ScriptedModel]:
    """The built-in ``sim/`` models: an echo model and one model per common failure."""
    return [
        ScriptedModel("sim/echo", reply=echo),
        ScriptedModel("sim/rate-limited", faults=["429"]),
        ScriptedModel("sim/flaky", faults=["503"]),
        ScriptedModel("sim/server-error", always_fault="502"),
        ScriptedModel("sim/no-credits", always_fault="402"),
        ScriptedModel("sim/forbidden", always_fault="403"),
        ScriptedModel("sim/not-found", always_fault="404"),
        ScriptedModel("sim/timeout", always_fault="408"),
        ScriptedModel("sim/garbage", always_fault="garbage"),
        ScriptedModel("sim/error-200", always_fault="error-200"),
        ScriptedModel("sim/choice-error", always_fault="choice-error"),
        ScriptedModel("sim/midstream-error", always_fault="midstream-error"),
        ScriptedModel("sim/cut", always_fault="cut"),
        ScriptedModel("sim/slow", always_fault="slow"),
        ScriptedModel("sim/empty", always_fault="empty"),
    ]


def fault_reply(
    fault: str, model_id: str, provider: str, body: dict, retry_after_s: float
) -> tuple[int, dict, dict[str, str]]:
    """Status, JSON body and headers of an HTTP-error fault (one of ``HTTP_FAULTS``)."""
    if fault == "429":
        return _platform_rate_limit(retry_after_s)
    upstream = {"provider_name": provider, "is_byok": False}
    provider_429 = error_body(
        429,
        "Provider returned error",
        {
            "raw": f"{model_id} is temporarily rate-limited upstream. Please retry shortly, or add your own "
            "key to accumulate your rate limits: https://openrouter.ai/settings/integrations",
            **upstream,
        },
    )
    if fault == "429-retry-after":
        return 429, provider_429, {"Retry-After": f"{retry_after_s:g}"}
    replies: dict[str, tuple[int, dict]] = {
        "429-no-retry-after": (429, provider_429),
        "500": (500, error_body(500, "Internal Server Error", user_id=False)),
        "502": (502, error_body(502, "Provider returned error", {"raw": _UPSTREAM_5XX, **upstream})),
        "503": (503, error_body(503, "Service temporarily unavailable")),
        "408": (408, error_body(408, "Operation timed out. Please try again later.")),
        "400": (400, error_body(400, "Provider returned error", {"raw": _UPSTREAM_400, **upstream})),
        "401": (401, error_body(401, "User not found.", user_id=False)),
        "402": (402, error_body(402, _credits_message(body))),
        "403": (
            403,
            error_body(
                403,
                f"{model_id} requires moderation on {provider}. Your input was flagged "
                'for "violence". No credits were charged.',
                {
                    "reasons": ["violence"],
                    "flagged_input": flagged_input(last_user_text(body)),
                    "provider_name": provider,
                    "model_slug": model_id,
                },
            ),
        ),
        "404": (404, error_body(404, f"No endpoints found for {model_id}.")),
    }
    status, payload = replies[fault]
    return status, payload, {}


def error_200(provider: str) -> dict:
    """The body of an HTTP 200 that carries a top-level ``error`` and no ``choices``."""
    return error_body(
        502, "Provider returned error", {"raw": _UPSTREAM_5XX, "provider_name": provider, "is_byok": False}
    )


def flagged_input(text: str) -> str:
    """Moderation's ``flagged_input``: at most 100 characters, cut in the middle with "..."."""
    return text if len(text) <= 100 else text[:48] + "..." + text[-49:]


def _platform_rate_limit(retry_after_s: float) -> tuple[int, dict, dict[str, str]]:
    reset_ms = str(int((time.time() + retry_after_s) * 1000))
    limits = {"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset_ms}
    payload = error_body(429, "Rate limit exceeded: free-models-per-min. ", {"headers": limits, "provider_name": None})
    return 429, payload, {"Retry-After": f"{retry_after_s:g}", **limits}


def _credits_message(body: dict) -> str:
    requested = body.get("max_tokens") or body.get("max_completion_tokens") or 16384
    return (
        f"This request requires more credits, or fewer max_tokens. You requested up to {requested} "
        f"tokens, but can only afford {max(1, int(requested) // 2)}. To increase, visit "
        "https://openrouter.ai/settings/credits and upgrade to a paid account"
    )
