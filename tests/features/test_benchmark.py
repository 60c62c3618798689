"""The benchmark against the loopback simulator: parallel streamed trials, grading, the panel, the budget."""

from __future__ import annotations

import base64
import io

import pytest
from mcp import Client
from PIL import Image

from conftest import no_wait, settings_for
from orcollective.errors import BudgetExceeded
from orcollective.features import Progress
from orcollective.features.benchmark import BenchmarkRequest
from orcollective.features.benchmark import run as run_benchmark
from orcollective.mcp import build_server
from orcollective.runtime import open_runtime
from orcollective.simulator import ScriptedModel
from orcollective.store.benchmarks import get_benchmark, ground_truth

NO_WAIT = no_wait(attempts=1)
PROMPTS = ["What is 6 * 7?", "Which gas do plants absorb?\nA) Oxygen\nB) Carbon dioxide\nC) Nitrogen", "What is 2 + 3?"]
EXPECTED = ["42", "B", "5"]
RIGHT = {PROMPTS[0]: "Answer: 42", PROMPTS[1]: "**Answer: B**", PROMPTS[2]: "The result is 5."}


def replies(wrong_on: set[int], wrong: str = "Answer: 1") -> object:
    """A reply function right on every prompt except the indexes in ``wrong_on``."""

    def reply(body: dict) -> str:
        text = body["messages"][-1]["content"]
        index = PROMPTS.index(text)
        return wrong if index in wrong_on else RIGHT[text]

    return reply


def contestants(simulator) -> list[str]:
    """Four models: one always right, three each wrong on a different prompt (so the vote is always right)."""
    specs = [("b/ace", set(), 0.06), ("b/one", {0}, 0.02), ("b/two", {1}, 0.04), ("b/three", {2}, 0.03)]
    for model, wrong_on, latency in specs:
        simulator.script(ScriptedModel(model, reply=replies(wrong_on), latency_s=latency, tokens_per_s=400))
    return [model for model, _, _ in specs]


class Steps(Progress):
    def __init__(self) -> None:
        self.seen: list[tuple[float, float | None]] = []

    async def step(self, done, total, message) -> None:
        self.seen.append((done, total))


async def test_trials_run_in_parallel_and_are_graded_per_contestant(simulator, tmp_path) -> None:
    """4 models x 3 prompts x 2 runs: every call streamed at once, TTFT below latency, accuracy per model,
    the panel beats its best-but-one members, the benchmark is saved with ground truth."""
    models = contestants(simulator)
    steps = Steps()
    async with open_runtime(settings_for(simulator, tmp_path), retry=NO_WAIT) as rt:
        req = BenchmarkRequest(prompts=PROMPTS, models=models, runs=2, expected=EXPECTED, include_consensus=True)
        result = await run_benchmark(rt, req, steps)
        assert rt.store is not None
        saved = get_benchmark(rt.store)
        truth = ground_truth(rt.store, models)

    assert result.trials == 24 and simulator.calls() == 24
    assert 8 <= simulator.max_concurrency <= 16  # in parallel, never past the client's concurrency limit
    assert steps.seen[-1] == (24, 24)
    by_name = {row.contestant: row for row in result.rows}
    assert by_name["b/ace"].accuracy == 1.0
    assert by_name["b/one"].accuracy == pytest.approx(2 / 3, abs=1e-3)
    assert by_name["panel"].accuracy == 1.0 and by_name["panel"].kind == "panel"
    for name in models:
        row = by_name[name]
        assert row.success_rate == 1.0 and row.trials == 6
        assert row.ttft_median_s is not None and row.latency_median_s is not None
        assert 0 < row.ttft_median_s <= row.latency_median_s <= row.latency_p90_s  # type: ignore[operator]
        assert row.cost_usd and row.cost_usd > 0 and row.tokens_per_s
    top_two = {result.rows[0].contestant, result.rows[1].contestant}
    assert result.rows[0].accuracy == 1.0 and top_two == {"b/ace", "panel"}
    assert result.panel is not None
    assert result.panel.best_model == "b/ace" and result.panel.gain_points == 0.0
    assert result.panel.cost_ratio is not None and result.panel.cost_ratio > 3
    assert result.sequential_s > result.wall_s  # parallel: the calls' latencies add up to more than the wall
    assert result.cost_usd == pytest.approx(simulator.spent_usd, rel=1e-6)
    assert saved is not None and saved.id == result.benchmark_id and saved.result is not None
    assert saved.result["rows"][0]["rank"] == 1
    assert truth["b/ace"] == (6, 6) and truth["b/one"] == (4, 6)


