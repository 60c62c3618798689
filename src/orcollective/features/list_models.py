"""list_models: one page of the catalog as compact rows, prices per 1M tokens."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ..catalog import ModelInfo, per_mtok, price_text
from ..runtime import Runtime
from .base import Cli, Feature, Progress, Request


class ListModelsRequest(Request):
    query: str | None = None
    vision: bool | None = None
    free: bool | None = None
    tools: bool | None = None
    max_price_per_mtok: Annotated[float | None, Field(ge=0)] = None
    min_context: Annotated[int | None, Field(ge=0, le=100_000_000)] = None
    sort: Literal["name", "price", "context", "newest"] = "name"
    limit: Annotated[int, Field(ge=1, le=200)] = 20
    offset: Annotated[int, Field(ge=0, le=100_000)] = 0


class ModelRow(BaseModel, defer_build=True):
    id: str
    name: str
    context: int | None
    prompt_per_mtok: float | None  # None: a router whose price depends on the model it picks
    completion_per_mtok: float | None
    vision: bool
    free: bool
    tools: bool


class ModelList(BaseModel, defer_build=True):
    total: int
    offset: int
    models: list[ModelRow]


def model_row(info: ModelInfo) -> ModelRow:
    prompt, completion = per_mtok(info)
    return ModelRow(
        id=info.id,
        name=info.name,
        context=info.context_length,
        prompt_per_mtok=prompt,
        completion_per_mtok=completion,
        vision=info.vision,
        free=info.free,
        tools=info.tools,
    )


async def run(rt: Runtime, req: ListModelsRequest, progress: Progress) -> ModelList:
    page = await rt.registry.search(
        req.query,
        vision=req.vision,
        free=req.free,
        tools=req.tools,
        max_price_per_mtok=req.max_price_per_mtok,
        min_context=req.min_context,
        sort=req.sort,
        limit=req.limit,
        offset=req.offset,
    )
    return ModelList(total=page.total, offset=page.offset, models=[model_row(m) for m in page.models])


def summary(result: ModelList) -> str:
    lines = [
        f"{m.id}  ctx {m.context or '?'}  {price_text(m.prompt_per_mtok, m.completion_per_mtok)}"
        + ("  vision" if m.vision else "")
        + ("  free" if m.free else "")
        for m in result.models
    ]
    head = f"{result.total} models match; showing {len(result.models)} from {result.offset}."
    return "\n".join([head, *lines])


FEATURE = Feature(
    name="list_models",
    group="core",
    kind="read",
    description="Search the model catalog; prices are USD per 1M tokens.",
    request=ListModelsRequest,
    result=ModelList,
    run=run,
    summary=summary,
    cli=Cli(command="models", arguments=("query",), flags={"max_price_per_mtok": "--max-price"}),
)
