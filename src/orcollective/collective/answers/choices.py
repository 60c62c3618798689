"""Reading a multiple-choice reply: the option it picks, by letter ("B", "(b)", "option B") or by text.

An option that is discussed, ruled out or negated ("A is wrong", "not Paris", "Neither A nor C") is
not a pick; a sentence that names two options without ruling one out picks neither.
"""

from __future__ import annotations

import re

from .questions import Question
from .text import tokens

_LETTER_ALONE = re.compile(r"[(\[]?([A-Za-z])[)\]]?[.:]?")
_LETTER_LEAD = re.compile(r"[(\[]?(?:([A-Z])[)\].:]|([a-z])[)\]])[ \t]+\S")
_PAYLOAD_LETTER = re.compile(
    r"[\s\"'$]*(?:(?i:option|choice|letter)\s*)?[(\[]?"
    r"(?:([A-Z])(?![\w'])(?!\s+(?i:is|was)\s+(?i:not|wrong|incorrect|false)\b)"
    r"(?!\s*(?:[,/&]|(?i:and|or)\b)\s*[(\[]?[A-Z](?![\w']))"  # "B and C" names two options
    r"|([a-z])(?=[)\]]|[.:](?:\s|$)|\s*$))"
)
# "I think it's B": a leading "I" is the pronoun.
_PRONOUN_I = re.compile(r"[\s\"']*I\s+[a-z]")
_CHOICE_PHRASE = re.compile(
    r"(?i:\b(?:option|choice|letter|choose|chose|pick|picked|select|selected|go\s+with|going\s+with|"
    r"leaves|leaving|must\s+be|it's|it\s+is|so|therefore|thus|hence)"
    r"[\s,]+(?:option\s+|choice\s+|answer\s+)?)[(\[]?([A-Z])[)\]]?(?![\w'])"
    r"(?!\s+(?i:is|was|are)\s+(?i:not|wrong|incorrect|false|out|unlikely)\b)(?!\s*(?:,|and|or|nor|/)?\s*[(\[]?[A-Z](?![\w']))"
    r"|(?<![\w(\[])[(\[]?([A-Z])[)\]]?\s+(?i:is\s+(?:the\s+)?(?:correct|right|best)\b|is\s+the\s+answer\b)"
)
_STANDALONE_LETTER = re.compile(r"(?<![\w'])[(\[]?([A-Z])[)\]]?(?![\w'])")
_ARTICLE_LETTER = re.compile(r"[AI]\s+[a-z]")
_NEGATED_BEFORE = re.compile(r"(?:\b(?:not|never|no|neither|nor)|n't)\W+(?:\w+\W+)?$", re.IGNORECASE)
_NEGATIONS = frozenset({"not", "no", "never", "nor", "neither"})
_RULED_OUT = frozenset(
    "not no never wrong incorrect false out unlikely eliminated eliminate distractor misconception mistake "
    "mistaken confusion confused tempting".split()
)
_HEDGES = frozenset("could might maybe perhaps either both possibly".split())
BARE_WORDS = 6  # "B) Paris" when the question's options are unknown
_SENTENCE = re.compile(r"(?<=[.;!?])\s+")


def bare(q: Question, line: str) -> str | None:
    """A line that is nothing but a choice: "B", "(B)", "B.", "B) Paris", "b) paris", or an option's text."""
    core = line.strip(" \t*_#>-")
    if match := _LETTER_ALONE.fullmatch(core):
        return _letter(q, match[1])
    words = tokens(core)
    if match := _LETTER_LEAD.match(core):
        # "B) Paris": the label and that option's text (any short text when the options are unknown)
        key, rest = _letter(q, match[1] or match[2]), words[1:]
        if key and (tokens(q.options[key]) == rest if q.options else len(rest) <= BARE_WORDS):
            return key
        return None
    same = [letter for letter, option in q.options.items() if words and tokens(option) == words]
    return same[0] if same else None


