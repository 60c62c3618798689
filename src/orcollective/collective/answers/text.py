"""A reply made readable: a bounded head and tail, no ``<think>`` block, plain Unicode, LaTeX unwrapped,
bold kept as a sentinel, and the places an answer can be asserted (markers, boxes, bold, closing lines).

Every step is one linear pass over at most ``HEAD + TAIL`` characters, whatever the reply's length.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .questions import Question

HEAD, TAIL = 2_000, 6_000  # characters read of a long reply: answers come first or last
LINE_CAP = 1_000  # of a closing line: its tail, where a concluding sentence is
PAYLOAD_CHARS = 500  # an answer after a marker is short; the rest of a long line is explanation
CLOSING_LINES = 3  # lines read for a sentence that states the choice when nothing else did
BOLD = "\ue000"  # stands for "**" / "__": a bold answer is a place an answer is asserted

_LATEX_WRAPPER = re.compile(r"\\(?:text|textbf|mathrm|mathbf|operatorname|mbox|bm)\s*\{([^{}]*)\}")
_LATEX_FRACTION = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_LATEX_SYMBOLS = {"\\times": "×", "\\cdot": "·", "\\div": "÷", "\\approx": "≈", "{,}": ",", "\\%": "%", "\\$": "$"}
_LATEX_SYMBOL = re.compile("|".join(re.escape(s) for s in _LATEX_SYMBOLS))
_LATEX_SPACE = re.compile(r"\\[,;:! ()\[\]]|\\quad\b")
# Bold/underline markers become BOLD and code ticks go, but "2**3" stays.
_EMPHASIS = re.compile(r"(?<!\w)(?:\*\*|__)|(?:\*\*|__)(?!\w)")
_TICKS = re.compile(r"`+")
_WORD_CHAR = re.compile(r"\w")
_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{([^{}]*)\}")
_CONNECTOR = rf"[ \t{BOLD}]*(?::|=|\bis\b:?|\b(?:would|will|should|must)\s+be\b:?)[ \t{BOLD}]*"
_MARKER = re.compile(
    r"(?:(?<!to )(?<![\w-])(?:(?:final|correct|right|best|short|overall)\s+)?"
    r"(?:answer|choice|option|pick|selection|verdict|solution|(?:correct|right|best)\s+one)"
    rf"[ \t]*(?:\([^)\n]{{0,40}}\)[ \t]*)?{_CONNECTOR}"
    r"|(?<!\w)(?:respuesta|r[ée]ponse|antwort|risposta|resposta|l[öo]sung|ergebnis|resultat|r[ée]sultat|"
    r"resultado|ответ)(?:\s+(?:correcta|correcte|richtige|final|finale))?"
    rf"[ \t{BOLD}]*(?::|=|\b(?:es|est|ist|lautet|è|é|é|это)\b:?)[ \t{BOLD}]*"
    rf"|(?:答案|回答|结果|解答)[ \t{BOLD}]*(?::|是|为)[ \t{BOLD}]*)",
    re.IGNORECASE,
)
# Numbers are also stated as "The total comes to 1,081", "The result is 510 km".
_NUMBER_MARKER = re.compile(
    r"(?<![\w-])(?:(?:final|exact|total|overall)\s+)?(?:result|total|sum|product|difference|quotient|value|"
    r"distance|amount|remainder)[ \t]*(?:\([^)\n]{0,40}\)[ \t]*)?"
    rf"(?:{_CONNECTOR}|[ \t]+(?:comes|amounts)\s+to[ \t]+)",
    re.IGNORECASE,
)
_HEADING = re.compile(
    rf"^[ \t#>*{BOLD}]*(?:final\s+answer|answer|conclusion|verdict|respuesta|r[ée]ponse|antwort)[ \t:{BOLD}]*$",
    re.IGNORECASE | re.MULTILINE,
)
_BOLD_SPAN = re.compile(rf"{BOLD}([^{BOLD}\n]{{1,120}}){BOLD}(?![ \t]*[:–—-])")
_TOKEN = re.compile(r"[^\W_]+")
# Number formats other than the one fixed rule in ``numbers``: "1.234.567" and "1.234,5" (German),
# "6'784" (Swiss), "1,08,100" (Indian); "6.784" is read as thousands only in a German reply.
_DOT_GROUPS = re.compile(r"(?<![\d.,'])(\d{1,3}(?:\.\d{3}){2,})(?![\d.])|(?<![\d.,'])(\d{1,3}(?:\.\d{3})+),(\d+)")
_APOSTROPHE_GROUPS = re.compile(r"(?<![\d.,'])\d{1,3}(?:'\d{3})+(?![\d'])")
_INDIAN_GROUPS = re.compile(r"(?<![\d.,])\d{1,2}(?:,\d{2})+,\d{3}(?![\d,])")
_GERMAN = re.compile(r"\b(?:antwort|ergebnis|lautet|beträgt|insgesamt|ungefähr|richtige)\b", re.IGNORECASE)
_DOT_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3})+(?![\d.,])")


@dataclass
class Reply:
    text: str  # cleaned, bounded; bold kept as BOLD
    lines: list[str]  # stripped lines with a letter or digit, without BOLD
    german: bool

    @classmethod
    def of(cls, raw: str) -> Reply:
        text = _bounded(_after_thinking(raw))
        text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\r\n", "\n")
        text = _LATEX_WRAPPER.sub(r"\1", text)
        text = _LATEX_FRACTION.sub(r"\1/\2", text)
        text = _LATEX_SYMBOL.sub(lambda m: _LATEX_SYMBOLS[m[0]], text)
        text = _LATEX_SPACE.sub(" ", text)
        text = _TICKS.sub("", _EMPHASIS.sub(BOLD, text))
        lines = [line.replace(BOLD, "").strip() for line in text.split("\n")]
        lines = [line[-LINE_CAP:] for line in lines if _WORD_CHAR.search(line)]
        return cls(text, lines, bool(_GERMAN.search(text)))

    @property
    def last(self) -> str:
        return self.lines[-1]

    def closing(self) -> list[str]:
        return self.lines[-CLOSING_LINES:]

    def strong(self, number: bool = False) -> Iterator[tuple[str, str]]:
        """("boxed" | "marker", what follows) for every asserted answer, latest first."""
        found = [(m.start(), "boxed", m[1]) for m in _BOXED.finditer(self.text)]
        markers = list(_MARKER.finditer(self.text))
        if number:
            markers = sorted(markers + list(_NUMBER_MARKER.finditer(self.text)), key=lambda m: m.start())
        # A payload ends where the next marker starts: that one supersedes it, and reading stays linear.
        ends = [m.start() for m in markers[1:]] + [len(self.text)]
        found += [(m.end(), "marker", self._payload(m.end(), end)) for m, end in zip(markers, ends, strict=False)]
        found += [(m.end(), "marker", self._payload(m.end(), len(self.text))) for m in _HEADING.finditer(self.text)]
        found.sort(key=lambda c: c[0], reverse=True)  # stable: "\boxed" beats an "answer is" just before it
        for _, kind, segment in found:
            yield kind, segment

    def bold(self) -> Iterator[str]:
        """Bold spans that can be an answer (not list labels such as "**A)**:"), latest first."""
        spans = [m[1] for m in _BOLD_SPAN.finditer(self.text) if not m[1].rstrip().endswith(":")]
        return reversed(spans)

    def numbers(self, segment: str) -> str:
        """``segment`` with the other number formats rewritten to the one ``numbers`` reads."""
        segment = _DOT_GROUPS.sub(lambda m: (m[1] or m[2]).replace(".", "") + (f".{m[3]}" if m[3] else ""), segment)
        segment = _APOSTROPHE_GROUPS.sub(lambda m: m[0].replace("'", ""), segment)
        segment = _INDIAN_GROUPS.sub(lambda m: m[0].replace(",", ""), segment)
        if self.german:
            segment = _DOT_THOUSANDS.sub(lambda m: m[0].replace(".", ""), segment)
        return segment

    def restates(self, q: Question, line: str) -> bool:
        """True when ``line`` repeats the question itself ("Simulated answer to: What is 17 * 23?")."""
        stem = tokens(_stem(q.prompt))
        return len(stem) >= 3 and f" {' '.join(stem)} " in f" {' '.join(tokens(line))} "

    def _payload(self, start: int, limit: int) -> str:
        """What follows a marker on its line, or the next line with content when the marker ends its line."""
        text = self.text
        newline = text.find("\n", start, limit)
        if newline < 0 or text[start:newline].strip(f" \t*_:#-{BOLD}"):
            segment = text[start : limit if newline < 0 else newline]
        else:
            end = text.find("\n", newline + 1, limit)
            while end >= 0 and not _WORD_CHAR.search(text, newline, end):
                newline, end = end, text.find("\n", end + 1, limit)
            segment = text[newline + 1 : limit if end < 0 else end]
        return segment[:PAYLOAD_CHARS].replace(BOLD, "").strip()


def tokens(text: str) -> list[str]:
    """Casefolded words, with "n't" as "not"."""
    return _TOKEN.findall(text.casefold().replace("n't", " not"))


def _stem(prompt: str) -> str:
    """The question itself: its first line up to the first "?", without inline options."""
    first = prompt.strip().split("\n", 1)[0]
    return first.split("?", 1)[0]


def _after_thinking(raw: str) -> str:
    """The reply after its ``<think>`` block; the block itself when nothing follows it."""
    if "</think>" in raw:
        before, _, after = raw.rpartition("</think>")
        return after if _WORD_CHAR.search(after) else before.replace("<think>", "")
    return raw.replace("<think>", "")


def _bounded(text: str) -> str:
    """A long reply's head and tail, cut at line breaks where there is one near the cut."""
    if len(text) <= HEAD + TAIL:
        return text
    head, tail = text[:HEAD], text[-TAIL:]
    cut = tail.find("\n", 0, 200)
    return head + "\n" + (tail[cut + 1 :] if cut >= 0 else tail)
