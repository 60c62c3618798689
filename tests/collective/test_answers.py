import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orcollective.collective.answers import (
    Question,
    answer_instruction,
    display_answer,
    extract_answer,
    parse_question,
)

PROPERTY = settings(max_examples=150, deadline=None)

CAPITAL = parse_question("Which city is the capital of France?\nA) London\nB) Paris\nC) Paris, Texas\nD) Rome")
NUMBER = parse_question("What is 23*47?")
BOOLEAN = parse_question("Is 17 a prime number?")
TEXT = parse_question("What is the capital of France?")


# --- parse_question ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prompt, answer_type",
    [
        ("Which planet is largest?\nA) Mars\nB) Jupiter\nC) Venus\nD) Earth", "choice"),
        ("Which is a noble gas?\n(A) Oxygen\n(B) Neon\n(C) Nitrogen", "choice"),
        ("Pick the prime.\nA. 21\nB. 27\nC. 29\nD. 33", "choice"),
        ("Which is a mammal? (A) shark (B) whale (C) trout", "choice"),
        ("Is 17 a prime number?", "boolean"),
        ("Does water boil at 100 degrees Celsius at sea level?", "boolean"),
        ("Can penguins fly?", "boolean"),
        ("True or false: the Great Wall of China is visible from the Moon.", "boolean"),
        ("Answer yes or no: was Napoleon taller than average?", "boolean"),
        ("Consider the number 91. Is it prime?", "boolean"),
        ("What is 23*47?", "number"),
        ("How many r's are in the word strawberry?", "number"),
        ("Compute 2^10 - 24.", "number"),
        ("Calculate the area of a circle with radius 3, to two decimals.", "number"),
        ("How much is 15% of 80?", "number"),
        (
            "A train travels 120 km in 1.5 hours. What is its average speed in km/h? Explain your reasoning.",
            "number",
        ),
        ("In what year did the Berlin Wall fall?", "number"),
        ("What is the capital of France?", "text"),
        ("Who wrote Pride and Prejudice?", "text"),
        ("Name the largest ocean on Earth.", "text"),
        ("Which element has the chemical symbol Fe?", "text"),
        ("Write a short story about a lighthouse keeper.", "long_text"),
        ("Explain why the sky is blue.", "long_text"),
        ("Compare Python and Rust for systems programming.", "long_text"),
        ("Please summarise the causes of the First World War.", "long_text"),
        ("Design a database schema for a library.", "long_text"),
        ("Give me an essay on the ethics of AI.", "long_text"),
        ("Why do cats purr?", "long_text"),
        ("Is it better to rent or to buy a house?", "long_text"),
        ("You are reviewing a pull request. " * 20 + "What do you think about it?", "long_text"),
    ],
)
def test_parse_question_detects_answer_type(prompt, answer_type):
    """The answer type is detected from realistic prompts of every kind."""
    assert parse_question(prompt).answer_type == answer_type


def test_parse_question_reads_lettered_options():
    """Options one per line keep their letters, order and text."""
    assert CAPITAL.options == {"A": "London", "B": "Paris", "C": "Paris, Texas", "D": "Rome"}


def test_parse_question_reads_inline_options():
    """Inline options "(A) x, (B) y or (C) z" are split without their separators."""
    q = parse_question("Which is a mammal: (A) shark, (B) whale or (C) trout?")
    assert q.options == {"A": "shark", "B": "whale", "C": "trout"}


def test_parse_question_honours_explicit_type():
    """An explicit answer type wins over detection; choice without options has none."""
    assert parse_question("What is 23*47?", "text").answer_type == "text"
    assert parse_question("Is 17 prime?", "number") == Question("Is 17 prime?", "number", {})
    assert parse_question("Pick the best plan.", "choice") == Question("Pick the best plan.", "choice", {})


