"""The core tools as plain async functions: chat (streamed, priced, written to the ledger) and usage."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .catalog import known_models
from .errors import (
    MISSING_KEY,
    ConfigError,
    InvalidArgument,
    OrcError,
    StoreError,
    UpstreamError,
)
from .images import image_parts
from .registry import ModelInfo
from .results import Account, ChatResult, SpendRow, TokenUsage, UsageResult
from .runtime import Runtime
from .schemas import Completion

log = logging.getLogger("orcollective.core")

ROLES = {"system", "developer", "user", "assistant", "tool"}
EFFORTS = {"none", "minimal", "low", "medium", "high", "xhigh", "max"}
FORMATS = {"text", "json_object", "json_schema"}
PROVIDER_KEYS = {
    "order", "allow_fallbacks", "require_parameters", "data_collection", "zdr", "enforce_distillable_text",
    "only", "ignore", "quantizations", "sort", "preferred_min_throughput", "preferred_max_latency", "max_price",
}  # fmt: skip
MAX_FALLBACKS = 8
OnProgress = Callable[[int, str], Awaitable[None]]
OnText = Callable[[str], Awaitable[None] | None]


def build_messages(
    prompt: str | None,
    messages: list[dict] | None,
    system: str | None,
    image_content: list[dict] | None = None,
) -> list[dict]:
    """Turn ``prompt``/``messages``/``system``/images into a validated OpenAI-style message list."""
    if (prompt is None) == (messages is None):
        raise InvalidArgument("Give either 'prompt' (a string) or 'messages' (a list), not both and not neither.")
    if prompt is not None:
        if not prompt.strip():
            raise InvalidArgument("'prompt' is empty: pass the question or instruction to send.")
        out: list[dict] = [{"role": "user", "content": prompt}]
    else:
        if not messages:
            raise InvalidArgument("'messages' is empty: pass at least one {'role': 'user', 'content': ...}.")
        out = []
        for i, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("role") not in ROLES:
                raise InvalidArgument(f"messages[{i}] needs a 'role' of {', '.join(sorted(ROLES))} and a 'content'.")
            content = message.get("content")
            if not isinstance(content, (str, list)) and message.get("role") != "assistant":
                raise InvalidArgument(f"messages[{i}].content must be a string or a list of content parts.")
            out.append(dict(message))
        if not any(m["role"] == "user" for m in out):
            raise InvalidArgument("'messages' has no user message: add one with role 'user'.")
    if system is not None and system.strip():
        out.insert(0, {"role": "system", "content": system})
    if image_content:
        last_user = max(i for i, m in enumerate(out) if m["role"] == "user")
        content = out[last_user]["content"]
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else list(content)
        out[last_user] = {**out[last_user], "content": parts + image_content}
    return out


def check_sampling(temperature: float | None, max_tokens: int | None, info: ModelInfo | None = None) -> None:
    if temperature is not None and not 0 <= temperature <= 2:
        raise InvalidArgument(f"temperature {temperature} is out of range: use a value from 0 to 2.")
    if max_tokens is not None:
        ceiling = (info.max_completion_tokens if info else None) or 1_000_000
        if not 1 <= max_tokens <= ceiling:
            raise InvalidArgument(f"max_tokens {max_tokens} is out of range: use 1 to {ceiling}.")


def with_cost(rt_info: ModelInfo | None, completion: Completion) -> Completion:
    """Fill a missing ``usage.cost`` from catalog prices, and say so in ``cost_source``."""
    if completion.cost_usd is None and rt_info is not None:
        estimate = rt_info.estimate_cost(completion.usage.prompt_tokens, completion.usage.completion_tokens)
        completion.cost_usd = float(estimate)
        completion.cost_source = "catalog estimate"
    return completion


async def chat(
    rt: Runtime,
    *,
    model: str,
    prompt: str | None = None,
    messages: list[dict] | None = None,
    system: str | None = None,
    images: list[str] | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    reasoning_effort: str | None = None,
    fallback_models: list[str] | None = None,
    provider: dict | None = None,
    response_format: dict | None = None,
    on_progress: OnProgress | None = None,
    on_text: OnText | None = None,
) -> ChatResult:
    """One model, streamed; progress reported as text arrives; the call is written to the ledger."""
    fallbacks = list(fallback_models or [])
    if len(fallbacks) > MAX_FALLBACKS:
        raise InvalidArgument(f"At most {MAX_FALLBACKS} fallback_models; drop some.")
    if reasoning_effort is not None and reasoning_effort not in EFFORTS:
        raise InvalidArgument(f"reasoning_effort must be one of {', '.join(sorted(EFFORTS))}.")
    if provider is not None:
        unknown = sorted(set(provider) - PROVIDER_KEYS)
        if unknown:
            raise InvalidArgument(
                f"provider has unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(PROVIDER_KEYS))}."
            )
    if response_format is not None and response_format.get("type") not in FORMATS:
        raise InvalidArgument("response_format.type must be 'text', 'json_object' or 'json_schema'.")
    parts = image_parts(images, rt.images) if images else None
    body_messages = build_messages(prompt, messages, system, parts)
    infos = await known_models(rt, [model, *fallbacks])
    check_sampling(temperature, max_tokens, infos[0])
    if not rt.client.has_key:
        raise ConfigError(MISSING_KEY)

    body: dict[str, Any] = {"model": model, "messages": body_messages}
    if fallbacks:
        body["models"] = [model, *fallbacks]
    for key, value in (
        ("temperature", temperature),
        ("max_tokens", max_tokens),
        ("reasoning", {"effort": reasoning_effort} if reasoning_effort else None),
        ("provider", provider),
        ("response_format", response_format),
    ):
        if value is not None:
            body[key] = value

    progress = _Throttle(on_progress, on_text)
    run_id = _start(rt, "chat", {"model": model, "prompt": prompt, "fallback_models": fallbacks})
    try:
        completion = await rt.client.stream(body, on_text=progress.feed)
    except OrcError as exc:
        _finish(rt, run_id, model, error=str(exc))
        raise
    except asyncio.CancelledError:
        _finish(rt, run_id, model, error="cancelled")
        raise
    by_id = {i.id: i for i in infos if i is not None}
    completion = with_cost(by_id.get(completion.model) or infos[0], completion)
    _finish(rt, run_id, model, completion=completion)
    return chat_result(completion)


def chat_result(c: Completion) -> ChatResult:
    return ChatResult(
        text=c.text,
        model=c.model,
        requested_model=c.requested_model,
        provider=c.provider,
        finish_reason=c.finish_reason,
        usage=TokenUsage(
            prompt_tokens=c.usage.prompt_tokens,
            completion_tokens=c.usage.completion_tokens,
            reasoning_tokens=c.usage.reasoning_tokens,
        ),
        cost_usd=c.cost_usd,
        cost_source=c.cost_source,
        generation_id=c.generation_id,
        latency_s=round(c.latency_s, 3),
        ttft_s=round(c.ttft_s, 3) if c.ttft_s is not None else None,
    )


class _Throttle:
    """Pass every delta to ``on_text``; forward progress at most every 0.25 s so a fast stream does not
    flood the client."""

    def __init__(self, on_progress: OnProgress | None, on_text: OnText | None) -> None:
        self.on_progress = on_progress
        self.on_text = on_text
        self.chars = 0
        self.last = 0.0

    async def feed(self, text: str) -> None:
        if self.on_text is not None:
            pending = self.on_text(text)
            if pending is not None:
                await pending
        self.chars += len(text)
        now = time.monotonic()
        if self.on_progress and now - self.last >= 0.25:
            self.last = now
            await self.on_progress(self.chars, f"{self.chars} characters received")


def _start(rt: Runtime, tool: str, arguments: dict) -> str | None:
    if rt.store is None:
        return None
    try:
        return rt.store.start_run(tool, arguments)
    except StoreError as exc:
        log.warning("run not saved: %s", exc)
        return None


def _finish(
    rt: Runtime,
    run_id: str | None,
    model: str,
    *,
    completion: Completion | None = None,
    error: str | None = None,
) -> None:
    if rt.store is None or run_id is None:
        return
    try:
        if completion is not None:
            rt.store.record_call(
                run_id,
                completion.model,
                excerpt=completion.text[:200],
                latency_s=completion.latency_s,
                cost_usd=completion.cost_usd,
                cost_source=completion.cost_source,
                prompt_tokens=completion.usage.prompt_tokens,
                completion_tokens=completion.usage.completion_tokens,
                generation_id=completion.generation_id,
            )
            rt.store.finish_run(run_id, status="done", cost_usd=completion.cost_usd)
        else:
            rt.store.record_call(run_id, model, error=error)
            rt.store.finish_run(run_id, status="cancelled" if error == "cancelled" else "error", error=error)
    except StoreError as exc:
        log.warning("run not saved: %s", exc)


async def usage(rt: Runtime, *, days: int | None = None) -> UsageResult:
    """Account credits from ``/key`` plus this server's own ledger."""
    if days is not None and days < 1:
        raise InvalidArgument("days must be 1 or more (or omitted for all time).")
    account, account_error = None, None
    if not rt.client.has_key:
        account_error = MISSING_KEY
    else:
        try:
            data = await rt.client.key_info()
            account = Account(
                label=data.get("label"),
                limit_usd=_num(data.get("limit")),
                limit_remaining_usd=_num(data.get("limit_remaining")),
                limit_reset=data.get("limit_reset"),
                usage_usd=_num(data.get("usage")),
                usage_daily_usd=_num(data.get("usage_daily")),
                usage_monthly_usd=_num(data.get("usage_monthly")),
                is_free_tier=data.get("is_free_tier"),
            )
        except UpstreamError as exc:
            account_error = str(exc)
    ledger: dict = {"total_usd": 0.0, "calls": 0, "by_model": [], "by_tool": [], "by_day": []}
    if rt.store is not None:
        since = time.time() - days * 86400 if days else None
        try:
            ledger = rt.store.ledger(since=since)
        except StoreError as exc:
            log.warning("ledger unavailable: %s", exc)
    return UsageResult(
        account=account,
        account_error=account_error,
        ledger_total_usd=round(ledger["total_usd"], 10),
        ledger_calls=ledger["calls"],
        by_model=[_spend(r, "model") for r in ledger["by_model"]],
        by_tool=[_spend(r, "tool") for r in ledger["by_tool"]],
        by_day=[_spend(r, "day") for r in ledger["by_day"]],
    )


def _spend(row: dict, key: str) -> SpendRow:
    return SpendRow(key=str(row[key]), calls=int(row["calls"]), cost_usd=round(float(row["cost_usd"] or 0), 10))


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
