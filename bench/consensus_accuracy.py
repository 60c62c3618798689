"""Consensus figures: accuracy of vote / weighted / adaptive against single models and honest plurality,
calibration of confidence, calls per question, early-stop wall time and estimate/actual cost.

A seeded question bank (``bench/questions.py``: 50 multiple choice, 50 numeric, each with a shared
"attractive wrong answer") is put to six simulated panel models of known accuracy, correlated errors and
varied answer styles (reasoning-heavy ones included) and a seventh that is always wrong, through the
real ``orcollective.features.consensus`` feature (an
in-process runtime against the loopback simulator, which runs in its own process), plus one smoke
pass through the MCP server over stdio. Accuracies are exact counts on this bank; timings come from
one run on a shared machine, so read the ratios first.

    uv run python bench/consensus_accuracy.py [--quick] [--out PATH]
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

from _common import (
    SimProcess,
    machine,
    median,
    ms,
    parse_args,
    ratio,
    server_env,
    settings_for,
    table,
    temp_dir,
    write_json,
)
from mcp import Client
from questions import ALWAYS_WRONG, PANEL, PERSONAS, SEED, TIMING_PANEL, Question, build_bank, intended_answers
from reader_accuracy import accuracy as reader_accuracy
from reader_accuracy import load as load_corpus

from orcollective.cli.doctor import server_params
from orcollective.collective import weights as history
from orcollective.collective.vote import Ballot, log_odds_weight, tally
from orcollective.features import Progress
from orcollective.features.consensus import ConsensusRequest, ConsensusResult
from orcollective.features.consensus import run as run_consensus
from orcollective.runtime import Runtime, open_runtime

NAME = "consensus_accuracy"
WALL_GOAL = (1.05, 0.050)  # wall <= 1.05 x slowest + 50 ms
PANEL_IDS = [p.model for p in PANEL]
WITH_FOIL = [*PANEL_IDS, ALWAYS_WRONG.model]
TIMING_IDS = [p.model for p in TIMING_PANEL]


# -- running the bank ---------------------------------------------------------------------------------


async def consensus(rt: Runtime, **arguments) -> ConsensusResult:
    """The consensus feature exactly as its tool runs it, arguments validated by its Request model."""
    return await run_consensus(rt, ConsensusRequest.model_validate(arguments), Progress())


async def run_bank(
    rt: Runtime, bank: list[Question], models: list[str], *, concurrency: int = 1, **options
) -> list[ConsensusResult]:
    """One consensus per question, ``concurrency`` at a time; results in bank order."""
    gate = asyncio.Semaphore(concurrency)

    async def one(q: Question) -> ConsensusResult:
        async with gate:
            return await consensus(rt, prompt=q.prompt, models=models, **options)

    return list(await asyncio.gather(*(one(q) for q in bank)))


def key_of(q: Question, shown: str | None) -> str | None:
    """The answer key behind a displayed answer: "C) Saturn" -> "C", "6758" -> "6758"."""
    if shown is None:
        return None
    if q.kind == "choice" and shown[1:2] == ")":
        return shown[0]
    return shown


def honest_plurality(bank: list[Question], results: list[ConsensusResult], intended: dict) -> dict:
    """Plurality over what each answering model *meant* (a perfect reader), ties to the panel order."""
    right = 0
    order = {m: i for i, m in enumerate(WITH_FOIL)}
    for q, r in zip(bank, results, strict=True):
        answered = sorted((x for x in r.responses if x.status == "ok"), key=lambda x: order.get(x.model, 99))
        right += tally([Ballot(x.model, intended[x.model][q.qid]) for x in answered]).winner == q.key
    return {"accuracy": round(right / len(bank), 4), "right": right}


def calibration(bank: list[Question], results: list[ConsensusResult]) -> dict:
    """Mean confidence against accuracy, overall, for right and wrong answers, and by confidence bucket."""
    pairs = [(r.confidence or 0.0, key_of(q, r.answer) == q.key) for q, r in zip(bank, results, strict=True)]
    right = [c for c, ok in pairs if ok]
    wrong = [c for c, ok in pairs if not ok]
    buckets = []
    for low, high in ((0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01)):
        inside = [(c, ok) for c, ok in pairs if low <= c < high]
        if inside:
            buckets.append({
                "bucket": f"{low:.1f}-{min(high, 1.0):.1f}", "answers": len(inside),
                "mean_confidence": round(sum(c for c, _ in inside) / len(inside), 3),
                "accuracy": round(sum(ok for _, ok in inside) / len(inside), 3),
            })  # fmt: skip
    mean = sum(c for c, _ in pairs) / len(pairs)
    accuracy = sum(ok for _, ok in pairs) / len(pairs)
    return {
        "mean_confidence": round(mean, 3),
        "accuracy": round(accuracy, 3),
        "gap": round(mean - accuracy, 3),
        "mean_confidence_right": round(sum(right) / len(right), 3) if right else None,
        "mean_confidence_wrong": round(sum(wrong) / len(wrong), 3) if wrong else None,
        "buckets": buckets,
    }


def cost_ratio(results: list[ConsensusResult]) -> float | None:
    """Median of estimate / actual cost over runs that reported a cost."""
    ratios = [r.estimate_usd / r.cost_usd for r in results if r.estimate_usd and r.cost_usd]
    return round(median(ratios), 3) if ratios else None


def score(bank: list[Question], results: list[ConsensusResult], intended: dict[str, dict[str, str]]) -> dict:
    """Panel and single-model accuracy, parse failures and misreadings, calls, calibration."""
    n = len(bank)
    right = [key_of(q, r.answer) == q.key for q, r in zip(bank, results, strict=True)]
    by_kind = Counter(q.kind for q in bank)
    singles: dict[str, dict] = {}
    parse_failures = misread = 0
    misread_examples = []
    for q, r in zip(bank, results, strict=True):
        for resp in r.responses:
            if resp.model.endswith("(aggregator)"):
                continue
            row = singles.setdefault(resp.model, {"answered": 0, "right": 0})
            if resp.status != "ok":
                continue
            row["answered"] += 1
            got = key_of(q, resp.answer)
            row["right"] += got == q.key
            if resp.answer is None:
                parse_failures += 1
            elif got != intended[resp.model][q.qid]:
                misread += 1
                if len(misread_examples) < 5:
                    misread_examples.append(
                        {
                            "model": resp.model,
                            "qid": q.qid,
                            "excerpt": resp.excerpt,
                            "parsed": resp.answer,
                            "meant": intended[resp.model][q.qid],
                        }
                    )
    for row in singles.values():
        row["accuracy"] = round(row["right"] / n, 4)  # unanswered counts as wrong
    best_model = max(singles, key=lambda m: singles[m]["accuracy"]) if singles else None
    accuracy = sum(right) / n
    best = singles[best_model]["accuracy"] if best_model else 0.0
    return {
        "questions": n,
        "accuracy": round(accuracy, 4),
        "right": sum(right),
        "accuracy_by_kind": {
            kind: round(sum(ok for q, ok in zip(bank, right, strict=True) if q.kind == kind) / count, 4)
            for kind, count in by_kind.items()
        },
        "single_models": singles,
        "best_single_model": best_model,
        "best_single_accuracy": best,
        "ratio_to_best_single": ratio(accuracy, best),
        "points_over_best_single": round(100 * (accuracy - best), 1),
        "mean_single_accuracy": round(sum(s["accuracy"] for s in singles.values()) / len(singles), 4),
        "mean_calls": round(sum(r.calls for r in results) / n, 3),
        "stopped_early": sum(r.stopped_early for r in results),
        "parse_failures": parse_failures,
        "misread": misread,
        "misread_examples": misread_examples,
        "no_answer": sum(r.answer is None for r in results),
        "honest_plurality": honest_plurality(bank, results, intended),
        "calibration": calibration(bank, results),
        "estimate_to_actual_cost": cost_ratio(results),
        "found_by": dict(Counter(x.found_by for r in results for x in r.responses if x.found_by).most_common()),
    }


def reliability_weights(rt: Runtime, models: list[str]) -> dict:
    """The reliability the run store has learnt, and the weight ``weighted`` gives each model from it."""
    out = {}
    for answer_type in ("choice", "number"):
        learned = history.learn(rt.store, models, answer_type, [])
        out[answer_type] = {
            m: {"reliability": round(learned.estimates.of(m), 3), "weight": round(learned.weights[m], 3)}
            for m in models
        }
    return out


def oracle_weighted(bank: list[Question], results: list[ConsensusResult], scored: dict) -> dict:
    """A reference, not a product figure: the product's own ``tally`` over the same parsed ballots, with
    each model weighted by its *true* accuracy on this bank instead of a learnt reliability."""
    accuracy = {m: s["accuracy"] for m, s in scored["single_models"].items()}
    weights = {
        kind: {m: _weight(p, options) for m, p in accuracy.items()} for kind, options in (("choice", 4), ("number", 10))
    }
    right = 0
    for q, r in zip(bank, results, strict=True):
        ballots = [Ballot(x.model, key_of(q, x.answer)) for x in r.responses if x.status == "ok"]
        right += tally(ballots, weights[q.kind]).winner == q.key
    return {
        "accuracy": round(right / len(bank), 4),
        "right": right,
        "weights": {kind: {m: round(w, 3) for m, w in ws.items()} for kind, ws in weights.items()},
    }


def _weight(p: float, options: int) -> float:
    """``log_odds_weight`` as this version defines it (an older one also took the number of options)."""
    try:
        return log_odds_weight(p, options)
    except TypeError:
        return log_odds_weight(p)


# -- experiments ------------------------------------------------------------------------------------------


async def accuracy_experiments(
    sim: SimProcess, workdir: Path, bank: list[Question], intended: dict
) -> tuple[dict, dict[str, str | None]]:
    """The accuracy figures, and the 6-model vote's answer per question (the MCP smoke pass's reference)."""
    figures: dict = {}

    def settings(name: str):
        # A fresh run store per experiment: consensus records its ballots after every run.
        return settings_for(sim.base_url, sim.api_key, workdir / name, max_concurrency=64)

    clock = time.perf_counter()
    async with open_runtime(settings("vote6")) as rt:
        results = await run_bank(rt, bank, PANEL_IDS, strategy="vote", early_stop=False, concurrency=6)
        figures["vote"] = score(bank, results, intended)
        reference = {q.qid: r.answer for q, r in zip(bank, results, strict=True)}
    async with open_runtime(settings("vote7")) as rt:
        results = await run_bank(rt, bank, WITH_FOIL, strategy="vote", early_stop=False, concurrency=6)
        figures["vote_with_always_wrong"] = score(bank, results, intended)
        figures["offline_oracle_weighted"] = oracle_weighted(bank, results, figures["vote_with_always_wrong"])
    async with open_runtime(settings("weighted7")) as rt:
        # Sequential and in the same store: pass 1 starts empty and learns after every run; pass 2 uses it.
        for label in ("pass1", "pass2"):
            before = reliability_weights(rt, WITH_FOIL)
            results = await run_bank(rt, bank, WITH_FOIL, strategy="weighted", early_stop=False)
            figures[f"weighted_with_always_wrong_{label}"] = {
                **score(bank, results, intended),
                "weights_at_start": before,
                "estimate_to_actual_cost_first_run": cost_ratio(results[:1]),
            }
        figures["weights_after_pass2"] = reliability_weights(rt, WITH_FOIL)
    async with open_runtime(settings("auto7")) as rt:
        results = await run_bank(rt, bank, WITH_FOIL, strategy="auto", early_stop=False)
        auto = score(bank, results, intended)
        auto["weighted_runs"] = sum(r.strategy == "weighted" for r in results)
        auto["first_weighted_run"] = next((i for i, r in enumerate(results) if r.strategy == "weighted"), None)
        figures["auto_with_always_wrong"] = auto
    async with open_runtime(settings("adaptive6")) as rt:
        # One full pass teaches the store reliability and latency; the adaptive pass then orders by them.
        full = await run_bank(rt, bank, PANEL_IDS, strategy="vote", early_stop=False)
        figures["adaptive_reference_full_panel"] = score(bank, full, intended)
        results = await run_bank(rt, bank, PANEL_IDS, strategy="vote", adaptive=True, early_stop=False)
        adaptive = score(bank, results, intended)
        # Models the adaptive run did not ask are not wrong: compare with the full panel's best single model.
        best = figures["vote"]["best_single_accuracy"]
        adaptive.update(
            best_single_model=figures["vote"]["best_single_model"],
            best_single_accuracy=best,
            ratio_to_best_single=ratio(adaptive["accuracy"], best),
            points_over_best_single=round(100 * (adaptive["accuracy"] - best), 1),
            note="single_models count questions a model was not asked as not right",
        )
        adaptive["panel_size"] = len(PANEL_IDS)
        adaptive["calls_share_of_panel"] = ratio(adaptive["mean_calls"], len(PANEL_IDS))
        adaptive["calls_distribution"] = {str(k): v for k, v in sorted(Counter(r.calls for r in results).items())}
        adaptive["first_wave_membership"] = dict(
            Counter(resp.model for r in results for resp in r.responses[:3]).most_common()
        )
        stats = rt.store.model_stats(PANEL_IDS)
        adaptive["store_errors_recorded"] = {m: s.errors for m, s in stats.items()} if stats else {}
        figures["adaptive"] = adaptive
    figures["accuracy_runs_elapsed_s"] = round(time.perf_counter() - clock, 1)
    return figures, reference


async def timing_experiment(sim: SimProcess, workdir: Path, bank: list[Question], slowest_s: float) -> dict:
    """Wall time of one consensus against the slowest model's latency, waiting for all and stopping early."""
    out: dict = {"panel_latencies_s": {}, "slowest_nominal_s": slowest_s}
    async with open_runtime(settings_for(sim.base_url, sim.api_key, workdir / "timing")) as rt:
        # warm-up: catalog fetch, store creation (early_stop off, so no cancellation lands in the counts)
        await consensus(rt, prompt=bank[0].prompt, models=TIMING_IDS, strategy="vote", early_stop=False)
        for early_stop in (False, True):
            walls, inner, slowest_seen, stopped, cancelled_before = [], [], [], 0, sim.cancelled
            for q in bank:
                started = time.perf_counter()
                result = await consensus(rt, prompt=q.prompt, models=TIMING_IDS, strategy="vote", early_stop=early_stop)
                walls.append(time.perf_counter() - started)
                inner.append(result.latency_s)
                # With early stop, the last answer heard is the one that decided.
                slowest_seen.append(max(r.latency_s for r in result.responses if r.status == "ok"))
                stopped += result.stopped_early
                assert result.answer is not None and key_of(q, result.answer) == q.key, result
            await asyncio.sleep(0.2)  # the simulator notices a dropped request within its 20 ms poll
            wall = median(walls)
            label = "early_stop_on" if early_stop else "wait_for_all"
            out[label] = {
                "runs": len(walls),
                "wall_median_s": round(wall, 3),
                "wall_max_s": round(max(walls), 3),
                "internal_latency_median_s": round(median(inner), 3),
                "slowest_answer_median_s": round(median(slowest_seen), 3),
                "ratio_wall_to_slowest_nominal": ratio(wall, slowest_s),
                "ratio_wall_to_slowest_measured": ratio(wall, median(slowest_seen)),
                "excess_over_slowest_nominal_ms": ms(wall - slowest_s),
                "stopped_early": stopped,
                "requests_cancelled_at_simulator": sim.cancelled - cancelled_before,
            }
        waited = out["wait_for_all"]
        waited["goal"] = f"wall <= {WALL_GOAL[0]} x slowest + {WALL_GOAL[1] * 1000:.0f} ms"
        waited["within_goal"] = waited["wall_median_s"] <= WALL_GOAL[0] * slowest_s + WALL_GOAL[1]
        early = out["early_stop_on"]
        early["ratio_to_wait_for_all"] = ratio(early["wall_median_s"], waited["wall_median_s"])
    out["panel_latencies_s"] = {m: PERSONAS[m].latency_s for m in TIMING_IDS}
    return out


