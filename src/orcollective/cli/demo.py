"""``orcollective demo``: the whole pipeline offline.

A loopback simulator plays OpenRouter with a scripted panel; the real server runs as a subprocess over
stdio; the official MCP client drives it, and this prints what a user would see.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

from mcp import Client
from rich.console import Console
from rich.panel import Panel

from ..features.consensus import ConsensusResult
from ..simulator import ScriptedModel, Simulator
from .doctor import server_params

QUESTION = "Which planet has the most confirmed moons?\nA) Jupiter\nB) Saturn\nC) Uranus\nD) Neptune"
ARITHMETIC = "What is 23 * 47?"

# Five simulated models of different accuracy and style. Two share the popular wrong answer (Jupiter).
PANEL_STYLE = {
    "sim/atlas": ("Saturn has 146 confirmed moons, more than Jupiter's 95.\n**Answer: B**", 0.35),
    "sim/boreal": ("Counting recent discoveries, the answer is B) Saturn.", 0.55),
    "sim/cirrus": ("Jupiter is the largest planet and has the most moons.\nAnswer: A", 0.25),
    "sim/delta": ("The answer is (B).", 0.45),
    "sim/ember": ("Jupiter, with its huge gravity well, wins.\nAnswer: (A)", 0.65),
}
ARITHMETIC_STYLE = {
    "sim/atlas": "23 * 47: 20*47 = 940, 3*47 = 141, 940 + 141 = 1081.\nAnswer: 1081",
    "sim/boreal": "= 1,081",
    "sim/cirrus": "23 * 47 = 1071\nAnswer: 1071",
    "sim/delta": "The result is 1,081.",
    "sim/ember": "**1081**",
}


def panel_reply(model: str):
    """A scripted answer that depends on which demo question was asked."""

    def reply(body: dict) -> str:
        text = str(body.get("messages", [{}])[-1].get("content", ""))
        if "moons" in text:
            return PANEL_STYLE[model][0]
        if "23 * 47" in text:
            return ARITHMETIC_STYLE[model]
        return f"{model} says: a short simulated answer."

    return reply


def demo_scripts() -> list[ScriptedModel]:
    return [
        ScriptedModel(id=model, reply=panel_reply(model), latency_s=latency, tokens_per_s=400)
        for model, (_, latency) in PANEL_STYLE.items()
    ]


def run_demo(console: Console, *, keep: bool = False) -> int:
    """Run the demo; return a process exit code."""
    workdir = Path(tempfile.mkdtemp(prefix="orcollective-demo-"))
    try:
        return asyncio.run(_demo(console, workdir))
    finally:
        if keep:
            console.print(f"[dim]demo files kept in {workdir}[/]")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


async def _demo(console: Console, workdir: Path) -> int:
    with Simulator(demo_scripts()) as sim:
        env = {
            "OPENROUTER_API_KEY": sim.api_key,
            "OPENROUTER_BASE_URL": sim.base_url,
            "ORCOLLECTIVE_CACHE_DIR": str(workdir / "cache"),
            "ORCOLLECTIVE_DATA_DIR": str(workdir / "data"),
            "ORCOLLECTIVE_LOG_LEVEL": "ERROR",
        }
        console.print(Panel.fit(f"Simulated OpenRouter at {sim.base_url}\nStarting `orcollective serve` over stdio"))
        async with Client(server_params(env), read_timeout_seconds=60) as client:
            tools = await client.list_tools()
            console.print(f"[bold]tools/list[/] → {', '.join(t.name for t in tools.tools)}\n")

            await _step(console, client, "list_models", {"query": "gpt-4o", "limit": 5})

            async def progress(done: float, total: float | None, message: str | None) -> None:
                console.print(f"[dim]  progress: {message}[/]")

            await _step(console, client, "chat", {"model": "sim/atlas", "prompt": QUESTION}, progress)
            await _step(console, client, "chat", {"model": "openai/gpt4o", "prompt": "hi"}, label="a typo")

            panel = list(PANEL_STYLE)
            result = await _step(console, client, "consensus", {"prompt": QUESTION, "models": panel}, progress)
            correct = result is not None and result.answer is not None and result.answer.startswith("B")
            await _step(
                console,
                client,
                "consensus",
                {"prompt": ARITHMETIC, "models": panel, "early_stop": False},
                progress,
            )
            await _step(console, client, "usage", {})
            await _step(console, client, "runs", {"limit": 5})
    if correct:
        console.print(
            "\nDemo finished: the panel answered B) Saturn, while sim/cirrus and sim/ember, asked alone, "
            "would have said Jupiter."
        )
    else:
        console.print("\n[red]Demo finished, but the panel did not answer B) Saturn.[/]")
    return 0 if correct else 1


async def _step(console, client, tool, args, progress=None, label=None) -> ConsensusResult | None:
    title = f"{tool}({', '.join(f'{k}={v!r}' for k, v in args.items() if k != 'prompt')})"
    console.rule(f"[bold]{title}[/]" + (f" — {label}" if label else ""))
    result = await client.call_tool(tool, args, progress_callback=progress)
    text = "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")
    style = "red" if result.is_error else ""
    console.print(("error: " if result.is_error else "") + text, style=style, markup=False, highlight=False)
    if tool == "consensus" and result.structured_content and not result.is_error:
        return ConsensusResult.model_validate(result.structured_content)
    return None
