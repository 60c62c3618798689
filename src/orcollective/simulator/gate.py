"""What every simulator route does first: log the request and, where OpenRouter does, check the key.

Also the JSON error response, in OpenRouter's shape, that every route sends.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .state import RecordedRequest, SimState
from .wire import error_body


class Gate:
    """Records each request in ``state`` and checks its bearer token against ``api_key``."""

    def __init__(self, state: SimState, api_key: str) -> None:
        self._state = state
        self._api_key = api_key

    def record(self, request: Request, body: Any = None) -> None:
        """Log the request (the Authorization value redacted) with its JSON body, if any."""
        headers = {name: "REDACTED" if name == "authorization" else value for name, value in request.headers.items()}
        model = body.get("model") if isinstance(body, dict) else None
        self._state.record(
            RecordedRequest(
                request.method,
                request.url.path,
                dict(request.query_params),
                body,
                headers,
                model,
                time.time(),
            )
        )

    def auth_error(self, request: Request) -> Response | None:
        """The 401 OpenRouter sends for a missing or wrong key, or None when the key is good."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return error(401, "No auth credentials found")
        if not secrets.compare_digest(token.strip().encode(), self._api_key.encode()):
            return error(401, "User not found.")
        return None


def error(status: int, message: str) -> JSONResponse:
    """An OpenRouter-shaped error body with ``status``."""
    return JSONResponse(error_body(status, message, user_id=False), status)
