"""Model-based aggregation: a synthesiser (mixture-of-agents) or a judge (universal self-consistency).

The aggregator reads the panel's answers anonymised as [1], [2], ... and replies with JSON that groups
them by meaning and either writes the final answer (synthesize) or names the best one (judge). Meaning
groups come from the model, never from word overlap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..core import with_cost
from ..registry import ModelInfo
from ..results import ConsensusResult, Dissent, GroupRow, ModelResponse, excerpt, rounded
from .answers import Question, answer_instruction, display_answer, extract_answer
from .budget import MAX_COMPLETION
from .fanout import FanOut, Outcome
from .history import AGGREGATOR_SUFFIX
from .vote import Ballot, tally

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


async def aggregate(
    fan: FanOut,
    *,
    strategy: str,
    question: Question,
    aggregator: ModelInfo,
    deadline: float,
    answered: Sequence[Outcome],
    ballots: Sequence[Ballot],
    result: ConsensusResult,
) -> None:
    """Ask the aggregator and fold its verdict into ``result``.

    For closed answers the groups stay the exact ones from normalisation and the aggregator only chooses;
    for long text the groups are the aggregator's meaning groups.
    """
    texts = [o.completion.text for o in answered]
    if strategy == "synthesize":
        messages = synthesize_messages(question.prompt, texts, answer_instruction(question))
    else:
        messages = judge_messages(question.prompt, texts)
    body = {"model": aggregator.id, "messages": messages, "max_tokens": MAX_COMPLETION["long_text"]}
    outcome = await fan.ask(body, deadline=deadline)
    completion = outcome.completion
    if completion is not None:
        with_cost(aggregator, completion)
        result.cost_usd = round(result.cost_usd + (completion.cost_usd or 0), 10)
    result.calls += 1
    result.responses.append(
        ModelResponse(
            model=aggregator.id + AGGREGATOR_SUFFIX,
            status=outcome.status,
            answer=None,
            excerpt=excerpt(completion.text) if completion else None,
            latency_s=round(outcome.latency_s, 3),
            cost_usd=completion.cost_usd if completion else None,
            error=outcome.error,
        )
    )
    if not outcome.ok:
        result.notes.append(f"aggregator failed ({outcome.error}); the answer is the plain vote")
        if question.answer_type == "long_text":
            result.answer, result.confidence = texts[0], None
            result.notes.append("long answers could not be compared; showing the first answer")
        return
    verdict = parse_verdict(completion.text, len(texts))
    models = [o.model for o in answered]
    if question.answer_type == "long_text":
        _meaning_groups(result, verdict, models, texts)
        return
    if strategy == "synthesize":
        key = extract_answer(question, verdict.answer or completion.text)
    else:
        key = (
            next((b.key for b in ballots if b.model == models[verdict.best]), None)
            if verdict.best is not None
            else None
        )
    if key is None:
        result.notes.append("the aggregator gave no parseable answer; the answer is the plain vote")
        return
    parsed = sum(b.key is not None for b in ballots)
    result.answer = display_answer(question, key)
    result.confidence = rounded(sum(b.key == key for b in ballots) / parsed) if parsed else None
    result.dissent = [
        Dissent(model=b.model, answer=display_answer(question, b.key) if b.key else None)
        for b in ballots
        if b.model in models and b.key != key
    ]
    result.groups.sort(key=lambda g: g.answer != result.answer)


def _meaning_groups(result: ConsensusResult, verdict: Verdict, models: list[str], texts: list[str]) -> None:
    n = len(texts)
    if verdict.groups:
        result.groups = [
            GroupRow(answer=excerpt(texts[g[0]]), models=[models[i] for i in g], share=rounded(len(g) / n))
            for g in verdict.groups
        ]
        labels = [Ballot(models[i], str(k)) for k, g in enumerate(verdict.groups) for i in g]
        result.agreement = rounded(tally(labels).agreement)
    if result.strategy == "judge" and verdict.best is not None:
        chosen: int | None = verdict.best
        result.answer = texts[verdict.best]
    else:
        result.answer = verdict.answer or (texts[verdict.best] if verdict.best is not None else texts[0])
        chosen = verdict.groups[0][0] if verdict.groups else None
    home = next((g for g in verdict.groups if chosen in g), None) if chosen is not None else None
    result.confidence = rounded(len(home) / n) if home else None
    result.dissent = [
        Dissent(model=models[i], answer=excerpt(texts[i])) for g in verdict.groups if g is not home for i in g
    ]
    if not verdict.groups:
        result.notes.append("the aggregator did not group the answers; confidence unknown")
