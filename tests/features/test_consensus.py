"""The consensus engine end to end against the loopback simulator: fan-out, voting, early stop, budgets."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from mcp import Client

from conftest import no_wait, settings_for
from orcollective.collective.reliability import estimate, posterior
from orcollective.collective.weights import learn
from orcollective.errors import BudgetExceeded, InvalidArgument, TooFewAnswers, UnknownModel
from orcollective.features import Progress
from orcollective.features.consensus import ConsensusRequest
from orcollective.features.consensus import run as run_consensus
from orcollective.mcp import build_server
from orcollective.runtime import open_runtime
from orcollective.simulator import ScriptedModel

NO_WAIT = no_wait(attempts=1)
MC = "Which gas do plants absorb?\nA) Oxygen\nB) Carbon dioxide\nC) Nitrogen\nD) Helium"


def prior_confidence(answer_type: str, keys: list[str], winner: str) -> float:
    """The posterior of ``winner`` when every model has the prior reliability (a store with no history)."""
    e = estimate([], answer_type)
    return round(posterior([(f"m{i}", k) for i, k in enumerate(keys)], {}, e.alternatives, e.prior)[winner], 4)


def panel(*specs: tuple[str, str, float]) -> list[ScriptedModel]:
    return [ScriptedModel(model, reply=reply, latency_s=latency) for model, reply, latency in specs]


class Steps(Progress):
    def __init__(self, on_step) -> None:
        self.on_step = on_step

    async def step(self, done, total, message) -> None:
        await self.on_step(done, total, message)


async def consensus(rt, on_progress=None, **arguments):
    """The consensus feature as a tool call makes it: arguments validated by its Request model."""
    progress = Steps(on_progress) if on_progress else Progress()
    return await run_consensus(rt, ConsensusRequest.model_validate(arguments), progress)


@pytest.fixture
def run(simulator, tmp_path):
    """Run one consensus with a runtime built for this test's simulator and folders."""

    async def go(**kwargs):
        async with open_runtime(settings_for(simulator, tmp_path), retry=NO_WAIT) as rt:
            return await consensus(rt, **kwargs)

    return go


async def test_vote_picks_the_majority_and_accounts_for_every_model(simulator, run):
    """Three say B in different styles, one says A: B wins with 3/4, dissent and costs are reported."""
    for m in panel(("p/a", "**Answer: B**", 0), ("p/b", "(B)", 0), ("p/c", "B) Carbon dioxide", 0),
                   ("p/d", "Answer: A", 0)):  # fmt: skip
        simulator.script(m)
    spent_before = simulator.spent_usd
    result = await run(prompt=MC, models=["p/a", "p/b", "p/c", "p/d"], early_stop=False)
    assert result.answer == "B) Carbon dioxide"
    assert result.answer_type == "choice" and result.strategy == "vote"
    assert result.confidence == prior_confidence("choice", ["B", "B", "B", "A"], "B")
    assert 0.75 < result.confidence < 1
    assert [g.answer for g in result.groups] == ["B) Carbon dioxide", "A) Oxygen"]
    assert [r.found_by for r in result.responses if r.model in ("p/a", "p/d")] == ["marker", "marker"]
    assert [(d.model, d.answer) for d in result.dissent] == [("p/d", "A) Oxygen")]
    assert result.answered == 4 and result.calls == 4 and not result.stopped_early
    assert result.cost_usd == pytest.approx(simulator.spent_usd - spent_before, abs=1e-9)
    assert result.cost_usd == pytest.approx(sum(r.cost_usd for r in result.responses), abs=1e-9)
    asked = {r.model for r in simulator.requests if r.path.endswith("/chat/completions")}
    assert asked == {"p/a", "p/b", "p/c", "p/d"}


async def test_answer_instruction_is_sent_as_system_prompt(simulator, run):
    """Closed questions ask each model to end with a parseable final line."""
    simulator.script(ScriptedModel("p/a", reply="B"))
    simulator.script(ScriptedModel("p/b", reply="B"))
    await run(prompt=MC, models=["p/a", "p/b"])
    system = simulator.requests[-1].json["messages"][0]
    assert system["role"] == "system" and "Answer:" in system["content"]


