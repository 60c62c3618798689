"""The simulator's chat completions route: scripted answers, injected faults, JSON or SSE, ``models[]`` fallback."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from .features import (
    Route,
    extras,
    file_text,
    heal,
    invalid_features,
    over_max_price,
    response_cache_key,
    route,
    routed_provider,
)
from .gate import Gate, error
from .limits import FreeLimits
from .scripts import (
    BAD_UTF8,
    ENDLESS_EVERY_S,
    GARBAGE_EVENT,
    GARBAGE_HTML,
    HTTP_FAULTS,
    KEEPALIVE_EVERY_S,
    SLOW_S,
    STREAM_ERROR,
    ScriptedModel,
    error_200,
    fault_reply,
)
from .state import SimState
from .wire import (
    DONE,
    PROCESSING,
    Answer,
    chunk,
    completion,
    delta_choice,
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
# Stands in the answer text for the bytes of a "bad-utf8" answer, swapped for them once encoded (raw in a
# JSON body, escaped in a stream chunk).
_BAD_MARK = "\ufdd0"
_BAD_MARK_JSON = b"\\ufdd0"

_Waited = Literal["done", "gone", "stopping"]


@dataclass
class _Outcome:
    """How one chat request ended, as far as the cancellation count cares."""

    cancelled: bool = False
    stream_finished: bool = False


class ChatEndpoint:
    """The chat route as a plain ASGI app, so the in-flight and cancellation counts cover whole streams."""

    def __init__(
        self, state: SimState, gate: Gate, drop_connection: Callable[[Scope], None], limits: FreeLimits | None = None
    ) -> None:
        self._state = state
        self._gate = gate
        self._drop_connection = drop_connection
        self._limits = limits or FreeLimits()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        outcome = _Outcome()
        with self._state.in_flight():
            response = await self._chat(Request(scope, receive), outcome)
            await response(scope, receive, send)
        stream_cut_short = isinstance(response, StreamingResponse) and not outcome.stream_finished
        if outcome.cancelled or stream_cut_short:
            self._state.count_cancelled()

    async def _chat(self, request: Request, outcome: _Outcome) -> Response:
        """Answer one chat completion, trying ``model`` then each ``models[]`` entry until one answers."""
        body = _parse_json(await request.body())
        self._gate.record(request, body)
        if denied := self._gate.auth_error(request):
            return denied
        if problem := _invalid(body) or invalid_features(body):
            return error(400, problem)
        routes: dict[str, Route] = {}
        for requested in _candidates(body):
            where = route(requested, body, self._state.presets, lambda: [m["id"] for m in self._state.models()])
            if isinstance(where, str):
                return error(404 if requested.startswith("@preset/") else 400, where)
            routes[requested] = where
        if unknown := next((m for m, r in routes.items() if self._state.model(r.model) is None), None):
            return error(400, f"{unknown} is not a valid model ID")
        started = time.monotonic()
        cache_key = None
        if request.headers.get("x-openrouter-cache", "").lower() == "true":
            cache_key = response_cache_key(next(iter(routes)), body)
            if hit := self._state.response_cache.get(cache_key):
                # A hit bills nothing: every usage counter is 0, under a generation id of its own.
                answer = replace(hit, id=new_generation_id(), usage=usage(0, 0, {}))
                script = ScriptedModel(answer.model)
                return await self._deliver(request, body, answer, script, None, started, outcome, "HIT")
        failure: Response | None = None
        for where in routes.values():
            model_id = where.model
            script, fault = self._state.begin_call(model_id)
            if limited := self._limits.check(model_id, script.rpm):
                status, payload, headers = limited
                failure = JSONResponse(payload, status, headers=headers)
                continue
            delay = script.latency_s + (SLOW_S if fault == "slow" else 0.0)
            waited = await self._wait(request, delay)
            if waited == "gone":
                outcome.cancelled = True
                return Response(status_code=204)  # never delivered: the client has gone
            if waited == "stopping":
                return error(503, "Service temporarily unavailable: the simulator is stopping")
            record = self._state.model(model_id) or {}
            if too_dear := over_max_price(body, record.get("pricing") or {}):
                failure = error(404, too_dear)
                continue
            provider = script.provider or routed_provider(body, provider_for(model_id))
            if fault in HTTP_FAULTS:
                status, payload, headers = fault_reply(fault, model_id, provider, body, script.retry_after_s)
                failure = JSONResponse(payload, status, headers=headers)
                continue
            answer = self._answer(body, where, script, fault, provider)
            if cache_key is not None:
                self._state.response_cache[cache_key] = answer
            return await self._deliver(
                request, body, answer, script, fault, started, outcome, "MISS" if cache_key else None
            )
        assert failure is not None  # every candidate failed, so the last failure is set
        return failure

    async def _deliver(
        self,
        request: Request,
        body: dict,
        answer: Answer,
        script: ScriptedModel,
        fault: str | None,
        started: float,
        outcome: _Outcome,
        cache_status: str | None,
    ) -> Response:
        headers = {"X-OpenRouter-Cache-Status": cache_status, "X-OpenRouter-Cache-TTL": "300"} if cache_status else {}
        if body.get("stream"):
            return StreamingResponse(
                self._events(request, body, answer, script, fault, started, outcome),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Generation-Id": answer.id, **headers},
            )
        return await self._complete(request, body, answer, fault, started, headers, outcome)

    def _answer(self, body: dict, where: Route, script: ScriptedModel, fault: str | None, provider: str) -> Answer:
        model_id = where.model
        if parsed := file_text(body):
            # What the file parser read out of the PDFs reaches the model as text after the question.
            messages = [dict(m) for m in body["messages"]]
            last = max(i for i, m in enumerate(messages) if m.get("role") == "user")
            content = messages[last].get("content")
            parts = content if isinstance(content, list) else [{"type": "text", "text": str(content or "")}]
            messages[last]["content"] = [*parts, {"type": "text", "text": parsed}]
            body = {**body, "messages": messages}
        text = heal(body, script.answer(body))
        if fault == "empty":
            text = ""
        elif fault == "bad-utf8":
            text = f"{_BAD_MARK}\n{text}"
        elif fault in _PARTIAL_FAULTS:
            text = "".join(pieces(text)[:_PARTIAL_PIECES])
        finish = "stop"
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        if limit and estimate_tokens(text) > limit:
            text, finish = text[: limit * 4], "length"
        record = self._state.model(model_id)
        assert record is not None  # _chat refused unknown models
        ex = extras(body, script, text, where)
        cached, written = self._state.prompt_cache.tokens(model_id, body)
        spent = usage(
            prompt_tokens(body), estimate_tokens(text), record["pricing"],
            cached=cached, cache_write=written, reasoning=ex.reasoning_tokens, web_results=ex.web_results,
        )  # fmt: skip
        if fault == "no-cost":
            del spent["cost"]
        elif fault == "negative-cost":
            spent["cost"] = -0.25
        if ex.tool_calls and finish == "stop":
            finish = "tool_calls"
        served = script.served_as or model_id
        return Answer(new_generation_id(), int(time.time()), served, provider, text, finish, spent,
                      ex.reasoning, ex.tool_calls, ex.annotations)  # fmt: skip

    async def _complete(
        self,
        request: Request,
        body: dict,
        answer: Answer,
        fault: str | None,
        started: float,
        headers: dict,
        outcome: _Outcome,
    ) -> Response:
        """The non-streaming answer, or the non-streaming form of a 200-status fault."""
        if fault == "endless":
            return StreamingResponse(self._whitespace(outcome), media_type="application/json")
        if fault == "cut":
            await self._drop(request)
            return Response(status_code=204)  # never delivered: the connection is closed
        if fault == "garbage":
            return Response(GARBAGE_HTML, media_type="text/html")
        if fault in ("error-200", "midstream-error"):
            return JSONResponse(error_200(answer.provider))
        self._bill(request, body, answer, started, streamed=False)
        choice_error = STREAM_ERROR if fault == "choice-error" else None
        payload = json.dumps(completion(answer, choice_error), ensure_ascii=False, separators=(",", ":")).encode()
        payload = payload.replace(_BAD_MARK.encode(), BAD_UTF8)
        return Response(payload, media_type="application/json", headers={"X-Generation-Id": answer.id, **headers})

    async def _whitespace(self, outcome: _Outcome) -> AsyncIterator[bytes]:
        """What a long non-streaming request sends while it waits: whitespace, here with no body after it."""
        for _ in range(int(SLOW_S / KEEPALIVE_EVERY_S)):
            if self._state.stopping.is_set():
                break
            yield b" "
            await asyncio.sleep(KEEPALIVE_EVERY_S)
        outcome.stream_finished = True

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
        if fault == "endless":
            for _ in range(int(SLOW_S / ENDLESS_EVERY_S)):
                if self._state.stopping.is_set():
                    break
                yield sse(chunk(answer, [delta_choice("more ")]))
                await asyncio.sleep(ENDLESS_EVERY_S)
            outcome.stream_finished = True
            return
        if fault == "keepalive":
            for _ in range(int(SLOW_S / KEEPALIVE_EVERY_S)):
                if self._state.stopping.is_set():
                    break
                await asyncio.sleep(KEEPALIVE_EVERY_S)
                yield PROCESSING
            outcome.stream_finished = True
            return
        if fault == "garbage":
            outcome.stream_finished = True
            yield GARBAGE_EVENT
            yield DONE
            return
        tokens_per_s = script.tokens_per_s
        if answer.reasoning and fault is None:
            yield sse(
                chunk(answer, [{**delta_choice(""), "delta": {"role": "assistant", "reasoning": answer.reasoning}}])
            )
        for piece in [] if fault == "error-200" else pieces(answer.content):
            yield sse(chunk(answer, [delta_choice(piece)])).replace(_BAD_MARK_JSON, BAD_UTF8)
            await self._pause(estimate_tokens(piece) / tokens_per_s if tokens_per_s else 0.0)
        for index, call in enumerate(answer.tool_calls if fault is None else []):
            # As OpenRouter streams them: id and name first, then the arguments in pieces.
            args = call["function"]["arguments"]
            head = {
                "index": index,
                "id": call["id"],
                "type": "function",
                "function": {"name": call["function"]["name"], "arguments": args[: len(args) // 2]},
            }
            tail = {"index": index, "function": {"arguments": args[len(args) // 2 :]}}
            for fragment in (head, tail):
                yield sse(chunk(answer, [{**delta_choice(""), "delta": {"tool_calls": [fragment]}}]))  # fmt: skip
        if fault == "cut":
            outcome.stream_finished = True
            await self._drop(request)
            return
        if fault in ("error-200", "midstream-error", "choice-error"):
            outcome.stream_finished = True
            yield sse(error_chunk(answer, STREAM_ERROR))
            yield DONE
            return
        last = delta_choice("", answer.finish_reason, answer.native_finish_reason)
        if answer.annotations:
            last["delta"]["annotations"] = answer.annotations
        yield sse(chunk(answer, [last], system_fingerprint=answer.system_fingerprint))
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
            if self._state.stopping.is_set():
                return "stopping"
            await asyncio.sleep(min(_POLL_S, left))
        return "done"

    async def _pause(self, seconds: float) -> None:
        # Pacing is skipped while stopping so that open streams end at once.
        if seconds > 0 and not self._state.stopping.is_set():
            await asyncio.sleep(seconds)

    async def _drop(self, request: Request) -> None:
        """Close the client's connection without finishing the response, then wait until it is gone."""
        self._drop_connection(request.scope)
        deadline = time.monotonic() + _DROP_GRACE_S
        while not await request.is_disconnected() and time.monotonic() < deadline:
            await asyncio.sleep(0.005)

    def _bill(self, request: Request, body: dict, answer: Answer, started: float, *, streamed: bool) -> None:
        stats = generation(answer, body, dict(request.headers), latency_s=time.monotonic() - started, streamed=streamed)
        # What was billed, whatever the usage object reported ("no-cost", "negative-cost").
        self._state.bill(answer.id, max(answer.usage.get("cost") or 0.0, 0.0), stats)


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _invalid(body: Any) -> str | None:
    """Why a chat request body is unacceptable, or None. Unknown fields are fine."""
    if not isinstance(body, dict):
        return "Invalid JSON body"
    if not (isinstance(body.get("messages"), list) and body["messages"]) and not isinstance(body.get("prompt"), str):
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
