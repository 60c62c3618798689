"""select_model on the simulator's catalog: constraints always hold, measured stats change the ranking
and appear in the reasons with their counts."""

from __future__ import annotations

import pytest

from conftest import no_wait, settings_for
from orcollective.errors import InvalidArgument
from orcollective.features.base import Progress
from orcollective.features.select_model import SelectModelRequest
from orcollective.features.select_model import run as run_select
from orcollective.runtime import open_runtime
from orcollective.simulator import ScriptedModel

NO_WAIT = no_wait(attempts=1)


@pytest.mark.parametrize(
    "constraints",
    [{"max_price_per_mtok": 1.0}, {"min_context": 200_000}, {"vision": True}, {"free_only": True}, {"tools": True}],
)
async def test_no_recommendation_violates_a_constraint(simulator, tmp_path, constraints):
    """Every pick meets the constraint, checked against the simulator's own catalog records."""
    records = {m["id"]: m for m in simulator.catalog}
    async with open_runtime(settings_for(simulator, tmp_path), retry=NO_WAIT) as rt:
        result = await run_select(rt, SelectModelRequest(task="summarise a report", count=10, **constraints),
                                  Progress())  # fmt: skip
        infos = {m.id: m for m in await rt.registry.all()}
    assert len(result.recommendations) == 10
    for rec in result.recommendations:
        m, raw = infos[rec.model], records[rec.model]
        if "max_price_per_mtok" in constraints:
            assert max(rec.prompt_per_mtok, rec.completion_per_mtok) <= 1.0
        if "min_context" in constraints:
            assert raw["context_length"] >= 200_000
        if "vision" in constraints:
            assert "image" in raw["architecture"]["input_modalities"]
        if "free_only" in constraints:
            assert m.free
        if "tools" in constraints:
            assert "tools" in raw["supported_parameters"]
        assert any("per 1M tokens" in r for r in rec.reasons)


async def test_measured_latency_and_success_rank_a_fast_reliable_model_first(simulator, tmp_path):
    """Two equally priced models: the one measured fast and always successful wins for priority speed."""
    simulator.script(ScriptedModel("s/fast"))
    simulator.script(ScriptedModel("s/slow", latency_s=0.2))
    async with open_runtime(settings_for(simulator, tmp_path), retry=NO_WAIT) as rt:
        assert rt.store is not None
        run_id = rt.store.start_run("test", {})
        for _ in range(4):
            rt.store.record_call(run_id, "s/fast", latency_s=0.5)
            rt.store.record_call(run_id, "s/slow", latency_s=4.0)
        result = await run_select(
            rt,
            SelectModelRequest(task="quick answers", priority="speed", count=20, max_price_per_mtok=0.4),
            Progress(),
        )
    ids = [r.model for r in result.recommendations]
    assert ids[0] == "s/fast" and ("s/slow" not in ids or ids.index("s/slow") > 0)
    fast = result.recommendations[ids.index("s/fast")]
    assert fast.measured_calls == 4 and any("median latency 0.50s over 4 calls" in r for r in fast.reasons)


async def test_impossible_constraints_are_one_line_naming_what_to_relax(simulator, tmp_path):
    async with open_runtime(settings_for(simulator, tmp_path), retry=NO_WAIT) as rt:
        with pytest.raises(InvalidArgument, match="relax"):
            await run_select(rt, SelectModelRequest(task="x", min_context=99_000_000), Progress())