async def test_numbers_in_a_chain_of_thought_do_not_split_the_vote(simulator, run):
    """Different renderings of 1081 agree; 1071 does not."""
    for m in panel(("n/a", "20*47=940, 3*47=141, so 940+141 = 1081.\nAnswer: 1081", 0), ("n/b", "= 1,081", 0),
                   ("n/c", "The result is 1,081.", 0), ("n/d", "Answer: 1071", 0)):  # fmt: skip
        simulator.script(m)
    result = await run(prompt="What is 23 * 47?", models=["n/a", "n/b", "n/c", "n/d"], early_stop=False)
    assert result.answer == "1081"
    assert result.confidence == prior_confidence("number", ["1081", "1081", "1081", "1071"], "1081")


async def test_unknown_model_is_refused_before_spending(simulator, run):
    """A typo in the panel raises UnknownModel with suggestions and sends nothing."""
    with pytest.raises(UnknownModel) as info:
        await run(prompt=MC, models=["sim/echo", "openai/gpt4o"])
    assert "openai/gpt-4o" in str(info.value)
    assert simulator.calls() == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"models": ["sim/echo"]}, "at least 2"),
        ({"models": ["sim/echo", "sim/echo"]}, "listed twice"),
        ({"models": ["sim/echo", "p/x"], "strategy": "vote", "answer_type": "long_text"}, "synthesize"),
        ({"models": ["sim/echo", "sim/flaky"], "max_cost_usd": -1}, "max_cost_usd"),
        ({"models": ["sim/echo", "sim/flaky"], "timeout_s": 0.1}, "timeout_s"),
        ({"models": ["sim/echo", "sim/flaky"], "temprature": 0.1}, "unknown argument 'temprature'"),
        ({"models": ["sim/echo", "sim/flaky"], "early_stopp": False}, "did you mean 'early_stop'?"),
    ],
)
async def test_bad_arguments_are_one_clear_line(simulator, tmp_path, kwargs, message):
    """Each bad argument, unknown names included, is refused by the tool with one line naming the fix."""
    async with Client(build_server(settings_for(simulator, tmp_path), retry=NO_WAIT)) as client:
        result = await client.call_tool("consensus", {"prompt": MC, **kwargs})
    text = " ".join(block.text for block in result.content if block.type == "text")
    assert result.is_error
    assert message in text and "\n" not in text
    assert simulator.calls() == 0


async def test_failed_models_are_reported_and_the_rest_decide(simulator, run):
    """A 402 model is listed with its error; the others still produce the answer."""
    for m in panel(("p/a", "B", 0), ("p/b", "B", 0)):
        simulator.script(m)
    result = await run(prompt=MC, models=["p/a", "p/b", "sim/no-credits"], early_stop=False)
    assert result.answer.startswith("B")
    failed = [r for r in result.responses if r.model == "sim/no-credits"][0]
    assert failed.status == "error" and "credits" in failed.error
    assert result.answered == 2


async def test_too_few_answers_lists_each_failure(run):
    """When fewer than two models answer, the error names every model's failure."""
    with pytest.raises(TooFewAnswers) as info:
        await run(prompt=MC, models=["sim/echo", "sim/no-credits", "sim/forbidden"])
    text = str(info.value)
    assert "sim/no-credits" in text and "sim/forbidden" in text and "Only 1 of 3" in text


async def test_early_stop_cancels_the_slow_model(simulator, run):
    """Three fast agreeing models decide; the slow one is cancelled upstream and the run ends early."""
    for m in panel(("f/a", "B", 0.05), ("f/b", "B", 0.1), ("f/c", "B", 0.15), ("f/slow", "A", 5.0)):
        simulator.script(m)
    started = time.perf_counter()
    result = await run(prompt=MC, models=["f/a", "f/b", "f/c", "f/slow"])
    elapsed = time.perf_counter() - started
    assert result.stopped_early and result.answer.startswith("B")
    assert elapsed < 2.0
    slow = [r for r in result.responses if r.model == "f/slow"][0]
    assert slow.status == "cancelled"
    for _ in range(100):
        if simulator.cancelled:
            break
        await asyncio.sleep(0.02)
    assert simulator.cancelled == 1


async def test_without_early_stop_it_waits_for_everyone(simulator, run):
    """early_stop=False waits for the slowest model and counts its answer."""
    for m in panel(("f/a", "B", 0.05), ("f/b", "B", 0.05), ("f/c", "A", 0.6)):
        simulator.script(m)
    result = await run(prompt=MC, models=["f/a", "f/b", "f/c"], early_stop=False)
    assert not result.stopped_early and result.answered == 3
    assert result.latency_s >= 0.6


