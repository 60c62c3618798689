"""Ask several models at once: per-call timeouts, a round deadline, early stop (the client holds the
concurrency limit).

Every model asked is accounted for in the outcome list, whether it answered, failed, timed out or was
cancelled because the answer was already decided. Cancelling the caller cancels every in-flight request.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import anyio

from ..catalog import ModelInfo, with_cost
from ..errors import OrcError
from ..inputs.upstream import NOTHING, Prepared
from ..openrouter import Completion, OpenRouterClient
from ..openrouter.wire import Source
from .budget import estimate_tokens

Status = Literal["ok", "error", "timeout", "cancelled", "not_asked"]


@dataclass
class Outcome:
    """What one model did in a round."""

    model: str
    status: Status
    completion: Completion | None = None
    error: str | None = None
    latency_s: float = 0.0
    saved_usd: float | None = None  # a response-cache hit: what the call would have cost at catalog prices

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.completion is not None


OnOutcome = Callable[[Outcome], Awaitable[None]]
ShouldStop = Callable[[list[Outcome], int], bool]


class FanOut:
    """One fan-out policy: the client and the per-call timeout."""

    def __init__(
        self,
        client: OpenRouterClient,
        *,
        call_timeout_s: float,
        models: Mapping[str, ModelInfo] | None = None,
        on_text: Callable[[str, str], Awaitable[None]] | None = None,
        upstream: Prepared = NOTHING,
    ) -> None:
        self.client = client
        self.call_timeout_s = call_timeout_s
        # Catalog entries by id: a cost the API did not report is filled in from their prices, once, where
        # the answer arrives, and a response-cache hit is priced as the saving it made.
        self.models = models or {}
        # With ``on_text(model, delta)`` every call is streamed and each piece reported as it arrives.
        self.on_text = on_text
        # The run's ``openrouter`` argument: routing, plugins, web search and caching on every request.
        self.upstream = upstream

    async def ask(self, body: dict, deadline: float) -> Outcome:
        """One call, bounded by the call timeout and the round deadline (in ``loop.time()`` seconds)."""
        model = str(body.get("model"))
        started = anyio.current_time()
        # Cancel scopes, never a task's own cancel(): the client's shielded close must be able to hold off
        # a timeout or an early stop, or each cut-off request would keep its pooled connection.
        limit = min(self.call_timeout_s, deadline - started)
        try:
            with anyio.fail_after(max(limit, 0)):
                completion = await self._send(model, body)
        except TimeoutError:
            waited = anyio.current_time() - started
            return Outcome(model, "timeout", error=f"no answer within {waited:.1f}s", latency_s=waited)
        except OrcError as exc:
            return Outcome(model, "error", error=str(exc), latency_s=anyio.current_time() - started)
        info = self.models.get(completion.model) or self.models.get(completion.requested_model)
        saved = None
        if completion.cache_hit and info is not None:
            tokens = estimate_tokens(json.dumps(body.get("messages"), ensure_ascii=False))
            saved = float(info.estimate_cost(tokens, estimate_tokens(completion.text)))
        completion = with_cost(info, completion)
        return Outcome(model, "ok", completion=completion, latency_s=completion.latency_s, saved_usd=saved)

    async def _send(self, model: str, body: dict) -> Completion:
        on_text, headers = self.on_text, self.upstream.headers
        body = self.upstream.apply(body)
        if on_text is None:
            return await self.client.complete(body, headers=headers)

        async def piece(delta: str) -> None:
            await on_text(model, delta)

        return await self.client.stream(body, on_text=piece, headers=headers)

    async def round(
        self,
        bodies: Sequence[dict],
        *,
        deadline: float,
        on_outcome: OnOutcome | None = None,
        should_stop: ShouldStop | None = None,
    ) -> tuple[list[Outcome], bool]:
        """Run every body in parallel; return outcomes in the order given and whether it stopped early.

        ``should_stop(finished, still_running)`` is asked after each finish; when it says yes, the rest
        are cancelled and reported as ``cancelled``.
        """
        results: list[Outcome | None] = [None] * len(bodies)
        finished: list[Outcome] = []
        stopped = False

        async with anyio.create_task_group() as group:

            async def one(i: int, body: dict) -> None:
                nonlocal stopped
                outcome = await self.ask(body, deadline)
                results[i] = outcome
                finished.append(outcome)
                if on_outcome is not None:
                    await on_outcome(outcome)
                running = len(bodies) - len(finished)
                if running and should_stop is not None and not stopped and should_stop(finished, running):
                    stopped = True
                    group.cancel_scope.cancel()

            for i, body in enumerate(bodies):
                group.start_soon(one, i, body)
        return [
            r
            if r is not None
            else Outcome(str(b.get("model")), "cancelled", error="not needed: the answer was decided")
            for r, b in zip(results, bodies, strict=True)
        ], stopped


def cited(outcomes: Iterable[Outcome]) -> list[Source]:
    """Every web page the answers cited, once each, in the order first cited."""
    found: dict[str, Source] = {}
    for o in outcomes:
        for source in o.completion.sources if o.completion else []:
            found.setdefault(source.url, source)
    return list(found.values())


def cache_saving(outcomes: Iterable[Outcome]) -> float | None:
    """What response-cache hits saved at catalog prices (None without a hit)."""
    hits = [o for o in outcomes if o.completion and o.completion.cache_hit]
    return round(sum(o.saved_usd or 0 for o in hits), 10) if hits else None


def cache_note(outcomes: Sequence[Outcome]) -> list[str]:
    """A note on calls answered from OpenRouter's response cache, if any were."""
    hits = sum(bool(o.completion and o.completion.cache_hit) for o in outcomes)
    if not hits:
        return []
    saved = cache_saving(outcomes) or 0
    return [
        f"{hits} of {len(outcomes)} calls came from OpenRouter's response cache, billed $0 (about ${saved:.6f} saved)"
    ]
