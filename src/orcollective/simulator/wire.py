"""OpenRouter's wire shapes as the simulator sends them: completions, stream chunks, usage, errors, stats."""

from __future__ import annotations

import json
import math
import re
import secrets
import string
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

DONE = b"data: [DONE]\n\n"
PROCESSING = b": OPENROUTER PROCESSING\n\n"
USER_ID = "user_2simulator0000000000000000"

# Serving providers: first-party APIs, else a host chosen by a stable hash of the model id.
_FIRST_PARTY = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "google": "Google AI Studio",
    "mistralai": "Mistral",
    "x-ai": "xAI",
    "cohere": "Cohere",
    "amazon": "Amazon Bedrock",
    "deepseek": "DeepSeek",
    "perplexity": "Perplexity",
    "ai21": "AI21",
    "inflection": "Inflection",
    "moonshotai": "Moonshot AI",
    "z-ai": "Z.AI",
    "minimax": "Minimax",
    "inception": "Inception",
    "sim": "Simulator",
}
_HOSTS = (
    "DeepInfra",
    "Together",
    "Fireworks",
    "Groq",
    "Novita",
    "Nebius AI Studio",
    "Parasail",
    "SambaNova",
    "Cerebras",
    "Hyperbolic",
    "Lambda",
    "NextBit",
)
_FREE_HOSTS = ("Chutes", "Venice", "Targon", "OpenInference")
_NATIVE_FINISH = {
    "anthropic": {"stop": "end_turn", "length": "max_tokens"},
    "google": {"stop": "STOP", "length": "MAX_TOKENS"},
}
_ALNUM = string.ascii_letters + string.digits
# Stream deltas end after whitespace, so joining them gives back the exact text.
_PIECE_BOUNDARY = re.compile(r"(?<=\s)(?=\S)")


def provider_for(model_id: str) -> str:
    """The display name of the provider that serves ``model_id`` (the response's ``provider`` field)."""
    author = model_id.split("/", 1)[0]
    if model_id.endswith(":free") and author != "sim":
        return _pick(_FREE_HOSTS, model_id)
    return _FIRST_PARTY.get(author) or _pick(_HOSTS, model_id)


def native_finish_reason(model_id: str, finish_reason: str) -> str:
    """The provider's own spelling of a normalised finish reason."""
    author = model_id.split("/", 1)[0]
    return _NATIVE_FINISH.get(author, {}).get(finish_reason, finish_reason)


def _pick(options: tuple[str, ...], key: str) -> str:
    return options[zlib.crc32(key.encode()) % len(options)]


def new_generation_id() -> str:
    """A fresh id in OpenRouter's ``gen-<unix>-<20 alnum>`` form."""
    return f"gen-{int(time.time())}-" + "".join(secrets.choice(_ALNUM) for _ in range(20))


def estimate_tokens(text: str) -> int:
    """The simulator's tokenizer: one token per four characters, rounded up."""
    return math.ceil(len(text) / 4)


def content_text(content: Any) -> str:
    """The text of a message's ``content``: a string, or the text parts of a content-part list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            part.get("text", "") for part in content if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def last_user_text(body: dict) -> str:
    """The text of the last user message (or the legacy ``prompt``)."""
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return content_text(message.get("content"))
    prompt = body.get("prompt")
    return prompt if isinstance(prompt, str) else ""


def prompt_tokens(body: dict) -> int:
    """Estimated prompt tokens over every message's text (at least one)."""
    texts = [
        content_text(message.get("content")) for message in body.get("messages") or [] if isinstance(message, dict)
    ]
    if isinstance(body.get("prompt"), str):
        texts.append(body["prompt"])
    return max(1, estimate_tokens("".join(texts)))


def image_count(body: dict) -> int:
    """How many image parts the request's messages carry."""
    count = 0
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            count += sum(1 for part in content if isinstance(part, dict) and part.get("type") == "image_url")
    return count


def pieces(text: str) -> list[str]:
    """Split ``text`` into word-sized stream deltas that concatenate back to ``text``."""
    return [piece for piece in _PIECE_BOUNDARY.split(text) if piece]


