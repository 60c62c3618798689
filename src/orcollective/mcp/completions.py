"""``completion/complete``: model ids from the catalog, run and benchmark ids from the store; and
``logging/setLevel``. Both need the runtime or the session, which the SDK's decorators do not pass, so they
are registered on the low-level server."""

from __future__ import annotations

import logging
from typing import Any, cast

from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp_types import CompleteRequestParams, CompleteResult, Completion, EmptyResult, SetLevelRequestParams

from ..errors import OrcError
from ..runtime import Runtime
from ..store.benchmarks import list_benchmarks
from .prompts import MODEL_ARGUMENTS

MAX_VALUES = 100  # the protocol's cap on one completion answer
LEVELS = {"debug": "DEBUG", "info": "INFO", "notice": "INFO", "warning": "WARNING", "error": "ERROR",
          "critical": "CRITICAL", "alert": "CRITICAL", "emergency": "CRITICAL"}  # fmt: skip


def _matching(values: list[str], prefix: str) -> Completion:
    """Values starting with ``prefix`` first, then those containing it; at most 100 sent, all counted."""
    needle = prefix.lower()
    first = [v for v in values if v.lower().startswith(needle)]
    then = [v for v in values if needle in v.lower() and not v.lower().startswith(needle)]
    found = first + then
    return Completion(values=found[:MAX_VALUES], total=len(found), has_more=len(found) > MAX_VALUES)


async def complete(rt: Runtime, ref_kind: str, target: str, argument: str, value: str) -> Completion:
    """Candidates for ``argument`` of the prompt or resource template ``target``."""
    models = argument in MODEL_ARGUMENTS or argument == "model_id"
    if models:
        last = value.rsplit(",", 1)
        head, tail = (last[0] + ",", last[1].strip()) if len(last) == 2 else ("", value)
        ids = sorted(m.id for m in await rt.registry.all())
        found = _matching(ids, tail)
        return found.model_copy(update={"values": [head + v for v in found.values]}) if head else found
    if rt.store is None:
        return Completion(values=[])
    if argument == "run_id":
        return _matching(["recent", *(r["id"] for r in rt.store.list_runs(limit=MAX_VALUES))], value)
    if argument == "benchmark_id":
        return _matching([b.id for b in list_benchmarks(rt.store, limit=MAX_VALUES)], value)
    return Completion(values=[])


def register_protocol(server: MCPServer) -> None:
    """completion/complete and logging/setLevel on the low-level server (advertised in capabilities)."""

    async def on_complete(ctx: ServerRequestContext[Any, Any], params: CompleteRequestParams) -> CompleteResult:
        ref = params.ref
        target = ref.name if ref.type == "ref/prompt" else ref.uri
        try:
            found = await complete(
                cast(Runtime, ctx.lifespan_context), ref.type, target, params.argument.name, params.argument.value
            )
        except OrcError:
            found = Completion(values=[])  # a catalog that cannot be reached offers nothing, not an error
        return CompleteResult(completion=found)

    async def on_set_level(ctx: ServerRequestContext[Any, Any], params: SetLevelRequestParams) -> EmptyResult:
        logging.getLogger("orcollective").setLevel(LEVELS.get(str(params.level), "WARNING"))
        return EmptyResult()

    low = server._lowlevel_server  # the SDK's own decorators register here too
    low.add_request_handler("completion/complete", CompleteRequestParams, on_complete)
    low.add_request_handler("logging/setLevel", SetLevelRequestParams, on_set_level)