def payload(q: Question, text: str) -> str | None:
    """The choice after an answer marker: a leading letter, a phrase, an option's text, one lone letter."""
    match = _PAYLOAD_LETTER.match(text)
    if match and not _PRONOUN_I.match(text) and (key := _letter(q, match[1] or match[2])):
        return key
    if (key := bare(q, text)) or (key := _phrase(q, text)) or (key := option_mentioned(q, text)):
        return key
    letters = {
        key
        for m in _STANDALONE_LETTER.finditer(text)
        if not _ARTICLE_LETTER.match(text, m.start(1)) and not _negated(text, m.start())
        if (key := _letter(q, m[1]))
    }
    return letters.pop() if len(letters) == 1 else None


def in_text(q: Question, line: str) -> tuple[str | None, str | None]:
    """A choice stated in a closing sentence: "I'd go with B", "That leaves B", "B) Saturn is correct",
    "It's Saturn." Sentences that rule their option out are skipped; two live options pick nothing."""
    if key := _phrase(q, line):
        return key, "phrase"
    for sentence in reversed(_SENTENCE.split(line)):
        named = _named(q, sentence)
        if not named:
            continue
        words = tokens(sentence)
        if _HEDGES.intersection(words):
            return None, None
        if len(named) > 1:
            return None, None
        if _ruled_out(q, words, next(iter(named))):
            continue
        ((key, how),) = named.items()
        return key, how
    return None, None


def _ruled_out(q: Question, words: list[str], key: str) -> bool:
    """True when the sentence has a negative word that is not about another option: "A) Jupiter is wrong",
    "I would not choose B", but not "Saturn, not Jupiter"."""
    others = {w for letter, text in q.options.items() if letter != key for w in (letter.casefold(), *tokens(text))}
    return any(w in _RULED_OUT and not others.intersection(words[i + 1 : i + 3]) for i, w in enumerate(words))


def _phrase(q: Question, line: str) -> str | None:
    for match in reversed(list(_CHOICE_PHRASE.finditer(line))):
        if not _negated(line, match.start()) and (key := _letter(q, match[1] or match[2])):
            return key
    return None


def _named(q: Question, sentence: str) -> dict[str, str]:
    """The options a sentence names, by letter label ("B)", "(B)", "option B") or by their text."""
    named = {}
    if key := option_mentioned(q, sentence):
        named[key] = "option text"
    for m in _STANDALONE_LETTER.finditer(sentence):
        if _ARTICLE_LETTER.match(sentence, m.start(1)) or (m[1] == "I" and "I" not in q.options):
            continue
        if key := _letter(q, m[1]):
            named.setdefault(key, "sentence")
    return named


def option_mentioned(q: Question, line: str) -> str | None:
    """The one option whose text the line mentions, not negated and not inside a longer option's text.

    "Paris, Texas" mentions "Paris" only as part of option "Paris, Texas"; "not Paris" mentions nothing.
    One pass over the line's words per option: linear in the line's length.
    """
    words = tokens(line)
    spans: list[tuple[int, int, str]] = []
    for letter, option in q.options.items():
        wanted = tokens(option)
        if not wanted:
            continue
        first, size = wanted[0], len(wanted)
        spans += [(i, i + size, letter) for i, w in enumerate(words) if w == first and words[i : i + size] == wanted]
    spans.sort(key=lambda s: (s[0], s[0] - s[1]))  # by start, longest first
    live: set[str] = set()
    reach = (-1, -1, "")  # the longest span seen that reaches furthest
    for start, end, letter in spans:
        covered = end <= reach[1] and letter != reach[2] and reach[1] - reach[0] > end - start
        if end > reach[1]:
            reach = (start, end, letter)
        if not covered and not (start and words[start - 1] in _NEGATIONS):
            live.add(letter)
    return live.pop() if len(live) == 1 else None


def _letter(q: Question, letter: str) -> str | None:
    letter = letter.upper()
    return letter if not q.options or letter in q.options else None


def _negated(text: str, start: int) -> bool:
    return bool(_NEGATED_BEFORE.search(text[max(0, start - 24) : start]))
