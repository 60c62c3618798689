"""Steps whose reply the server must read (plans, verdicts, rankings, critiques): JSON against a pydantic
model, asked with ``response_format: json_schema`` where the model supports it, read tolerantly (code
fences, prose around the object, trailing commas), retried once with the problem named, then a clear
per-step error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from ..catalog import ModelInfo
from .fanout import FanOut, Outcome

T = TypeVar("T", bound=BaseModel)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})
PROBLEM_CHARS = 300


@dataclass
class Step(Generic[T]):
    """A structured step: the validated value (or None), every call it made, and why it failed."""

    model: str
    value: T | None
    outcomes: list[Outcome] = field(default_factory=list)
    error: str | None = None


def wants_schema(model: ModelInfo) -> bool:
    return "structured_outputs" in model.supported_parameters or "response_format" in model.supported_parameters


def structured_body(model: ModelInfo, messages: list[dict], schema: type[BaseModel], *, max_tokens: int) -> dict:
    """The request body; ``json_schema`` response format where ``model`` lists it among its parameters."""
    body: dict = {"model": model.id, "messages": messages, "max_tokens": max_tokens}
    if wants_schema(model):
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": schema.__name__.lower(), "schema": schema.model_json_schema()},
        }
    return body


def parse_json(text: str, schema: type[T]) -> T:
    """The first JSON object in ``text`` validated by ``schema``; ValueError naming the problem otherwise."""
    candidates = [m.group(1) for m in _FENCE.finditer(text or "")] + [text or ""]
    problem = "no JSON object in the reply"
    for candidate in candidates:
        raw = _object(candidate.translate(_QUOTES))
        if raw is None:
            continue
        for attempt in (raw, _TRAILING_COMMA.sub(r"\1", raw)):
            try:
                data = json.loads(attempt)
            except json.JSONDecodeError as exc:
                problem = f"invalid JSON ({exc.msg} at character {exc.pos})"
                continue
            try:
                return schema.model_validate(data)
            except ValidationError as exc:
                problem = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc']) or 'reply'}: {e['msg']}"
                    for e in exc.errors(include_url=False, include_input=False)
                )[:PROBLEM_CHARS]
                break
    raise ValueError(problem)


def _object(text: str) -> str | None:
    """The first balanced ``{...}`` in ``text`` (strings and escapes respected)."""
    start = text.find("{")
    while start != -1:
        depth, in_string, escaped = 0, False, False
        for i in range(start, len(text)):
            ch = text[i]
            if in_string:
                escaped = not escaped and ch == "\\"
                if ch == '"' and not escaped:
                    in_string = False
                elif ch != "\\":
                    escaped = False
            elif ch == '"':
                in_string = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    return text[start : i + 1]
        start = text.find("{", start + 1)
    return None


async def ask_structured(
    fan: FanOut,
    model: ModelInfo,
    messages: list[dict],
    schema: type[T],
    *,
    deadline: float,
    max_tokens: int = 1200,
    on_outcome: Callable[[Outcome], Awaitable[None]] | None = None,
    check: Callable[[T], None] | None = None,
) -> Step[T]:
    """One structured step: ask, read, and once more with the problem named if the reply does not fit
    (``schema``, then ``check``, which raises ValueError for what a schema cannot say)."""
    step: Step[T] = Step(model.id, None)
    sent = list(messages)
    for attempt in range(2):
        outcome = await fan.ask(structured_body(model, sent, schema, max_tokens=max_tokens), deadline)
        step.outcomes.append(outcome)
        if on_outcome is not None:
            await on_outcome(outcome)
        if not outcome.ok or outcome.completion is None:
            step.error = f"{model.id}: {outcome.error or outcome.status}"
            return step
        try:
            value = parse_json(outcome.completion.text, schema)
            if check is not None:
                check(value)
            step.value, step.error = value, None
            return step
        except ValueError as exc:
            step.error = f"{model.id} replied twice without valid {schema.__name__} JSON ({exc})"
            if attempt == 0:
                sent = [
                    *messages,
                    {"role": "assistant", "content": outcome.completion.text[:4000]},
                    {"role": "user", "content": f"That reply could not be read: {exc}. "
                     "Reply again with only the JSON object, matching the schema."},
                ]  # fmt: skip
    return step
