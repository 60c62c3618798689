"""The final-line instruction, and the normalised answer key a reply *asserts*, with how it was found.

Two replies agree when ``read_answer`` gives them the same key, so the key has to be exact: "(B)",
"**Answer: B**", "b) saturn" and "Saturn" are all "B"; "6,758", "6 758" and "6758.0" are all "6758".
A reply that commits to nothing (a restated question, "It depends") gets None and does not vote.

Where the key is read from, most trusted first (``found_by`` names the place):

1. "last line": a last line that is nothing but an answer ("B", "**6758**", "Yes."), the final word;
2. "boxed" / "marker": the latest ``\\boxed{}``, "Answer: ...", "The correct answer is ...",
   "Final answer", "Respuesta:", "Antwort:", "答案：" ... that holds an answer: a later one revises an
   earlier one, and an afterthought or caveat after it holds no marker, so it never overrides it;
3. "bold": the latest bold answer ("so it is **B) Saturn**"), but not a bold list label ("**A)** ...:");
4. type-specific reading of the closing lines: the chosen option in a sentence, the "=" result of the
   last reasoning line that is not an afterthought ("That is about 317 miles"), a verdict word;
5. "first line": an answer given first and explained after.

Long replies are read from a bounded head and tail, so reading is linear in the reply's length and
bounded in time; a ``<think>`` block is reasoning, and the answer is what follows it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from . import choices
from .numbers import number_after_marker, number_in_line, whole_number
from .questions import Question, parse_question
from .text import BOLD, Reply, tokens

# The question side is re-exported: callers that read answers import it from here too.
__all__ = ["Question", "Reading", "answer_instruction", "display_answer", "extract_answer", "parse_question",
           "read_answer"]  # fmt: skip


@dataclass(frozen=True)
class Reading:
    """The answer key a reply gives (None: no answer) and where it was found."""

    key: str | None
    found_by: str | None


NO_READING = Reading(None, None)

# Asking for a parseable final line --------------------------------------------------------

_INSTRUCTIONS = {
    "number": 'End your reply with a final line of the form "Answer: <number>": digits only, with "." '
    'for decimals and a leading "-" if negative; no units, words or thousands separators.',
    "boolean": 'End your reply with a final line that is exactly "Answer: yes" or "Answer: no".',
    "text": 'End your reply with a final line of the form "Answer: <short answer>": the answer alone, '
    "in as few words as possible.",
}


def answer_instruction(q: Question) -> str:
    """The system-prompt suffix asking for one parseable final line ("" for long text)."""
    if q.answer_type == "choice":
        which = f"one of {', '.join(q.options)}" if q.options else "the letter of the chosen option"
        return f'End your reply with a final line of the form "Answer: <letter>" ({which}).'
    return _INSTRUCTIONS.get(q.answer_type, "")


def display_answer(q: Question, key: str) -> str:
    """The human form of an answer key: "B) Paris", "6758", "yes", "paris"."""
    if q.answer_type == "choice" and key in q.options:
        return f"{key}) {q.options[key]}"
    return key


def extract_answer(q: Question, text: str) -> str | None:
    """The normalised answer key of a reply, or None when it asserts none."""
    return read_answer(q, text).key


def read_answer(q: Question, text: str) -> Reading:
    """The answer key a reply asserts and how it was found (see the module docstring)."""
    if q.answer_type == "long_text":
        return NO_READING
    reply = Reply.of(text)
    if not reply.lines:
        return NO_READING
    read = {"choice": _read_choice, "number": _read_number, "boolean": _read_boolean, "text": _read_text}
    key, found_by = read[q.answer_type](q, reply)
    return Reading(key, found_by) if key is not None else NO_READING


# Choice -------------------------------------------------------------------------------------------------


def _read_choice(q: Question, r: Reply) -> tuple[str | None, str | None]:
    bares = [choices.bare(q, line) for line in r.lines]
    listed = len({key for key in bares if key}) > 1  # options listed one per line: none is picked by place
    if bares[-1] and not listed:
        return bares[-1], "last line"
    for kind, segment in r.strong():
        if key := choices.payload(q, segment):
            return key, kind
    for segment in r.bold():
        if key := choices.bare(q, segment):
            return key, "bold"
    if bares[0] and not listed and sum(1 for key in bares if key) == 1 and not r.restates(q, r.lines[0]):
        return bares[0], "first line"
    for line in reversed(r.closing()):
        if r.restates(q, line):
            return None, None
        if listed and choices.bare(q, line):
            continue
        key, how = choices.in_text(q, line)
        if key:
            return key, how
    return None, None


# Number -------------------------------------------------------------------------------------------------

# Lines after the result that derive another number from it, check it, or comment on it.
_AFTERTHOUGHT = re.compile(
    r"^\W*(?:that\s+is|that's|this\s+is|which\s+is|i\.e\.|or\s|in\s+\w+\s*[:,]|check|verif|sanity|note|"
    r"rounded|roughly|about|approximately|double-check|as\s+a\s+check|converting|in\s+other\s+words|"
    r"(?:half|twice|double)\s+(?:of\s+)?(?:that|this|it))",
    re.IGNORECASE,
)


def _read_number(q: Question, r: Reply) -> tuple[str | None, str | None]:
    if (key := whole_number(r.numbers(r.last))) is not None:
        return key, "last line"
    for kind, segment in r.strong(number=True):
        if (key := number_after_marker(r.numbers(segment))) is not None:
            return key, kind
    for segment in r.bold():
        if (key := whole_number(r.numbers(segment))) is not None:
            return key, "bold"
    if (key := whole_number(r.numbers(r.lines[0]))) is not None and len(r.lines) > 1:
        return key, "first line"
    for line in reversed(r.closing()):
        if r.restates(q, line):
            return None, None
        for sentence in reversed(_sentences(line)):
            if _AFTERTHOUGHT.match(sentence):
                continue
            if (key := number_in_line(r.numbers(sentence))) is not None:
                return key, "reasoning"
            break
    return None, None


def _sentences(line: str) -> list[str]:
    """A line split after ". " and "; " (never inside "3.5" or "1,081")."""
    return [s for s in re.split(r"(?<=[.;!?])\s+(?=\D)|(?<=\))\s+", line) if s.strip()]


# Boolean ------------------------------------------------------------------------------------------------

_YES = "yes|true|correct|sí|si|oui|ja|vrai|verdadero|richtig"
_NO = "no|false|incorrect|non|nein|faux|falso|falsch"
_BOOLEAN_LEAD = re.compile(rf"[\W_]*({_YES}|{_NO})\b(?![ \t]*(?:and|or|/)[ \t]*(?:{_YES}|{_NO})\b)", re.IGNORECASE)
# Inside a sentence "yes" and "no" are too common ("there is no way") to count; these are not.
_BOOLEAN_WORD = re.compile(r"\b(true|false|correct|incorrect)\b", re.IGNORECASE)
_NEGATION = re.compile(r"\b(?:not|never|neither|nor)\b|n't\b", re.IGNORECASE)
_YES_WORDS = frozenset(_YES.split("|"))


def _read_boolean(q: Question, r: Reply) -> tuple[str | None, str | None]:
    if key := _boolean_lead(r.last):
        return key, "last line"
    for kind, segment in r.strong():
        if key := _boolean_in(segment):
            return key, kind
    for segment in r.bold():
        if key := _boolean_lead(segment):
            return key, "bold"
    if r.restates(q, r.last):
        return None, None
    if key := _boolean_in(r.last):
        return key, "last line"
    if key := _boolean_lead(r.lines[0]):
        return key, "first line"
    return None, None


def _boolean_lead(text: str) -> str | None:
    """yes/no when the text starts with a verdict: "No, it is not.", "**Yes**", "True", "Nein"."""
    match = _BOOLEAN_LEAD.match(text)
    return None if match is None else ("yes" if match[1].casefold() in _YES_WORDS else "no")


def _boolean_in(text: str) -> str | None:
    """A leading verdict, else the one verdict word of a sentence without negation ("It is true.")."""
    if key := _boolean_lead(text):
        return key
    if _NEGATION.search(text):
        return None
    keys = {"yes" if w.casefold() in ("true", "correct") else "no" for w in _BOOLEAN_WORD.findall(text)}
    return keys.pop() if len(keys) == 1 else None


# Text ---------------------------------------------------------------------------------------------------

_TEXT_EDGES = " \t\"'`*_~.,;:!?$«»“”‘’„"
_ARTICLE = re.compile(r"^(?:the|a|an)\s+")
_PRONOUN_LEAD = re.compile(r"^(?:it\s+is|it's|it\s+was|that\s+is|that's|this\s+is)\s+", re.IGNORECASE)
_COPULA = re.compile(r"\s+(?:is|was|are|were)\s+", re.IGNORECASE)
_HEDGE = re.compile(
    r"^\W*(?:it\s+depends|that\s+depends|i'm\s+not\s+sure|i\s+am\s+not\s+sure|i\s+don't\s+know|i\s+do\s+not\s+know|"
    r"i\s+can't|i\s+cannot|hard\s+to\s+say|unclear|unknown|not\s+sure)\b",
    re.IGNORECASE,
)
_TEXT_WORDS = 12  # longer than this, a last line is a sentence of explanation, not a short answer


def _read_text(q: Question, r: Reply) -> tuple[str | None, str | None]:
    for kind, segment in r.strong():
        if key := _short_text(q, segment):
            return key, kind
    for segment in r.bold():
        if key := _short_text(q, segment):
            return key, "bold"
    if r.restates(q, r.last) or len(r.last.split()) > _TEXT_WORDS:
        return None, None
    if key := _short_text(q, r.last):
        return key, "last line"
    return None, None


def _short_text(q: Question, text: str) -> str | None:
    """The answer part of a short reply: "The capital of France is Paris." -> "paris"."""
    if _HEDGE.match(text):
        return None
    text = _PRONOUN_LEAD.sub("", text.strip(_TEXT_EDGES), count=1)
    parts = _COPULA.split(text, maxsplit=1)
    if len(parts) == 2:
        asked = set(tokens(q.prompt))
        new = [sum(t not in asked for t in tokens(part)) / max(1, len(tokens(part))) for part in parts]
        text = parts[0] if new[0] > new[1] else parts[1]
    return normalise_text(text)


def normalise_text(text: str) -> str | None:
    """A short answer as a vote key: casefolded, unwrapped, no leading article, single spaces.

    Negations stay: "Not Paris" is "not paris", never "paris".
    """
    core = " ".join(unicodedata.normalize("NFKC", text.replace(BOLD, "")).casefold().split()).strip(_TEXT_EDGES)
    if core[:1] + core[-1:] in ("()", "[]", "{}"):
        core = core[1:-1].strip(_TEXT_EDGES)
    core = _ARTICLE.sub("", core, count=1).strip(_TEXT_EDGES)
    return core or None
