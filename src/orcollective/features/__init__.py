"""One module per tool; this list is the whole tool surface (MCP tools and CLI commands come from it)."""

from . import (
    benchmark,
    benchmark_report,
    chat,
    collaborate,
    consensus,
    cross_validate,
    ensemble_reasoning,
    free_chat,
    list_models,
    model_info,
    runs,
    select_model,
    usage,
)
from .base import Cli, Feature, Progress, Request

FEATURES: tuple[Feature, ...] = (
    chat.FEATURE,
    list_models.FEATURE,
    model_info.FEATURE,
    usage.FEATURE,
    consensus.FEATURE,
    runs.FEATURE,
    benchmark.FEATURE,
    benchmark_report.FEATURE,
    free_chat.FEATURE,
    collaborate.FEATURE,
    cross_validate.FEATURE,
    select_model.FEATURE,
    ensemble_reasoning.FEATURE,
)

__all__ = ["FEATURES", "Cli", "Feature", "Progress", "Request"]
