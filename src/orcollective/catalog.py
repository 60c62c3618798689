"""The catalog tools: model id checks, list_models, model_info."""

from __future__ import annotations

import logging
import time

from .errors import InvalidArgument, UnknownModel, UpstreamError
from .registry import ModelInfo
from .results import ModelDetail, ModelList, ModelRow
from .runtime import Runtime

log = logging.getLogger("orcollective.catalog")

CATALOG_RECHECK_S = 60.0


async def known_models(rt: Runtime, ids: list[str]) -> list[ModelInfo | None]:
    """Check ids against the catalog; raise UnknownModel with suggestions. If the catalog itself cannot
    be loaded, let the request through unchecked rather than block it."""
    for model_id in ids:
        if not isinstance(model_id, str) or not model_id.strip():
            raise InvalidArgument("A model id is empty: pass ids like 'openai/gpt-4o' (see list_models).")
    try:
        try:
            return list(await rt.registry.check(ids))
        except UnknownModel:
            # A model released since the catalog was cached would look unknown: refetch once a minute at most.
            if time.monotonic() - rt.catalog_forced_at < CATALOG_RECHECK_S:
                raise
            rt.catalog_forced_at = time.monotonic()
            await rt.registry.refresh()
            return list(await rt.registry.check(ids))
    except UpstreamError as exc:
        log.warning("model catalog unavailable, ids not checked: %s", exc)
        return [None] * len(ids)


def per_mtok(info: ModelInfo) -> tuple[float | None, float | None]:
    """Prices per 1M tokens; None for routers whose price depends on the model they pick."""
    if info.variable_price:
        return None, None
    return float(info.prompt_per_mtok), float(info.completion_per_mtok)


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


async def list_models(
    rt: Runtime,
    *,
    query: str | None = None,
    vision: bool | None = None,
    free: bool | None = None,
    tools: bool | None = None,
    max_price_per_mtok: float | None = None,
    min_context: int | None = None,
    sort: str = "name",
    limit: int = 20,
    offset: int = 0,
) -> ModelList:
    """One page of the catalog as compact rows; the registry checks ``sort`` and ``offset``."""
    if not 1 <= limit <= 200:
        raise InvalidArgument(f"limit {limit} is out of range: use 1 to 200.")
    if max_price_per_mtok is not None and max_price_per_mtok < 0:
        raise InvalidArgument("max_price_per_mtok must be 0 or more (USD per 1M tokens).")
    if min_context is not None and min_context < 0:
        raise InvalidArgument("min_context must be 0 or more (tokens).")
    page = await rt.registry.search(
        query,
        vision=vision,
        free=free,
        tools=tools,
        max_price_per_mtok=max_price_per_mtok,
        min_context=min_context,
        sort=sort,  # type: ignore[arg-type]
        limit=limit,
        offset=offset,
    )
    return ModelList(total=page.total, offset=page.offset, models=[model_row(m) for m in page.models])


async def model_info(rt: Runtime, model: str) -> ModelDetail:
    (info,) = await known_models(rt, [model])
    if info is None:
        raise InvalidArgument("The model catalog is unreachable right now; try again shortly.")
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
