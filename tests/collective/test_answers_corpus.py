"""The answer reader against the labelled reply corpus, long adversarial replies and the question forms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orcollective.collective.answers import extract_answer, parse_question, read_answer

CORPUS = Path(__file__).parent / "data" / "replies.jsonl"
ROWS = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
MOONS = "Which planet has the most moons? A) Jupiter B) Saturn C) Uranus D) Neptune"


def test_corpus_is_large_and_varied():
    """At least 300 replies, every answer type, and replies that commit to nothing."""
    assert len(ROWS) >= 300
    assert {r["type"] for r in ROWS} == {"choice", "number", "boolean", "text"}
    assert sum(r["answer"] is None for r in ROWS) >= 20
    assert len({r["style"] for r in ROWS}) >= 60


def test_reader_reads_the_corpus_as_labelled():
    """At least 99% of the replies give exactly their labelled key (None where there is no answer)."""
    wrong = [
        (r["id"], r["answer"], key)
        for r in ROWS
        if (key := extract_answer(parse_question(r["question"], r["type"]), r["reply"])) != r["answer"]
    ]
    assert len(wrong) <= len(ROWS) // 100, wrong


def test_a_long_reply_repeating_option_words_reads_fast_and_right():
    """A ~200 KB reply whose last line repeats option words gives no answer, or its final marker."""
    q = parse_question("Which planet has the most moons?\nA) Jupiter\nB) Saturn\nC) Uranus\nD) Neptune")
    body = "Let me think.\n" + "Jupiter Saturn not Uranus option A B " * 5_500
    assert len(body) > 190_000
    assert extract_answer(q, body) is None
    assert read_answer(q, body + "\n\nAnswer: B").key == "B"
    assert read_answer(q, "**B) Saturn**\n\n" + body).key == "B"


@pytest.mark.parametrize(
    "prompt",
    [
        MOONS,
        "Which planet has the most moons? (a) Jupiter (b) Saturn (c) Uranus (d) Neptune",
        "Which planet has the most moons?\n- A: Jupiter\n- B: Saturn\n- C: Uranus\n- D: Neptune",
        "Which planet has the most moons?\nA. Jupiter\nB. Saturn\nC. Uranus\nD. Neptune",
        "Which planet has the most moons?\n* **A)** Jupiter\n* **B)** Saturn\n* **C)** Uranus",
    ],
)
def test_lettered_options_in_every_form_make_a_choice_question(prompt):
    """Inline, "(a)", "A.", "A:" and bulleted options are all a choice question with their texts."""
    q = parse_question(prompt)
    assert q.answer_type == "choice"
    assert q.options["A"] == "Jupiter" and q.options["B"] == "Saturn"


def test_a_letter_and_the_letter_with_its_text_are_one_vote():
    """ "b", "b) saturn", "(B)", "Saturn" and "B) Saturn" are the same key."""
    q = parse_question(MOONS)
    keys = {extract_answer(q, reply) for reply in ("b", "b) saturn", "(B)", "Saturn", "B) Saturn", "Answer: b")}
    assert keys == {"B"}


@pytest.mark.parametrize(
    "prompt, reply",
    [
        ("What is 17 * 23?", "Simulated answer to: What is 17 * 23?"),
        ("What is 17 * 23?", "It depends."),
        ("Is 91 prime?", "It depends on the context."),
        ("What is the capital of France?", "Simulated answer to: What is the capital of France?"),
        (MOONS, f"Simulated answer to: {MOONS}"),
        (MOONS, "It could be A or B."),
    ],
)
def test_restating_or_hedging_gives_no_answer(prompt, reply):
    """A reply that only restates the question or hedges has no answer (and so no vote)."""
    assert read_answer(parse_question(prompt), reply).key is None


@pytest.mark.parametrize(
    "reply, found_by",
    [
        ("Reasoning...\nAnswer: B", "marker"),
        ("B", "last line"),
        ("It's Saturn.", "option text"),
        ("I'd go with B.", "phrase"),
        ("$\\boxed{B}$ because Saturn has 146 moons.", "boxed"),
    ],
)
def test_each_reading_says_how_it_was_found(reply, found_by):
    """The reading names the place the answer came from, so a misread can be seen."""
    reading = read_answer(parse_question(MOONS), reply)
    assert reading == type(reading)("B", found_by)