async def test_round_deadline_reports_late_models_as_timeouts(simulator, run):
    """A model slower than timeout_s is reported as a timeout; the answer comes from the others."""
    for m in panel(("f/a", "B", 0.0), ("f/b", "B", 0.0), ("f/late", "A", 30)):
        simulator.script(m)
    result = await run(prompt=MC, models=["f/a", "f/b", "f/late"], early_stop=False, timeout_s=1)
    late = [r for r in result.responses if r.model == "f/late"][0]
    assert late.status == "timeout" and result.answer.startswith("B")
    assert result.latency_s < 2.5


async def test_adaptive_asks_three_first_and_more_only_on_disagreement(simulator, run):
    """Agreeing first wave: 3 calls out of 5. A 2-1 first wave asks one more; 3-1 settles it."""
    for m in panel(("a/1", "B", 0), ("a/2", "B", 0), ("a/3", "B", 0), ("a/4", "A", 0), ("a/5", "A", 0)):
        simulator.script(m)
    agreed = await run(prompt=MC, models=["a/1", "a/2", "a/3", "a/4", "a/5"], adaptive=True, early_stop=False)
    assert agreed.calls == 3 and agreed.answer.startswith("B")
    assert sum(r.status == "not_asked" for r in agreed.responses) == 2
    for m in panel(("s/1", "A", 0), ("s/2", "B", 0), ("s/3", "B", 0), ("s/4", "B", 0), ("s/5", "A", 0)):
        simulator.script(m)
    split = await run(prompt=MC, models=["s/1", "s/2", "s/3", "s/4", "s/5"], adaptive=True, early_stop=False)
    assert split.calls == 4 and split.answer.startswith("B")
    assert [r.status for r in split.responses].count("not_asked") == 1


async def test_budget_refuses_or_shrinks_before_spending(simulator, run):
    """An impossible budget is refused with nothing sent; a tight one drops the priciest model."""
    pricey = {"pricing": {"prompt": "0.001", "completion": "0.002"}}
    simulator.script(ScriptedModel("b/pricey", reply="B", model_info=pricey))
    simulator.script(ScriptedModel("b/cheap1", reply="B"))
    simulator.script(ScriptedModel("b/cheap2", reply="B"))
    with pytest.raises(BudgetExceeded):
        await run(prompt=MC, models=["b/pricey", "b/cheap1"], max_cost_usd=0.0005)
    assert simulator.calls() == 0
    result = await run(prompt=MC, models=["b/pricey", "b/cheap1", "b/cheap2"], max_cost_usd=0.0005)
    assert result.skipped == ["b/pricey"] and result.estimate_usd <= 0.0005
    assert simulator.calls("b/pricey") == 0 and any("max_cost_usd" in n for n in result.notes)


async def test_weighted_learns_to_ignore_models_that_are_always_wrong(simulator, tmp_path):
    """After runs where two models keep disagreeing with their peers, weighted outvotes them; vote does not."""
    question = "What is 6 * 7?"
    replies = {"w/g1": "42", "w/g2": "42", "w/g3": "42", "w/g4": "42", "w/b1": "17", "w/b2": "17"}
    for model, reply in replies.items():
        simulator.script(ScriptedModel(model, reply=reply))
    async with open_runtime(settings_for(simulator, tmp_path), retry=NO_WAIT) as rt:
        for _ in range(4):
            await consensus(rt, prompt=question, models=list(replies), early_stop=False)
        small = ["w/g1", "w/b1", "w/b2"]
        plain = await consensus(rt, prompt=question, models=small, early_stop=False)
        weighted = await consensus(rt, prompt=question, models=small, strategy="weighted", early_stop=False)
        learned = learn(rt.store, ["w/g1", "w/b1"], "number", [])
    assert plain.answer == "17"
    assert weighted.answer == "42" and weighted.confidence > 0.5
    assert learned.estimates.of("w/b1") < 0.5 < learned.estimates.of("w/g1")


