"""collaborate end to end on the simulator: council ranking anonymity and Borda, debate changes and vote,
refine until no major issue, follow-ups, wait=false and a model that never answers."""

from __future__ import annotations

import json
import re
import time

import anyio
import pytest
from mcp import Client

from conftest import no_wait, settings_for
from orcollective.features.base import Progress
from orcollective.features.collaborate import CollaborateRequest
from orcollective.features.collaborate import run as run_collaborate
from orcollective.features.runs import RunsRequest
from orcollective.features.runs import run as run_runs
from orcollective.mcp import build_server
from orcollective.runtime import open_runtime
from orcollective.simulator import ScriptedModel

NO_WAIT = no_wait(attempts=1)
PANEL = ["c/alpha", "c/bravo", "c/charlie", "c/delta"]
QUALITY = {"c/alpha": 4, "c/bravo": 3, "c/charlie": 2, "c/delta": 1}  # what every ranker judges by
_SHOWN = re.compile(r"Response ([A-Z]):\nmarker-(\w+)")


def user_text(body: dict) -> str:
    return "\n".join(m["content"] for m in body["messages"] if m["role"] == "user" and isinstance(m["content"], str))


def panelist(model: str, latency_s: float = 0.0) -> ScriptedModel:
    """Answers with a marker naming itself; as a ranker, ranks the responses it is shown by known quality."""

    def reply(body: dict) -> str:
        text = user_text(body)
        if "Rank every response" in text:
            shown = dict(_SHOWN.findall(text))
            order = sorted(shown, key=lambda label: -QUALITY["c/" + shown[label]])
            return "```json\n" + json.dumps({"ranking": order, "reason": "by quality"}) + "\n```"
        if "Question:" in text and "<responses>" in text:
            return "chairman synthesis"
        return f"marker-{model.split('/')[1]} explains the idea"

    return ScriptedModel(model, reply=reply, latency_s=latency_s)


@pytest.fixture
def go(simulator, tmp_path):
    async def run(**arguments):
        async with open_runtime(settings_for(simulator, tmp_path), retry=NO_WAIT) as rt:
            return await run_collaborate(rt, CollaborateRequest.model_validate(arguments), Progress())

    return run


async def test_council_rankers_never_see_their_own_answer_or_a_model_name(simulator, go):
    """Each ranker sees the 3 other answers as Response A/B/C, no model id; Borda ranks by peer judgement."""
    for m in PANEL:
        simulator.script(panelist(m))
    result = await go(prompt="Explain entropy in two lines.", mode="council", models=PANEL, chairman="c/alpha")
    rankings = [r for r in simulator.requests if r.json and "Rank every response" in user_text(r.json)]
    assert sorted(r.model for r in rankings) == sorted(PANEL)
    orders = set()
    for r in rankings:
        text = json.dumps(r.json["messages"])
        shown = dict(_SHOWN.findall(user_text(r.json)))
        assert sorted(shown) == ["A", "B", "C"]
        assert "c/" + r.model.split("/")[1] not in ["c/" + v for v in shown.values()]  # never its own answer
        assert not any(m in text for m in PANEL)  # never a model name
        assert r.json["response_format"]["type"] == "json_schema"
        orders.add(tuple(shown.values()))
    assert len(orders) > 1  # shuffled per ranker
    assert [s.model for s in result.ranking] == PANEL  # real names revealed after ranking
    assert result.ranking[0].score == 1.0 and result.ranking[-1].score == 0.0
    assert result.answer == "chairman synthesis"
    roles = [c.role for c in result.calls]
    assert roles.count("panelist") == 4 and roles.count("ranker") == 4 and roles.count("chairman") == 1
    assert result.cost_usd == pytest.approx(sum(c.cost_usd or 0 for c in result.calls))


async def test_council_with_a_model_that_never_answers_returns_a_partial_result(simulator, go):
    """A hung model is named late; the others' answers are ranked and synthesised anyway."""
    for m in PANEL[:3]:
        simulator.script(panelist(m))
    simulator.script(ScriptedModel("c/delta", always_fault="slow"))
    started = time.monotonic()
    result = await go(prompt="Explain entropy.", mode="council", models=PANEL, chairman="c/alpha", timeout_s=2)
    assert time.monotonic() - started < 4
    assert result.partial and result.late == ["c/delta"]
    assert {s.model for s in result.ranking} == set(PANEL[:3])
    assert result.answer == "chairman synthesis"


