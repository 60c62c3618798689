"""Answer-reader figures: accuracy on the labelled reply corpus, and time on long adversarial replies.

The corpus (``tests/collective/data/replies.jsonl``, written by ``make_replies.py`` next to it) holds
realistic replies of every answer type with the key a careful reader takes from each, or null when the
reply commits to nothing. A reply counts as right when ``read_answer`` gives exactly that key (a null
read as null is right; a guess where there is no answer is wrong). Timings are one run on a shared
machine: read the ratio of time to reply length first.

    uv run python bench/reader_accuracy.py [--quick] [--out PATH]
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

from _common import machine, parse_args, table, write_json

from orcollective.collective.answers import parse_question, read_answer

NAME = "reader_accuracy"
CORPUS = Path(__file__).resolve().parent.parent / "tests" / "collective" / "data" / "replies.jsonl"
LONG_SIZES = (12_000, 48_000, 192_000)
CAPITALS = "Which planet has the most moons?\nA) Jupiter\nB) Saturn\nC) Uranus\nD) Neptune"


def load() -> list[dict]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def accuracy(rows: list[dict]) -> dict:
    right, by_type, by_way, wrong = Counter(), Counter(), Counter(), []
    for row in rows:
        q = parse_question(row["question"], row["type"])
        reading = read_answer(q, row["reply"])
        by_type[row["type"]] += 1
        by_way[reading.found_by or "none"] += 1
        if reading.key == row["answer"]:
            right[row["type"]] += 1
        else:
            wrong.append(
                {"id": row["id"], "expected": row["answer"], "read": reading.key, "found_by": reading.found_by}
            )
    n = len(rows)
    return {
        "replies": n,
        "right": sum(right.values()),
        "accuracy": round(sum(right.values()) / n, 4),
        "by_type": {t: {"replies": c, "accuracy": round(right[t] / c, 4)} for t, c in by_type.items()},
        "null_replies": sum(row["answer"] is None for row in rows),
        "found_by": dict(by_way.most_common()),
        "wrong": wrong,
    }


def long_replies(quick: bool) -> list[dict]:
    """Time to read a reply whose last line repeats option words (the shape that once took 14 s)."""
    q = parse_question(CAPITALS)
    out = []
    for size in LONG_SIZES[:1] if quick else LONG_SIZES:
        body = "Let me think.\n" + "Jupiter Saturn not Uranus option A B " * (size // 36)
        for label, text in (("no answer", body), ("answer at the end", body + "\n\nAnswer: B")):
            started = time.perf_counter()
            reading = read_answer(q, text)
            elapsed = time.perf_counter() - started
            out.append({"chars": len(text), "shape": label, "read": reading.key, "seconds": round(elapsed, 4),
                        "us_per_kchar": round(elapsed * 1e6 / (len(text) / 1000), 1)})  # fmt: skip
    return out


def main() -> None:
    args = parse_args(NAME, __doc__.splitlines()[0])
    rows = load()
    figures = {"script": NAME, "quick": args.quick, "machine": machine(), "corpus": str(CORPUS.name)}
    figures["accuracy"] = accuracy(rows)
    figures["long_replies"] = long_replies(args.quick)
    a = figures["accuracy"]
    print(f"orcollective {NAME}: {a['replies']} labelled replies ({a['null_replies']} with no answer)")
    table(
        "reader accuracy on the labelled corpus",
        ["type", "replies", "accuracy"],
        [["all", a["replies"], a["accuracy"]]] + [[t, v["replies"], v["accuracy"]] for t, v in a["by_type"].items()],
    )
    table("how answers were found", ["found_by", "replies"], list(a["found_by"].items()))
    if a["wrong"]:
        table("misread", ["id", "expected", "read", "found_by"],
              [[w["id"], w["expected"], w["read"], w["found_by"]] for w in a["wrong"]])  # fmt: skip
    rows = [[r["chars"], r["shape"], r["read"], r["seconds"], r["us_per_kchar"]] for r in figures["long_replies"]]
    table("long adversarial replies", ["chars", "shape", "read", "seconds", "µs per 1000 chars"], rows)
    write_json(args.out, figures)


if __name__ == "__main__":
    main()
