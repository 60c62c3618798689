"""Use orcollective as a library, without MCP: build the runtime from settings and run a feature.

Without OPENROUTER_API_KEY the built-in simulator plays OpenRouter, so this runs offline.

    uv run python examples/library.py
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from orcollective.features import Progress
from orcollective.features.consensus import ConsensusRequest
from orcollective.features.consensus import run as consensus
from orcollective.runtime import open_runtime
from orcollective.settings import Settings
from orcollective.simulator import ScriptedModel, Simulator

QUESTION = "Which gas do plants absorb?\nA) Oxygen\nB) Carbon dioxide\nC) Nitrogen"


async def ask(settings: Settings, models: list[str]) -> None:
    async with open_runtime(settings) as rt:
        result = await consensus(rt, ConsensusRequest(prompt=QUESTION, models=models, early_stop=False), Progress())
    print(f"{result.answer}  confidence {result.confidence}  cost ${result.cost_usd:.6f}")
    for r in result.responses:
        print(f"  {r.model:40} {r.answer!s:20} {r.latency_s:.2f}s")


def main() -> None:
    if os.environ.get("OPENROUTER_API_KEY"):
        asyncio.run(ask(Settings(), ["openai/gpt-4o-mini", "google/gemini-2.5-flash", "deepseek/deepseek-chat-v3.1"]))
        return
    panel = [ScriptedModel("demo/a", reply="B"), ScriptedModel("demo/b", reply="Answer: B"),
             ScriptedModel("demo/c", reply="A")]  # fmt: skip
    with Simulator(panel) as sim, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(api_key=sim.api_key, base_url=sim.base_url, cache_dir=Path(tmp) / "c",
                            data_dir=Path(tmp) / "d")  # fmt: skip
        asyncio.run(ask(settings, [m.id for m in panel]))


if __name__ == "__main__":
    main()
