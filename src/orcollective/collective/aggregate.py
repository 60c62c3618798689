"""Prompts and verdicts of model-based aggregation: a synthesiser (mixture-of-agents) or a judge
(universal self-consistency).

The aggregator reads the panel's answers anonymised as [1], [2], ... and replies with JSON that groups
them by meaning and either writes the final answer (synthesize) or names the best one (judge). Meaning
groups come from the model, never from word overlap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .answers import Question, answer_instruction

SYNTH_SYSTEM = (
    "You aggregate answers that several AI models gave to one question. Judge them on their merits: "
    "models can share a mistake, and the majority can be wrong."
)
JUDGE_SYSTEM = (
    "You compare answers that several AI models gave to one question and pick the one most consistent "
    "with the others (the answer the responses converge on)."
)
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


@dataclass
class Verdict:
    groups: list[list[int]] = field(default_factory=list)  # 0-based indexes into the answers shown
    answer: str | None = None  # synthesize: the final text
    best: int | None = None  # judge: 0-based index of the chosen answer


def render_answers(answers: Sequence[str], limit: int = 6000) -> str:
    """Answers numbered from 1, each cut to ``limit`` characters so one long answer cannot crowd out the rest."""
    parts = []
    for i, text in enumerate(answers, start=1):
        body = text if len(text) <= limit else text[:limit] + " [...]"
        parts.append(f"[{i}]\n{body.strip()}")
    return "\n\n".join(parts)


def synthesize_messages(question: str, answers: Sequence[str], instruction: str) -> list[dict]:
    tail = f"\nThe answer field must itself follow this rule: {instruction}" if instruction else ""
    user = (
        f"Question:\n{question}\n\nResponses:\n\n{render_answers(answers)}\n\n"
        "First group the responses by meaning: responses that reach the same conclusion belong together "
        "even if worded differently. Then write the single best answer to the question, keeping what is "
        "right and correcting what is wrong.\n"
        'Reply with JSON only: {"groups": [[1, 3], [2]], "answer": "<final answer>"}' + tail
    )
    return [{"role": "system", "content": SYNTH_SYSTEM}, {"role": "user", "content": user}]


def judge_messages(question: str, answers: Sequence[str]) -> list[dict]:
    user = (
        f"Question:\n{question}\n\nResponses:\n\n{render_answers(answers)}\n\n"
        "Group the responses by meaning (same conclusion = same group, whatever the wording), then pick "
        "the response most consistent with the others.\n"
        'Reply with JSON only: {"groups": [[1, 3], [2]], "best": 1}'
    )
    return [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": user}]


def aggregator_messages(strategy: str, question: Question, texts: Sequence[str]) -> list[dict]:
    """The aggregator's prompt for ``synthesize`` or ``judge``."""
    if strategy == "synthesize":
        return synthesize_messages(question.prompt, texts, answer_instruction(question))
    return judge_messages(question.prompt, texts)


def parse_verdict(text: str, n: int) -> Verdict:
    """Read the aggregator's JSON leniently (code fences, prose around it); keep only valid indexes."""
    match = _JSON_OBJECT.search(text or "")
    data: object = None
    if match:
        try:
            data = json.loads(match.group(0))
        except json.JSONDecodeError:
            data = None
    if not isinstance(data, dict):
        return Verdict(answer=text.strip() or None)
    groups = _groups(data.get("groups"), n)
    answer = data.get("answer")
    best = data.get("best")
    best_index = best - 1 if isinstance(best, int) and 1 <= best <= n else None
    return Verdict(groups=groups, answer=answer.strip() if isinstance(answer, str) else None, best=best_index)


def _groups(raw: object, n: int) -> list[list[int]]:
    """Valid, disjoint groups; answers the aggregator forgot become groups of their own."""
    seen: set[int] = set()
    groups: list[list[int]] = []
    for item in raw if isinstance(raw, list) else []:
        members = (
            [i - 1 for i in item if isinstance(i, int) and 1 <= i <= n and i - 1 not in seen]
            if isinstance(item, list)
            else []
        )
        if members:
            seen.update(members)
            groups.append(members)
    if not groups:
        return []
    groups.extend([i] for i in range(n) if i not in seen)
    groups.sort(key=len, reverse=True)
    return groups