def usage(
    prompt: int,
    completion: int,
    pricing: dict[str, str],
    *,
    cached: int = 0,
    cache_write: int = 0,
    reasoning: int = 0,
    web_results: int = 0,
) -> dict:
    """A full ``usage`` object, with ``cost`` in USD from the model's per-token prices: ``cached`` prompt
    tokens at the cache-read price (a tenth of the prompt price when the model lists none), reasoning
    tokens counted in the completion, each web result at $0.004."""
    price = Decimal(pricing.get("prompt", "0"))
    cache_price = Decimal(pricing.get("input_cache_read", str(price / 10)))
    prompt_cost = price * (prompt - cached) + cache_price * cached + Decimal(pricing.get("request", "0"))
    prompt_cost += Decimal("0.004") * web_results
    completion += reasoning
    completion_cost = Decimal(pricing.get("completion", "0")) * completion
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "cost": float(prompt_cost + completion_cost),
        "is_byok": False,
        "prompt_tokens_details": {
            "cached_tokens": cached,
            "cache_write_tokens": cache_write,
            "audio_tokens": 0,
            "video_tokens": 0,
        },
        "cost_details": {
            "upstream_inference_cost": float(prompt_cost + completion_cost),
            "upstream_inference_prompt_cost": float(prompt_cost),
            "upstream_inference_completions_cost": float(completion_cost),
        },
        "completion_tokens_details": {"reasoning_tokens": reasoning, "image_tokens": 0, "audio_tokens": 0},
    }


@dataclass
class Answer:
    """One model's answer to one request, before it is shaped as JSON or as a stream."""

    id: str
    created: int
    model: str
    provider: str
    content: str
    finish_reason: str
    usage: dict
    reasoning: str | None = None
    tool_calls: list[dict] = field(default_factory=list)
    annotations: list[dict] = field(default_factory=list)

    @property
    def native_finish_reason(self) -> str:
        return native_finish_reason(self.model, self.finish_reason)

    @property
    def system_fingerprint(self) -> str | None:
        if not self.model.startswith("openai/"):
            return None
        return f"fp_{zlib.crc32(self.model.encode()):08x}"


def completion(answer: Answer, choice_error: dict | None = None) -> dict:
    """The non-streaming ``chat.completion`` body; ``choice_error`` makes it a failed choice."""
    choice: dict[str, Any] = {
        "index": 0,
        "logprobs": None,
        "finish_reason": "error" if choice_error else answer.finish_reason,
        "native_finish_reason": "error" if choice_error else answer.native_finish_reason,
        "message": {
            "role": "assistant",
            "content": answer.content if answer.content or not answer.tool_calls else None,
            "refusal": None,
            "reasoning": answer.reasoning,
        },
    }
    if answer.tool_calls:
        choice["message"]["tool_calls"] = answer.tool_calls
    if answer.annotations:
        choice["message"]["annotations"] = answer.annotations
    if choice_error:
        choice["error"] = choice_error
    return {
        "id": answer.id,
        "object": "chat.completion",
        "created": answer.created,
        "model": answer.model,
        "provider": answer.provider,
        "system_fingerprint": answer.system_fingerprint,
        "choices": [choice],
        "usage": answer.usage,
    }


def chunk(answer: Answer, choices: list[dict], **extra: Any) -> dict:
    """A ``chat.completion.chunk`` with the answer's id, model and provider, as on every chunk."""
    return {
        "id": answer.id,
        "provider": answer.provider,
        "model": answer.model,
        "object": "chat.completion.chunk",
        "created": answer.created,
        "choices": choices,
        **extra,
    }


def delta_choice(content: str, finish_reason: str | None = None, native: str | None = None) -> dict:
    """One streamed choice carrying a content delta (and the finish reason on the last one)."""
    return {
        "index": 0,
        "delta": {"role": "assistant", "content": content},
        "finish_reason": finish_reason,
        "native_finish_reason": native,
        "logprobs": None,
    }


def usage_chunk(answer: Answer, variant: str) -> dict:
    """The final usage chunk: ``choices: []`` as documented, or one empty choice as observed."""
    choices = [delta_choice("")] if variant == "observed" else []
    return chunk(answer, choices, usage=answer.usage)


def error_chunk(answer: Answer, error: dict) -> dict:
    """The documented mid-stream error: a top-level ``error`` and ``finish_reason: "error"``."""
    return chunk(
        answer,
        [
            {
                "index": 0,
                "delta": {"content": ""},
                "finish_reason": "error",
                "native_finish_reason": "error",
                "logprobs": None,
            }
        ],
        error=error,
    )


def sse(payload: dict) -> bytes:
    """One server-sent event carrying ``payload`` as compact JSON."""
    return b"data: " + dumps(payload).encode() + b"\n\n"


