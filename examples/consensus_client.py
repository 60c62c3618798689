"""Drive `orcollective serve` over stdio with the official MCP client and ask a panel one question.

With OPENROUTER_API_KEY set this uses OpenRouter; without it, the built-in simulator plays OpenRouter.

    uv run python examples/consensus_client.py "What is 17 * 23?"
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile

from mcp import Client

from orcollective.cli.doctor import server_params
from orcollective.simulator import ScriptedModel, Simulator

PANEL = ["openai/gpt-4o-mini", "google/gemini-2.5-flash", "meta-llama/llama-3.3-70b-instruct"]


async def ask(question: str, env: dict[str, str]) -> None:
    async def progress(done: float, total: float | None, message: str | None) -> None:
        print(f"  {message}", file=sys.stderr)

    async with Client(server_params(env), read_timeout_seconds=60) as client:
        result = await client.call_tool("consensus", {"prompt": question, "models": PANEL}, progress_callback=progress)
    print(result.content[0].text)
    if not result.is_error:
        for response in result.structured_content["responses"]:
            print(f"  {response['model']:<40} {response['status']:<9} {response['answer']}")


def main() -> None:
    question = sys.argv[1] if len(sys.argv) > 1 else "What is 17 * 23?"
    if os.environ.get("OPENROUTER_API_KEY"):
        asyncio.run(ask(question, {}))
        return
    # Offline: three simulated models stand in for the panel, one of them wrong.
    replies = ["17 * 23 = 391\nAnswer: 391", "**391**", "Answer: 401"]
    scripts = [
        ScriptedModel(m, reply=r, latency_s=0.2 + i / 10) for i, (m, r) in enumerate(zip(PANEL, replies, strict=True))
    ]
    with Simulator(scripts) as sim, tempfile.TemporaryDirectory() as folder:
        env = {
            "OPENROUTER_API_KEY": sim.api_key,
            "OPENROUTER_BASE_URL": sim.base_url,
            "ORCOLLECTIVE_CACHE_DIR": f"{folder}/cache",
            "ORCOLLECTIVE_DATA_DIR": f"{folder}/data",
        }
        asyncio.run(ask(question, env))


if __name__ == "__main__":
    main()
