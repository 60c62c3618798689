"""The final-line instruction, and the normalised answer key that votes count.

Two replies agree when ``extract_answer`` gives them the same key, so the key has to be
exact: "(B)", "**Answer: B**" and "B) Paris" are all "B"; "6,758" and "6758.0" are both
"6758"; "42" and "17" never meet. A reply with nothing parseable gets None and does not vote.

Where the key is read from, most trusted first:

1. the latest "Answer: ...", "The answer is ...", "Final answer: ..." or "\\boxed{...}", unless
   the reply's last line comes after it and is nothing but an answer ("B", "**6758**", "Yes.");
2. the last line, read more loosely ("I choose option B", "940 + 141 = 1081", "It is true.");
3. for choice and boolean, a first line that is nothing but an answer ("B) Paris", "No, ...").

Long free text has no key: it is grouped by meaning elsewhere, never by words. Which type a
prompt expects is decided in ``questions``.
"""

from __future__ import annotations

import re
import unicodedata

from .numbers import number_after_marker, number_in_line, whole_number
from .questions import Question, parse_question

# The question side is re-exported: callers that read answers import it from here too.
__all__ = ["Question", "answer_instruction", "display_answer", "extract_answer", "parse_question"]


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


# Reading the answer out of a reply --------------------------------------------------------

_LATEX_WRAPPER = re.compile(r"\\(?:text|textbf|mathrm|mathbf|operatorname)\s*\{([^{}]*)\}")
_LATEX_FRACTION = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_LATEX_SPACE = re.compile(r"\\[,;:! ()\[\]]")
# Bold/underline markers and code ticks, but not "2**3".
_EMPHASIS = re.compile(r"(?<!\w)(?:\*\*|__)|(?:\*\*|__)(?!\w)|`+")
_WORD_CHAR = re.compile(r"\w")
_PAYLOAD_CHARS = 500  # an answer line is short; the rest of a long line is explanation
_BOXED = re.compile(r"\\boxed\s*\{([^{}]*)\}")
# "to answer: ..." introduces reasoning, not the answer.
_MARKER = re.compile(
    r"(?<!to )\b(?:final\s+)?answer\b[ \t]*(?:\([^)\n]{0,40}\)[ \t]*)?"
    r"(?::|=|\bis\b:?|\b(?:would|will|should)\s+be\b:?)[ \t]*",
    re.IGNORECASE,
)


def extract_answer(q: Question, text: str) -> str | None:
    """The normalised answer key of a reply, or None when nothing parseable is found."""
    if q.answer_type == "long_text":
        return None
    text = _clean(text)
    lines = [line for _, line in _lines(text)]
    if not lines:
        return None
    if q.answer_type == "choice":
        return _extract_choice(q, text, lines)
    extract = {"number": _extract_number, "boolean": _extract_boolean, "text": _extract_text}
    return extract[q.answer_type](text, lines)


