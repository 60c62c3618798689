"""Ensemble reasoning's plan: a planner's subtasks with ids and dependencies, validated (unique ids, no
unknown or cyclic dependency, at most ``max_subtasks``), then run as a DAG: each subtask starts as soon
as everything it depends on is done, seeing those outputs; independent ones run in parallel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

import anyio
from pydantic import BaseModel, Field, model_validator

OUTPUT_CHARS = 4000
PLANNER_SYSTEM = (
    "You plan how a team of AI models solves a problem: split it into a few subtasks that can be "
    "answered separately, each with an id and the ids of the subtasks whose output it needs. Keep "
    "independent subtasks independent so they can run in parallel. Do not solve the problem."
)
AGGREGATOR_SYSTEM = (
    "You write the final answer to a problem from the outputs of subtasks that other models solved. "
    "Check them against each other, correct what is wrong, and answer the problem itself."
)


class Subtask(BaseModel, defer_build=True):
    id: str = Field(min_length=1, max_length=40)
    task: str = Field(min_length=1)
    depends_on: list[str] = Field(default_factory=list)
    model: str | None = Field(None, description="a model id from the panel, if one fits best")


class Plan(BaseModel, defer_build=True):
    subtasks: list[Subtask] = Field(min_length=1)

    @model_validator(mode="after")
    def _dag(self) -> Plan:
        ids = [s.id for s in self.subtasks]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"subtask ids must be unique; repeated: {', '.join(twice)}")
        for s in self.subtasks:
            unknown = [d for d in s.depends_on if d not in ids]
            if unknown:
                raise ValueError(f"subtask {s.id} depends on unknown ids: {', '.join(unknown)}")
            if s.id in s.depends_on:
                raise ValueError(f"subtask {s.id} depends on itself")
        layers(self.subtasks)  # raises on a cycle
        return self


def layers(subtasks: Sequence[Subtask]) -> list[list[str]]:
    """Subtask ids by depth (all of a layer's dependencies are in earlier layers); ValueError on a cycle."""
    left = {s.id: set(s.depends_on) for s in subtasks}
    done: set[str] = set()
    out: list[list[str]] = []
    while left:
        ready = [i for i, deps in left.items() if deps <= done]
        if not ready:
            raise ValueError(f"dependencies form a cycle among: {', '.join(sorted(left))}")
        out.append(ready)
        done.update(ready)
        for i in ready:
            del left[i]
    return out


def check_size(plan: Plan, max_subtasks: int) -> None:
    if len(plan.subtasks) > max_subtasks:
        raise ValueError(f"{len(plan.subtasks)} subtasks; at most {max_subtasks} allowed, merge some")


def planner_messages(problem: str, panel: Sequence[str], max_subtasks: int) -> list[dict]:
    user = (
        f"Problem:\n{problem}\n\nModels available: {', '.join(panel)}\n\n"
        f"Plan at most {max_subtasks} subtasks. Reply with JSON only: "
        '{"subtasks": [{"id": "s1", "task": "...", "depends_on": [], "model": null}, ...]}'
    )
    return [{"role": "system", "content": PLANNER_SYSTEM}, {"role": "user", "content": user}]


def subtask_messages(problem: str, subtask: Subtask, inputs: Mapping[str, str]) -> list[dict]:
    """A worker's prompt: the overall problem for context, its subtask, and the outputs it depends on."""
    given = "".join(
        f"\n\n<output of {i}>\n{text.strip()[:OUTPUT_CHARS]}\n</output of {i}>" for i, text in inputs.items()
    )
    user = (
        f"Overall problem (for context):\n{problem}\n\nYour subtask ({subtask.id}): {subtask.task}"
        + (f"\n\nOutputs of the subtasks yours builds on:{given}" if given else "")
        + "\n\nSolve only your subtask."
    )
    return [{"role": "user", "content": user}]


def aggregator_messages(problem: str, plan: Plan, outputs: Mapping[str, str]) -> list[dict]:
    parts = [
        f"<{s.id}: {s.task}>\n{outputs[s.id].strip()[:OUTPUT_CHARS]}\n</{s.id}>" if s.id in outputs
        else f"<{s.id}: {s.task}>\n(no output: this subtask failed)\n</{s.id}>"
        for s in plan.subtasks
    ]  # fmt: skip
    user = f"Problem:\n{problem}\n\nSubtask outputs:\n\n" + "\n\n".join(parts) + "\n\nWrite the final answer."
    return [{"role": "system", "content": AGGREGATOR_SYSTEM}, {"role": "user", "content": user}]


Solve = Callable[[Subtask, dict[str, str]], Awaitable[str | None]]


async def run_dag(plan: Plan, solve: Solve) -> dict[str, str]:
    """Run every subtask once its dependencies are done; a subtask whose dependency failed is skipped.

    Returns the outputs of the subtasks that succeeded, by id.
    """
    outputs: dict[str, str] = {}
    finished = {s.id: anyio.Event() for s in plan.subtasks}

    async def one(s: Subtask) -> None:
        try:
            for dep in s.depends_on:
                await finished[dep].wait()
            if all(dep in outputs for dep in s.depends_on):
                text = await solve(s, {dep: outputs[dep] for dep in s.depends_on})
                if text is not None:
                    outputs[s.id] = text
        finally:
            finished[s.id].set()

    async with anyio.create_task_group() as group:
        for s in plan.subtasks:
            group.start_soon(one, s)
    return outputs
