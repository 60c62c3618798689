"""The simulator's HTTP side: OpenRouter's ``/api/v1`` routes as a Starlette app over ``SimState``."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from .scripts import (
    GARBAGE_EVENT,
    GARBAGE_HTML,
    HTTP_FAULTS,
    SLOW_S,
    STREAM_ERROR,
    ScriptedModel,
    error_200,
    fault_reply,
)
from .state import RecordedRequest, SimState
from .wire import (
    DONE,
    PROCESSING,
    USER_ID,
    Answer,
    chunk,
    completion,
    delta_choice,
    endpoints,
    error_body,
    error_chunk,
    estimate_tokens,
    generation,
    new_generation_id,
    pieces,
    prompt_tokens,
    provider_for,
    sse,
    usage,
    usage_chunk,
)

# How often a waiting request checks whether its client is still there.
_POLL_S = 0.02
# Longest wait for the server to notice a connection we closed on purpose.
_DROP_GRACE_S = 1.0
# Faults whose answer stops after its first few deltas.
_PARTIAL_FAULTS = frozenset({"choice-error", "midstream-error", "cut"})
_PARTIAL_PIECES = 3

_Waited = Literal["done", "gone", "stopping"]


@dataclass
class _Outcome:
    """How one chat request ended, as far as the cancellation count cares."""

    cancelled: bool = False
    stream_finished: bool = False


def build_app(
    state: SimState, *, api_key: str, credits: float, drop_connection: Callable[[Scope], None]
) -> Starlette:
    """The Starlette app serving ``/api/v1``; ``drop_connection`` closes a request's TCP connection."""
    api = _Api(state, api_key, credits, drop_connection)
    routes = [
        Route("/chat/completions", _ChatEndpoint(api), methods=["POST"]),
        Route("/models", api.list_models),
        Route("/models/{author}/{slug}/endpoints", api.model_endpoints),
        Route("/model/{author}/{slug}", api.one_model),
        Route("/key", api.key),
        Route("/auth/key", api.key),
        Route("/credits", api.credits),
        Route("/generation", api.generation),
    ]
    return Starlette(
        routes=[Mount("/api/v1", routes=routes)], exception_handlers={HTTPException: _http_error}
    )


class _ChatEndpoint:
    """The chat route as a plain ASGI app, so the in-flight and cancellation counts cover whole streams."""

    def __init__(self, api: _Api) -> None:
        self._api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        outcome = _Outcome()
        with self._api.state.in_flight():
            response = await self._api.chat(Request(scope, receive), outcome)
            await response(scope, receive, send)
        stream_cut_short = isinstance(response, StreamingResponse) and not outcome.stream_finished
        if outcome.cancelled or stream_cut_short:
            self._api.state.count_cancelled()