def _clean(text: str) -> str:
    """Unicode, LaTeX and markdown reduced to the plain text a reader sees."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\r\n", "\n")
    text = _LATEX_WRAPPER.sub(r"\1", text)
    text = _LATEX_FRACTION.sub(r"\1/\2", text)
    text = _LATEX_SPACE.sub(" ", text)
    return _EMPHASIS.sub("", text)


def _lines(text: str) -> list[tuple[int, str]]:
    """(offset, stripped line) for every line with a letter or digit in it."""
    found, offset = [], 0
    for line in text.split("\n"):
        if _WORD_CHAR.search(line):
            found.append((offset, line.strip()))
        offset += len(line) + 1
    return found


def _candidates(text: str) -> list[tuple[bool, str]]:
    """Places that may hold the final answer, latest first; True marks the bare last line."""
    found = [(m.start(), False, m[1]) for m in _BOXED.finditer(text)]
    markers = list(_MARKER.finditer(text))
    # A payload ends where the next marker starts: that one supersedes it, and parsing stays linear.
    ends = [m.start() for m in markers[1:]] + [len(text)]
    found += [(m.end(), False, _payload(text, m.end(), end)) for m, end in zip(markers, ends, strict=False)]
    offset, last = _lines(text)[-1]
    found.append((offset, True, last))
    found.sort(key=lambda c: c[0], reverse=True)  # stable: "\boxed" beats an "answer is" just before it
    return [(bare, segment) for _, bare, segment in found]


def _payload(text: str, start: int, limit: int) -> str:
    """What follows a marker on its line, or the next line with content when the marker ends its line."""
    newline = text.find("\n", start, limit)
    if newline < 0 or text[start:newline].strip(" \t*_:#-"):
        return text[start : limit if newline < 0 else newline][:_PAYLOAD_CHARS]
    while (end := text.find("\n", newline + 1, limit)) >= 0 and not _WORD_CHAR.search(text, newline, end):
        newline = end
    return text[newline + 1 : limit if end < 0 else end].strip()[:_PAYLOAD_CHARS]


# Choice -------------------------------------------------------------------------------------

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
    r"(?i:\b(?:option|choice|letter|choose|chose|pick|picked|select|selected|go\s+with|going\s+with)"
    r"\s+(?:option\s+|choice\s+)?)[(\[]?([A-Z])[)\]]?(?![\w'])"
    r"|(?<![\w(\[])[(\[]?([A-Z])[)\]]?\s+(?i:is\s+(?:the\s+)?(?:correct|right|best)\b|is\s+the\s+answer\b)"
)
_STANDALONE_LETTER = re.compile(r"(?<![\w'])[(\[]?([A-Z])[)\]]?(?![\w'])")
_ARTICLE_LETTER = re.compile(r"[AI]\s+[a-z]")
_NEGATED_BEFORE = re.compile(r"(?:\b(?:not|never|no)|n't)\W+(?:\w+\W+)?$", re.IGNORECASE)
_NEGATIONS = frozenset({"not", "no", "never", "nor", "neither"})
_TOKEN = re.compile(r"[^\W_]+")


def _extract_choice(q: Question, text: str, lines: list[str]) -> str | None:
    for bare, segment in _candidates(text):
        key = _choice_bare(q, segment) if bare else _choice_payload(q, segment)
        if key:
            return key
    if key := _choice_in_line(q, lines[-1]):
        return key
    # Some models answer first and explain after; a bare first line counts when it is the only one.
    bares = [_choice_bare(q, line) for line in lines]
    if bares[0] and sum(1 for key in bares if key) == 1:
        return bares[0]
    return None


def _choice_bare(q: Question, line: str) -> str | None:
    """A line that is nothing but a choice: "B", "(B)", "B.", "B) Paris", or an option's text."""
    core = line.strip(" \t*_#>-")
    match = _LETTER_ALONE.fullmatch(core) or _LETTER_LEAD.match(core)
    if match:
        return _letter(q, match[1] or match[2])
    tokens = _tokens(core)
    same = [letter for letter, option in q.options.items() if tokens and _tokens(option) == tokens]
    return same[0] if same else None


def _choice_payload(q: Question, payload: str) -> str | None:
    """The choice after an answer marker: a leading letter, a phrase, an option's text, one lone letter."""
    match = _PAYLOAD_LETTER.match(payload)
    if match and not _PRONOUN_I.match(payload) and (key := _letter(q, match[1] or match[2])):
        return key
    if key := _choice_in_line(q, payload):
        return key
    letters = {
        key
        for m in _STANDALONE_LETTER.finditer(payload)
        if not _ARTICLE_LETTER.match(payload, m.start(1)) and not _negated(payload, m.start())
        if (key := _letter(q, m[1]))
    }
    return letters.pop() if len(letters) == 1 else None


def _choice_in_line(q: Question, line: str) -> str | None:
    """A choice named in a sentence: "I choose option B", "B is correct", or one option's text."""
    for match in reversed(list(_CHOICE_PHRASE.finditer(line))):
        if not _negated(line, match.start()) and (key := _letter(q, match[1] or match[2])):
            return key
    return _option_mentioned(q, line)


