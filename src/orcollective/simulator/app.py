"""The simulator's HTTP side: OpenRouter's ``/api/v1`` routes as a Starlette app over ``SimState``.

The chat completions route is ``chat.ChatEndpoint``; the catalog and account routes are here.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Scope

from .chat import ChatEndpoint
from .gate import Gate, error
from .limits import FreeLimits
from .state import SimState
from .wire import USER_ID, endpoints


def build_app(
    state: SimState,
    *,
    api_key: str,
    credits: float,
    drop_connection: Callable[[Scope], None],
    limits: FreeLimits | None = None,
) -> Starlette:
    """The Starlette app serving ``/api/v1``; ``drop_connection`` closes a request's TCP connection."""
    gate = Gate(state, api_key)
    limits = limits or FreeLimits()
    api = _Api(state, gate, api_key, credits)
    api.free_tier = limits.free_tier
    routes = [
        Route("/chat/completions", ChatEndpoint(state, gate, drop_connection, limits), methods=["POST"]),
        Route("/models", api.list_models),
        Route("/models/{author}/{slug}/endpoints", api.model_endpoints),
        Route("/model/{author}/{slug}", api.one_model),
        Route("/key", api.key),
        Route("/auth/key", api.key),
        Route("/credits", api.credits),
        Route("/generation", api.generation),
    ]
    return Starlette(routes=[Mount("/api/v1", routes=routes)], exception_handlers={HTTPException: _http_error})


class _Api:
    """Catalog and account route handlers; each records its request, checks auth where OpenRouter does, and answers."""

    def __init__(self, state: SimState, gate: Gate, api_key: str, credits: float) -> None:
        self._state = state
        self._gate = gate
        self._api_key = api_key
        self._credits = credits
        self.free_tier = False

    async def list_models(self, request: Request) -> Response:
        self._gate.record(request)
        models = self._state.models()
        try:
            offset = int(request.query_params.get("offset", 0))
            limit = int(request.query_params.get("limit", len(models) if "offset" not in request.query_params else 500))
        except ValueError:
            return error(400, "limit and offset must be integers")
        if offset < 0 or not 0 < limit <= max(1000, len(models)):
            return error(400, "limit must be between 1 and 1000 and offset at least 0")
        more = offset + limit < len(models)
        return JSONResponse(
            {
                "data": models[offset : offset + limit],
                "total_count": len(models),
                "links": {"next": f"/api/v1/models?offset={offset + limit}&limit={limit}" if more else None},
            }
        )

    async def model_endpoints(self, request: Request) -> Response:
        self._gate.record(request)
        model = self._path_model(request)
        return JSONResponse(endpoints(model)) if model else _unknown_model(request)

    async def one_model(self, request: Request) -> Response:
        self._gate.record(request)
        model = self._path_model(request)
        return JSONResponse({"data": model}) if model else _unknown_model(request)

    async def key(self, request: Request) -> Response:
        self._gate.record(request)
        if denied := self._gate.auth_error(request):
            return denied
        spent = self._state.spent_usd
        return JSONResponse(
            {
                "data": {
                    "label": f"{self._api_key[:11]}...{self._api_key[-3:]}",
                    "limit": self._credits,
                    "limit_remaining": self._credits - spent,
                    "limit_reset": None,
                    "include_byok_in_limit": False,
                    "usage": spent,
                    "usage_daily": spent,
                    "usage_weekly": spent,
                    "usage_monthly": spent,
                    "byok_usage": 0.0,
                    "byok_usage_daily": 0.0,
                    "byok_usage_weekly": 0.0,
                    "byok_usage_monthly": 0.0,
                    "is_free_tier": self.free_tier,
                    "is_management_key": False,
                    "is_provisioning_key": False,
                    "creator_user_id": USER_ID,
                    "expires_at": None,
                    "rate_limit": {
                        "requests": -1,
                        "interval": "10s",
                        "note": "This field is deprecated and safe to ignore.",
                    },
                }
            }
        )

    async def credits(self, request: Request) -> Response:
        self._gate.record(request)
        if denied := self._gate.auth_error(request):
            return denied
        return JSONResponse({"data": {"total_credits": self._credits, "total_usage": self._state.spent_usd}})

    async def generation(self, request: Request) -> Response:
        self._gate.record(request)
        if denied := self._gate.auth_error(request):
            return denied
        generation_id = request.query_params.get("id")
        if not generation_id:
            return error(400, "Missing required query parameter: id")
        stats = self._state.generation(generation_id)
        if stats is None:
            return error(404, f"Generation {generation_id} not found")
        return JSONResponse({"data": stats})

    def _path_model(self, request: Request) -> dict | None:
        return self._state.lookup(f"{request.path_params['author']}/{request.path_params['slug']}")


def _unknown_model(request: Request) -> JSONResponse:
    return error(404, f"Model {request.path_params['author']}/{request.path_params['slug']} not found")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # registered for HTTPException only
    return error(exc.status_code, exc.detail)
