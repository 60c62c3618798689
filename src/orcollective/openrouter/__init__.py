"""The OpenRouter HTTP client: requests, retries, streaming, wire types and the concurrency limit."""

from .client import OpenRouterClient
from .retry import RetryPolicy
from .wire import Completion, CostSource, Usage

__all__ = ["Completion", "CostSource", "OpenRouterClient", "RetryPolicy", "Usage"]
