"""model_info: one model's full metadata and prices."""

from __future__ import annotations

from pydantic import BaseModel

from ..catalog import per_mtok, price_text
from ..errors import InvalidArgument
from ..runtime import Runtime
from .base import Cli, Feature, Progress, Request


class ModelInfoRequest(Request):
    model: str


class ModelDetail(BaseModel, defer_build=True):
    id: str
    name: str
    description: str
    context: int | None
    max_completion_tokens: int | None
    prompt_per_mtok: float | None  # None: a router whose price depends on the model it picks
    completion_per_mtok: float | None
    request_usd: float
    image_usd: float
    input_modalities: list[str]
    output_modalities: list[str]
    supported_parameters: list[str]
    vision: bool
    free: bool
    tools: bool
    created: int | None


async def run(rt: Runtime, req: ModelInfoRequest, progress: Progress) -> ModelDetail:
    resolved = await rt.registry.resolve([req.model])
    if not resolved.checked:
        raise InvalidArgument("The model catalog is unreachable right now; try again shortly.")
    (info,) = resolved.models
    prompt, completion = per_mtok(info)
    return ModelDetail(
        id=info.id,
        name=info.name,
        description=info.description,
        context=info.context_length,
        max_completion_tokens=info.max_completion_tokens,
        prompt_per_mtok=prompt,
        completion_per_mtok=completion,
        request_usd=float(info.request_price),
        image_usd=float(info.image_price),
        input_modalities=list(info.input_modalities),
        output_modalities=list(info.output_modalities),
        supported_parameters=list(info.supported_parameters),
        vision=info.vision,
        free=info.free,
        tools=info.tools,
        created=info.created,
    )


def summary(r: ModelDetail) -> str:
    return (
        f"{r.name} ({r.id}): context {r.context or '?'}, {price_text(r.prompt_per_mtok, r.completion_per_mtok)} tokens."
    )


FEATURE = Feature(
    name="model_info",
    group="core",
    kind="read",
    description="One model's full metadata and prices.",
    request=ModelInfoRequest,
    result=ModelDetail,
    run=run,
    summary=summary,
    cli=Cli(command="model", arguments=("model",)),
)
