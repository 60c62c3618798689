"""A judge model's rubric score for one reply: a structured JSON verdict, validated, retried once."""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, Field, ValidationError

from ..catalog import ModelInfo
from ..errors import OrcError
from ..inputs.upstream import NOTHING, Prepared
from ..openrouter import Completion, OpenRouterClient

MAX_SCORE = 10
JUDGE_SYSTEM = (
    "You grade one AI reply to a prompt against a rubric: correct, complete, clear, and no more than the "
    f"prompt asked for. Score it from 0 (useless or wrong) to {MAX_SCORE} (fully correct and complete)."
)
SCHEMA = {
    "type": "object",
    "properties": {
        "score": {"type": "integer", "minimum": 0, "maximum": MAX_SCORE},
        "reason": {"type": "string"},
    },
    "required": ["score", "reason"],
    "additionalProperties": False,
}
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)
ANSWER_CHARS = 6000


class Verdict(BaseModel, defer_build=True):
    score: int = Field(ge=0, le=MAX_SCORE)
    reason: str = ""


def judge_body(judge: ModelInfo, prompt: str, reply: str) -> dict:
    """The request for one verdict; ``json_schema`` where the judge supports structured outputs."""
    user = (
        f"Prompt:\n{prompt}\n\nReply:\n{reply[:ANSWER_CHARS]}\n\n"
        f'Reply with JSON only: {{"score": <0-{MAX_SCORE}>, "reason": "<one sentence>"}}'
    )
    body: dict = {
        "model": judge.id,
        "messages": [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": user}],
        "max_tokens": 300,
    }
    if "structured_outputs" in judge.supported_parameters or "response_format" in judge.supported_parameters:
        body["response_format"] = {"type": "json_schema", "json_schema": {"name": "verdict", "strict": True,
                                                                          "schema": SCHEMA}}  # fmt: skip
    return body


def parse_verdict(text: str) -> Verdict | None:
    """The verdict in ``text`` (bare JSON or JSON inside prose), or None."""
    found = _JSON_OBJECT.search(text)
    if found is None:
        return None
    try:
        return Verdict.model_validate(json.loads(found.group(0)))
    except (ValueError, ValidationError):
        return None


async def score(
    client: OpenRouterClient, judge: ModelInfo, prompt: str, reply: str, upstream: Prepared = NOTHING
) -> tuple[float | None, list[Completion], str | None]:
    """The judge's score scaled to 0..1, the judge calls made, and an error line when no verdict was read."""
    body = upstream.apply(judge_body(judge, prompt, reply))
    calls: list[Completion] = []
    for _ in range(2):  # one retry on an unreadable verdict
        try:
            completion = await client.complete(body, headers=upstream.headers)
        except OrcError as exc:
            return None, calls, f"judge {judge.id} failed: {exc}"
        calls.append(completion)
        verdict = parse_verdict(completion.text)
        if verdict is not None:
            return round(verdict.score / MAX_SCORE, 4), calls, None
    return None, calls, f"judge {judge.id} gave no readable verdict twice"
