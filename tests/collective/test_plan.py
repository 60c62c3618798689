"""The ensemble plan: validation of ids and dependencies, layers, and the DAG run order."""

from __future__ import annotations

import anyio
import pytest
from pydantic import ValidationError

from orcollective.collective.plan import Plan, Subtask, check_size, layers, run_dag


def plan(*specs: tuple[str, list[str]]) -> Plan:
    return Plan(subtasks=[Subtask(id=i, task=f"do {i}", depends_on=deps) for i, deps in specs])


@pytest.mark.parametrize(
    ("specs", "problem"),
    [
        ([("a", []), ("a", [])], "unique"),
        ([("a", ["zz"])], "unknown ids: zz"),
        ([("a", ["a"])], "itself"),
        ([("a", ["b"]), ("b", ["a"])], "cycle"),
    ],
)
def test_invalid_plans_are_refused_naming_the_problem(specs, problem):
    with pytest.raises(ValidationError, match=problem):
        plan(*specs)


def test_layers_and_size():
    p = plan(("a", []), ("b", []), ("c", ["a", "b"]), ("d", ["c"]))
    assert layers(p.subtasks) == [["a", "b"], ["c"], ["d"]]
    with pytest.raises(ValueError, match="at most 3"):
        check_size(p, 3)


async def test_independent_subtasks_run_together_and_dependents_see_their_inputs():
    """a and b overlap in time; c starts after both and gets their outputs; a failure skips its dependents."""
    p = plan(("a", []), ("b", []), ("c", ["a", "b"]), ("x", []), ("y", ["x"]))
    log: list[str] = []
    seen: dict[str, dict] = {}

    async def solve(s, inputs):
        log.append(f"start {s.id}")
        seen[s.id] = inputs
        await anyio.sleep(0.05)
        log.append(f"end {s.id}")
        return None if s.id == "x" else f"out-{s.id}"

    outputs = await run_dag(p, solve)
    assert log.index("start b") < log.index("end a")
    assert log.index("start c") > max(log.index("end a"), log.index("end b"))
    assert seen["c"] == {"a": "out-a", "b": "out-b"}
    assert "y" not in seen and set(outputs) == {"a", "b", "c"}