def test_parse_question_needs_two_options_in_order():
    """A lone "A." line or letters out of order are not options."""
    assert parse_question("Q: what is 2+2?\nA: four").answer_type != "choice"
    assert parse_question("B) one\nD) two\nWhat is 2+2?").options == {}


# --- answer_instruction and display_answer -------------------------------------------------


def test_answer_instruction_per_type():
    """Each closed type asks for one parseable final line; long text asks for nothing."""
    assert answer_instruction(CAPITAL) == (
        'End your reply with a final line of the form "Answer: <letter>" (one of A, B, C, D).'
    )
    assert '"Answer: <number>"' in answer_instruction(NUMBER)
    assert "digits only" in answer_instruction(NUMBER)
    assert '"Answer: yes" or "Answer: no"' in answer_instruction(BOOLEAN)
    assert '"Answer: <short answer>"' in answer_instruction(TEXT)
    assert answer_instruction(parse_question("Write a poem about rain.")) == ""


def test_display_answer():
    """Keys are shown in human form: a letter with its option, everything else as is."""
    assert display_answer(CAPITAL, "B") == "B) Paris"
    assert display_answer(Question("Pick one.", "choice", {}), "C") == "C"
    assert display_answer(NUMBER, "6758") == "6758"
    assert display_answer(BOOLEAN, "yes") == "yes"
    assert display_answer(TEXT, "paris") == "paris"


# --- choice --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        "B",
        "(B)",
        "B)",
        "**B**",
        "**Answer: B**",
        "Answer: (B)",
        "The answer is B.",
        "Final answer: B) Paris",
        "B) Paris",
        "I choose option B",
        "Paris",
        "\\boxed{B}",
        "$\\boxed{\\text{B}}$",
        "answer: b",
        "A is wrong because London is in England, C is tempting, but B is right. Answer: B",
        "A is wrong because London is in England, C is tempting, but B is right.",
        "The answer is A.\nWait, London is the capital of the UK.\n**B**",
        "Answer: I think it's B",
        "The answer is not A, it is B",
        "Not Paris, Texas but Paris.",
        "B) Paris\n\nParis has been the capital since the 10th century.",
    ],
)
def test_choice_renderings(reply):
    """Every way of writing option B normalises to "B"."""
    assert extract_answer(CAPITAL, reply) == "B"


def test_choice_longer_option_text_is_not_its_prefix():
    """The reply "Paris, Texas" is option C, though it contains option B's text."""
    assert extract_answer(CAPITAL, "Paris, Texas") == "C"
    assert extract_answer(CAPITAL, "Answer: Paris, Texas") == "C"


@pytest.mark.parametrize("reply", ["not Paris", "Answer: not Paris", "It is not Paris.", "I would not choose B."])
def test_choice_negated_option_is_not_chosen(reply):
    """A negated option is never the answer."""
    assert extract_answer(CAPITAL, reply) != "B"


@pytest.mark.parametrize("reply", ["", "I am not sure.", "Answer: E", "Both A and C could work."])
def test_choice_without_answer_is_none(reply):
    """No option, an unknown letter or two options give no key."""
    assert extract_answer(CAPITAL, reply) is None


def test_choice_without_known_options_reads_letters():
    """With no detected options any letter counts, but the pronoun "I" does not."""
    q = Question("Pick one.", "choice", {})
    assert extract_answer(q, "Answer: C") == "C"
    assert extract_answer(q, "I think so") is None


# --- number --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        "6758",
        "6,758",
        "6758.0",
        "= 6758",
        "The result is 6,758.",
        "**6758**",
        "Answer: 6758",
        "**Answer:** 6,758",
        "\\boxed{6758}",
        "$6,758",
        "6 758",
        "6\u2009758",
        "6\u202f758",
        "6758.",
        "Answer: 23*47 = 6758",
        "Answer: approximately 6758 square metres",
        "Answer:\n\n**6758**",
    ],
)
def test_number_renderings(reply):
    """Every way of writing 6758 normalises to "6758"."""
    assert extract_answer(NUMBER, reply) == "6758"


