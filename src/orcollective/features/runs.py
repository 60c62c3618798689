"""runs: the run history, a list of recent runs or one run with its calls and costs."""

from __future__ import annotations

from typing import Annotated, Literal

import anyio
from pydantic import BaseModel, Field

from ..errors import InvalidArgument, OrcError, StoreError, quoted
from ..runtime import Runtime
from ..store import RunStore
from ..store.ballots import record_feedback
from .base import Cli, Feature, Progress, Request

CANCEL_WAIT_S = 2.0  # for a cancelled run to record its end before it is shown


class RunsRequest(Request):
    run_id: str | None = None
    tool: str | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    offset: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    cancel: bool = False
    feedback: Literal["right", "wrong"] | None = None
    details: bool = False  # each call's generation stats from OpenRouter, fetched now


class RunsResult(BaseModel, defer_build=True):
    runs: list[dict]
    run: dict | None


async def run(rt: Runtime, req: RunsRequest, progress: Progress) -> RunsResult:
    if req.cancel and not req.run_id:
        raise InvalidArgument("cancel needs the run_id of a running run.")
    if req.feedback is not None:
        if not req.run_id:
            raise InvalidArgument("feedback needs run_id: the run whose answer is right or wrong.")
        found = get_run(rt, req.run_id)
        answer = record_feedback(store_of(rt), req.run_id, req.feedback)
        return RunsResult(runs=[], run={**found, "feedback": {"verdict": req.feedback, "answer": answer}})
    if req.run_id:
        if req.cancel:
            job = rt.jobs.cancel(req.run_id)
            if job is None:
                raise InvalidArgument(f"Run '{req.run_id[:80]}' is not running in this server; nothing to cancel.")
            with anyio.move_on_after(CANCEL_WAIT_S):
                await job.ended.wait()
        run = get_run(rt, req.run_id)
        if req.details:
            await _add_generation_stats(rt, run)
        job = rt.jobs.get(req.run_id)
        if job is not None:
            # Status and progress of a run going on in this server; its finished calls are in run["calls"].
            run["live"] = job.view()
        return RunsResult(runs=[], run=run)
    return RunsResult(runs=store_of(rt).list_runs(limit=req.limit, offset=req.offset, tool=req.tool), run=None)


async def _add_generation_stats(rt: Runtime, run: dict) -> None:
    """Each call's ``/generation`` record (provider, native token counts, final cost), asked in parallel;
    a call whose stats cannot be had says why instead."""

    async def one(call: dict) -> None:
        try:
            stats = await rt.client.generation_stats(call["generation_id"])
            call["generation"] = stats.model_dump(exclude_none=True)
        except OrcError as exc:
            call["generation"] = {"error": str(exc)}

    calls = [c for c in run.get("calls") or [] if c.get("generation_id")]
    async with anyio.create_task_group() as group:
        for call in calls:
            group.start_soon(one, call)


def summary(result: RunsResult) -> str:
    if result.run is not None:
        r = result.run
        marked = f"; marked {r['feedback']['verdict']}" if r.get("feedback") else ""
        return f"run {r['id']} ({r['tool']}, {r['status']}), ${r.get('cost_usd') or 0:.6f}, " + (
            f"{len(r.get('calls') or [])} calls{marked}"
        )
    lines = [f"{r['id']}  {r['tool']}  {r['status']}  ${r.get('cost_usd') or 0:.6f}  {r.get('summary') or ''}"
             for r in result.runs]  # fmt: skip
    return "\n".join(lines) or "No runs yet."


def store_of(rt: Runtime) -> RunStore:
    if rt.store is None:
        raise StoreError("The run store is unavailable (see the server log); check ORCOLLECTIVE_DATA_DIR.")
    return rt.store


def get_run(rt: Runtime, run_id: str) -> dict:
    run = store_of(rt).get_run(run_id)
    if run is None:
        raise InvalidArgument(f"No run '{quoted(run_id)}': list runs with the runs tool.")
    return run


FEATURE = Feature(
    name="runs",
    group="runs",
    kind="read_local",
    description="Recent runs, or one run's calls and costs; cancel it or mark it right/wrong.",
    request=RunsRequest,
    result=RunsResult,
    run=run,
    summary=summary,
    cli=Cli(command="runs", arguments=("run_id",)),
)
