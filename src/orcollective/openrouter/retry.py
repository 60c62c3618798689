"""The one retry policy: what is retried, how long to wait, when to give up."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import RateLimited, UpstreamError

if TYPE_CHECKING:
    from tenacity import AsyncRetrying, RetryCallState

log = logging.getLogger("orcollective.retry")


def is_retryable(exc: BaseException) -> bool:
    """408, 429, 5xx, broken bodies and transport errors can succeed on a second try; 4xx cannot."""
    return isinstance(exc, UpstreamError) and exc.retryable


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded attempts and total time; exponential backoff with jitter, or ``Retry-After`` when given.

    ``max_wait_s=0`` switches waiting off (tests).
    """

    attempts: int = 3
    max_wait_s: float = 10.0
    total_s: float = 30.0
    initial_s: float = 0.5

    def wait(self, state: RetryCallState) -> float:
        if self.max_wait_s <= 0:
            return 0.0
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return min(max(exc.retry_after, 0.0), self.max_wait_s)
        import tenacity

        backoff = tenacity.wait_random_exponential(multiplier=self.initial_s, max=self.max_wait_s)
        return backoff(state)

    def retrying(self) -> AsyncRetrying:
        import tenacity  # loads with the first call upstream, not with the server
        from tenacity import AsyncRetrying

        return AsyncRetrying(
            retry=tenacity.retry_if_exception(is_retryable),
            stop=tenacity.stop_after_attempt(self.attempts) | tenacity.stop_after_delay(self.total_s),
            wait=self.wait,
            before_sleep=_log_retry,
            reraise=True,
        )


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.info("retrying after %s (attempt %d): %s", type(exc).__name__, state.attempt_number, exc)
