"""Ask several models at once: per-call timeouts, a round deadline, early stop (the client holds the
concurrency limit).

Every model asked is accounted for in the outcome list, whether it answered, failed, timed out or was
cancelled because the answer was already decided. Cancelling the caller cancels every in-flight request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import anyio

from ..errors import OrcError
from ..openrouter import Completion, OpenRouterClient

Status = Literal["ok", "error", "timeout", "cancelled", "not_asked"]


@dataclass
class Outcome:
    """What one model did in a round."""

    model: str
    status: Status
    completion: Completion | None = None
    error: str | None = None
    latency_s: float = 0.0

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
        price: Callable[[Completion], Completion] | None = None,
        on_text: Callable[[str, str], Awaitable[None]] | None = None,
    ) -> None:
        self.client = client
        self.call_timeout_s = call_timeout_s
        # Fills in a cost the API did not report (from catalog prices), once, where the answer arrives.
        self.price = price or (lambda completion: completion)
        # With ``on_text(model, delta)`` every call is streamed and each piece reported as it arrives.
        self.on_text = on_text

    async def ask(self, body: dict, deadline: float) -> Outcome:
        """One call, bounded by the call timeout and the round deadline (in ``loop.time()`` seconds)."""
        model = str(body.get("model"))
        started = anyio.current_time()
        # Cancel scopes, never a task's own cancel(): the client's shielded close must be able to hold off
        # a timeout or an early stop, or each cut-off request would keep its pooled connection.
        limit = min(self.call_timeout_s, deadline - started)
        try:
            with anyio.fail_after(max(limit, 0)):
                completion = self.price(await self._send(model, body))
        except TimeoutError:
            waited = anyio.current_time() - started
            return Outcome(model, "timeout", error=f"no answer within {waited:.1f}s", latency_s=waited)
        except OrcError as exc:
            return Outcome(model, "error", error=str(exc), latency_s=anyio.current_time() - started)
        return Outcome(model, "ok", completion=completion, latency_s=completion.latency_s)

    async def _send(self, model: str, body: dict) -> Completion:
        on_text = self.on_text
        if on_text is None:
            return await self.client.complete(body)

        async def piece(delta: str) -> None:
            await on_text(model, delta)

        return await self.client.stream(body, on_text=piece)

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
