"""Runs as MCP resources: ``orcollective://runs/{run_id}`` and ``orcollective://runs/recent``."""

from __future__ import annotations

import json

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError

from ..errors import InvalidArgument, StoreError
from ..features.runs import get_run, store_of
from .adapter import runtime_of

RECENT = "recent"  # run ids are "r_" + hex, so this name cannot collide


def register_run_resources(server: MCPServer) -> None:
    @server.resource(
        "orcollective://runs/{run_id}",
        mime_type="application/json",
        description="One saved run by id; orcollective://runs/recent lists the latest 20.",
    )
    async def run_resource(run_id: str, ctx: Context) -> str:
        rt = runtime_of(ctx)
        try:
            data = store_of(rt).list_runs(limit=20) if run_id == RECENT else get_run(rt, run_id)
        except (InvalidArgument, StoreError) as exc:
            raise ResourceNotFoundError(str(exc)) from exc
        return json.dumps(data, default=str)