async def mcp_smoke(sim: SimProcess, workdir: Path, bank: list[Question], reference: dict[str, str | None]) -> dict:
    """The same vote through ``orcollective serve`` over stdio; answers compared with the in-process run."""
    env = server_env(sim.base_url, sim.api_key, workdir / "mcp")
    same = errors = progress_events = 0
    walls = []
    async with Client(server_params(env), read_timeout_seconds=60) as client:
        for q in bank:

            async def progress(done: float, total: float | None, message: str | None) -> None:
                nonlocal progress_events
                progress_events += 1

            started = time.perf_counter()
            result = await client.call_tool(
                "consensus",
                {"prompt": q.prompt, "models": PANEL_IDS, "strategy": "vote", "early_stop": False},
                progress_callback=progress,
            )
            walls.append(time.perf_counter() - started)
            if result.is_error:
                errors += 1
                continue
            parsed = ConsensusResult.model_validate(result.structured_content)
            same += parsed.answer == reference[q.qid] and result.content[0].text.startswith("Answer: ")
    return {
        "questions": len(bank),
        "same_answer_as_in_process": same,
        "error_results": errors,
        "progress_notifications": progress_events,
        "wall_median_s": round(median(walls), 3),
    }


# -- report ------------------------------------------------------------------------------------------------