@pytest.mark.parametrize(
    "reply, key",
    [
        ("-12", "-12"),
        ("\u221212", "-12"),
        ("3.50", "3.5"),
        ("-0.50", "-0.5"),
        ("1e3", "1000"),
        ("1.2 million", "1200000"),
        ("1,200,000", "1200000"),
        ("50%", "50"),
        ("1/2", "0.5"),
        ("Answer: 1/4", "0.25"),
        ("\\boxed{\\frac{3}{4}}", "0.75"),
        ("0", "0"),
        ("-0.0", "0"),
        (".5", "0.5"),
    ],
)
def test_number_canonical_form(reply, key):
    """Numbers become plain decimal strings: no exponent, no trailing zeros, no separators."""
    assert extract_answer(NUMBER, reply) == key


def test_number_decimal_comma_rule():
    """A comma before exactly three digits separates thousands; any other comma is a decimal comma."""
    assert extract_answer(NUMBER, "3,5") == "3.5"
    assert extract_answer(NUMBER, "0,25") == "0.25"
    assert extract_answer(NUMBER, "3,500") == "3500"


def test_number_chain_of_thought_marker_wins():
    """A reasoning chain full of other numbers does not hide the marked answer."""
    reply = "23*47: 20*47=940, 3*47=141, 940+141=1081 ... Answer: 1081"
    assert extract_answer(NUMBER, reply) == "1081"


def test_number_without_marker_prefers_last_line_result():
    """Without a marker the last line's "=" result beats its operands and earlier lines."""
    reply = "20*47 = 940\n3*47 = 141\n940 + 141 = 1081"
    assert extract_answer(NUMBER, reply) == "1081"
    assert extract_answer(NUMBER, "We have 3 boxes of 12.\nSo 36 eggs in total.") == "36"


def test_number_list_numbering_is_not_the_answer():
    """List numbers and step counts never beat a later marker or result."""
    assert extract_answer(NUMBER, "1. Multiply 23 by 40.\n2. Add 23*7.\n3. Sum them.\nAnswer: 1081") == "1081"
    assert extract_answer(NUMBER, "Step 1: 20*47 = 940\nStep 2: 940 + 141 = 1081") == "1081"
    assert extract_answer(NUMBER, "1081\n\n1. I multiplied.\n2. I added.") == "1081"


def test_number_early_answer_mention_does_not_win():
    """An early "To get the answer: multiply 23 by 47" is reasoning; the final result wins."""
    assert extract_answer(NUMBER, "To get the answer: multiply 23 by 47.\n940 + 141 = 1081") == "1081"
    assert extract_answer(NUMBER, "The answer must be near 1000.\nIndeed 23*47 = 1081") == "1081"


def test_number_fraction_only_as_whole_answer():
    """A fraction is read only as the whole answer; inside a sentence neither 1 nor 4 is taken."""
    assert extract_answer(NUMBER, "1/4") == "0.25"
    assert extract_answer(NUMBER, "The probability is 1/4.") is None
    assert extract_answer(NUMBER, "Answer: 1/4 (25%)") == "25"


@pytest.mark.parametrize("reply", ["", "I don't know.", "Answer: many", "Answer: ???"])
def test_number_without_number_is_none(reply):
    """A reply with no number gives no key."""
    assert extract_answer(NUMBER, reply) is None


def test_number_42_and_17_never_agree():
    """42 and 17 never normalise to the same key, whatever else the reply mentions."""
    assert extract_answer(NUMBER, "I first thought 17.\nAnswer: 42") == "42"
    assert extract_answer(NUMBER, "It is 42, not 17.\nAnswer: 17") == "17"
    assert extract_answer(NUMBER, "42") != extract_answer(NUMBER, "17")


