"""Decide a consensus from a panel round: the vote (plain or weighted), or a model aggregator's verdict.

The result is a ``Decision``: answer, confidence (a posterior under the learnt reliabilities), agreement, groups and
dissent, built once from the ballots and (for synthesize / judge) the aggregator's reply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel

from ..catalog import ModelInfo
from .aggregate import Verdict, aggregator_messages, parse_verdict
from .answers import Question, display_answer, extract_answer
from .budget import MAX_COMPLETION
from .fanout import FanOut, Outcome
from .reliability import Estimates, estimate, posterior
from .rounds import PanelRound
from .vote import Ballot, tally

NO_PARSE = "no answer could be read from any response; see each response's excerpt"
EXCERPT_HEAD, EXCERPT_TAIL = 200, 100


class GroupRow(BaseModel, defer_build=True):
    answer: str
    models: list[str]
    share: float


class Dissent(BaseModel, defer_build=True):
    model: str
    answer: str | None


@dataclass
class Decision:
    answer: str | None
    confidence: float | None
    agreement: float | None
    groups: list[GroupRow]
    dissent: list[Dissent]
    key: str | None  # the winning normalised answer
    aggregator: Outcome | None = None
    notes: list[str] = field(default_factory=list)
    chances: dict[str | None, float] = field(default_factory=dict)  # posterior of each answer given


def excerpt(text: str, head: int = EXCERPT_HEAD, tail: int = EXCERPT_TAIL) -> str:
    """The start and the end of a long answer (the end is where the final answer line is)."""
    text = text.strip()
    return text if len(text) <= head + tail + 3 else f"{text[:head]} … {text[-tail:]}"


def rounded(value: float | None, digits: int = 4) -> float | None:
    return round(value, digits) if value is not None else None


def vote(
    question: Question,
    panel_order: Sequence[str],
    round_: PanelRound,
    weights: Mapping[str, float] | None,
    estimates: Estimates | None = None,
) -> Decision:
    """Plurality (or, with ``weights``, weighted plurality) over the parsed ballots; ties go to the model
    listed first. Confidence is the winner's posterior under ``estimates``: the probability it is right
    given every ballot heard (models stopped early or not asked are not evidence either way); without
    ``estimates`` every model has the prior reliability."""
    estimates = estimates or estimate([], question.answer_type)
    position = {model: i for i, model in enumerate(panel_order)}
    ballots = sorted(round_.ballots, key=lambda b: position.get(b.model, len(position)))
    t = tally(ballots, weights)
    winner = t.winner
    heard = [(b.model, b.key) for b in ballots if b.key is not None]
    chance = posterior(heard, estimates.p, estimates.alternatives, estimates.prior)
    dissent = [
        Dissent(model=o.model, answer=_shown(question, b.key))
        for o, b in zip(round_.outcomes, round_.ballots, strict=True)
        if o.ok and b.key != winner
    ]
    closed = question.answer_type != "long_text"
    return Decision(
        answer=display_answer(question, winner) if winner else None,
        confidence=rounded(chance.get(winner)) if winner else None,
        agreement=rounded(t.agreement),
        groups=[
            GroupRow(answer=display_answer(question, g.key), models=g.models, share=rounded(g.share) or 0.0)
            for g in t.groups
        ],  # fmt: skip
        dissent=dissent if winner else [],
        key=winner,
        notes=[] if winner or not closed else [NO_PARSE],
        chances=chance,
    )


async def aggregate(
    fan: FanOut,
    question: Question,
    strategy: str,
    aggregator: ModelInfo,
    round_: PanelRound,
    plain: Decision,
    *,
    deadline: float,
) -> Decision:
    """Ask the aggregator and decide from its verdict; on failure the plain vote stands, with a note.

    For closed answers the groups stay the exact ones from normalisation and the aggregator only chooses;
    for long text the groups are the aggregator's meaning groups.
    """
    answered = round_.answered
    texts = [o.completion.text for o in answered if o.completion is not None]
    body = {
        "model": aggregator.id,
        "messages": aggregator_messages(strategy, question, texts),
        "max_tokens": MAX_COMPLETION["long_text"],
    }
    outcome = await fan.ask(body, deadline=deadline)
    base = Decision(**{**plain.__dict__, "aggregator": outcome, "notes": list(plain.notes)})
    if not outcome.ok or outcome.completion is None:
        base.notes.append(f"aggregator failed ({outcome.error}); the answer is the plain vote")
        if question.answer_type == "long_text":
            base.answer, base.confidence = texts[0], None
            base.notes.append("long answers could not be compared; showing the first answer")
        return base
    verdict = parse_verdict(outcome.completion.text, len(texts))
    models = [o.model for o in answered]
    if question.answer_type == "long_text":
        return _meaning_groups(base, strategy, verdict, models, texts)
    if strategy == "synthesize":
        key = extract_answer(question, verdict.answer or outcome.completion.text)
    else:
        key = judged_key(round_.ballots, models, verdict)
    if key is None:
        base.notes.append("the aggregator gave no parseable answer; the answer is the plain vote")
        return base
    ballots = round_.ballots
    parsed = sum(b.key is not None for b in ballots)
    base.answer, base.key = display_answer(question, key), key
    base.confidence = rounded(plain.chances.get(key, 0.0)) if parsed else None
    base.dissent = [
        Dissent(model=b.model, answer=_shown(question, b.key)) for b in ballots if b.model in models and b.key != key
    ]
    base.groups = sorted(base.groups, key=lambda g: g.answer != base.answer)
    return base


def judged_key(ballots: Sequence[Ballot], models: list[str], verdict: Verdict) -> str | None:
    """The normalised answer of the response the judge picked."""
    if verdict.best is None:
        return None
    return next((b.key for b in ballots if b.model == models[verdict.best]), None)


def _meaning_groups(d: Decision, strategy: str, verdict: Verdict, models: list[str], texts: list[str]) -> Decision:
    n = len(texts)
    if verdict.groups:
        d.groups = [
            GroupRow(answer=excerpt(texts[g[0]]), models=[models[i] for i in g], share=rounded(len(g) / n) or 0.0)
            for g in verdict.groups
        ]
        labels = [Ballot(models[i], str(k)) for k, g in enumerate(verdict.groups) for i in g]
        d.agreement = rounded(tally(labels).agreement)
    if strategy == "judge" and verdict.best is not None:
        chosen: int | None = verdict.best
        d.answer = texts[verdict.best]
    else:
        d.answer = verdict.answer or (texts[verdict.best] if verdict.best is not None else texts[0])
        chosen = verdict.groups[0][0] if verdict.groups else None
    home = next((g for g in verdict.groups if chosen in g), None) if chosen is not None else None
    d.confidence = rounded(len(home) / n) if home else None
    d.dissent = [Dissent(model=models[i], answer=excerpt(texts[i])) for g in verdict.groups if g is not home for i in g]
    if not verdict.groups:
        d.notes.append("the aggregator did not group the answers; confidence unknown")
    return d


def _shown(question: Question, key: str | None) -> str | None:
    return display_answer(question, key) if key else None