def dumps(payload: Any) -> str:
    """Compact JSON, as OpenRouter sends it."""
    return json.dumps(payload, separators=(",", ":"))


def error_body(code: int, message: str, metadata: dict | None = None, *, user_id: bool = True) -> dict:
    """An OpenRouter error body, ``{"error": {...}}``, with the ``user_id`` real bodies often carry."""
    error: dict[str, Any] = {"message": message, "code": code}
    if metadata is not None:
        error["metadata"] = metadata
    return {"error": error, "user_id": USER_ID} if user_id else {"error": error}


def generation(answer: Answer, body: dict, headers: dict[str, str], *, latency_s: float, streamed: bool) -> dict:
    """The ``GET /generation`` stats record for a finished answer (times in milliseconds)."""
    cost = answer.usage.get("cost")
    return {
        "id": answer.id,
        "upstream_id": "chatcmpl-" + secrets.token_hex(12),
        "request_id": f"req-{answer.created}-" + "".join(secrets.choice(_ALNUM) for _ in range(20)),
        "created_at": datetime.fromtimestamp(answer.created, UTC).isoformat(),
        "model": answer.model,
        "provider_name": answer.provider,
        "total_cost": cost,
        "usage": cost,
        "upstream_inference_cost": None,
        "cache_discount": None,
        "is_byok": False,
        "tokens_prompt": answer.usage["prompt_tokens"],
        "tokens_completion": answer.usage["completion_tokens"],
        "native_tokens_prompt": answer.usage["prompt_tokens"],
        "native_tokens_completion": answer.usage["completion_tokens"],
        "native_tokens_reasoning": 0,
        "native_tokens_cached": 0,
        "native_tokens_completion_images": 0,
        "latency": round(latency_s * 1000),
        "generation_time": round(latency_s * 1000),
        "moderation_latency": None,
        "finish_reason": answer.finish_reason,
        "native_finish_reason": answer.native_finish_reason,
        "streamed": streamed,
        "cancelled": False,
        "api_type": "completions",
        "app_id": None,
        "origin": "",
        "http_referer": headers.get("http-referer"),
        "user_agent": headers.get("user-agent"),
        "external_user": body.get("user"),
        "num_media_prompt": image_count(body),
        "num_media_completion": 0,
        "num_input_audio_prompt": 0,
        "num_search_results": 0,
        "num_fetches": 0,
        "web_search_engine": None,
        "router": None,
        "preset_id": None,
        "session_id": body.get("session_id"),
        "service_tier": None,
        "data_region": "global",
        "provider_responses": None,
        "response_cache_source_id": None,
        "workspace_id": None,
    }


def endpoints(model: dict) -> dict:
    """The ``GET /models/{author}/{slug}/endpoints`` body: one endpoint, its provider's."""
    provider = provider_for(model["id"])
    seed = zlib.crc32(model["id"].encode())
    p50 = 0.2 + seed % 60 / 100
    return {
        "data": {
            "id": model["id"],
            "name": model["name"],
            "created": model["created"],
            "description": model["description"],
            "architecture": model["architecture"],
            "endpoints": [
                {
                    "name": f"{provider} | {model['id']}",
                    "model_id": model["id"],
                    "model_name": model["name"],
                    "provider_name": provider,
                    "tag": provider.lower().replace(" ", "-"),
                    "context_length": model["context_length"],
                    "max_completion_tokens": model["top_provider"]["max_completion_tokens"],
                    "max_prompt_tokens": None,
                    "quantization": "fp8" if model["hugging_face_id"] else None,
                    "status": 0,
                    "pricing": model["pricing"],
                    "supported_parameters": model["supported_parameters"],
                    "supports_implicit_caching": False,
                    "uptime_last_5m": 100,
                    "uptime_last_30m": 99.5 + seed % 5 / 10,
                    "uptime_last_1d": 99.1,
                    "latency_last_30m": {
                        "p50": round(p50, 2),
                        "p75": round(p50 * 1.4, 2),
                        "p90": round(p50 * 2, 2),
                        "p99": round(p50 * 3.5, 2),
                    },
                    "throughput_last_30m": {
                        "p50": 20 + seed % 120,
                        "p75": 15 + seed % 90,
                        "p90": 10 + seed % 60,
                        "p99": 5 + seed % 30,
                    },
                }
            ],
        }
    }