# --- boolean -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply, key",
    [
        ("yes", "yes"),
        ("Yes.", "yes"),
        ("**Yes**", "yes"),
        ("true", "yes"),
        ("Correct", "yes"),
        ("Answer: No", "no"),
        ("No, it is not.", "no"),
        ("false", "no"),
        ("Incorrect.", "no"),
        ("Let me check.\nIt is not true that 17 has a divisor other than 1 and itself.\nAnswer: no", "no"),
        ("17 has no divisors but 1 and itself.\nSo the statement is true.", "yes"),
        ("Yes, 17 is prime.\n\nIts only divisors are 1 and 17.", "yes"),
    ],
)
def test_boolean_renderings(reply, key):
    """Verdicts in any common form normalise to "yes" or "no"."""
    assert extract_answer(BOOLEAN, reply) == key


@pytest.mark.parametrize("reply", ["It is not true.", "Maybe.", "It could be true or false.", ""])
def test_boolean_unclear_is_none(reply):
    """A negated or two-sided verdict gives no key rather than a guess."""
    assert extract_answer(BOOLEAN, reply) is None


# --- text ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply", ["Answer: Paris", "paris", "The answer is **Paris**.", "Paris.", '"Paris"', "The Paris"]
)
def test_text_renderings(reply):
    """Case, markdown, quotes, trailing punctuation and a leading article do not matter."""
    assert extract_answer(TEXT, reply) == "paris"


def test_text_keeps_negation_and_words():
    """A negation or a missing word changes the key: "Not Paris" != "Paris", "New York" != "York"."""
    assert extract_answer(TEXT, "Not Paris") == "not paris"
    assert extract_answer(TEXT, "New York") != extract_answer(TEXT, "York")


def test_long_text_has_no_key():
    """Long free text is never keyed by its words."""
    q = parse_question("Write an essay on rivers.")
    assert extract_answer(q, "Answer: rivers are long.") is None


# --- properties: every rendering normalises back ---------------------------------------------

VOCAB = [
    "paris", "texas", "london", "rome", "new", "york", "berlin", "red", "blue", "green", "oxygen",
    "carbon", "river", "mountain", "seven", "eleven", "shakespeare", "marlowe", "violin", "piano",
]  # fmt: skip
LETTERS = "ABCDE"

phrases = st.lists(st.sampled_from(VOCAB), min_size=1, max_size=3).map(" ".join)
cased = st.sampled_from([str, str.title, str.upper, str.capitalize])

CHOICE_TEMPLATES = [
    "{L}", "({L})", "{L})", "**{L}**", "**Answer: {L}**", "Answer: ({L})", "The answer is {L}.",
    "Final answer: {L}) {T}", "{L}) {T}", "I choose option {L}", "{T}", "\\boxed{{{L}}}", "answer: {l}",
    "The correct answer is **{L}**.", "Answer: {T}", "{T}.", "So I'd pick ({L}).",
]  # fmt: skip


@st.composite
def choice_cases(draw):
    texts = draw(st.lists(phrases, min_size=2, max_size=5, unique=True))
    options = {LETTERS[i]: draw(cased)(text) for i, text in enumerate(texts)}
    letter = draw(st.sampled_from(list(options)))
    others = draw(st.lists(st.sampled_from(list(options)), max_size=3))
    cot = "".join(
        f"{other} is tempting, since {options[other]} looks plausible, but it is wrong.\n" for other in others
    )
    template = draw(st.sampled_from(CHOICE_TEMPLATES))
    reply = cot + template.format(L=letter, l=letter.lower(), T=options[letter])
    prompt = "Which one?\n" + "\n".join(f"{k}) {v}" for k, v in options.items())
    return prompt, options, letter, reply


@PROPERTY
@given(choice_cases())
def test_property_choice_renderings_normalise_to_the_letter(case):
    """Any rendering of option X, after any discussion of other options, normalises to X."""
    prompt, options, letter, reply = case
    q = parse_question(prompt)
    assert q.options == options
    assert extract_answer(q, reply) == letter