class _Api:
    """Route handlers; each records its request, checks auth where OpenRouter does, and answers."""

    def __init__(
        self, state: SimState, api_key: str, credits: float, drop_connection: Callable[[Scope], None]
    ) -> None:
        self.state = state
        self._api_key = api_key
        self._credits = credits
        self._drop_connection = drop_connection

    async def list_models(self, request: Request) -> Response:
        self._record(request)
        models = self.state.models()
        try:
            offset = int(request.query_params.get("offset", 0))
            limit = int(
                request.query_params.get(
                    "limit", len(models) if "offset" not in request.query_params else 500
                )
            )
        except ValueError:
            return _error(400, "limit and offset must be integers")
        if offset < 0 or not 0 < limit <= max(1000, len(models)):
            return _error(400, "limit must be between 1 and 1000 and offset at least 0")
        more = offset + limit < len(models)
        return JSONResponse(
            {
                "data": models[offset : offset + limit],
                "total_count": len(models),
                "links": {"next": f"/api/v1/models?offset={offset + limit}&limit={limit}" if more else None},
            }
        )

    async def model_endpoints(self, request: Request) -> Response:
        self._record(request)
        model = self._path_model(request)
        return JSONResponse(endpoints(model)) if model else _unknown_model(request)

    async def one_model(self, request: Request) -> Response:
        self._record(request)
        model = self._path_model(request)
        return JSONResponse({"data": model}) if model else _unknown_model(request)

    async def key(self, request: Request) -> Response:
        self._record(request)
        if denied := self._auth_error(request):
            return denied
        spent = self.state.spent_usd
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
                    "is_free_tier": False,
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
        self._record(request)
        if denied := self._auth_error(request):
            return denied
        return JSONResponse({"data": {"total_credits": self._credits, "total_usage": self.state.spent_usd}})

    async def generation(self, request: Request) -> Response:
        self._record(request)
        if denied := self._auth_error(request):
            return denied
        generation_id = request.query_params.get("id")
        if not generation_id:
            return _error(400, "Missing required query parameter: id")
        stats = self.state.generation(generation_id)
        if stats is None:
            return _error(404, f"Generation {generation_id} not found")
        return JSONResponse({"data": stats})

    async def chat(self, request: Request, outcome: _Outcome) -> Response:
        """Answer one chat completion, trying ``model`` then each ``models[]`` entry until one answers."""
        body = _parse_json(await request.body())
        self._record(request, body)
        if denied := self._auth_error(request):
            return denied
        if problem := _invalid(body):
            return _error(400, problem)
        candidates = _candidates(body)
        if unknown := next((model_id for model_id in candidates if self.state.model(model_id) is None), None):
            return _error(400, f"{unknown} is not a valid model ID")
        started = time.monotonic()
        failure: Response | None = None
        for model_id in candidates:
            script, fault = self.state.begin_call(model_id)
            delay = script.latency_s + (SLOW_S if fault == "slow" else 0.0)
            waited = await self._wait(request, delay)
            if waited == "gone":
                outcome.cancelled = True
                return Response(status_code=204)  # never delivered: the client has gone
            if waited == "stopping":
                return _error(503, "Service temporarily unavailable: the simulator is stopping")
            provider = script.provider or provider_for(model_id)
            if fault in HTTP_FAULTS:
                status, payload, headers = fault_reply(fault, model_id, provider, body, script.retry_after_s)
                failure = JSONResponse(payload, status, headers=headers)
                continue
            answer = self._answer(body, model_id, script, fault, provider)
            if body.get("stream"):
                return StreamingResponse(
                    self._events(request, body, answer, script, fault, started, outcome),
                    media_type="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Generation-Id": answer.id},
                )
            return await self._complete(request, body, answer, fault, started)
        assert failure is not None  # every candidate failed, so the last failure is set
        return failure

    def _answer(
        self, body: dict, model_id: str, script: ScriptedModel, fault: str | None, provider: str
    ) -> Answer:
        text = script.answer(body)
        if fault == "empty":
            text = ""
        elif fault in _PARTIAL_FAULTS:
            text = "".join(pieces(text)[:_PARTIAL_PIECES])
        finish = "stop"
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        if limit and estimate_tokens(text) > limit:
            text, finish = text[: limit * 4], "length"
        pricing = self.state.model(model_id)["pricing"]
        return Answer(
            new_generation_id(),
            int(time.time()),
            model_id,
            provider,
            text,
            finish,
            usage(prompt_tokens(body), estimate_tokens(text), pricing),
        )

    async def _complete(
        self, request: Request, body: dict, answer: Answer, fault: str | None, started: float
    ) -> Response:
        """The non-streaming answer, or the non-streaming form of a 200-status fault."""
        if fault == "cut":
            await self._drop(request)
            return Response(status_code=204)  # never delivered: the connection is closed
        if fault == "garbage":
            return Response(GARBAGE_HTML, media_type="text/html")
        if fault in ("error-200", "midstream-error"):
            return JSONResponse(error_200(answer.provider))
        self._bill(request, body, answer, started, streamed=False)
        choice_error = STREAM_ERROR if fault == "choice-error" else None
        return JSONResponse(completion(answer, choice_error), headers={"X-Generation-Id": answer.id})

    async def _events(
        self,
        request: Request,
        body: dict,
        answer: Answer,
        script: ScriptedModel,
        fault: str | None,
        started: float,
        outcome: _Outcome,
    ) -> AsyncIterator[bytes]:
        """The SSE stream: processing comment, deltas, finish chunk, usage chunk, ``[DONE]``."""
        yield PROCESSING
        if fault == "garbage":
            outcome.stream_finished = True
            yield GARBAGE_EVENT
            yield DONE
            return
        tokens_per_s = script.tokens_per_s
        for piece in [] if fault == "error-200" else pieces(answer.content):
            yield sse(chunk(answer, [delta_choice(piece)]))
            await self._pause(estimate_tokens(piece) / tokens_per_s if tokens_per_s else 0.0)
        if fault == "cut":
            outcome.stream_finished = True
            await self._drop(request)
            return
        if fault in ("error-200", "midstream-error", "choice-error"):
            outcome.stream_finished = True
            yield sse(error_chunk(answer, STREAM_ERROR))
            yield DONE
            return
        yield sse(
            chunk(
                answer,
                [delta_choice("", answer.finish_reason, answer.native_finish_reason)],
                system_fingerprint=answer.system_fingerprint,
            )
        )
        yield sse(usage_chunk(answer, script.usage_variant))
        self._bill(request, body, answer, started, streamed=True)
        outcome.stream_finished = True
        yield DONE

    async def _wait(self, request: Request, seconds: float) -> _Waited:
        """Sleep ``seconds`` unless the client disconnects or the simulator stops first."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if await request.is_disconnected():
                return "gone"
            if self.state.stopping.is_set():
                return "stopping"
            await asyncio.sleep(min(_POLL_S, left))
        return "done"

    async def _pause(self, seconds: float) -> None:
        # Pacing is skipped while stopping so that open streams end at once.
        if seconds > 0 and not self.state.stopping.is_set():
            await asyncio.sleep(seconds)

    async def _drop(self, request: Request) -> None:
        """Close the client's connection without finishing the response, then wait until it is gone."""
        self._drop_connection(request.scope)
        deadline = time.monotonic() + _DROP_GRACE_S
        while not await request.is_disconnected() and time.monotonic() < deadline:
            await asyncio.sleep(0.005)

    def _bill(self, request: Request, body: dict, answer: Answer, started: float, *, streamed: bool) -> None:
        stats = generation(
            answer, body, dict(request.headers), latency_s=time.monotonic() - started, streamed=streamed
        )
        self.state.bill(answer.id, answer.usage["cost"], stats)

    def _record(self, request: Request, body: Any = None) -> None:
        headers = {
            name: "REDACTED" if name == "authorization" else value for name, value in request.headers.items()
        }
        model = body.get("model") if isinstance(body, dict) else None
        self.state.record(
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

    def _auth_error(self, request: Request) -> Response | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _error(401, "No auth credentials found")
        if not secrets.compare_digest(token.strip().encode(), self._api_key.encode()):
            return _error(401, "User not found.")
        return None

    def _path_model(self, request: Request) -> dict | None:
        return self.state.lookup(f"{request.path_params['author']}/{request.path_params['slug']}")


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _invalid(body: Any) -> str | None:
    """Why a chat request body is unacceptable, or None. Unknown fields are fine."""
    if not isinstance(body, dict):
        return "Invalid JSON body"
    if not (isinstance(body.get("messages"), list) and body["messages"]) and not isinstance(
        body.get("prompt"), str
    ):
        return 'Input required: specify "messages" or "prompt"'
    if not body.get("model") and not body.get("models"):
        return 'No model specified: set "model" or "models"'
    models = body.get("models")
    if models is not None and not (isinstance(models, list) and all(isinstance(m, str) for m in models)):
        return '"models" must be an array of model IDs'
    if body.get("model") is not None and not isinstance(body["model"], str):
        return '"model" must be a string'
    for name in ("max_tokens", "max_completion_tokens"):
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            return f'"{name}" must be a positive integer'
    return None


def _candidates(body: dict) -> list[str]:
    """``model`` first, then each ``models[]`` entry, without repeats."""
    requested = ([body["model"]] if body.get("model") else []) + (body.get("models") or [])
    return list(dict.fromkeys(requested))


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(error_body(status, message, user_id=False), status)


def _unknown_model(request: Request) -> JSONResponse:
    return _error(404, f"Model {request.path_params['author']}/{request.path_params['slug']} not found")


async def _http_error(request: Request, exc: HTTPException) -> Response:
    return _error(exc.status_code, exc.detail)