async def test_synthesize_groups_long_answers_by_meaning(simulator, run):
    """For long text the aggregator's meaning groups give confidence and dissent, not word overlap."""
    verdict = json.dumps({"groups": [[1, 3], [2]], "answer": "Tabs and spaces both work; be consistent."})
    simulator.script(ScriptedModel("l/a", reply="Use spaces: PEP 8 says so, and consistency matters most."))
    simulator.script(ScriptedModel("l/b", reply="Tabs, because they let each reader pick the width."))
    simulator.script(ScriptedModel("l/c", reply="Consistency matters more than the choice; PEP 8 picks spaces."))
    simulator.script(ScriptedModel("l/judge", reply=verdict))
    result = await run(
        prompt="Write a short essay on tabs versus spaces in Python code.",
        models=["l/a", "l/b", "l/c"],
        aggregator="l/judge",
    )
    assert result.strategy == "synthesize" and result.answer_type == "long_text"
    assert result.answer == "Tabs and spaces both work; be consistent."
    assert result.confidence == pytest.approx(2 / 3, abs=1e-3)
    assert [g.models for g in result.groups] == [["l/a", "l/c"], ["l/b"]]
    assert [d.model for d in result.dissent] == ["l/b"]
    assert result.calls == 4


async def test_judge_picks_an_answer_for_closed_questions(simulator, run):
    """judge names the most consistent response; its key becomes the answer."""
    simulator.script(ScriptedModel("j/a", reply="Answer: 12"))
    simulator.script(ScriptedModel("j/b", reply="Answer: 13"))
    simulator.script(ScriptedModel("j/judge", reply='{"groups": [[1], [2]], "best": 2}'))
    result = await run(prompt="What is 6 + 7?", models=["j/a", "j/b"], strategy="judge", aggregator="j/judge")
    assert result.answer == "13" and result.confidence == prior_confidence("number", ["12", "13"], "13")


async def test_progress_reports_each_model_as_it_finishes(simulator, run):
    """Progress says how many answered and who, once per model."""
    for m in panel(("g/a", "B", 0.0), ("g/b", "B", 0.1), ("g/c", "A", 0.2)):
        simulator.script(m)
    seen: list[tuple[int, int, str]] = []

    async def progress(done, total, message):
        seen.append((done, total, message))

    await run(prompt=MC, models=["g/a", "g/b", "g/c"], early_stop=False, on_progress=progress)
    assert [s[0] for s in seen] == [1, 2, 3] and all(s[1] == 3 for s in seen)
    assert seen[-1][2] == "3/3 answered: g/a, g/b, g/c"