def report(f: dict) -> None:
    vote, foil = f["vote"], f["vote_with_always_wrong"]
    w1, w2 = f["weighted_with_always_wrong_pass1"], f["weighted_with_always_wrong_pass2"]
    auto, adaptive, full = f["auto_with_always_wrong"], f["adaptive"], f["adaptive_reference_full_panel"]
    n = vote["questions"]
    designed = {p.model: p.accuracy for p in (*PANEL, ALWAYS_WRONG)}
    rows = [
        [m, designed[m], PERSONAS[m].latency_s * f["latency_scale"], foil["single_models"][m]["accuracy"]]
        for m in WITH_FOIL
    ]
    table(
        f"single models on the same {n} questions (answers as parsed)", ["model", "designed", "latency s", "acc"], rows
    )

    def row(label: str, s: dict) -> list:
        return [
            label, s["accuracy"], s["honest_plurality"]["accuracy"], s["best_single_accuracy"],
            f"{s['points_over_best_single']:+.1f}", s["calibration"]["mean_confidence"], s["mean_calls"],
            s["misread"], s["parse_failures"],
        ]  # fmt: skip

    table(
        f"panel accuracy on {n} questions (early_stop off); honest plurality = plurality over what the answering "
        "models meant; best single = best model in that panel",
        [
            "strategy / panel",
            "acc",
            "honest plur.",
            "best single",
            "pts vs best",
            "mean conf",
            "calls/q",
            "misread",
            "unparsed",
        ],  # fmt: skip
        [
            row("vote, 6 models", vote),
            row("vote, 6 + always-wrong", foil),
            row("weighted, 6 + always-wrong, pass 1 (empty store)", w1),
            row("weighted, 6 + always-wrong, pass 2", w2),
            row("auto, 6 + always-wrong (empty store)", auto),
            row("vote, full panel (trains adaptive store)", full),
            row("vote, adaptive, 6 models", adaptive),
        ],
    )
    oracle = f["offline_oracle_weighted"]
    print(
        f"   reference (offline): tally() on the vote-7 ballots with weights from each model's true accuracy: "
        f"{oracle['accuracy']}; auto switched to learnt weights from run {auto['first_weighted_run']} "
        f"({auto['weighted_runs']}/{n} runs weighted)"
    )
    weights = f["weights_after_pass2"]
    table(
        "reliability (one-coin EM over stored ballots) and weight after pass 2",
        ["model", "choice p", "choice w", "number p", "number w"],
        [
            [
                m,
                weights["choice"][m]["reliability"],
                weights["choice"][m]["weight"],
                weights["number"][m]["reliability"],
                weights["number"][m]["weight"],
            ]
            for m in WITH_FOIL
        ],  # fmt: skip
    )
    cal_rows = []
    for label, s in (("vote 7", foil), ("weighted pass 1", w1), ("weighted pass 2", w2), ("auto", auto)):
        c = s["calibration"]
        cal_rows.append([label, c["mean_confidence"], c["accuracy"], c["gap"], c["mean_confidence_right"],
                         c["mean_confidence_wrong"]])  # fmt: skip
    table("calibration: mean confidence vs accuracy", ["run", "mean conf", "accuracy", "gap", "conf right",
                                                        "conf wrong"], cal_rows)  # fmt: skip
    table(
        "calibration by confidence bucket (weighted pass 2)",
        ["bucket", "answers", "mean conf", "accuracy"],
        [[b["bucket"], b["answers"], b["mean_confidence"], b["accuracy"]] for b in w2["calibration"]["buckets"]],
    )
    table(
        "adaptive (cheap reliable models first; more only while the leader can be overtaken) vs the full panel",
        ["measure", "full panel", "adaptive"],
        [
            ["accuracy", full["accuracy"], adaptive["accuracy"]],
            ["calls per question", full["mean_calls"], adaptive["mean_calls"]],
            ["questions by calls made", "", ", ".join(f"{k}: {v}" for k, v in adaptive["calls_distribution"].items())],
            [
                "first wave",
                "",
                ", ".join(f"{m.split('/')[-1]} {c}" for m, c in adaptive["first_wave_membership"].items()),
            ],
        ],
    )
    table(
        "pre-flight estimate / actual cost (median over runs)",
        ["run", "estimate/actual"],
        [
            ["first run, empty store", w1["estimate_to_actual_cost_first_run"]],
            ["weighted pass 1 (learning)", w1["estimate_to_actual_cost"]],
            ["weighted pass 2 (history)", w2["estimate_to_actual_cost"]],
        ],
    )
    t = f["timing"]
    waited, early = t["wait_for_all"], t["early_stop_on"]
    lat = ", ".join(f"{v * f['latency_scale']:.2f}" for v in t["panel_latencies_s"].values())
    table(
        f"wall time of one consensus (5 models, latencies {lat} s, all right); median of {waited['runs']} runs; "
        "last answer = the slowest answer heard (with early stop: the deciding one)",
        [
            "mode",
            "wall s",
            "last answer s",
            "wall - last answer ms",
            "wall/slowest nominal",
            "stopped early",
            "cancelled",
        ],  # fmt: skip
        [
            [
                label,
                m["wall_median_s"],
                m["slowest_answer_median_s"],
                round(1000 * (m["wall_median_s"] - m["slowest_answer_median_s"]), 1),
                m["ratio_wall_to_slowest_nominal"],
                m["stopped_early"],
                m["requests_cancelled_at_simulator"],
            ]
            for label, m in (("wait for all", waited), ("early_stop", early))
        ],  # fmt: skip
    )
    print(f"   early_stop wall / wait-for-all wall = {early['ratio_to_wait_for_all']}")
    smoke = f["mcp_smoke"]
    print(
        f"\nMCP smoke pass (orcollective serve over stdio, consensus tool, vote, early_stop off): "
        f"{smoke['same_answer_as_in_process']}/{smoke['questions']} answers identical to the in-process run, "
        f"{smoke['error_results']} error results, {smoke['progress_notifications']} progress notifications, "
        f"median wall {smoke['wall_median_s']} s"
    )
    reader = f.get("reader")
    if reader:
        print(f"\nanswer reader on the labelled corpus: {reader['right']}/{reader['replies']} = {reader['accuracy']}")


