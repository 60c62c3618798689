"""free_chat: one answer from a ``:free`` model, with a free-only ``models[]`` fallback list, cooldowns on
429, per-model success and latency learned across runs, and the account's daily free quota counted.

Only free models are ever sent: a paid id in ``models[]`` would be billed when OpenRouter falls back to it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from ..catalog import ModelInfo
from ..collective import free_routing as routing
from ..collective.budget import estimate_tokens
from ..errors import MISSING_KEY, ConfigError, InvalidArgument, OrcError, RateLimited, StoreError, UpstreamError
from ..inputs import build_messages, image_parts
from ..openrouter import Completion
from ..runtime import Runtime
from ..store import RunRecorder, RunStore
from ..store import free_models as memory
from .base import Cli, Feature, Progress, Request, closing_lines
from .chat import TokenUsage

MAX_ROUNDS = 3  # requests sent before giving up (each with its own fallback list)


class FreeChatRequest(Request):
    prompt: str | None = None
    messages: list[dict] | None = None
    system: str | None = None
    images: list[str] | None = None
    models: Annotated[list[str] | None, Field(description="Free models to pick from")] = None
    need_tools: Annotated[bool, Field(description="Tool-calling models only")] = False
    fallbacks: Annotated[int, Field(ge=1, le=8, description="Models per request")] = 3
    temperature: Annotated[float | None, Field(ge=0, le=2)] = None
    max_tokens: Annotated[int | None, Field(ge=1, le=1_000_000)] = None

    @model_validator(mode="after")
    def _prompt_or_messages(self) -> FreeChatRequest:
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("give either 'prompt' (a string) or 'messages' (a list), not both and not neither")
        return self


class Attempt(BaseModel, defer_build=True):
    model: str
    outcome: str  # "answered", "fell through", "rate limited", "failed"
    cooldown_until: str | None = None


class Quota(BaseModel, defer_build=True):
    daily_limit: int | None
    used_today: int
    resets_at: str


class FreeChatResult(BaseModel, defer_build=True):
    text: str
    model: str
    attempts: list[Attempt]
    usage: TokenUsage
    cost_usd: float | None
    latency_s: float
    ttft_s: float | None
    quota: Quota
    run_id: str | None
    notes: list[str]


async def run(rt: Runtime, req: FreeChatRequest, progress: Progress) -> FreeChatResult:
    """Route to the free models most likely to answer; cool down the rate-limited ones and go on."""
    if not rt.client.has_key:
        raise ConfigError(MISSING_KEY)
    store = rt.store
    parts = image_parts(req.images, rt.images) if req.images else None
    messages = build_messages(req.prompt, req.messages, req.system, parts)
    tokens = estimate_tokens(str(messages)) + (req.max_tokens or 0)
    pool = await _pool(rt, req, tokens, bool(parts))
    notes: list[str] = []
    now = time.time()
    quota = await _quota(rt, store, now, notes)
    recorder = RunRecorder(store, "free_chat", {"prompt": req.prompt, "models": [m.id for m in pool]})
    attempts: list[Attempt] = []
    try:
        for _ in range(MAX_ROUNDS):
            batch = _batch(store, pool, req.fallbacks, now)
            body: dict = {"model": batch[0], "models": batch, "messages": messages}
            for key, value in (("temperature", req.temperature), ("max_tokens", req.max_tokens)):
                if value is not None:
                    body[key] = value
            await progress.step(len(attempts), None, f"asking {', '.join(batch)}")
            try:
                completion = await rt.client.stream(body, on_text=progress.text)
            except RateLimited as exc:
                now = time.time()
                _limited(store, batch, exc, now, attempts)
                recorder.call(batch[-1], None, role="single", error=str(exc))
                if routing.is_daily_cap(exc):
                    resets = routing.clock_time(routing.cooldown_until(exc, now))
                    raise RateLimited(
                        f"Daily free quota used up; it resets at {resets}: "
                        "add credits for 1000 free requests a day, or use a paid model with chat.",
                        retry_after=exc.retry_after,
                    ) from exc
                continue
            except UpstreamError as exc:
                if not exc.retryable:
                    raise
                _failed(store, batch, exc, attempts)
                recorder.call(batch[-1], None, role="single", error=str(exc))
                continue
            served = _answered(store, batch, completion, attempts)
            recorder.call(served, completion, role="single")
            recorder.finish("done", cost_usd=completion.cost_usd)
            quota.used_today += 1
            return _result(completion, attempts, quota, [*notes, *recorder.notes], recorder.run_id)
    except (OrcError, asyncio.CancelledError) as exc:
        recorder.finish("cancelled" if isinstance(exc, asyncio.CancelledError) else "error", error=str(exc))
        raise
    tried = ", ".join(f"{a.model} ({a.outcome})" for a in attempts)
    error = f"No free model answered after {MAX_ROUNDS} requests ({tried}); try again later or pass other models."
    recorder.finish("error", error=error)
    raise RateLimited(error)


async def _pool(rt: Runtime, req: FreeChatRequest, tokens: int, vision: bool) -> list[ModelInfo]:
    """The free models that fit, ordered by what was learned about them."""
    if req.models:
        chosen = (await rt.registry.resolve(req.models)).models
        paid = list(dict.fromkeys(m.id for m in chosen if not m.free or m.variable_price))
        if paid:
            shown = ", ".join(paid[:3]) + (f" and {len(paid) - 3} more" if len(paid) > 3 else "")
            raise InvalidArgument(f"not free (a fallback to it would be billed): {shown}; use :free ids.")
    else:
        chosen = await rt.registry.all()
    pool = [m for m in chosen if routing.fits(m, prompt_tokens=tokens, vision=vision, tools=req.need_tools)]
    if not pool:
        need = ", ".join(w for w, on in (("images", vision), ("tool calling", req.need_tools)) if on) or "this prompt"
        raise InvalidArgument(
            f"No free model fits ({need}, about {tokens:,} tokens); pick one from list_models free=true, "
            "or shorten the prompt or lower max_tokens."
        )
    stats = _guard(lambda s: memory.stats(s, [m.id for m in pool]), rt.store, {})
    return routing.order(pool, stats)


async def _quota(rt: Runtime, store: RunStore | None, now: float, notes: list[str]) -> Quota:
    """The daily free quota from ``/key`` and this server's own count; refuse when it is used up."""
    resets = routing.day_start(now) + routing.DAY_S
    blocked = _guard(lambda s: memory.cooldowns(s, now).get(memory.ACCOUNT), store, None)
    if blocked is not None:
        raise RateLimited(f"Daily free quota used up; it resets at {routing.clock_time(blocked.until)}.")
    limit: int | None = None
    try:
        limit = routing.daily_limit((await rt.client.key_info()).is_free_tier)
    except UpstreamError as exc:
        notes.append(f"free-tier limits unknown ({exc}); counting without a cap")
    used = _guard(lambda s: memory.attempts_since(s, routing.day_start(now)), store, 0)
    if limit is not None and used >= limit:
        raise RateLimited(
            f"Daily free quota used up ({used}/{limit} requests today); it resets at {routing.clock_time(resets)}."
        )
    return Quota(daily_limit=limit, used_today=used, resets_at=routing.clock_time(resets))