def _option_mentioned(q: Question, line: str) -> str | None:
    """The one option whose text the line mentions, not negated and not inside a longer option's text.

    "Paris, Texas" mentions "Paris" only as part of option "Paris, Texas"; "not Paris" mentions nothing.
    """
    tokens = _tokens(line)
    spans = [
        (i, i + len(wanted), letter)
        for letter, wanted in ((letter, _tokens(option)) for letter, option in q.options.items())
        for i in range(len(tokens) - len(wanted) + 1)
        if wanted and tokens[i : i + len(wanted)] == wanted
    ]
    inside_longer = {
        (start, end, letter)
        for start, end, letter in spans
        for s, e, other in spans
        if other != letter and s <= start and end <= e and e - s > end - start
    }
    live = {
        letter
        for start, end, letter in spans
        if (start, end, letter) not in inside_longer and not (start and tokens[start - 1] in _NEGATIONS)
    }
    return live.pop() if len(live) == 1 else None


def _letter(q: Question, letter: str) -> str | None:
    letter = letter.upper()
    return letter if not q.options or letter in q.options else None


def _negated(text: str, start: int) -> bool:
    return bool(_NEGATED_BEFORE.search(text[max(0, start - 24) : start]))


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.casefold().replace("n't", " not"))


# Number -------------------------------------------------------------------------------------


def _extract_number(text: str, lines: list[str]) -> str | None:
    for bare, segment in _candidates(text):
        key = whole_number(segment) if bare else number_after_marker(segment)
        if key is not None:
            return key
    return next((key for line in reversed(lines) if (key := number_in_line(line)) is not None), None)


# Boolean ------------------------------------------------------------------------------------

_BOOLEAN_LEAD = re.compile(r"[\W_]*(yes|no|true|false|correct|incorrect)\b", re.IGNORECASE)
# Inside a sentence "yes" and "no" are too common ("there is no way") to count; these are not.
_BOOLEAN_WORD = re.compile(r"\b(true|false|correct|incorrect)\b", re.IGNORECASE)
_NEGATION = re.compile(r"\b(?:not|never|neither|nor)\b|n't\b", re.IGNORECASE)
_BOOLEAN_KEY = {"yes": "yes", "true": "yes", "correct": "yes", "no": "no", "false": "no", "incorrect": "no"}


def _extract_boolean(text: str, lines: list[str]) -> str | None:
    for bare, segment in _candidates(text):
        if key := _boolean_lead(segment) if bare else _boolean_in(segment):
            return key
    return _boolean_in(lines[-1]) or _boolean_lead(lines[0])


def _boolean_lead(text: str) -> str | None:
    """yes/no when the text starts with a verdict: "No, it is not.", "**Yes**", "True"."""
    match = _BOOLEAN_LEAD.match(text)
    return _BOOLEAN_KEY[match[1].lower()] if match else None


def _boolean_in(text: str) -> str | None:
    """A leading verdict, else the one verdict word of a sentence without negation ("It is true.")."""
    if key := _boolean_lead(text):
        return key
    if _NEGATION.search(text):
        return None
    keys = {_BOOLEAN_KEY[word.lower()] for word in _BOOLEAN_WORD.findall(text)}
    return keys.pop() if len(keys) == 1 else None


# Text ---------------------------------------------------------------------------------------

_TEXT_EDGES = " \t\"'`*_~.,;:!?$«»“”‘’„"
_ARTICLE = re.compile(r"^(?:the|a|an)\s+")


def _extract_text(text: str, lines: list[str]) -> str | None:
    for bare, segment in _candidates(text):
        if not bare and (key := _normalise_text(segment)):
            return key
    return _normalise_text(lines[-1])


def _normalise_text(text: str) -> str | None:
    """A short answer as a vote key: casefolded, unwrapped, no leading article, single spaces.

    Negations stay: "Not Paris" is "not paris", never "paris".
    """
    core = " ".join(unicodedata.normalize("NFKC", text).casefold().split()).strip(_TEXT_EDGES)
    if core[:1] + core[-1:] in ("()", "[]", "{}"):
        core = core[1:-1].strip(_TEXT_EDGES)
    core = _ARTICLE.sub("", core, count=1).strip(_TEXT_EDGES)
    return core or None