async def main() -> None:
    args = parse_args(NAME, __doc__.splitlines()[0])
    quick = args.quick
    full_bank = build_bank(SEED)
    bank = full_bank[:3] + full_bank[30:33] if quick else full_bank
    scale = 0.2 if quick else 1.0  # latency scale: the quick run keeps the shapes, not the durations
    intended = {m: intended_answers(SEED, PERSONAS[m], full_bank) for m in WITH_FOIL}
    started = time.perf_counter()
    figures: dict = {
        "script": NAME,
        "quick": quick,
        "machine": machine(),
        "seed": SEED,
        "latency_scale": scale,
        "panel": {
            p.model: {"designed_accuracy": p.accuracy, "latency_s": round(p.latency_s * scale, 4)}
            for p in (*PANEL, ALWAYS_WRONG)
        },
    }
    models = [*WITH_FOIL, *TIMING_IDS]
    with temp_dir(NAME) as workdir, SimProcess("questions:panel_scripts", SEED, models, scale) as sim:
        accuracy, reference = await accuracy_experiments(sim, workdir, bank, intended)
        figures.update(accuracy)
        choice = [q for q in bank if q.kind == "choice"]
        number = [q for q in bank if q.kind == "number"]
        timing_bank = choice[:2] + number[:2] if quick else choice[:5] + number[:5]
        figures["timing"] = await timing_experiment(sim, workdir, timing_bank, slowest_s=1.0 * scale)
        smoke_bank = choice[:1] + number[-1:] if quick else choice[:4] + number[:4]
        figures["mcp_smoke"] = await mcp_smoke(sim, workdir, smoke_bank, reference)
    figures["reader"] = {k: v for k, v in reader_accuracy(load_corpus()).items() if k != "wrong"}
    figures["elapsed_s"] = round(time.perf_counter() - started, 1)
    print(
        f"orcollective {NAME}: {'quick smoke run' if quick else 'full run'}; {len(bank)} questions "
        f"(seed {SEED}), latency scale {scale}; simulator in its own process; load average "
        f"{figures['machine']['loadavg_1m']} on {figures['machine']['cpus']} CPUs"
    )
    report(figures)
    print(f"\nelapsed {figures['elapsed_s']} s")
    write_json(args.out, figures)


if __name__ == "__main__":
    asyncio.run(main())