async def test_cancelling_consensus_cancels_every_request(simulator, tmp_path):
    """Cancelling the call aborts all in-flight upstream requests and marks the run cancelled."""
    async with open_runtime(settings_for(simulator, tmp_path), retry=NO_WAIT) as rt:
        task = asyncio.create_task(consensus(rt, prompt=MC, models=["sim/slow", "sim/slow2"]))
        simulator.script(ScriptedModel("sim/slow2", always_fault="slow"))
        await asyncio.sleep(0.5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        for _ in range(100):
            if simulator.cancelled >= 2:
                break
            await asyncio.sleep(0.02)
        runs = rt.store.list_runs()
    assert simulator.cancelled == 2
    assert runs[0]["status"] == "cancelled"


async def test_a_broken_run_store_never_costs_the_answer(simulator, tmp_path):
    """With an unusable data dir the consensus still answers."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    simulator.script(ScriptedModel("s/a", reply="B"))
    simulator.script(ScriptedModel("s/b", reply="B"))
    settings = settings_for(simulator, tmp_path, data_dir=blocker)
    async with open_runtime(settings, retry=NO_WAIT) as rt:
        assert rt.store is None
        result = await consensus(rt, prompt=MC, models=["s/a", "s/b"])
    assert result.answer.startswith("B") and result.run_id is None


async def test_consensus_tool_over_mcp_uses_the_default_panel(simulator, tmp_path):
    """With no models the configured panel is used; the text summary names answer and confidence."""
    simulator.script(ScriptedModel("d/a", reply="Answer: B"))
    simulator.script(ScriptedModel("d/b", reply="Answer: B"))
    server = build_server(settings_for(simulator, tmp_path, default_models=["d/a", "d/b"]), retry=NO_WAIT)
    async with Client(server) as client:
        result = await client.call_tool("consensus", {"prompt": MC})
        run = await client.call_tool("runs", {"run_id": result.structured_content["run_id"]})
    assert not result.is_error
    assert result.structured_content["answer"] == "B) Carbon dioxide"
    confidence = prior_confidence("choice", ["B", "B"], "B")
    assert f"confidence {confidence:.0%}" in result.content[0].text and confidence < 1
    assert {c["model"] for c in run.structured_content["run"]["calls"]} == {"d/a", "d/b"}


async def test_unreadable_answers_give_no_answer_and_say_so(simulator, run):
    """When no response has a parseable answer the result has none, and a note says why."""
    simulator.script(ScriptedModel("u/a", reply="I would rather not say."))
    simulator.script(ScriptedModel("u/b", reply="Hard to tell, honestly."))
    result = await run(prompt="What is 12 * 12?", models=["u/a", "u/b"])
    assert result.answer is None and result.confidence is None
    assert any("no answer could be read" in note for note in result.notes)


async def test_a_retired_default_panel_model_is_left_out_with_a_note(simulator, tmp_path):
    """Default panel ids missing from the catalog are skipped (the user never named them)."""
    simulator.script(ScriptedModel("d/a", reply="Answer: B"))
    simulator.script(ScriptedModel("d/b", reply="Answer: B"))
    settings = settings_for(simulator, tmp_path, default_models=["d/a", "gone/model-1", "d/b"])
    async with open_runtime(settings, retry=NO_WAIT) as rt:
        result = await consensus(rt, prompt=MC)
        with pytest.raises(InvalidArgument) as info:
            rt.default_panel = ["d/a", "gone/model-1"]
            await consensus(rt, prompt=MC)
    assert result.answer.startswith("B") and {r.model for r in result.responses} == {"d/a", "d/b"}
    assert any("gone/model-1" in note for note in result.notes)
    assert "ORCOLLECTIVE_DEFAULT_MODELS" in str(info.value)


async def test_a_tie_goes_to_the_model_listed_first_whatever_the_speed(simulator, run):
    """2-2: the answer of the first listed model wins even when it arrives last."""
    for m in panel(("t/a", "A", 0.3), ("t/b", "B", 0.0), ("t/c", "A", 0.0), ("t/d", "B", 0.0)):
        simulator.script(m)
    result = await run(prompt=MC, models=["t/a", "t/b", "t/c", "t/d"], early_stop=False)
    assert result.answer.startswith("A") and result.confidence == prior_confidence("choice", list("ABAB"), "A")
    assert result.confidence < 0.5  # a tie: the answer may well be neither


async def test_short_text_answers_vote_by_normalised_text(simulator, run):
    """Renderings of "Paris" agree; "Lyon" does not; the displayed answer is the text itself."""
    for m in panel(("x/a", "Paris", 0), ("x/b", "The answer is **Paris**.", 0), ("x/c", "Answer: paris", 0),
                   ("x/d", "Answer: Lyon", 0)):  # fmt: skip
        simulator.script(m)
    result = await run(prompt="What is the capital of France?", models=["x/a", "x/b", "x/c", "x/d"], early_stop=False)
    assert result.answer_type == "text"
    assert result.answer.lower() == "paris"
    assert result.confidence == prior_confidence("text", ["paris", "paris", "paris", "lyon"], "paris")
    assert [d.model for d in result.dissent] == ["x/d"]


async def test_every_call_reaches_the_ledger_with_its_role(simulator, tmp_path):
    """Panel and aggregator calls keep tokens, generation ids and cost source; the role is a column."""
    for m in panel(("l/a", "Answer: B", 0), ("l/b", "(B)", 0)):
        simulator.script(m)
    simulator.script(ScriptedModel("l/judge", reply='{"groups": [[1, 2]], "best": 1}'))
    settings = settings_for(simulator, tmp_path)
    async with open_runtime(settings, retry=NO_WAIT) as rt:
        result = await consensus(rt, prompt=MC, models=["l/a", "l/b"], strategy="judge", aggregator="l/judge")
        run = rt.store.get_run(result.run_id)
    assert sorted((r.model, r.role) for r in result.responses) == [
        ("l/a", "panelist"), ("l/b", "panelist"), ("l/judge", "aggregator"),
    ]  # fmt: skip
    calls = {c["model"]: c for c in run["calls"]}
    assert set(calls) == {"l/a", "l/b", "l/judge"}
    assert calls["l/judge"]["role"] == "aggregator" and calls["l/a"]["role"] == "panelist"
    for call in calls.values():
        assert call["prompt_tokens"] > 0 and call["completion_tokens"] > 0
        assert call["generation_id"] and call["cost_source"] == "usage.cost"
    assert sum(c["cost_usd"] for c in calls.values()) == pytest.approx(result.cost_usd)


async def test_one_model_with_samples_is_a_panel_of_different_seeds(simulator, run):
    """samples=5 asks the one model five times (temperature > 0, seeds 0-4) and votes over all answers."""
    replies = iter(["Answer: B", "Answer: B", "Answer: A", "Answer: B", "Answer: B"])
    simulator.script(ScriptedModel("s/solo", reply=lambda body: next(replies)))
    result = await run(prompt=MC, models=["s/solo"], samples=5, early_stop=False)
    bodies = [r.json for r in simulator.requests if r.path.endswith("/chat/completions")]
    assert sorted(b["seed"] for b in bodies) == [0, 1, 2, 3, 4] and all(b["temperature"] > 0 for b in bodies)
    assert result.calls == 5 and result.answer.startswith("B")
    assert result.groups[0].models == ["s/solo"] * 4


async def test_one_model_without_samples_is_refused(run):
    """One model and one sample is not a panel: the message names both ways out."""
    with pytest.raises(ValueError, match="samples"):
        ConsensusRequest.model_validate({"prompt": MC, "models": ["s/solo"]})


async def test_feedback_outweighs_agreement(simulator, tmp_path):
    """Two models agree on a wrong answer; once the user marks the lone dissenter's answers right, weighted
    follows the dissenter."""
    replies = {"f/x": "Answer: 17", "f/y": "Answer: 17", "f/lone": "Answer: 42"}
    for model, reply in replies.items():
        simulator.script(ScriptedModel(model, reply=reply))
    server = build_server(settings_for(simulator, tmp_path), retry=NO_WAIT)
    async with Client(server) as client:
        args = {"prompt": "What is 6 * 7?", "models": list(replies), "early_stop": False, "strategy": "vote"}
        for _ in range(3):
            done = await client.call_tool("consensus", args)
            assert done.structured_content["answer"] == "17"
            marked = await client.call_tool("runs", {"run_id": done.structured_content["run_id"], "feedback": "wrong"})
            assert not marked.is_error and "marked wrong" in marked.content[0].text
        weighted = await client.call_tool("consensus", {**args, "strategy": "weighted"})
        refused = await client.call_tool("runs", {"feedback": "right"})
    assert weighted.structured_content["answer"] == "42"
    assert refused.is_error and "run_id" in refused.content[0].text


async def test_auto_switches_to_learnt_weights_once_every_model_has_history(simulator, tmp_path):
    """auto votes plainly on a new panel, and says it uses learnt weights once the history is enough."""
    for model, reply in {"h/a": "B", "h/b": "B", "h/c": "A"}.items():
        simulator.script(ScriptedModel(model, reply=reply))
    async with open_runtime(settings_for(simulator, tmp_path), retry=NO_WAIT) as rt:
        first = await consensus(rt, prompt=MC, models=["h/a", "h/b", "h/c"], early_stop=False)
        for _ in range(8):
            later = await consensus(rt, prompt=MC, models=["h/a", "h/b", "h/c"], early_stop=False)
    assert first.strategy == "vote" and not any("learnt weights" in n for n in first.notes)
    assert later.strategy == "weighted" and any("learnt weights" in n for n in later.notes)
    assert later.confidence > first.confidence  # h/c's dissent has become the expected noise


async def test_early_stop_confidence_counts_the_models_not_heard(simulator, run):
    """Two fast agreeing answers out of three decide, and the confidence stays below certainty."""
    for m in panel(("e/a", "B", 0.0), ("e/b", "B", 0.0), ("e/slow", "A", 3.0)):
        simulator.script(m)
    result = await run(prompt=MC, models=["e/a", "e/b", "e/slow"])
    assert result.stopped_early and result.answer.startswith("B")
    assert 0.5 < result.confidence < 1


async def test_cost_estimate_learns_each_models_completion_length(simulator, tmp_path):
    """A terse model's estimate comes within 2x of its actual cost once the store has its history."""
    simulator.script(ScriptedModel("c/terse1", reply="B"))
    simulator.script(ScriptedModel("c/terse2", reply="B"))
    async with open_runtime(settings_for(simulator, tmp_path), retry=NO_WAIT) as rt:
        cold = await consensus(rt, prompt=MC, models=["c/terse1", "c/terse2"])
        warm = await consensus(rt, prompt=MC, models=["c/terse1", "c/terse2"])
    assert cold.estimate_usd / cold.cost_usd > 2
    assert 0.5 <= warm.estimate_usd / warm.cost_usd <= 2


async def test_free_only_builds_a_free_panel_and_refuses_paid_models(simulator, tmp_path):
    """free_only without models asks only ':free' catalog models; with a paid model named, nothing is sent."""
    async with open_runtime(settings_for(simulator, tmp_path), retry=NO_WAIT) as rt:
        result = await consensus(rt, prompt="Is water wet? Answer yes or no.", free_only=True, early_stop=False)
        before = simulator.calls()
        with pytest.raises(InvalidArgument, match="would be billed"):
            await consensus(rt, prompt="2+2?", models=["openai/gpt-4o", "sim/echo"], free_only=True)
    asked = [r.model for r in result.responses]
    assert len(asked) >= 2 and all(m.endswith(":free") for m in asked)
    assert any("free_only" in n for n in result.notes)
    assert simulator.calls() == before


async def test_wait_false_returns_a_run_id_and_the_result_comes_through_runs(simulator, tmp_path):
    """consensus(wait=false) answers with a run id while the panel is still thinking; runs(run_id) then shows
    the run going on, and finally its result."""
    for m in panel(("w/a", "Answer: B", 1.5), ("w/b", "(B)", 1.5)):
        simulator.script(m)
    async with Client(build_server(settings_for(simulator, tmp_path), retry=NO_WAIT)) as client:
        pending = await client.call_tool("consensus", {"prompt": MC, "models": ["w/a", "w/b"], "wait": False})
        run_id = pending.structured_content["run_id"]
        first = (await client.call_tool("runs", {"run_id": run_id})).structured_content["run"]
        for _ in range(200):
            shown = (await client.call_tool("runs", {"run_id": run_id})).structured_content["run"]
            if shown["status"] != "running":
                break
            await asyncio.sleep(0.05)
    assert not pending.is_error and pending.structured_content["answer"] is None and run_id
    assert first["status"] == "running" and simulator.calls() >= 1
    assert shown["status"] == "done" and shown["result"]["answer"] == "B) Carbon dioxide"


async def test_continue_from_gives_each_model_its_own_earlier_exchange(simulator, tmp_path):
    """A follow-up with continue_from sends each model its own earlier question and answer, then the new one."""
    simulator.script(ScriptedModel("f/a", reply="Answer: B"))
    simulator.script(ScriptedModel("f/b", reply="Answer: A"))
    async with open_runtime(settings_for(simulator, tmp_path), retry=NO_WAIT) as rt:
        first = await consensus(rt, prompt=MC, models=["f/a", "f/b"], early_stop=False)
        await consensus(rt, prompt="Are you sure? Answer yes or no.", models=["f/a", "f/b"],
                        continue_from=first.run_id, early_stop=False)  # fmt: skip
    follow_ups = [r for r in simulator.requests if r.model in ("f/a", "f/b")][2:]
    assert len(follow_ups) == 2
    for request in follow_ups:
        contents = [m["content"] for m in request.json["messages"] if m["role"] != "system"]
        mine = "Answer: B" if request.model == "f/a" else "Answer: A"
        assert contents[0].startswith("Which gas") and contents[1] == mine
        assert contents[-1] == "Are you sure? Answer yes or no."


async def test_a_model_that_cannot_read_images_is_refused_before_spending(simulator, tmp_path):
    """consensus with images and a text-only model names vision models to use instead; nothing is sent."""
    from PIL import Image

    Image.new("RGB", (8, 8), "red").save(tmp_path / "dot.png")
    async with open_runtime(settings_for(simulator, tmp_path), retry=NO_WAIT) as rt:
        with pytest.raises(InvalidArgument, match="cannot read images"):
            await consensus(rt, prompt="What colour is it? A) red B) blue", images=[str(tmp_path / "dot.png")],
                            models=["openai/gpt-4o", "meta-llama/llama-3.3-70b-instruct"])  # fmt: skip
    assert simulator.calls() == 0
