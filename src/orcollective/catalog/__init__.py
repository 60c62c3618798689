"""The model catalog: entries, the on-disk cache, the registry (lookups, search, id resolution), pricing."""

from .model import ModelInfo
from .pricing import per_mtok, price_text, with_cost
from .registry import ModelPage, ModelRegistry, Resolved, Sort, unchecked

__all__ = [
    "ModelInfo", "ModelPage", "ModelRegistry", "Resolved", "Sort", "per_mtok", "price_text", "unchecked", "with_cost",
]  # fmt: skip