async def test_budget_is_checked_before_anything_is_spent(simulator, tmp_path) -> None:
    """A max_cost_usd under the estimate fails with one line and sends no request."""
    models = contestants(simulator)
    async with open_runtime(settings_for(simulator, tmp_path), retry=NO_WAIT) as rt:
        req = BenchmarkRequest(prompts=PROMPTS, models=models, runs=3, max_cost_usd=1e-9)
        with pytest.raises(BudgetExceeded, match="max_cost_usd"):
            await run_benchmark(rt, req, Progress())
    assert simulator.calls() == 0


async def test_a_failing_model_is_reported_not_dropped(simulator, tmp_path) -> None:
    """A contestant that always fails has success rate 0 and counts as wrong where answers are expected."""
    models = contestants(simulator)[:2]
    async with open_runtime(settings_for(simulator, tmp_path), retry=NO_WAIT) as rt:
        req = BenchmarkRequest(prompts=PROMPTS[:1], models=[*models, "sim/server-error"], expected=EXPECTED[:1])
        result = await run_benchmark(rt, req, Progress())
    failing = next(r for r in result.rows if r.contestant == "sim/server-error")
    assert failing.success_rate == 0 and failing.accuracy == 0 and failing.rank == 3


async def test_judge_scores_replies_without_expected_answers(simulator, tmp_path) -> None:
    """With no expected answer, a judge's JSON verdict gives each reply a 0..1 score."""
    models = contestants(simulator)[:2]
    simulator.script(ScriptedModel("b/judge", reply='{"score": 8, "reason": "right"}'))
    async with open_runtime(settings_for(simulator, tmp_path), retry=NO_WAIT) as rt:
        req = BenchmarkRequest(prompts=PROMPTS[:2], models=models, judge="b/judge")
        result = await run_benchmark(rt, req, Progress())
    assert all(row.judge_score == 0.8 and row.accuracy is None for row in result.rows)
    assert simulator.calls("b/judge") == 4


def test_request_checks_expected_and_panel_size() -> None:
    """Expected answers must match the prompts one to one; a panel needs two models."""
    with pytest.raises(ValueError, match="one each"):
        BenchmarkRequest(prompts=PROMPTS, models=["a/b", "c/d"], expected=["1"])
    with pytest.raises(ValueError, match="at least 2"):
        BenchmarkRequest(prompts=PROMPTS, models=["a/b"], include_consensus=True)


async def test_mcp_result_carries_the_chart_as_png_image_content(simulator, tmp_path) -> None:
    """Through a real MCP client the tool returns the table as text, the result, and a readable PNG chart."""
    models = contestants(simulator)
    server = build_server(settings_for(simulator, tmp_path), retry=NO_WAIT)
    async with Client(server) as client:
        result = await client.call_tool(
            "benchmark", {"prompts": PROMPTS, "models": models, "expected": EXPECTED, "include_consensus": True}
        )
    assert not result.is_error
    text, image = result.content[0], result.content[1]
    assert text.type == "text" and "panel" in text.text
    assert image.type == "image" and image.mime_type == "image/png"
    png = Image.open(io.BytesIO(base64.b64decode(image.data)))
    assert png.size[0] == 1260 and png.size[1] > 200
    assert result.structured_content["panel"]["best_model"] == "b/ace"
