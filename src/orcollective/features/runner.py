"""What the collective tools share around their work: the run record with every call as it finishes,
``wait=false`` (the work goes on in the server under its run id), follow-ups (``continue_from``), and the
panel checks made before any spend (catalog ids, image input).

Any feature can hand its work to ``execute``: ``work(progress, calls)`` does the model calls through
``calls.seen`` and returns the Result; ``pending(run_id)`` is the Result returned at once with
``wait=false``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import anyio
from pydantic import BaseModel

from ..catalog import ModelInfo
from ..collective.consensus import excerpt
from ..collective.fanout import Outcome, cache_saving, cited
from ..collective.panels import default_panel, refuse_blind
from ..errors import MISSING_KEY, ConfigError, InvalidArgument, OrcError
from ..inputs.routing import resolve_models
from ..runtime import Runtime
from ..store import RunRecorder
from ..store.jobs import Job
from .base import Progress, SourceOut

R = TypeVar("R", bound=BaseModel)


class CallRow(BaseModel, defer_build=True):
    """One model call of a run: the step it served, who was asked, what came back, what it cost."""

    step: str
    role: str
    model: str
    status: str
    excerpt: str | None
    latency_s: float
    cost_usd: float | None
    error: str | None


class CallLog:
    """Every call of one run, recorded in the store and reported to ``progress`` as it finishes."""

    def __init__(self, recorder: RunRecorder, progress: Progress) -> None:
        self.recorder = recorder
        self.progress = progress
        self.rows: list[CallRow] = []
        self.outcomes: list[Outcome] = []

    async def seen(self, outcome: Outcome, *, step: str, role: str) -> None:
        o, c = outcome, outcome.completion
        if o.status in ("cancelled", "not_asked") and c is None and not o.error:
            return
        self.recorder.call(o.model, c, role=role, error=o.error, latency_s=o.latency_s)
        self.outcomes.append(o)
        row = CallRow(
            step=step, role=role, model=o.model, status=o.status, excerpt=excerpt(c.text) if c else None,
            latency_s=round(o.latency_s, 3), cost_usd=c.cost_usd if c else None, error=o.error,
        )  # fmt: skip
        self.rows.append(row)
        await self.progress.model_finished(
            o.model, o.status, answer=row.excerpt, latency_s=o.latency_s, cost_usd=row.cost_usd, error=o.error
        )
        await self.progress.step(len(self.rows), None, f"{step}: {o.model} {o.status}")

    def on(self, step: str, role: str) -> Callable[[Outcome], Awaitable[None]]:
        """A fan-out ``on_outcome`` callback recording each call under ``step`` and ``role``."""

        async def record(outcome: Outcome) -> None:
            await self.seen(outcome, step=step, role=role)

        return record

    @property
    def cost_usd(self) -> float:
        return round(sum(r.cost_usd or 0 for r in self.rows), 10)

    def upstream_facts(self) -> dict[str, Any]:
        """The Result fields every collective tool shares: cited sources, the response-cache saving."""
        sources = [SourceOut(url=s.url, title=s.title) for s in cited(self.outcomes)]
        return {"sources": sources, "cache_saving_usd": cache_saving(self.outcomes)}


class JobProgress(Progress):
    """Progress of a background run, kept on its job for ``runs(run_id)``."""

    def __init__(self, job: Job) -> None:
        self.job = job

    async def step(self, done: float, total: float | None, message: str) -> None:
        self.job.done, self.job.total, self.job.message = done, total, message

    async def model_finished(self, model: str, status: str, **details: Any) -> None:
        self.job.events.append({"model": model, "status": status, **details})


Work = Callable[[Progress, CallLog], Awaitable[R]]


async def execute(
    rt: Runtime,
    tool: str,
    arguments: Mapping[str, Any],
    *,
    wait: bool,
    progress: Progress,
    work: Work[R],
    pending: Callable[[str], R],
) -> R:
    """Run ``work`` as run ``tool``: now (``wait``), or in the server, returning ``pending(run_id)`` at once."""
    recorder = RunRecorder(rt.store, tool, arguments)
    if wait:
        return await _recorded(recorder, progress, work)
    if recorder.run_id is None:
        raise ConfigError("wait=false needs the run store (see the server log); use wait=true.")

    async def background(job: Job) -> dict:
        result = await _recorded(recorder, JobProgress(job), work)
        return result.model_dump(mode="json")

    rt.jobs.start(recorder.run_id, tool, background)
    return pending(recorder.run_id)


async def _recorded(recorder: RunRecorder, progress: Progress, work: Work[R]) -> R:
    calls = CallLog(recorder, progress)
    try:
        result = await work(progress, calls)
    except BaseException as exc:
        # Whatever ends the run is recorded; the calls made so far are already in the store with their cost.
        cancelled = isinstance(exc, anyio.get_cancelled_exc_class())
        why = str(exc) if isinstance(exc, OrcError) else f"internal error ({type(exc).__name__})"
        recorder.finish("cancelled" if cancelled else "error", cost_usd=calls.cost_usd,
                        error="cancelled by the client" if cancelled else why)  # fmt: skip
        raise
    recorder.finish("done", result=result.model_dump(mode="json"), cost_usd=calls.cost_usd)
    return result


def earlier_exchanges(rt: Runtime, run_id: str | None) -> dict[str, list[dict]]:
    """Each model's conversation in run ``run_id`` (for ``continue_from``); {} without a run id."""
    if not run_id:
        return {}
    if rt.store is None:
        raise ConfigError("continue_from needs the run store (see the server log); ask without it.")
    if rt.store.get_run(run_id) is None:
        raise InvalidArgument(f"No run '{run_id[:80]}' to continue from: list runs with the runs tool.")
    found = rt.store.exchanges(run_id)
    if not found:
        raise InvalidArgument(f"Run '{run_id[:80]}' kept no exchanges to continue; ask without continue_from.")
    return found


async def checked_panel(rt: Runtime, models: Sequence[str], *, images: int = 0) -> list[ModelInfo]:
    """The models from the catalog (unknown ids refused); with images, models without image input are
    refused before any spend, naming vision models of the panel's price range."""
    panel = await resolve_models(rt.registry, list(models))
    if images:
        await refuse_blind(rt.registry, panel)
    if not rt.client.has_key:
        raise ConfigError(MISSING_KEY)
    return panel


async def default_models(rt: Runtime, minimum: int) -> list[str]:
    """The configured panel, minus ids the catalog no longer lists."""
    return [m.id for m in await default_panel(rt.registry, rt.default_panel, [], minimum)]
