"""Questions: a prompt, the kind of answer it expects, and its lettered options when it has any.

The answer type decides how replies are read and compared (see ``answers``): "choice" when the
prompt lists two or more options lettered A, B, C..., else "boolean", "number", short "text" or
"long_text", detected from cue words in the prompt and its last question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

AnswerType = Literal["choice", "number", "boolean", "text", "long_text"]


@dataclass(frozen=True)
class Question:
    """A prompt, the kind of answer it expects and, for multiple choice, its lettered options."""

    prompt: str
    answer_type: AnswerType
    options: dict[str, str]


# "A) x", "(a) x", "A. x", "A: x", "- A: x", "**A)** x", one per line
_OPTION_LINE = re.compile(
    r"^[ \t]*(?:[-*•+][ \t]+)?[*_]{0,2}[(\[]?([A-Za-z])[)\].:][*_]{0,2}[ \t]+(\S.*)", re.MULTILINE
)
# "A) x B) y", "(a) x (b) y" on one line
_OPTION_INLINE = re.compile(r"(?<![\w(\[])[(\[]?([A-Za-z])[)\]][ \t]*")
_JOINER_CHARS = " \t,;.?"
_LONG_START = re.compile(
    r"(?:please\s+)?(?:write|explain|compare|contrast|describe|discuss|summari[sz]e|design|draft|outline|"
    r"analy[sz]e|create|generate|compose|elaborate|propose|critique|review|brainstorm|rewrite|translate|"
    r"suggest|argue|plan|develop|implement|refactor|debug|tell\s+me\s+about)\b",
    re.IGNORECASE,
)
_LONG_CUE = re.compile(
    r"\b(?:essay|paragraphs?|article|story|poem|blog\s+post|report|in\s+detail|pros\s+and\s+cons)\b",
    re.IGNORECASE,
)
_BOOLEAN_CUE = re.compile(r"\b(?:true\s+or\s+false|yes\s+or\s+no|true/false|yes/no)\b", re.IGNORECASE)
_BOOLEAN_START = re.compile(
    r"(?:is|are|was|were|am|do|does|did|can|could|will|would|should|shall|has|have|had|must|may|might|"
    r"isn't|aren't|doesn't|don't|didn't|wasn't|can't|won't)\b",
    re.IGNORECASE,
)
# "Is Paris or London bigger?" asks to pick one, not yes or no.
_ALTERNATIVE = re.compile(r"\bor\b", re.IGNORECASE)
_NUMBER_CUE = re.compile(
    r"\bhow\s+(?:many|much|far|long|old|tall|fast|often|large)\b"
    r"|\b(?:compute|calculate|evaluate|solve|simplify|in\s+what\s+year|what\s+year|which\s+year)\b"
    r"|\bthe\s+(?:sum|product|difference|quotient|remainder|average|mean|median|value|square\s+root|"
    r"cube\s+root|total|number|percentage|probability|area|volume|perimeter|length|distance|speed|cost)\s+of\b"
    r"|\baverage\b|\bin\s+(?:km/h|mph|m/s|km|cm|mm|kg|grams|litres|liters|hours|minutes|seconds|days|years|"
    r"dollars|euros|percent|degrees)\b"
    r"|\d\s*[+*/×÷^]\s*\d|\d\s+[-x]\s+\d|\d\s*%\s*of\b|\d\s+(?:times|plus|minus|divided\s+by)\s+\d",
    re.IGNORECASE,
)
_TEXT_START = re.compile(r"(?:who|whom|whose|what|what's|which|where|when|name|identify)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SHORT_PROMPT = 200  # characters; longer "what" questions usually want an explanation


def parse_question(prompt: str, answer_type: AnswerType | Literal["auto"] = "auto") -> Question:
    """The question with its answer type, detected from the prompt unless given explicitly."""
    options = _options(prompt) if answer_type in ("auto", "choice") else {}
    if answer_type == "auto":
        answer_type = "choice" if options else _detect_type(prompt)
    return Question(prompt=prompt, answer_type=answer_type, options=options)


def _detect_type(prompt: str) -> AnswerType:
    text = " ".join(prompt.split())
    questions = [s for s in _SENTENCE_END.split(text) if s.endswith("?")]
    question = questions[-1] if questions else text
    if _LONG_START.match(text) or _LONG_CUE.search(text):
        return "long_text"
    if _BOOLEAN_CUE.search(text) or (_BOOLEAN_START.match(question) and not _ALTERNATIVE.search(question)):
        return "boolean"
    if _NUMBER_CUE.search(text):
        return "number"
    if len(text) <= _SHORT_PROMPT and _TEXT_START.match(question):
        return "text"
    return "long_text"


def _options(prompt: str) -> dict[str, str]:
    """Options lettered one per line ("A) x", "(A) x", "A. x", "A: x", bulleted), else inline ("A) x B) y")."""
    options = _lettered_run((m[1], m[2]) for m in _OPTION_LINE.finditer(prompt))
    if options:
        return options
    marks = list(_OPTION_INLINE.finditer(prompt))
    found = []
    for mark, following in zip(marks, [*marks[1:], None], strict=False):
        end = following.start() if following else len(prompt)
        text = prompt[mark.end() : end].split("\n", 1)[0].rstrip(_JOINER_CHARS)
        for joiner in (" or", " and"):  # "(A) x, (B) y or (C) z"
            text = text.removesuffix(joiner).rstrip(_JOINER_CHARS)
        found.append((mark[1], text))
    return _lettered_run(found)


def _lettered_run(found) -> dict[str, str]:
    """The last run of two or more options lettered A, B, C... in order, with upper-case keys."""
    best: dict[str, str] = {}
    run: dict[str, str] = {}
    for letter, text in found:
        letter = letter.upper()
        if letter == "A":
            run = {}
        if letter != chr(ord("A") + len(run)):
            run = {}
            continue
        run[letter] = text.strip()
        if len(run) >= 2:
            best = run
    return dict(best)
