"""Which models make a panel when the caller names none: the configured default, or free models only."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ..catalog import ModelInfo, ModelRegistry
from ..errors import InvalidArgument, quoted


async def default_panel(
    registry: ModelRegistry, ids: Sequence[str], notes: list[str], minimum: int = 2
) -> list[ModelInfo]:
    """The configured panel minus ids the catalog no longer lists: the user did not name them, so a retired
    default should not fail the run; fewer than ``minimum`` left is still an error."""
    resolved = await registry.resolve(list(ids), drop_unknown=True)
    notes.extend(f"default panel model {m} is not in the catalog; left out" for m in resolved.unknown)
    if len(resolved.models) < minimum:
        raise InvalidArgument(
            f"Fewer than {minimum} models of the default panel are in the catalog: pass 'models' or set "
            "ORCOLLECTIVE_DEFAULT_MODELS to current ids (see list_models)."
        )
    return resolved.models


async def free_panel(registry: ModelRegistry, size: int, notes: list[str]) -> list[ModelInfo]:
    """The ``size`` newest ``:free`` models of the catalog (at least 2)."""
    size = max(size, 2)
    page = await registry.search(free=True, sort="newest", limit=size * 4)
    panel = [m for m in page.models if m.id.endswith(":free")][:size]
    if len(panel) < 2:
        raise InvalidArgument("free_only: the catalog lists fewer than 2 free models; name paid ones in 'models'.")
    notes.append(f"free_only: the {len(panel)} newest free models")
    return panel


async def refuse_blind(registry: ModelRegistry, panel: Sequence[ModelInfo]) -> None:
    """With images to send: refuse, before any spend, models without image input, naming vision models of
    the panel's price range."""
    blind = [m.id for m in panel if not m.vision]
    if not blind:
        return
    top = max((max(m.prompt_per_mtok, m.completion_per_mtok) for m in panel), default=Decimal(0))
    page = await registry.search(vision=True, max_price_per_mtok=float(top) or None, sort="price", limit=4)
    alternatives = ", ".join(m.id for m in page.models) or "none in this price range (see list_models vision)"
    raise InvalidArgument(f"{', '.join(blind)} cannot read images; use vision models instead, e.g. {alternatives}.")


def only_free(models: Sequence[ModelInfo]) -> None:
    """Refuse, before any spend, a model that would be billed."""
    paid = [m.id for m in models if not m.free]
    if paid:
        raise InvalidArgument(
            f"free_only, but {', '.join(quoted(p) for p in paid[:4])} would be billed; "
            "use their ':free' variants or drop free_only."
        )
