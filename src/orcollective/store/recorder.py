"""The one run recorder: a run started once, each model call recorded from its Completion, finished once.

A run's history helps the user but must never cost them the answer: every store failure is logged and
kept as a note (``notes``) instead of raising, and without a store the recorder does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ..errors import StoreError
from ..openrouter import Completion
from .runs import RunStore

log = logging.getLogger("orcollective.store")

EXCERPT_CHARS = 200
T = TypeVar("T")


class RunRecorder:
    """Records one tool call's run in ``store`` (which may be None: nothing is recorded)."""

    def __init__(self, store: RunStore | None, tool: str, arguments: Mapping[str, Any]) -> None:
        self.store = store
        self.notes: list[str] = []
        self.run_id: str | None = None
        self.run_id = self._guard(lambda s: s.start_run(tool, arguments))

    def call(
        self,
        model: str,
        completion: Completion | None,
        *,
        role: str,
        answer: str | None = None,
        error: str | None = None,
        latency_s: float | None = None,
    ) -> None:
        """One model call: what came back (``completion``) or why nothing did (``error``)."""
        if self.run_id is None:
            return
        run_id = self.run_id
        if completion is None:
            self._guard(lambda s: s.record_call(run_id, model, role=role, error=error, latency_s=latency_s))
            return
        c = completion
        self._guard(
            lambda s: s.record_call(
                run_id,
                c.model,
                role=role,
                answer=answer,
                excerpt=c.text[:EXCERPT_CHARS],
                error=error,
                latency_s=c.latency_s if latency_s is None else latency_s,
                cost_usd=c.cost_usd,
                cost_source=c.cost_source,
                prompt_tokens=c.usage.prompt_tokens,
                completion_tokens=c.usage.completion_tokens,
                reasoning_tokens=c.usage.reasoning_tokens,
                cached_tokens=c.usage.cached_tokens,
                generation_id=c.generation_id,
                requested_model=c.requested_model,
                provider=c.provider,
            )  # fmt: skip
        )

    def outcome(self, model: str, answer_type: str, agreed: bool) -> None:
        """Whether ``model`` agreed with its peers in this run (feeds reliability estimates)."""
        run_id = self.run_id
        if run_id is not None:
            self._guard(lambda s: s.record_outcome(model, answer_type, agreed, run_id=run_id))

    def exchange(self, model: str, messages: list[dict]) -> None:
        """``model``'s conversation in this run, kept so a follow-up can continue it."""
        run_id = self.run_id
        if run_id is not None:
            self._guard(lambda s: s.save_exchange(run_id, model, messages))

    def finish(
        self, status: str, *, result: dict | None = None, cost_usd: float | None = None, error: str | None = None
    ) -> None:
        run_id = self.run_id
        if run_id is not None:
            self._guard(lambda s: s.finish_run(run_id, status=status, result=result, cost_usd=cost_usd, error=error))

    def _guard(self, action: Callable[[RunStore], T]) -> T | None:
        if self.store is None:
            return None
        try:
            return action(self.store)
        except StoreError as exc:
            log.warning("run store: %s", exc)
            if not self.notes:
                self.notes.append(f"run not fully saved: {exc}")
            return None