@PROPERTY
@given(choice_cases(), st.sampled_from(CHOICE_TEMPLATES), st.data())
def test_property_distinct_letters_never_merge(case, template, data):
    """The same rendering of two different options never gives them the same key."""
    prompt, options, letter, _ = case
    other = data.draw(st.sampled_from([k for k in options if k != letter]))
    q = parse_question(prompt)
    first, second = (template.format(L=k, l=k.lower(), T=options[k]) for k in (letter, other))
    assert extract_answer(q, first) != extract_answer(q, second)


@PROPERTY
@given(choice_cases())
def test_property_choice_negated_option_never_chosen(case):
    """A reply "Answer: not <option text>" never yields that option."""
    prompt, options, letter, _ = case
    assert extract_answer(parse_question(prompt), f"Answer: not {options[letter]}") != letter


def grouped(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


INT_TEMPLATES = [
    str,
    lambda n: grouped(n, ","),
    lambda n: grouped(n, " "),
    lambda n: grouped(n, "\u2009"),
    lambda n: grouped(n, "\u202f"),
    lambda n: f"{n}.0",
    lambda n: f"**{n}**",
    lambda n: f"Answer: {n}",
    lambda n: f"**Answer:** {grouped(n, ',')}",
    lambda n: f"\\boxed{{{n}}}",
    lambda n: f"= {n}",
    lambda n: f"The result is {grouped(n, ',')}.",
    lambda n: f"{n}.",
    lambda n: f"The final answer is {n}",
    lambda n: f"So the total is {grouped(n, ',')} apples.",
    lambda n: f"x = {n}",
    lambda n: f"${grouped(n, ',')}" if n >= 0 else f"-${grouped(-n, ',')}",
]


REASONING_LINES = [
    "First, {a} + {b} = {c}.",
    "{a} * {b} = {c}",
    "1. Multiply {a} by {b}.",
    "Step 2: we have {a} apples and {b} pears.",
]


@st.composite
def reasoning(draw):
    """Chain-of-thought lines full of numbers that are not the answer."""
    lines = draw(st.lists(st.tuples(st.sampled_from(REASONING_LINES), st.integers(0, 10**5), st.integers(0, 10**5))))
    return "".join(line.format(a=a, b=b, c=a + b) + "\n" for line, a, b in lines)


@PROPERTY
@given(st.integers(-(10**9), 10**9), st.sampled_from(INT_TEMPLATES), reasoning())
def test_property_integer_renderings_normalise(n, template, cot):
    """Any rendering of an integer, after any reasoning, normalises to its plain digits."""
    assert extract_answer(NUMBER, cot + template(n)) == str(n)


@st.composite
def decimals(draw):
    sign = draw(st.sampled_from(["", "-"]))
    whole = draw(st.integers(0, 10**6))
    digits = draw(st.from_regex(r"[0-9]{1,4}", fullmatch=True))
    kept = digits.rstrip("0")
    key = (f"{sign}{whole}.{kept}" if kept else f"{sign}{whole}") if (whole or kept) else "0"
    return sign, whole, digits, key


DECIMAL_TEMPLATES = [
    "{s}{w}.{d}", "{s}{g}.{d}", "**{s}{w}.{d}**", "Answer: {s}{g}.{d}", "\\boxed{{{s}{w}.{d}}}", "= {s}{w}.{d}",
    "The result is {s}{g}.{d}.", "{s}{w}.{d}0",
]  # fmt: skip


@PROPERTY
@given(decimals(), st.sampled_from(DECIMAL_TEMPLATES), reasoning())
def test_property_decimal_renderings_normalise(decimal, template, cot):
    """Any rendering of a decimal normalises to its shortest plain form ("3.50" -> "3.5")."""
    sign, whole, digits, key = decimal
    reply = cot + template.format(s=sign, w=whole, g=f"{whole:,}", d=digits)
    assert extract_answer(NUMBER, reply) == key


@PROPERTY
@given(decimals())
def test_property_decimal_comma(decimal):
    """A decimal comma reads like a decimal point unless exactly three digits follow it."""
    sign, whole, digits, key = decimal
    if len(digits) != 3:
        assert extract_answer(NUMBER, f"Answer: {sign}{whole},{digits}") == key


@PROPERTY
@given(st.integers(-999, 999), st.integers(0, 9))
def test_property_exponent_notation(mantissa, exponent):
    """Exponent notation is written out in full: "1e3" -> "1000"."""
    assert extract_answer(NUMBER, f"{mantissa}e{exponent}") == str(mantissa * 10**exponent)


@PROPERTY
@given(st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6), st.sampled_from(INT_TEMPLATES), reasoning())
def test_property_distinct_numbers_never_merge(a, b, template, cot):
    """A rendering of a never normalises to the key of a different b, even when b is in the reasoning."""
    if a != b:
        reply = f"I first thought the result was {b}, but {b} is off.\n{cot}{template(a)}"
        assert extract_answer(NUMBER, reply) != str(b)
        assert extract_answer(NUMBER, template(a)) != extract_answer(NUMBER, template(b))


