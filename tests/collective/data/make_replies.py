"""Writes replies.jsonl: the labelled corpus of model replies the answer reader is held to.

Each line is one reply: {"id", "type", "question", "reply", "answer", "style"}; "answer" is the key the
reader must give (a letter, a canonical number, "yes"/"no", a casefolded short text) or null when the
reply commits to nothing. The shapes follow how current chat and reasoning models write: options weighed
or ruled out before the choice, first guesses revised, answers followed by afterthoughts, results with
units and separators followed by derived numbers, LaTeX, markdown, <think> blocks, several languages.

    uv run python tests/collective/data/make_replies.py
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).with_name("replies.jsonl")

# -- multiple choice ------------------------------------------------------------------------------------
# (question as asked, {letter: text}, right letter, lure letter)
CHOICE = [
    (
        "Which planet has the most moons? A) Jupiter B) Saturn C) Uranus D) Neptune",
        {"A": "Jupiter", "B": "Saturn", "C": "Uranus", "D": "Neptune"},
        "B",
        "A",
    ),
    (
        "What is the chemical symbol for gold?\n(A) Ag\n(B) Au\n(C) Gd\n(D) Go",
        {"A": "Ag", "B": "Au", "C": "Gd", "D": "Go"},
        "B",
        "A",
    ),
    (
        "Which is the largest ocean on Earth?\nA. Atlantic\nB. Indian\nC. Pacific\nD. Arctic",
        {"A": "Atlantic", "B": "Indian", "C": "Pacific", "D": "Arctic"},
        "C",
        "A",
    ),
    (
        "What is the capital of Australia?\n- A: Sydney\n- B: Melbourne\n- C: Canberra\n- D: Perth",
        {"A": "Sydney", "B": "Melbourne", "C": "Canberra", "D": "Perth"},
        "C",
        "A",
    ),
    (
        "Who painted the Mona Lisa? (a) Michelangelo (b) Raphael (c) Leonardo da Vinci (d) Titian",
        {"A": "Michelangelo", "B": "Raphael", "C": "Leonardo da Vinci", "D": "Titian"},
        "C",
        "A",
    ),
    (
        "Which organ produces insulin?\nA) Liver\nB) Kidney\nC) Spleen\nD) Pancreas",
        {"A": "Liver", "B": "Kidney", "C": "Spleen", "D": "Pancreas"},
        "D",
        "A",
    ),
]

CHOICE_REPLIES = [
    (
        "final_line",
        "Let me think about each option.\n{W}) {WT} is a common guess, but it is not right.\n"
        "{K}) {KT} fits the question.\n\nAnswer: {K}",
    ),
    ("bold_final", "Looking at the options, {KT} is the one that matches.\n\n**Answer: {K}**"),
    (
        "eliminate",
        "Let's rule options out.\n- {W} ({WT}): incorrect, a frequent confusion.\n"
        "- {O} ({OT}): also wrong.\n- {P} ({PT}): no.\n\nThat leaves {K}, {KT}.",
    ),
    ("eliminate_then_correct", "{W}) {WT} is wrong. {O}) {OT} is wrong too. {K}) {KT} is correct."),
    (
        "discuss_all_then_choose",
        "**{W}) {WT}** – tempting, and many people pick it.\n"
        "**{K}) {KT}** – this is the established fact.\n**{O}) {OT}** – unlikely.\n\n"
        "Therefore, the correct answer is **{K}) {KT}**.",
    ),
    (
        "revised",
        "My first instinct says {W}, {WT}. But wait, that is the common misconception. "
        "Checking again, the right one is {KT}.\n\nFinal answer: {K}",
    ),
    (
        "revised_after_marker",
        "Answer: {W}\n\nHmm, wait. Actually, I mixed that up: {WT} is the usual distractor here. "
        "The correct answer is {K}.",
    ),
    ("afterthought", "**Answer: {K}**\n\nNote: option {W} ({WT}) is often chosen by mistake."),
    (
        "afterthought_caveat",
        "The answer is {K}.\n\nThat said, some older textbooks list {W}, so be careful with outdated sources.",
    ),
    ("text_only", "{KT}"),
    ("text_sentence", "It's {KT}."),
    ("paren_letter", "The answer is ({K})."),
    ("boxed", "Reasoning through the facts, {KT} is right.\n\n$\\boxed{{{K}}}$"),
    ("boxed_text", "We need {KT}.\n\\[\n\\boxed{{\\text{{{K}}}}}\n\\]"),
    ("heading", "## Analysis\n{WT} is a distractor; {KT} matches.\n\n## Final Answer\n**{K}) {KT}**"),
    ("lowercase", "{k}) {KT_lower}"),
    ("lowercase_letter", "{k}"),
    ("go_with", "Between {W} and {K}, I'd go with {K}."),
    ("option_is_correct", "Option {K} is correct: {KT}."),
    ("bare_letter", "{K}"),
    (
        "answer_first",
        "{K}. {KT}\n\n{KT} is correct because it matches the established facts; {WT} ({W}) is a common confusion.",
    ),
    ("answer_first_bold", "**{K}) {KT}**\n\nExplanation: {WT} is often mistaken for the answer, but {KT} is right."),
    ("neither_nor", "Neither {W} nor {O}; the right one is {K}."),
    ("final_answer_paren", "Final answer: {K} ({KT})"),
    ("text_then_letter", "The correct choice would be {KT} ({K})."),
    (
        "think_block",
        "<think>\nThe user asks a quiz question. Maybe {W}? {WT} seems plausible... no, "
        "I remember {KT} is right. So {K}.\n</think>\n\n**{K}) {KT}**",
    ),
    ("think_then_answer", "<think>Option {W} looks good at first. Hmm, {O} no. It's {K}.</think>\nAnswer: {K}"),
    ("must_be", "Since {WT} and {OT} don't fit, it must be {K}."),
    ("so_letter", "{WT} is out, and so is {OT}. So {K}."),
    ("spanish", "Analicemos las opciones. {WT} no es correcto.\n\nRespuesta: {K}"),
    ("french", "L'option {W} est fausse.\n\nRéponse : {K}"),
    ("german", "Die richtige Antwort ist {K}."),
    ("chinese", "分析：{WT}不对。\n答案：{K}"),
    ("the_best_answer", "The best answer here is {K}, {KT}."),
    (
        "long_cot",
        "Okay, let me work through this carefully.\n\nFirst, recall what the question is really asking. "
        "Option {W}, {WT}, is something a lot of people would say, because it is the most familiar. "
        "Option {O}, {OT}, can be dismissed quickly. Option {P}, {PT}, also doesn't hold up.\n\n"
        "Now, option {K}, {KT}. Checking what I know, this is the one supported by the facts.\n\n"
        "So, weighing everything, I'm confident the answer is {K}.\n\n"
        "**Answer: {K}**",
    ),
    ("letter_and_text_marker", "Answer: {K}) {KT}"),
    ("choose_phrase", "I choose option {K}."),
    ("selected_bullet", "- Selected: **{K}**\n- Confidence: high"),
]

CHOICE_NULL = [
    ("restates", "Simulated answer to: {Q}"),
    ("hedge", "It depends on how you count; it could be {W} or {K}."),
    ("unsure", "I'm not sure. {WT} and {KT} both seem plausible."),
    ("two_letters", "Both {W} and {K} could work."),
]

# -- numbers --------------------------------------------------------------------------------------------
# (question, answer, work lines, unit, derived sentence)
NUMBER = [
    ("What is 23 * 47?", 1081, ["23 × 40 = 920", "23 × 7 = 161", "920 + 161 = 1081"], "", None),
    ("What is 128 * 53?", 6784, ["128 × 50 = 6400", "128 × 3 = 384", "6400 + 384 = 6784"], "", None),
    (
        "A train travels at 85 km/h for 6 hours. How far does it travel, in km?",
        510,
        ["distance = speed × time", "85 × 6 = 510"],
        "km",
        "That is about 317 miles.",
    ),
    (
        "Maria has 4250 dollars and spends 1375 dollars on a bicycle. How much money does she have left, in dollars?",
        2875,
        ["4250 - 1375 = 2875"],
        "dollars",
        "That's roughly 2,900 dollars.",
    ),
    ("What is 7344 / 24?", 306, ["24 × 300 = 7200", "7344 - 7200 = 144", "144 / 24 = 6", "300 + 6 = 306"], "", None),
    (
        "A shop sells 48 boxes with 24 pens in each box. How many pens does it sell in total?",
        1152,
        ["48 × 24 = 48 × 20 + 48 × 4", "= 960 + 192", "= 1152"],
        "pens",
        "That's 96 dozen pens.",
    ),
    ("Compute 4821 + 3977.", 8798, ["4821 + 3977 = 8798"], "", None),
    (
        "How many seconds are there in 3 hours?",
        10800,
        ["1 hour = 3600 seconds", "3 × 3600 = 10800"],
        "seconds",
        "That's 180 minutes.",
    ),
]


def fmt_comma(n: int) -> str:
    return f"{n:,}"


NUMBER_REPLIES = [
    ("final_line", lambda a, w, u, d: "Let me compute.\n" + "\n".join(w) + f"\n\nAnswer: {a}"),
    ("bold_final", lambda a, w, u, d: "\n".join(w) + f"\n\n**Answer: {a}**"),
    ("boxed", lambda a, w, u, d: "We have\n$$" + w[-1] + f"$$\nso the result is $\\boxed{{{a}}}$."),
    ("boxed_then_check", lambda a, w, u, d: f"$\\boxed{{{a}}}$\n\nCheck: " + w[0]),
    ("separator_unit", lambda a, w, u, d: f"The total comes to {fmt_comma(a)} {u}.".replace("  ", " ")),
    (
        "unit_then_derived",
        lambda a, w, u, d: f"The answer is {fmt_comma(a)} {u}. " + (d or f"Half of that is {a // 2}."),
    ),
    (
        "bold_then_derived",
        lambda a, w, u, d: (
            "\n".join(w) + f"\n\nSo the result is **{fmt_comma(a)}**. " + (d or f"Doubling it would give {a * 2}.")
        ),
    ),
    ("answer_first", lambda a, w, u, d: f"**{a}**\n\nHere is how: " + "; ".join(w) + "."),
    ("answer_first_plain", lambda a, w, u, d: f"{fmt_comma(a)}\n\n" + "\n".join(w)),
    ("equals_last", lambda a, w, u, d: "\n".join(w)),
    (
        "then_verify",
        lambda a, w, u, d: (
            "\n".join(w) + f"\n\nSo the answer is {a}.\n\nVerification: {a} is consistent"
            f" with an estimate of about {round(a, -2)}."
        ),
    ),
    (
        "revised",
        lambda a, w, u, d: (
            f"At first glance it looks like {a + 10}. Wait, let me redo that.\n"
            + "\n".join(w)
            + f"\nSo the correct result is {a}."
        ),
    ),
    (
        "revised_after_marker",
        lambda a, w, u, d: (
            f"Answer: {a - 100}\n\nHmm, I slipped on a carry. Recomputing:\n" + "\n".join(w) + f"\n\nFinal answer: {a}"
        ),
    ),
    (
        "afterthought",
        lambda a, w, u, d: (
            f"**Answer: {a}**\n\n(An estimate of {round(a, -2)} is close, which is a good sanity check.)"
        ),
    ),
    ("float", lambda a, w, u, d: f"{a}.0"),
    ("equals_bare", lambda a, w, u, d: f"= {a}"),
    (
        "latex_inline",
        lambda a, w, u, d: (
            "Computing step by step: $" + w[-1].replace("×", "\\times") + "$.\n\n"
            f"Therefore the answer is $\\mathbf{{{a}}}$."
        ),
    ),
    ("french_space", lambda a, w, u, d: f"Réponse : {a:,}".replace(",", "\u202f")),
    (
        "french_sentence",
        lambda a, w, u, d: f"Le résultat est {a:,} {u}.".replace(",", " ").replace("  ", " ").replace(" .", "."),
    ),
    (
        "german_dot",
        lambda a, w, u, d: f"Die Antwort lautet: {a:,}".replace(",", ".") if a >= 1000 else f"Die Antwort lautet: {a}",
    ),
    ("swiss_apostrophe", lambda a, w, u, d: f"Resultat: {a:,}".replace(",", "'")),
    ("spanish", lambda a, w, u, d: "\n".join(w) + f"\n\nRespuesta: {a}"),
    ("think_block", lambda a, w, u, d: "<think>\n" + "\n".join(w) + f"\nMaybe {a + 1}? No, {a}.\n</think>\n\n{a}"),
    (
        "markdown_table",
        lambda a, w, u, d: (
            "| step | value |\n|---|---|\n"
            + "\n".join(f"| {i + 1} | {x} |" for i, x in enumerate(w))
            + f"\n\n**Final answer:** {fmt_comma(a)}"
        ),
    ),
    (
        "dollar_sign",
        lambda a, w, u, d: f"She has ${fmt_comma(a)} left." if u == "dollars" else f"The value is {fmt_comma(a)}.",
    ),
    (
        "long_cot",
        lambda a, w, u, d: (
            "Okay, so I need to be careful with the arithmetic here.\n\n"
            "First, let me restate the numbers given in the question and set up the computation.\n\n"
            + "\n".join(f"- {x}" for x in w)
            + "\n\nLet me double-check by estimating: the result should be roughly "
            f"{round(a, -2)}, which matches.\n\nSo the final answer is {fmt_comma(a)}{(' ' + u) if u else ''}."
        ),
    ),
    (
        "result_is_then_rounded",
        lambda a, w, u, d: f"The exact result is {a}; rounded to the nearest hundred that's {round(a, -2)}.",
    ),
    ("answer_with_approx", lambda a, w, u, d: f"Answer: {a} (approximately {round(a, -3) or 1000})"),
    ("sentence_of", lambda a, w, u, d: f"I get {fmt_comma(a)} as the result."),
    ("equals_then_derived_line", lambda a, w, u, d: "\n".join(w) + "\n" + (d or f"In words: about {round(a, -2)}.")),
]

NUMBER_NULL = [
    ("restates", lambda q: f"Simulated answer to: {q}"),
    ("hedge", lambda q: "It depends on what you mean; I'd need more context."),
    ("refuses", lambda q: "I can't compute that reliably without a calculator."),
    ("restates_numbers", lambda q: f"You asked: {q} Let me know if you want me to work it out."),
]

# -- boolean --------------------------------------------------------------------------------------------
BOOLEAN = [
    ("Is 17 a prime number?", "yes", "17 has no divisors other than 1 and itself"),
    ("Is 91 a prime number?", "no", "91 = 7 × 13"),
    ("Can penguins fly?", "no", "penguins' wings are adapted for swimming"),
    ("Does water boil at 100 degrees Celsius at sea level?", "yes", "at 1 atm water boils at 100 °C"),
]
B_WORDS = {"yes": ("Yes", "True", "true", "Sí", "Oui", "Ja"), "no": ("No", "False", "false", "No", "Non", "Nein")}
BOOLEAN_REPLIES = [
    ("final_line", "{why}.\n\nAnswer: {yn}"),
    ("lead", "{YN}, {why}."),
    ("bold", "**{YN}**"),
    ("statement_is", "{why}, so the statement is {tf}."),
    ("afterthought", "Answer: {yn}\n\nThough in everyday speech people sometimes say otherwise."),
    ("revised", "At first I'd say {anti}. Actually, {why}, so the answer is {yn}."),
    ("spanish", "Respuesta: {es}"),
    ("french", "Réponse : {fr}"),
    ("german", "{de}, {why}."),
    ("think", "<think>Hmm, {why}.</think>\n{YN}."),
    ("boxed", "$\\boxed{{\\text{{{YN}}}}}$"),
    ("long", "Let me think.\n\n{why}. There's no real ambiguity here.\n\n**Final answer: {YN}.**"),
]
BOOLEAN_NULL = [
    ("hedge", "It depends on the context."),
    ("both", "Yes and no: it depends on how you define it."),
    ("restates", "Simulated answer to: {Q}"),
]

# -- short text -----------------------------------------------------------------------------------------
TEXT = [
    ("What is the capital of France?", "paris", "Paris", "capital of France"),
    ("Who wrote Pride and Prejudice?", "jane austen", "Jane Austen", "author of Pride and Prejudice"),
    ("What is the largest ocean on Earth?", "pacific ocean", "Pacific Ocean", "largest ocean on Earth"),
    ("Which element has the chemical symbol Fe?", "iron", "Iron", "element with the symbol Fe"),
]
TEXT_REPLIES = [
    ("final_line", "Let me recall.\n\nAnswer: {T}"),
    ("bold", "**{T}**"),
    ("the_x_is", "The {desc} is {T}."),
    ("x_is_the", "{T} is the {desc}."),
    ("bare", "{T}"),
    ("boxed", "$\\boxed{{\\text{{{T}}}}}$"),
    ("afterthought", "Answer: {T}\n\nLet me know if you'd like more background."),
    ("answer_is", "The answer is {T}."),
    ("its", "It's {T}."),
    ("spanish", "Respuesta: {T}"),
]
TEXT_NULL = [
    ("hedge", "It depends on what you mean."),
    ("restates", "Simulated answer to: {Q}"),
]


def choice_rows() -> list[dict]:
    rows = []
    for qi, (question, options, right, lure) in enumerate(CHOICE):
        others = [letter for letter in options if letter not in (right, lure)]
        slots = {
            "Q": question, "K": right, "k": right.lower(), "KT": options[right], "KT_lower": options[right].lower(),
            "W": lure, "WT": options[lure], "O": others[0], "OT": options[others[0]], "P": others[1],
            "PT": options[others[1]],
        }  # fmt: skip
        for style, template in CHOICE_REPLIES:
            rows.append(("choice", question, template.format(**slots), right, style, qi))
        for style, template in CHOICE_NULL:
            rows.append(("choice", question, template.format(**slots), None, "null_" + style, qi))
    return rows


def number_rows() -> list[dict]:
    rows = []
    for qi, (question, answer, work, unit, derived) in enumerate(NUMBER):
        for style, template in NUMBER_REPLIES:
            rows.append(("number", question, template(answer, work, unit, derived), str(answer), style, qi))
        for style, template in NUMBER_NULL:
            rows.append(("number", question, template(question), None, "null_" + style, qi))
    return rows


def boolean_rows() -> list[dict]:
    rows = []
    for qi, (question, key, why) in enumerate(BOOLEAN):
        words = B_WORDS[key]
        anti = "no" if key == "yes" else "yes"
        slots = {"Q": question, "why": why[0].upper() + why[1:], "yn": key, "YN": words[0], "tf": words[2],
                 "anti": anti, "es": words[3], "fr": words[4], "de": words[5]}  # fmt: skip
        for style, template in BOOLEAN_REPLIES:
            rows.append(("boolean", question, template.format(**slots), key, style, qi))
        for style, template in BOOLEAN_NULL:
            rows.append(("boolean", question, template.format(**slots), None, "null_" + style, qi))
    return rows


def text_rows() -> list[dict]:
    rows = []
    for qi, (question, key, shown, desc) in enumerate(TEXT):
        for style, template in TEXT_REPLIES:
            rows.append(("text", question, template.format(T=shown, desc=desc), key, style, qi))
        for style, template in TEXT_NULL:
            rows.append(("text", question, template.format(Q=question), None, "null_" + style, qi))
    return rows


def main() -> None:
    rows = choice_rows() + number_rows() + boolean_rows() + text_rows()
    with OUT.open("w", encoding="utf-8") as out:
        for kind, question, reply, answer, style, qi in rows:
            record = {"id": f"{kind}-{qi}-{style}", "type": kind, "question": question, "reply": reply,
                      "answer": answer, "style": style}  # fmt: skip
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{len(rows)} replies written to {OUT}")


if __name__ == "__main__":
    main()
