"""The consensus benchmark's question bank and its simulated panel, both decided by one seed.

100 questions with a known key: 50 multiple choice (options A-D shuffled by the seed, one per line,
inline "A) x B) y" or "(a) x" lines) and 50 numeric (arithmetic and word problems with integer answers),
in the order 30 choice, 30 number, 20 choice, 20 number (so the first 60 are the older 60-question bank).
Each question has one "attractive wrong answer" (a shared distractor) that wrong models fall for most of
the time: their errors are correlated.

Each panel model is right on exactly ``round(accuracy * n)`` questions (chosen by the seed); when
wrong it gives the shared distractor with probability ``DISTRACTOR_SHARE``, else another wrong answer
of its own. Every model writes its answers in its own styles ("**Answer: B**", "(B)", "6,758",
"\\boxed{6758}", a chain of thought full of other numbers, options ruled out before the choice, a first
guess revised, an afterthought after the answer, a <think> block, a result followed by a derived number).
Everything is a pure function of the seed, so the simulator process and the benchmark compute the same
intended answers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

SEED = 20240611
DISTRACTOR_SHARE = 0.7


@dataclass(frozen=True)
class Question:
    qid: str
    kind: str  # "choice" or "number"
    prompt: str
    key: str  # letter for choice, canonical integer string for number
    distractor: str
    options: dict[str, str] = field(default_factory=dict)  # letter -> text (choice only)
    operands: tuple[int, ...] = ()  # numbers a chain of thought can talk about (number only)


# (question, correct option, attractive wrong option, two other options)
CHOICE_FACTS = [
    ("Which planet has the most confirmed moons?", "Saturn", "Jupiter", "Uranus", "Neptune"),
    ("What is the chemical symbol for gold?", "Au", "Ag", "Gd", "Go"),
    ("Which is the largest ocean on Earth?", "Pacific", "Atlantic", "Indian", "Arctic"),
    ('Who wrote the novel "Pride and Prejudice"?', "Jane Austen", "Charlotte Bronte", "Mary Shelley", "George Eliot"),
    ("What is the capital of Australia?", "Canberra", "Sydney", "Melbourne", "Perth"),
    ("Which gas makes up most of Earth's atmosphere?", "Nitrogen", "Oxygen", "Carbon dioxide", "Argon"),
    ("What is the smallest prime number?", "2", "1", "0", "3"),
    ("In which year did the Berlin Wall fall?", "1989", "1991", "1987", "1993"),
    ("Which of these is the hardest natural substance?", "Diamond", "Corundum", "Quartz", "Topaz"),
    ("Which element has atomic number 1?", "Hydrogen", "Helium", "Lithium", "Oxygen"),
    ("How many bones are there in the adult human body?", "206", "212", "186", "226"),
    ("Which is the longest river in South America?", "Amazon", "Parana", "Orinoco", "Sao Francisco"),
    ("Who painted the Mona Lisa?", "Leonardo da Vinci", "Michelangelo", "Raphael", "Titian"),
    (
        "What is the approximate speed of light in a vacuum?",
        "300,000 km/s",
        "3,000,000 km/s",
        "150,000 km/s",
        "30,000 km/s",
    ),
    ("Which programming language was created by Guido van Rossum?", "Python", "Perl", "Ruby", "Java"),
    ("What is the largest mammal?", "Blue whale", "African elephant", "Sperm whale", "Giraffe"),
    ("Which organ produces insulin?", "Pancreas", "Liver", "Kidney", "Spleen"),
    ("What is the boiling point of water at sea level in degrees Fahrenheit?", "212", "100", "180", "232"),
    ("Which country gave the Statue of Liberty to the United States?", "France", "United Kingdom", "Spain", "Italy"),
    ("What is the square root of 144?", "12", "14", "11", "16"),
    ("Which planet is known as the Red Planet?", "Mars", "Venus", "Jupiter", "Mercury"),
    ("Who developed the theory of general relativity?", "Albert Einstein", "Isaac Newton", "Niels Bohr", "Max Planck"),
    ("What is the main ingredient of guacamole?", "Avocado", "Lime", "Tomato", "Onion"),
    ("Which metal is liquid at room temperature?", "Mercury", "Gallium", "Lead", "Sodium"),
    ("What is the capital of Canada?", "Ottawa", "Toronto", "Vancouver", "Montreal"),
    ("How many sides does a hexagon have?", "6", "8", "5", "7"),
    ("Which blood type is known as the universal donor?", "O negative", "AB positive", "A positive", "B negative"),
    ("What is the largest desert in the world by area?", "Antarctic", "Sahara", "Gobi", "Arabian"),
    ('Which composer wrote the "Moonlight Sonata"?', "Beethoven", "Mozart", "Chopin", "Bach"),
    ("What is the currency of Japan?", "Yen", "Yuan", "Won", "Ringgit"),
]


MORE_CHOICE_FACTS = [
    ("Which planet is closest to the Sun?", "Mercury", "Venus", "Earth", "Mars"),
    ("What is the chemical symbol for sodium?", "Na", "So", "Sd", "S"),
    ("Who wrote the play Hamlet?", "William Shakespeare", "Christopher Marlowe", "Ben Jonson", "John Milton"),
    ("What is the capital of Brazil?", "Brasilia", "Rio de Janeiro", "Sao Paulo", "Salvador"),
    ("Which is the largest planet in the Solar System?", "Jupiter", "Saturn", "Neptune", "Uranus"),
    ("How many continents are there on Earth?", "7", "6", "5", "8"),
    ("What is the freezing point of water in degrees Celsius?", "0", "32", "-10", "4"),
    (
        "Which scientist proposed the three laws of motion?",
        "Isaac Newton",
        "Galileo Galilei",
        "Johannes Kepler",
        "Albert Einstein",
    ),  # fmt: skip
    ("What is the hardest known mineral on the Mohs scale?", "Diamond", "Topaz", "Quartz", "Corundum"),
    ("Which country has the largest population as of 2024?", "India", "China", "United States", "Indonesia"),
    ("What is the longest river in Africa?", "Nile", "Congo", "Niger", "Zambezi"),
    ("What is the powerhouse of the cell?", "Mitochondrion", "Nucleus", "Ribosome", "Golgi apparatus"),
    ("Which gas do plants absorb for photosynthesis?", "Carbon dioxide", "Oxygen", "Nitrogen", "Hydrogen"),
    (
        "Who was the first person to walk on the Moon?",
        "Neil Armstrong",
        "Buzz Aldrin",
        "Yuri Gagarin",
        "Michael Collins",
    ),  # fmt: skip
    ("What is the capital of Turkey?", "Ankara", "Istanbul", "Izmir", "Antalya"),
    ("Which language has the most native speakers?", "Mandarin Chinese", "English", "Spanish", "Hindi"),
    ("What is the largest bone in the human body?", "Femur", "Tibia", "Humerus", "Pelvis"),
    ("Which element is the most abundant in Earth's crust?", "Oxygen", "Silicon", "Iron", "Aluminium"),
    ("In which year did World War II end?", "1945", "1944", "1946", "1939"),
    ("What is the smallest country in the world by area?", "Vatican City", "Monaco", "San Marino", "Liechtenstein"),
]


def build_bank(seed: int = SEED) -> list[Question]:
    """The 100 questions, in a fixed order: 30 choice, 30 number, 20 choice, 20 number."""
    rng = random.Random(f"{seed}:bank")
    bank = [_choice(i, fact, rng) for i, fact in enumerate(CHOICE_FACTS)]
    bank += [_number(i, rng) for i in range(30)]
    bank += [_choice(30 + i, fact, rng) for i, fact in enumerate(MORE_CHOICE_FACTS)]
    bank += [_number(i, rng) for i in range(30, 50)]
    return bank


def _choice(i: int, fact: tuple[str, ...], rng: random.Random) -> Question:
    question, right, lure, *others = fact
    texts = [right, lure, *others]
    rng.shuffle(texts)
    options = {letter: text for letter, text in zip("ABCD", texts, strict=True)}
    letter_of = {text: letter for letter, text in options.items()}
    if i < 30 or i % 3 == 0:
        lines = "\n" + "\n".join(f"{letter}) {text}" for letter, text in options.items())
    elif i % 3 == 1:  # inline on the question's line
        lines = " " + " ".join(f"{letter}) {text}" for letter, text in options.items())
    else:
        lines = "\n" + "\n".join(f"({letter.lower()}) {text}" for letter, text in options.items())
    return Question(f"c{i:02d}", "choice", f"{question}{lines}", letter_of[right], letter_of[lure], options)


def _number(i: int, rng: random.Random) -> Question:
    """Ten products, five sums/differences, five quotients, five mixed, five word problems (per 30)."""
    group = (i // 5) % 6
    if group in (0, 1):
        a, b = rng.randint(23, 389), rng.randint(12, 97)
        prompt, key, operands = f"What is {a} * {b}?", a * b, (a, b)
        lure = key + rng.choice([-100, -10, 10, 100])  # a slipped carry
    elif group == 2:
        a, b = rng.randint(1000, 9999), rng.randint(1000, 9999)
        if i % 2:
            prompt, key = f"Compute {a} + {b}.", a + b
            lure = key - 1000 if key > 10000 else key + 10  # a dropped carry
        else:
            prompt, key = f"What is {a} - {b}?", a - b
            lure = b - a  # the sign got lost
        operands = (a, b)
    elif group == 3:
        b, key = rng.randint(12, 48), rng.randint(21, 240)
        a = b * key
        prompt, operands = f"What is {a} / {b}?", (a, b)
        lure = key + rng.choice([-10, 10, 1])
    elif group == 4:
        a, b, c = rng.randint(11, 49), rng.randint(11, 49), rng.randint(10, 99)
        if i % 2:
            prompt, key, lure = f"Calculate ({a} + {b}) * {c}.", (a + b) * c, a + b * c  # precedence slip
        else:
            prompt, key, lure = f"What is {a} * {b} + {c}?", a * b + c, a * (b + c)
        operands = (a, b, c)
    else:
        prompt, key, lure, operands = _word_problem(i % 5, rng)
    if lure == key:
        lure = key + 10
    return Question(f"n{i:02d}", "number", prompt, str(key), str(lure), operands=operands)


def _word_problem(j: int, rng: random.Random) -> tuple[str, int, int, tuple[int, ...]]:
    if j == 0:
        boxes, pens = rng.randint(17, 89), rng.randint(12, 48)
        return (
            f"A shop sells {boxes} boxes with {pens} pens in each box. How many pens does it sell in total?",
            boxes * pens,
            boxes + pens,
            (boxes, pens),
        )
    if j == 1:
        speed, hours = rng.randint(45, 120), rng.randint(3, 9)
        return (
            f"A train travels at {speed} km/h for {hours} hours. How far does it travel, in km?",
            speed * hours,
            speed * (hours + 1),
            (speed, hours),
        )
    if j == 2:
        money, spent = rng.randint(1200, 4800), rng.randint(230, 990)
        return (
            f"Maria has {money} dollars and spends {spent} dollars on a bicycle. How much money does she "
            "have left, in dollars?",
            money - spent,
            money + spent,
            (money, spent),
        )
    if j == 3:
        per_day, days = rng.randint(12, 36), rng.randint(9, 28)
        pages = per_day * days
        return (
            f"A book has {pages} pages. Tom reads {per_day} pages every day. How many days does he need "
            "to finish the book?",
            days,
            days + 1,
            (pages, per_day),
        )
    rows, trees = rng.randint(14, 65), rng.randint(24, 140)
    return (
        f"A farmer plants {rows} rows of {trees} apple trees, then sells 100 of the trees. How many trees are left?",
        rows * trees - 100,
        rows * trees,
        (rows, trees, 100),
    )


# -- the simulated panel ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Persona:
    model: str
    accuracy: float  # share of the bank it is right on; 0 = always the shared distractor
    latency_s: float
    choice_styles: tuple[str, ...]
    number_styles: tuple[str, ...]


PANEL = (
    Persona("sim/atlas", 0.80, 0.30, ("bold", "answer_is", "eliminate"), ("cot", "boxed", "cot_long")),
    Persona("sim/boreal", 0.72, 0.15, ("paren", "letter_text", "afterthought"), ("comma", "sentence", "derived")),
    Persona("sim/cirrus", 0.68, 0.05, ("text_only", "bold", "revised"), ("float", "equals", "revised")),
    Persona("sim/delta", 0.62, 0.25, ("letter_text", "answer_is", "think"), ("sentence", "cot", "think")),
    Persona("sim/ember", 0.55, 0.20, ("paren", "text_only", "eliminate"), ("boxed", "comma", "derived")),
    Persona("sim/fjord", 0.58, 0.12, ("think", "revised", "afterthought"), ("cot_long", "think", "revised")),
)
ALWAYS_WRONG = Persona("sim/foil", 0.0, 0.10, ("bold", "paren"), ("equals", "comma"))
# For the timing figures: every model right, the slowest at 1.0 s.
TIMING_PANEL = (
    Persona("sim/t-fast1", 1.0, 0.05, ("bold",), ("cot",)),
    Persona("sim/t-fast2", 1.0, 0.10, ("paren",), ("comma",)),
    Persona("sim/t-fast3", 1.0, 0.20, ("letter_text",), ("boxed",)),
    Persona("sim/t-mid", 1.0, 0.50, ("answer_is",), ("sentence",)),
    Persona("sim/t-slow", 1.0, 1.00, ("text_only",), ("float",)),
)
PERSONAS = {p.model: p for p in (*PANEL, ALWAYS_WRONG, *TIMING_PANEL)}


def intended_answers(seed: int, persona: Persona, bank: list[Question]) -> dict[str, str]:
    """What ``persona`` means to answer on each question (a key in the question's own form)."""
    rng = random.Random(f"{seed}:{persona.model}:right")
    order = list(range(len(bank)))
    rng.shuffle(order)
    right = set(order[: round(persona.accuracy * len(bank))])
    answers = {}
    for i, q in enumerate(bank):
        pick = random.Random(f"{seed}:{persona.model}:{q.qid}:wrong")
        if i in right:
            answers[q.qid] = q.key
        elif persona.accuracy == 0 or pick.random() < DISTRACTOR_SHARE:
            answers[q.qid] = q.distractor
        else:
            answers[q.qid] = _other_wrong(q, pick)
    return answers


def _other_wrong(q: Question, rng: random.Random) -> str:
    if q.kind == "choice":
        return rng.choice([letter for letter in q.options if letter not in (q.key, q.distractor)])
    key = int(q.key)
    candidates = [key + d for d in (-2, -1, 1, 2, 20, -20, 1000, -1000)]
    candidates = [c for c in candidates if str(c) != q.distractor]
    return str(rng.choice(candidates))


def render(seed: int, persona: Persona, q: Question, answer: str) -> str:
    """The reply text of ``persona`` answering ``answer`` to ``q``, in one of its styles."""
    rng = random.Random(f"{seed}:{persona.model}:{q.qid}:style")
    if q.kind == "choice":
        style = rng.choice(persona.choice_styles)
        text = q.options[answer]
        ruled = q.distractor if answer != q.distractor else q.key  # an option it discusses and rejects
        other = q.options[ruled]
        return {
            "bold": f"Weighing the four options, {text} fits the question best.\n**Answer: {answer}**",
            "paren": f"({answer})",
            "letter_text": f"{answer}) {text}",
            "text_only": text,
            "answer_is": f"The answer is {answer}.",
            "eliminate": f"Let's go through the options.\n- {ruled}) {other}: a common pick, but it does not fit.\n"
            f"- {answer}) {text}: this one matches.\n\nSo the answer is **{answer}) {text}**.",
            "revised": f"My first thought is {ruled}) {other}. Wait, that is the usual trap here; on reflection "
            f"it is {text}.\n\nFinal answer: {answer}",
            "afterthought": f"**Answer: {answer}**\n\nNote: option {ruled} ({other}) is a frequent mistake here.",
            "think": f"<think>\nCould it be {ruled}? {other} seems plausible at first... no. I am fairly sure it "
            f"is {text}.\n</think>\n\n{answer}) {text}",
        }[style]
    style = rng.choice(persona.number_styles)
    value = int(answer)
    grouped = f"{value:,}"
    if style == "cot":
        return _chain_of_thought(q, value, rng)
    if style in ("cot_long", "revised", "think"):
        return _reasoning(q, value, style, rng)
    return {
        "comma": grouped,
        "float": f"{value}.0",
        "equals": f"= {value}",
        "sentence": f"The result is {grouped}.",
        "boxed": f"Putting it together, the final value is $\\boxed{{{value}}}$",
        "derived": f"So the total is {grouped}. Rounded to the nearest hundred that is {round(value, -2):,}.",
    }[style]


def _chain_of_thought(q: Question, value: int, rng: random.Random) -> str:
    """A reasoning paragraph full of other numbers, then "Answer: <value>"."""
    nums = list(q.operands)
    first = nums[0]
    second = nums[1] if len(nums) > 1 else first
    tens, ones = divmod(second, 10)
    estimate = round(value, -2) if abs(value) >= 100 else value + rng.choice([-3, 3])
    lines = [
        f"Step 1: the question gives the numbers {', '.join(str(n) for n in nums)}.",
        f"Step 2: split {second} into {tens * 10} and {ones}; {first} * {tens * 10} = {first * tens * 10} "
        f"and {first} * {ones} = {first * ones}.",
        f"Step 3: a rough estimate is {estimate}, and {rng.randint(2, 9)} checks of the working agree.",
        f"Answer: {value}",
    ]
    return "\n".join(lines)


def _reasoning(q: Question, value: int, style: str, rng: random.Random) -> str:
    """Reasoning-heavy replies: a long chain of thought, a first result revised, a <think> block."""
    nums = list(q.operands)
    work = [f"- the numbers given are {', '.join(str(n) for n in nums)}",
            f"- working through {nums[0]} and {nums[-1]} step by step gives {value}"]  # fmt: skip
    estimate = round(value, -2) if abs(value) >= 100 else value + rng.choice([-3, 3])
    if style == "cot_long":
        return (
            "Okay, I need to be careful with the arithmetic here.\n\nFirst, let me restate the numbers and set up "
            "the computation.\n\n" + "\n".join(work) + f"\n\nLet me double-check by estimating: roughly {estimate}, "
            f"which matches.\n\nSo the final answer is {value:,}."
        )
    if style == "revised":
        return (
            f"At first I get {value + 10}. Wait, let me recheck that carry.\n" + "\n".join(work)
            + f"\nSo the correct result is {value}."
        )  # fmt: skip
    return "<think>\n" + "\n".join(work) + f"\nMaybe {value + 1}? No, {value}.\n</think>\n\n**{value:,}**"


def panel_scripts(seed: int, models: list[str], scale: float = 1.0) -> list:
    """Factory for the simulator: ScriptedModels that look the question up and answer as intended.

    ``scale`` multiplies every latency (the quick smoke run uses a small one).
    """
    from orcollective.simulator import ScriptedModel

    bank = build_bank(seed)
    by_prompt = {q.prompt: q for q in bank}
    scripts = []
    for model in models:
        persona = PERSONAS[model]
        answers = intended_answers(seed, persona, bank)

        def reply(body: dict, persona=persona, answers=answers) -> str:
            q = by_prompt.get(last_user_text(body))
            if q is None:
                return f"{persona.model}: this question is not in the bank."
            return render(seed, persona, q, answers[q.qid])

        scripts.append(ScriptedModel(id=model, reply=reply, latency_s=round(persona.latency_s * scale, 4)))
    return scripts


def last_user_text(body: dict) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""
