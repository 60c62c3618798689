"""Call every tool once, in memory, against the built-in simulator, and print what each returns.

    uv run python examples/tool_tour.py            # the text a client shows, per tool
    uv run python examples/tool_tour.py --json     # the structured content too

The README's tool examples come from this script's output.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

from mcp import Client

from orcollective.mcp import build_server
from orcollective.settings import TOOL_GROUPS, Settings
from orcollective.simulator import Simulator

# The cooperative panel of bench/collective_tools.py: it answers every step of every tool (answers, JSON
# rankings, plans, critiques, reviews) the way a well-behaved model would.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from collective_tools import CODE, PANEL, member  # noqa: E402

MC = "Which gas do plants absorb? A) Oxygen B) Carbon dioxide C) Nitrogen D) Helium"
SCRIPTS = [member(model, 0.1 + i / 10, {"rankings": 0, "saw_own": 0, "saw_name": 0}) for i, model in enumerate(PANEL)]
CALLS: list[tuple[str, dict]] = [
    ("list_models", {"query": "gpt-4o", "limit": 3}),
    ("model_info", {"model": "openai/gpt-4o-mini"}),
    ("chat", {"model": "sim/echo", "prompt": "Say hello"}),
    ("consensus", {"prompt": MC, "models": PANEL[:3], "early_stop": False}),
    ("collaborate", {"prompt": "Suggest a name for a cat.", "mode": "council", "models": PANEL}),
    ("collaborate", {"prompt": MC, "mode": "debate", "models": PANEL}),
    ("cross_validate", {"content": CODE, "reviewers": PANEL}),
    ("ensemble_reasoning", {"problem": "Plan a three-step test of a login form.", "models": PANEL}),
    ("select_model", {"task": "cheap summaries of news articles", "count": 2}),
    ("benchmark", {"prompts": [MC], "models": PANEL[:3], "expected": ["B"], "include_consensus": True}),
    ("benchmark_report", {}),
    ("free_chat", {"prompt": "Say hello"}),
    ("usage", {}),
    ("runs", {"limit": 3}),
]


async def tour(show_json: bool) -> None:
    with Simulator(SCRIPTS) as sim, tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            api_key=sim.api_key, base_url=sim.base_url, cache_dir=Path(folder) / "cache",
            data_dir=Path(folder) / "data", output_dir=Path(folder) / "out", tools=list(TOOL_GROUPS),
        )  # fmt: skip
        async with Client(build_server(settings)) as client:
            for tool, arguments in CALLS:
                result = await client.call_tool(tool, arguments)
                text = "\n".join(b.text for b in result.content if getattr(b, "type", "") == "text")
                print(f"### {tool}({', '.join(f'{k}={v!r}' for k, v in arguments.items())})")
                print(("error: " if result.is_error else "") + text.strip())
                if show_json and result.structured_content:
                    print(json.dumps(result.structured_content, indent=1)[:1500])
                print()


if __name__ == "__main__":
    asyncio.run(tour("--json" in sys.argv))
