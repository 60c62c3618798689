"""ensemble_reasoning on the simulator: a scripted planner's DAG, routing, parallel and ordered subtasks,
an invalid plan retried once, and the aggregator's synthesis."""

from __future__ import annotations

import json

import pytest

from conftest import no_wait, settings_for
from orcollective.features.base import Progress
from orcollective.features.ensemble_reasoning import EnsembleRequest
from orcollective.features.ensemble_reasoning import run as run_ensemble
from orcollective.runtime import open_runtime
from orcollective.simulator import ScriptedModel

NO_WAIT = no_wait(attempts=1)
PLAN = {"subtasks": [
    {"id": "facts", "task": "list the facts", "depends_on": [], "model": "e/b"},
    {"id": "maths", "task": "do the sums", "depends_on": [], "model": None},
    {"id": "check", "task": "check the sums against the facts", "depends_on": ["facts", "maths"], "model": "e/zz"},
]}  # fmt: skip


def user_text(body: dict) -> str:
    return "\n".join(m["content"] for m in body["messages"] if isinstance(m.get("content"), str))


def member(model: str, plans: list[str]) -> ScriptedModel:
    def reply(body: dict) -> str:
        text = user_text(body)
        if "Plan at most" in text:
            return plans.pop(0) if len(plans) > 1 else plans[0]
        if "Subtask outputs:" in text:
            return "final: " + ",".join(sorted(set(t for t in ("out-facts", "out-maths", "out-check") if t in text)))
        sub = text.split("Your subtask (")[1].split(")")[0]
        return f"out-{sub}"

    return ScriptedModel(model, reply=reply, latency_s=0.1)


@pytest.fixture
def go(simulator, tmp_path):
    async def run(**arguments):
        async with open_runtime(settings_for(simulator, tmp_path), retry=NO_WAIT) as rt:
            return await run_ensemble(rt, EnsembleRequest.model_validate(arguments), Progress())

    return run


async def test_plan_is_routed_run_in_dependency_order_and_synthesised(simulator, go):
    """A cyclic first plan is retried; the valid one runs facts and maths together, then check with both."""
    cyclic = json.dumps({"subtasks": [{"id": "a", "task": "x", "depends_on": ["b"]},
                                      {"id": "b", "task": "y", "depends_on": ["a"]}]})  # fmt: skip
    plans = [cyclic, json.dumps(PLAN)]
    simulator.script(member("e/a", plans))
    simulator.script(member("e/b", plans))
    result = await go(problem="How many legs do 3 spiders have?", models=["e/a", "e/b"], planner="e/a",
                      aggregator="e/a")  # fmt: skip
    assert result.answer == "final: out-check,out-facts,out-maths"
    rows = {s.id: s for s in result.plan}
    assert rows["facts"].model == "e/b" and rows["facts"].routed == "planner"
    assert rows["maths"].routed == "selected" and rows["check"].routed == "selected"
    assert result.layers == [["facts", "maths"], ["check"]]
    check = [r for r in simulator.requests if r.json and "Your subtask (check)" in user_text(r.json)][0]
    assert "out-facts" in user_text(check.json) and "out-maths" in user_text(check.json)
    starts = {s: r.time for r in simulator.requests if r.json for s in ("facts", "maths", "check")
              if f"Your subtask ({s})" in user_text(r.json)}  # fmt: skip
    # facts and maths start together (closer to each other than check is to either), check after both
    assert abs(starts["facts"] - starts["maths"]) < starts["check"] - max(starts["facts"], starts["maths"])
    roles = [c.role for c in result.calls]
    assert roles == ["planner", "planner", "worker", "worker", "worker", "aggregator"]
    assert not result.partial and result.cost_usd > 0
    assert any("e/zz" in n for n in result.notes)
