"""Free-model routing: which ``:free`` models fit a request, in what order to try them, and how long a
rate-limited one (or the whole free tier) sits out.

Pure functions over catalog entries and learned stats; the feature does the I/O.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from ..catalog import ModelInfo
from ..errors import RateLimited
from ..store.free_models import FreeStats

DEFAULT_COOLDOWN_S = 60.0  # a 429 without Retry-After or X-RateLimit-Reset: OpenRouter's RPM window
FREE_RPD_NO_CREDITS = 50  # free-model requests a day for accounts that bought under 10 credits
FREE_RPD_WITH_CREDITS = 1000
DAY_S = 86_400


def fits(model: ModelInfo, *, prompt_tokens: int, vision: bool, tools: bool) -> bool:
    """A free model that can take this request: context, image input, tool calling. Routers are left out
    (``openrouter/free`` picks for itself, so nothing could be learned about the model it used)."""
    if not model.free or model.variable_price or model.id.startswith("openrouter/"):
        return False
    if model.context_length is not None and model.context_length < prompt_tokens:
        return False
    return (model.vision or not vision) and (model.tools or not tools)


def order(models: Sequence[ModelInfo], stats: Mapping[str, FreeStats]) -> list[ModelInfo]:
    """Most likely to succeed first (success rate with a uniform prior, so an untried model rates 1/2 and
    one success rates 2/3), then fastest median latency, then catalog order."""

    def key(pair: tuple[int, ModelInfo]) -> tuple[float, float, int]:
        i, m = pair
        s = stats.get(m.id)
        rate = (s.successes + 1) / (s.attempts + 2) if s else 0.5
        latency = s.median_latency_s if s and s.median_latency_s is not None else float("inf")
        return (-round(rate, 3), latency, i)

    return [m for _, m in sorted(enumerate(models), key=key)]


def cooldown_until(exc: RateLimited, now: float) -> float:
    """When a rate-limited model may be asked again: ``X-RateLimit-Reset`` or ``Retry-After`` (both reach
    the error as ``retry_after``), else one minute."""
    wait = exc.retry_after if exc.retry_after is not None and exc.retry_after > 0 else DEFAULT_COOLDOWN_S
    return now + wait


def is_daily_cap(exc: RateLimited) -> bool:
    """The 429 of the account's daily free-model quota (not one model's per-minute cap)."""
    return "per-day" in str(exc)


def daily_limit(is_free_tier: bool | None) -> int:
    """Free-model requests a day, from ``/key``'s ``is_free_tier`` (never bought credits: 50)."""
    return FREE_RPD_NO_CREDITS if is_free_tier is True else FREE_RPD_WITH_CREDITS


def day_start(now: float) -> float:
    """UTC midnight before ``now``: the daily quota counts from here."""
    return now - now % DAY_S


def clock_time(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(at))