YES_WORDS = ["yes", "Yes", "YES", "true", "True", "correct", "Correct"]
NO_WORDS = ["no", "No", "NO", "false", "False", "incorrect", "Incorrect"]
BOOLEAN_TEMPLATES = [
    "{w}", "**{w}**", "Answer: {w}", "{w}.", "{w}, as shown above.", "The answer is {w}.", "**Answer:** {w}",
    "Final answer: **{w}**", "\\boxed{{{w}}}",
]  # fmt: skip
BOOLEAN_REASONING = [
    "", "Let me check the claim.\n", "It is not true that 17 has other divisors.\nConsider 2, 3 and 4.\n",
    "The answer depends on the definition.\n",
]  # fmt: skip


@PROPERTY
@given(
    st.sampled_from(["yes", "no"]),
    st.data(),
    st.sampled_from(BOOLEAN_TEMPLATES),
    st.sampled_from(BOOLEAN_REASONING),
)
def test_property_boolean_renderings_normalise(key, data, template, cot):
    """Any rendering of a verdict normalises to "yes" or "no", and never to the other one."""
    word = data.draw(st.sampled_from(YES_WORDS if key == "yes" else NO_WORDS))
    assert extract_answer(BOOLEAN, cot + template.format(w=word)) == key


TEXT_TEMPLATES = [
    "{t}", "Answer: {t}", "The answer is **{t}**.", "{t}.", '"{t}"', "**{t}**", "Final answer: {t}",
    "The answer is: {t}!", "Answer: “{t}”", "Let me recall the facts.\nThe question is about geography.\nAnswer: {t}",
]  # fmt: skip


@PROPERTY
@given(phrases, cased, st.sampled_from(TEXT_TEMPLATES))
def test_property_text_renderings_normalise(text, case, template):
    """Any rendering of a short answer normalises to its casefolded words."""
    assert extract_answer(TEXT, template.format(t=case(text))) == text


@PROPERTY
@given(phrases, phrases, st.sampled_from(TEXT_TEMPLATES))
def test_property_distinct_texts_never_merge(first, second, template):
    """Different short answers, or an answer and its negation, never share a key."""
    key = extract_answer(TEXT, template.format(t=first))
    assert key != extract_answer(TEXT, template.format(t=f"not {first}"))
    if first != second:
        assert key != extract_answer(TEXT, template.format(t=second))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([CAPITAL, NUMBER, BOOLEAN, TEXT]), st.text(max_size=300))
def test_property_any_text_is_parsed_without_error(q, reply):
    """Arbitrary replies give a key or None, never an exception."""
    key = extract_answer(q, reply)
    assert key is None or isinstance(key, str)
