"""OpenRouter's own rate limits on free models, as the simulator enforces them.

A scripted model with ``rpm`` set allows that many requests in any 60 s window; an account-wide daily
cap (``free_daily_limit``) counts every request to a ``:free`` model since UTC midnight. Both answer
with the 429 OpenRouter sends: ``X-RateLimit-Limit``, ``-Remaining`` and ``-Reset`` (epoch ms) headers,
repeated in ``error.metadata.headers``, and a ``Retry-After`` in seconds.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from .wire import error_body

WINDOW_S = 60.0
DAY_S = 86_400


class FreeLimits:
    """Per-model requests-per-minute windows and the daily free-model counter, behind one lock."""

    def __init__(self, *, free_tier: bool = False, daily_limit: int | None = None) -> None:
        self.free_tier = free_tier
        self.daily_limit = daily_limit
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {}
        self._day = -1
        self._used_today = 0

    def check(self, model_id: str, rpm: int | None) -> tuple[int, dict, dict[str, str]] | None:
        """None when the request may go ahead (and it is counted), else the 429 to answer with."""
        now = time.time()
        with self._lock:
            free = model_id.endswith(":free")
            day = int(now // DAY_S)
            if day != self._day:
                self._day, self._used_today = day, 0
            if free and self.daily_limit is not None and self._used_today >= self.daily_limit:
                reset = (day + 1) * DAY_S
                suffix = "" if self.free_tier else "-high-balance"
                hint = " Add 10 credits to unlock 1000 free model requests per day" if self.free_tier else ""
                return _limited(
                    f"Rate limit exceeded: free-models-per-day{suffix}.{hint}", self.daily_limit, reset, now
                )
            if rpm is not None:
                window = self._windows.setdefault(model_id, deque())
                while window and window[0] <= now - WINDOW_S:
                    window.popleft()
                if len(window) >= rpm:
                    return _limited(
                        f"Rate limit exceeded: limit_rpm/{model_id}. High demand for {model_id} on OpenRouter - "
                        f"limited to {rpm} requests per minute. Please retry shortly.",
                        rpm,
                        window[0] + WINDOW_S,
                        now,
                    )
                window.append(now)
            if free:
                self._used_today += 1
            return None

    @property
    def used_today(self) -> int:
        with self._lock:
            return self._used_today

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
            self._used_today = 0


def _limited(message: str, limit: int, reset_s: float, now: float) -> tuple[int, dict, dict[str, str]]:
    headers = {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(int(reset_s * 1000)),
    }
    payload = error_body(429, message, {"headers": headers, "provider_name": None})
    return 429, payload, {"Retry-After": str(max(1, round(reset_s - now))), **headers}
