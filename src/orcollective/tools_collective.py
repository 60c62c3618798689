"""The collective tools (consensus) and the run history (runs tool + resources)."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from mcp_types import CallToolResult
from pydantic import BaseModel, Field

from .collective.consensus import consensus as run_consensus
from .collective.history import AGGREGATOR_SUFFIX
from .errors import InvalidArgument, StoreError
from .results import ConsensusResult
from .runtime import Runtime
from .store import RunStore
from .tooling import READ_LOCAL, SPENDS, runtime_of, shaped, tool_errors

RECENT = "recent"  # orcollective://runs/recent: run ids are "r_" + hex, so this name cannot collide


class RunsResult(BaseModel):
    runs: list[dict]
    run: dict | None


def register_collective(server: MCPServer) -> None:
    @server.tool(
        description="Ask several models at once and aggregate: vote, weighted, synthesize or judge.",
        annotations=SPENDS,
    )
    @tool_errors
    async def consensus(
        prompt: str,
        ctx: Context,
        models: Annotated[list[str] | None, Field(description="Panel, used exactly; default from settings")] = None,
        strategy: Literal["auto", "vote", "weighted", "synthesize", "judge"] = "auto",
        answer_type: Literal["auto", "choice", "number", "boolean", "text", "long_text"] = "auto",
        early_stop: bool = True,
        adaptive: Annotated[bool, Field(description="Ask 3 best first; the rest only on disagreement")] = False,
        system: str | None = None,
        images: list[str] | None = None,
        max_cost_usd: Annotated[float | None, Field(gt=0)] = None,
        timeout_s: Annotated[float | None, Field(ge=1, le=600)] = None,
        aggregator: Annotated[str | None, Field(description="Model for synthesize/judge")] = None,
    ) -> Annotated[CallToolResult, ConsensusResult]:
        async def progress(done: int, total: int, message: str) -> None:
            await ctx.report_progress(done, total, message)

        result = await run_consensus(
            runtime_of(ctx),
            prompt=prompt,
            models=models,
            strategy=strategy,
            answer_type=answer_type,
            early_stop=early_stop,
            adaptive=adaptive,
            system=system,
            images=images,
            max_cost_usd=max_cost_usd,
            timeout_s=timeout_s,
            aggregator=aggregator,
            on_progress=progress,
        )
        return shaped(result, consensus_text(result))


def consensus_text(r: ConsensusResult) -> str:
    """A short human summary: the answer, how sure, who disagreed, what it cost."""
    conf = f"{r.confidence:.0%}" if r.confidence is not None else "unknown"
    panel = sum(not x.model.endswith(AGGREGATOR_SUFFIX) for x in r.responses)
    lines = [
        f"Answer: {r.answer}",
        f"confidence {conf} · {r.strategy} · {r.answered}/{panel} answered · {r.calls} calls"
        f"{' · stopped early' if r.stopped_early else ''} · ${r.cost_usd:.6f} · {r.latency_s:.2f}s",
    ]
    if r.dissent:
        lines.append("dissent: " + "; ".join(f"{d.model}: {d.answer or '(no answer)'}" for d in r.dissent))
    failed = [f"{x.model}: {x.error}" for x in r.responses if x.status in ("error", "timeout")]
    if failed:
        lines.append("failed: " + "; ".join(failed))
    lines.extend(f"note: {n}" for n in r.notes)
    if r.run_id:
        lines.append(f"run {r.run_id}")
    return "\n".join(lines)


def register_runs(server: MCPServer) -> None:
    @server.tool(description="List recent runs, or one run by id with its calls and costs.", annotations=READ_LOCAL)
    @tool_errors
    async def runs(
        ctx: Context,
        run_id: str | None = None,
        tool: str | None = None,
        limit: Annotated[int, Field(ge=1, le=100)] = 20,
        offset: Annotated[int, Field(ge=0)] = 0,
    ) -> Annotated[CallToolResult, RunsResult]:
        rt = runtime_of(ctx)
        if run_id:
            run = _get_run(rt, run_id)
            text = f"run {run['id']} ({run['tool']}, {run['status']}), ${run.get('cost_usd') or 0:.6f}, " + (
                f"{len(run.get('calls') or [])} calls"
            )
            return shaped(RunsResult(runs=[], run=run), text)
        rows = _store(rt).list_runs(limit=limit, offset=offset, tool=tool)
        lines = [f"{r['id']}  {r['tool']}  {r['status']}  ${r.get('cost_usd') or 0:.6f}  {r.get('summary') or ''}"
                 for r in rows]  # fmt: skip
        return shaped(RunsResult(runs=rows, run=None), "\n".join(lines) or "No runs yet.")

    @server.resource(
        "orcollective://runs/{run_id}",
        mime_type="application/json",
        description="One saved run by id; orcollective://runs/recent lists the latest 20.",
    )
    async def run_resource(run_id: str, ctx: Context) -> str:
        rt = runtime_of(ctx)
        try:
            data = _store(rt).list_runs(limit=20) if run_id == RECENT else _get_run(rt, run_id)
        except (InvalidArgument, StoreError) as exc:
            raise ResourceNotFoundError(str(exc)) from exc
        return json.dumps(data, default=str)


def _store(rt: Runtime) -> RunStore:
    if rt.store is None:
        raise StoreError("The run store is unavailable (see the server log); check ORCOLLECTIVE_DATA_DIR.")
    return rt.store


def _get_run(rt: Runtime, run_id: str) -> dict:
    run = _store(rt).get_run(run_id)
    if run is None:
        raise InvalidArgument(f"No run '{run_id}': list runs with the runs tool.")
    return run
