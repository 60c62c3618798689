"""Every error orcollective raises, each with a message that names the fix.

    OrcError                      base; ``str(exc)`` is one line meant for the user
    ├── ConfigError               bad or missing settings (e.g. no API key)
    ├── InvalidArgument           a tool or CLI argument is wrong; nothing was spent
    │   └── UnknownModel          a model id not in the catalog (with close matches)
    ├── BudgetExceeded            the pre-flight estimate is over ``max_cost_usd``
    ├── UpstreamError             OpenRouter (or the base URL) answered with an error
    │   ├── AuthError             401: key missing, wrong or disabled
    │   ├── InsufficientCredits   402: add credits
    │   ├── Forbidden             403: moderation or permissions
    │   ├── ModelNotFound         404: no endpoint serves this model
    │   ├── BadRequest            400 / 413 / 422: the request itself is wrong
    │   ├── RateLimited           429: carries ``retry_after`` seconds when known
    │   ├── UpstreamTimeout       408 / 524 or our own timeout
    │   ├── ServerError           5xx, 529, HTTP 200 with an error body
    │   ├── MalformedResponse     a body that is not the JSON we expect
    │   └── StreamInterrupted     the connection or the stream broke mid-answer
    ├── TooFewAnswers             a collective run got fewer answers than it needs
    └── StoreError                the run store could not be read or written

Foreign exceptions (httpx, json, sqlite3) are translated at one boundary each and
chained with ``raise ... from exc``. Messages never contain the API key.
"""

from __future__ import annotations


class OrcError(Exception):
    """Base class: the message is one line that says what went wrong and how to fix it."""


class ConfigError(OrcError):
    pass


class InvalidArgument(OrcError):
    pass


QUOTE_CHARS = 80  # of an argument quoted back in a message


def quoted(text: str, limit: int = QUOTE_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters: a message never echoes an argument unbounded."""
    flat = " ".join(str(text)[: limit * 4].split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


class UnknownModel(InvalidArgument):
    def __init__(self, model: str, suggestions: list[str] | None = None) -> None:
        self.model = model
        self.suggestions = list(suggestions or [])
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"Unknown model '{quoted(model)}'.{hint} Use list_models to find model ids.")


class BudgetExceeded(OrcError):
    pass


class UpstreamError(OrcError):
    """An error answer from the API. ``status`` is the HTTP status (or the code in the body)."""

    retryable = False

    def __init__(self, message: str, *, status: int | None = None, model: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.model = model


class AuthError(UpstreamError):
    pass


class InsufficientCredits(UpstreamError):
    pass


class Forbidden(UpstreamError):
    pass


class ModelNotFound(UpstreamError):
    pass


class BadRequest(UpstreamError):
    pass


class RateLimited(UpstreamError):
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class UpstreamTimeout(UpstreamError):
    retryable = True


class ServerError(UpstreamError):
    retryable = True


class MalformedResponse(UpstreamError):
    retryable = True


class StreamInterrupted(UpstreamError):
    retryable = True


class TooFewAnswers(OrcError):
    pass


class StoreError(OrcError):
    pass


MISSING_KEY = (
    "No OpenRouter API key: set OPENROUTER_API_KEY in the server's environment "
    "(the 'env' block of your MCP client config) or in a .env file."
)