def _batch(store: RunStore | None, pool: list[ModelInfo], size: int, now: float) -> list[str]:
    cooling = _guard(lambda s: memory.cooldowns(s, now), store, {})
    ready = [m.id for m in pool if m.id not in cooling]
    if not ready:
        first = min(cooling.values(), key=lambda c: c.until)
        raise RateLimited(
            f"All {len(pool)} free models that fit are cooling down after rate limits; "
            f"{first.model} is free again at {routing.clock_time(first.until)}.",
            retry_after=first.until - now,
        )
    return ready[:size]


def _limited(store: RunStore | None, batch: list[str], exc: RateLimited, now: float, attempts: list[Attempt]) -> None:
    """Every model of a request that ended in 429 failed; all of them sit out until the limit resets."""
    until = routing.cooldown_until(exc, now)
    key = memory.ACCOUNT if routing.is_daily_cap(exc) else None
    for i, model in enumerate(batch):
        last = i == len(batch) - 1
        _guard(lambda s, m=model, last=last: memory.record_attempt(s, m, ok=False, latency_s=None,
               status=429 if last else memory.FELL_THROUGH, error=str(exc)), store, None)  # fmt: skip
        _guard(lambda s, m=key or model: memory.set_cooldown(s, m, until, str(exc)[:200]), store, None)
        attempts.append(Attempt(model=model, outcome="rate limited", cooldown_until=routing.clock_time(until)))