def debater(model: str, first: str, then: str) -> ScriptedModel:
    def reply(body: dict) -> str:
        revising = "Other panelists answered" in user_text(body)
        return f"Reasoning.\nAnswer: {then if revising else first}"

    return ScriptedModel(model, reply=reply)


async def test_debate_counts_changes_and_votes_over_the_last_round(simulator, go):
    """Two models switch to B after seeing peers (anonymised); the final vote is B."""
    simulator.script(debater("d/a", "A", "B"))
    simulator.script(debater("d/b", "B", "B"))
    simulator.script(debater("d/c", "B", "B"))
    simulator.script(debater("d/d", "A", "B"))
    q = "Which is a noble gas?\nA) Oxygen\nB) Helium\nC) Nitrogen\nD) Carbon"
    result = await go(prompt=q, mode="debate", models=["d/a", "d/b", "d/c", "d/d"], rounds=2)
    assert [(r.round, r.changed) for r in result.rounds] == [(0, None), (1, 2), (2, 0)]
    assert result.answer == "B) Helium"
    revisions = [r for r in simulator.requests if r.json and "Other panelists answered" in user_text(r.json)]
    assert len(revisions) == 8
    assert not any(m in user_text(r.json).split("<responses>")[1] for r in revisions for m in ("d/a", "d/b"))


def critic(model: str) -> ScriptedModel:
    """Raises a major issue on the first draft only."""

    def reply(body: dict) -> str:
        draft = user_text(body).split("<draft>")[-1]
        return json.dumps({"major": ["wrong formula"] if "v1" in draft else [], "minor": ["style"]})

    return ScriptedModel(model, reply=reply)


async def test_refine_revises_until_no_major_issue(simulator, go):
    """Draft v1 draws major issues; the revision v2 draws none, so refinement stops after round 2's critique."""
    simulator.script(
        ScriptedModel("r/draft", reply=lambda b: "draft v2" if "Reviewers read" in user_text(b) else "draft v1")
    )
    simulator.script(critic("r/c1"))
    simulator.script(critic("r/c2"))
    result = await go(prompt="Write the kinetic energy formula.", mode="refine", models=["r/draft", "r/c1", "r/c2"],
                      rounds=3)  # fmt: skip
    assert result.answer == "draft v2"
    assert [(r.round, r.major_issues) for r in result.rounds] == [(1, 2), (2, 0)]
    assert [c.role for c in result.calls].count("critic") == 4


async def test_continue_from_gives_each_model_its_own_exchange(simulator, go):
    """A follow-up sends each model its own earlier question and answer, then the new prompt."""
    for m in PANEL[:3]:
        simulator.script(panelist(m))
    first = await go(prompt="Explain entropy.", mode="council", models=PANEL[:3], chairman="c/alpha")
    simulator.reset()
    await go(prompt="And in one word?", mode="council", models=PANEL[:3], chairman="c/alpha",
             continue_from=first.run_id)  # fmt: skip
    for m in PANEL[:3]:
        (answer_call,) = [r for r in simulator.requests if r.model == m and "Rank" not in user_text(r.json)
                          and "<responses>" not in user_text(r.json)]  # fmt: skip
        messages = answer_call.json["messages"]
        assert [x["role"] for x in messages] == ["user", "assistant", "user"]
        assert messages[1]["content"] == f"marker-{m.split('/')[1]} explains the idea"
        assert messages[2]["content"] == "And in one word?"


async def test_wait_false_returns_a_run_id_at_once_and_runs_shows_progress_then_the_result(simulator, tmp_path):
    """The call returns before any model answers; runs(run_id) shows finished calls, then the result."""
    for m in PANEL:
        simulator.script(panelist(m, latency_s=0.3))
    async with open_runtime(settings_for(simulator, tmp_path), retry=NO_WAIT) as rt:
        pending = await run_collaborate(
            rt, CollaborateRequest(prompt="Explain entropy.", models=PANEL, chairman="c/alpha", wait=False), Progress()
        )
        assert pending.status == "running" and pending.run_id
        with anyio.fail_after(5):  # the four answers, while the rankings are still to come
            while len(((await run_runs(rt, RunsRequest(run_id=pending.run_id), Progress())).run or {})["calls"]) < 4:
                await anyio.sleep(0.02)
        mid = (await run_runs(rt, RunsRequest(run_id=pending.run_id), Progress())).run
        assert mid is not None and mid["status"] == "running"
        assert 4 <= len(mid["live"]["finished_calls"]) == len(mid["calls"]) < 9
        job = rt.jobs.get(pending.run_id)
        assert job is not None
        with anyio.fail_after(5):
            await job.ended.wait()
        done = (await run_runs(rt, RunsRequest(run_id=pending.run_id), Progress())).run
        assert done is not None and done["status"] == "done"
        assert done["result"]["answer"] == "chairman synthesis"


