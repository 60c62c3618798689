"""Numbers in model replies: find the one that answers, and write it in one canonical form.

The canonical form is a plain decimal string with no exponent, no "+", no trailing zeros
and no "-0": "6758", "-0.5", "1200000", "0.25".

Separators are read by one fixed rule, so that two models never disagree by format alone:

- a comma followed by exactly three digits separates thousands: "6,758", "1,200,000";
- any other comma between digits is a decimal comma: "3,5" is 3.5, "0,25" is 0.25;
- a space (normal, no-break or thin) followed by exactly three digits separates thousands: "6 758";
- a dot is always a decimal point: "1.234" is 1.234, never 1234.

A fraction ("1/4") is read as a number only when it is the whole answer; inside a sentence
neither its numerator nor its denominator is taken for the answer.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_NUMBER = re.compile(
    r"""
    (?<![\w.,])                                   # not the tail of a word or of another number
    (?P<sign>[-−+])?
    [$€£¥]?
    (?P<int>\d{1,3}(?P<sep>[, \u00a0\u2009\u202f])\d{3}(?:(?P=sep)\d{3})*(?!\d) | \d+ | (?=\.\d))
    (?: \.(?P<frac>\d+) | ,(?P<comma>\d{1,2}|\d{4,})(?![\d,]) )?
    (?![.,]?\d)                                  # "1.234,56", "192.168.1.1": no reading is safe
    (?: [eE](?P<exp>[-+]?\d{1,3})(?!\w) )?
    (?: \s*(?P<scale>thousand|million|billion|trillion)\b )?
    """,
    re.VERBOSE | re.IGNORECASE | re.ASCII,  # ASCII: Decimal must be able to read every digit matched
)
_FRACTION = re.compile(r"(?P<sign>[-−+])?(?P<num>\d+)\s*/\s*(?P<den>\d+)", re.ASCII)
_SCALES = {"thousand": 3, "million": 6, "billion": 9, "trillion": 12}

# Around a bare answer: markdown, LaTeX dollars, "= 6758", "6758.", "50%".
_LEAD_CHARS = " \t*_`$(['\"=≈~:"
_TRAIL_CHARS = " \t*_`$)]'\".,;:!%"
_FILLER = re.compile(r"^(?:approximately|approx\.?|about|around|roughly|exactly|precisely)\s+", re.IGNORECASE)
# "23*47 = 1081": a leading number followed by an operator is an operand, not the answer.
_OPERATOR_AFTER = re.compile(r"\s*(?:[-−+*/×÷^·]|x\s*\d)")
_SLASH_AFTER = re.compile(r"\s*/\s*\d")
_SLASH_BEFORE = re.compile(r"\d\s*/\s*$")
_EQUALS = re.compile(r"[=≈]")
# "1. First, ..." and "Step 3: ..." number the reasoning, not the answer.
_LIST_PREFIX = re.compile(r"^\s*(?:[-*•]\s+)?(?:step\s+\d+\s*[:.)-]?\s*|\d+[.)]\s+(?=\D))", re.IGNORECASE)


def _canonical(value: Decimal) -> str:
    """The canonical decimal string of ``value``: "6758", "-0.5", "1000"."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def whole_number(text: str) -> str | None:
    """The canonical number when ``text`` is nothing but one number ("**6,758.**", "= 1/4")."""
    core = _FILLER.sub("", text.strip().lstrip(_LEAD_CHARS), count=1).rstrip(_TRAIL_CHARS)
    if fraction := _FRACTION.fullmatch(core):
        return _fraction_value(fraction)
    if number := _NUMBER.fullmatch(core):
        return _value(number)
    return None


def number_after_marker(text: str) -> str | None:
    """The number that follows an "Answer:" marker: "6758 apples", "23*47 = 1081", "x = -5".

    Stricter than ``number_in_line``: a payload that only mentions numbers in passing
    ("multiply 23 by 47") gives None, so an early "To get the answer: ..." cannot win.
    """
    if (whole := whole_number(text)) is not None:
        return whole
    core = _FILLER.sub("", text.lstrip(_LEAD_CHARS), count=1)
    first = next(_numbers(core), None)
    if first is not None and first.start() == 0 and not _OPERATOR_AFTER.match(core, first.end()):
        return _value(first)
    return _after_equals(core)


def number_in_line(line: str) -> str | None:
    """The answer-like number of a reasoning line: the "=" result, else the last number."""
    core = _LIST_PREFIX.sub("", line, count=1)
    if (whole := whole_number(core)) is not None:
        return whole
    if (result := _after_equals(core)) is not None:
        return result
    found = list(_numbers(core))
    return _value(found[-1]) if found else None


def _after_equals(text: str) -> str | None:
    """The number right after the last "=" (or "≈"), if any."""
    marks = list(_EQUALS.finditer(text))
    if not marks:
        return None
    tail = text[marks[-1].end() :]
    if (whole := whole_number(tail)) is not None:
        return whole
    first = next(_numbers(tail), None)
    return None if first is None else _value(first)


def _numbers(text: str):
    """Number matches in ``text``, skipping both sides of fractions and dates ("1/4", "7/4/1776")."""
    for match in _NUMBER.finditer(text):
        before = text[max(0, match.start() - 8) : match.start()]
        if _SLASH_AFTER.match(text, match.end()) or _SLASH_BEFORE.search(before):
            continue
        yield match


def _value(match: re.Match[str]) -> str:
    digits = "".join(ch for ch in match["int"] if ch.isdigit()) or "0"
    fraction = match["frac"] or match["comma"] or "0"
    exponent = int(match["exp"] or 0) + _SCALES.get((match["scale"] or "").lower(), 0)
    sign = "-" if match["sign"] in ("-", "−") else ""
    return _canonical(Decimal(f"{sign}{digits}.{fraction}e{exponent}"))


def _fraction_value(match: re.Match[str]) -> str | None:
    sign = "-" if match["sign"] in ("-", "−") else ""
    try:
        return _canonical(Decimal(f"{sign}{match['num']}") / Decimal(match["den"]))
    except (InvalidOperation, ZeroDivisionError):
        return None