def _failed(store: RunStore | None, batch: list[str], exc: UpstreamError, attempts: list[Attempt]) -> None:
    for i, model in enumerate(batch):
        status = exc.status if i == len(batch) - 1 else memory.FELL_THROUGH
        _guard(lambda s, m=model, st=status: memory.record_attempt(s, m, ok=False, latency_s=None, status=st,
                                                                   error=str(exc)), store, None)  # fmt: skip
        attempts.append(Attempt(model=model, outcome="failed"))


def _answered(store: RunStore | None, batch: list[str], c: Completion, attempts: list[Attempt]) -> str:
    """The models listed before the one that served fell through (OpenRouter tried them and moved on)."""
    served = c.model if c.model in batch else batch[0]
    for model in batch[: batch.index(served)]:
        _guard(lambda s, m=model: memory.record_attempt(s, m, ok=False, latency_s=None,
               status=memory.FELL_THROUGH, error="fell through to the next model"), store, None)  # fmt: skip
        attempts.append(Attempt(model=model, outcome="fell through"))
    _guard(lambda s: memory.record_attempt(s, served, ok=True, latency_s=c.latency_s, status=200, error=None),
           store, None)  # fmt: skip
    attempts.append(Attempt(model=served, outcome="answered"))
    return served


def _guard(action, store: RunStore | None, default):
    """Routing memory improves a run, it never blocks one: a missing or failing store gives ``default``."""
    if store is None:
        return default
    try:
        return action(store)
    except StoreError:
        return default


def _result(
    c: Completion, attempts: list[Attempt], quota: Quota, notes: list[str], run_id: str | None
) -> FreeChatResult:
    return FreeChatResult(
        text=c.text,
        model=c.model,
        attempts=attempts,
        usage=TokenUsage(
            prompt_tokens=c.usage.prompt_tokens,
            completion_tokens=c.usage.completion_tokens,
            reasoning_tokens=c.usage.reasoning_tokens,
        ),  # fmt: skip
        cost_usd=c.cost_usd,
        latency_s=round(c.latency_s, 3),
        ttft_s=round(c.ttft_s, 3) if c.ttft_s is not None else None,
        quota=quota,
        run_id=run_id,
        notes=notes,
    )


def summary(r: FreeChatResult) -> str:
    tried = " -> ".join(f"{a.model} ({a.outcome})" for a in r.attempts)
    limit = f"/{r.quota.daily_limit}" if r.quota.daily_limit is not None else ""
    lines = [r.text, "", f"[{r.model} · {r.latency_s:.2f}s · free requests today {r.quota.used_today}{limit}]"]
    if len(r.attempts) > 1:
        lines.append(f"tried: {tried}")
    lines += closing_lines(r.notes, r.run_id)
    return "\n".join(lines)


FEATURE = Feature(
    name="free_chat",
    group="free",
    kind="spends",
    description="Free models only: free fallbacks, 429 cooldowns, daily quota counted.",
    request=FreeChatRequest,
    result=FreeChatResult,
    run=run,
    summary=summary,
    cli=Cli(command="free", arguments=("prompt",), hidden=("messages", "images"), flags={"models": "--model/-m"}),
)