async def test_a_background_run_can_be_cancelled(simulator, tmp_path):
    """runs(run_id, cancel=true) stops the work; the run is recorded as cancelled with what it spent."""
    for m in PANEL:
        simulator.script(panelist(m, latency_s=2))
    async with open_runtime(settings_for(simulator, tmp_path), retry=NO_WAIT) as rt:
        pending = await run_collaborate(rt, CollaborateRequest(prompt="Explain.", models=PANEL, wait=False), Progress())
        await anyio.sleep(0.1)
        out = (await run_runs(rt, RunsRequest(run_id=pending.run_id, cancel=True), Progress())).run
        assert out is not None
        job = rt.jobs.get(pending.run_id or "")
        assert job is not None
        with anyio.fail_after(3):
            await job.ended.wait()
        stored = rt.store.get_run(pending.run_id) if rt.store else None
        assert stored is not None and stored["status"] == "cancelled"


async def test_wait_false_through_an_mcp_client_goes_on_in_the_server(simulator, tmp_path):
    """The tool call returns a run id at once; polling the runs tool shows it finish with the answer."""
    for m in PANEL:
        simulator.script(panelist(m, latency_s=0.2))
    async with Client(build_server(settings_for(simulator, tmp_path), retry=NO_WAIT)) as mcp:
        pending = await mcp.call_tool("collaborate", {"prompt": "Explain.", "models": PANEL, "wait": False})
        # What came back is the pending result (the council was still to be held), not the finished one.
        assert not pending.is_error and pending.structured_content["status"] == "running"
        run_id = pending.structured_content["run_id"]
        assert "poll runs" in pending.content[0].text
        with anyio.fail_after(5):
            while True:
                shown = (await mcp.call_tool("runs", {"run_id": run_id})).structured_content["run"]
                if shown["status"] != "running":
                    break
                await anyio.sleep(0.1)
    assert shown["status"] == "done" and shown["result"]["answer"] == "chairman synthesis"
    assert shown["live"]["status"] == "done" and len(shown["calls"]) == 9


async def test_free_only_council_asks_only_free_models(simulator, tmp_path):
    """collaborate with free_only and no models builds a panel of ':free' models (chairman too); a paid model
    named with free_only is refused before any spend."""
    from mcp import Client

    from conftest import no_wait, settings_for
    from orcollective.mcp import build_server

    async with Client(build_server(settings_for(simulator, tmp_path), retry=no_wait())) as client:
        result = await client.call_tool("collaborate", {"prompt": "Name a colour.", "free_only": True})
        before = simulator.calls()
        refused = await client.call_tool(
            "collaborate", {"prompt": "Name a colour.", "models": ["openai/gpt-4o", "sim/echo"], "free_only": True}
        )
    asked = {r.model for r in simulator.requests if r.model}
    assert not result.is_error, result.content[0].text
    assert asked and all(m.endswith(":free") for m in asked)
    assert refused.is_error and "would be billed" in refused.content[0].text
    assert simulator.calls() == before


async def test_max_cost_usd_refuses_collaborate_and_cross_validate_before_any_spend(simulator, tmp_path):
    """Both tools price their run before it starts; a budget below the estimate is one line, nothing sent."""
    from mcp import Client

    from conftest import no_wait, settings_for
    from orcollective.mcp import build_server

    panel = ["openai/gpt-4o", "anthropic/claude-3.5-sonnet", "google/gemini-2.5-flash"]
    async with Client(build_server(settings_for(simulator, tmp_path), retry=no_wait())) as client:
        council = await client.call_tool(
            "collaborate", {"prompt": "Name a colour.", "models": panel, "max_cost_usd": 0.000001}
        )
        review = await client.call_tool(
            "cross_validate", {"content": "def f(): return 1", "reviewers": panel, "max_cost_usd": 0.000001}
        )
    for result in (council, review):
        text = result.content[0].text
        assert result.is_error and "over max_cost_usd" in text and "\n" not in text
    assert simulator.calls() == 0
