"""OpenRouter features through chat and the collective tools: for each one, the argument, what reached the
simulator (an excerpt of the request bodies or headers) and what the result shows; plus the tools/list size,
and with ``--before-src DIR`` (or ``--before-rev REV``, a commit of this repository) the size of another
tree's tools/list beside it.

Every row is one real call: the in-memory MCP client -> the server -> the loopback simulator over HTTP.

    uv run python bench/openrouter_features.py [--before-src /path/to/old/checkout/src | --before-rev REV]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT_DIR, machine, settings_for, table, temp_dir, write_json  # noqa: E402

PDF = b"%PDF-1.4\nBT (The code word is heron) Tj ET\n%%EOF\n"
SCHEMA = {"type": "json_schema", "json_schema": {"name": "a", "schema": {"type": "object", "required": ["a"]}}}
TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
LONG_SYSTEM = "You are a careful reader. " * 200

Pick = Callable[[dict, dict], Any]


def cut(value: Any, limit: int = 70) -> str:
    text = " ".join(value.split()) if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 3] + "..."


# feature, chat arguments, what to show of the request (body, headers), what to show of the result
CASES: list[tuple[str, dict, Pick, Pick]] = [
    ("PDF file", {"files": ["memo.pdf"], "pdf_engine": "mistral-ocr"},
     lambda b, h: {"part": b["messages"][-1]["content"][-1]["type"], "plugins": b["plugins"]},
     lambda r, _: r["text"][r["text"].find("The code"):][:30]),
    ("text file", {"files": ["notes.md"]},
     lambda b, h: b["messages"][-1]["content"][-1]["text"][:30],
     lambda r, _: "echoed: " + str("Plums are purple" in r["text"])),
    ("web search", {"web_search": True, "max_results": 2},
     lambda b, h: b["tools"], lambda r, _: [s["url"].split("?")[0] for s in r["sources"]]),
    ("routing", {"routing": {"provider_order": ["groq"], "sort": "throughput", "data_collection": "deny",
                             "zdr": True, "max_prompt_price": 1}},
     lambda b, h: b["provider"], lambda r, _: f"served by {r['provider']}"),
    ("routing max_price", {"routing": {"max_prompt_price": 0.01}},
     lambda b, h: b["provider"], lambda r, _: r["error"]),
    ("variant :nitro", {"model": "openai/gpt-4o-mini:nitro"},
     lambda b, h: b["model"], lambda r, _: f"model {r['model']}"),
    ("variant :thinking", {"model": "moonshotai/kimi-k2-thinking:thinking"},
     lambda b, h: b["model"], lambda r, _: {"reasoning": r["reasoning"][:24]}),
    ("openrouter/auto", {"model": "openrouter/auto", "routing": {"allowed_models": ["anthropic/*"]}},
     lambda b, h: b["plugins"], lambda r, _: f"model {r['model']}"),
    ("preset", {"model": "@preset/house"}, lambda b, h: b["model"], lambda r, _: f"model {r['model']}"),
    ("reasoning", {"model": "b/thinker", "reasoning": {"effort": "high"}},
     lambda b, h: b["reasoning"], lambda r, _: {"text": r["text"], "reasoning": r["reasoning"]}),
    ("reasoning exclude", {"model": "b/thinker", "reasoning": {"max_tokens": 200, "exclude": True}},
     lambda b, h: b["reasoning"], lambda r, _: {"reasoning": r["reasoning"], "tokens": r["usage"]["reasoning_tokens"]}),
    ("structured output", {"model": "b/json", "response_format": SCHEMA},
     lambda b, h: b["response_format"]["type"], lambda r, _: {"json": r["json"], "json_error": r["json_error"]}),
    ("response-healing", {"model": "b/fenced", "response_format": SCHEMA},
     lambda b, h: {"plugins": b["plugins"], "stream": b["stream"]}, lambda r, _: {"json": r["json"]}),
    ("tool calls", {"model": "b/caller", "tools": [TOOL], "tool_choice": "auto"},
     lambda b, h: {"tools": len(b["tools"]), "tool_choice": b["tool_choice"]},
     lambda r, _: [(t["name"], t["arguments"]) for t in r["tool_calls"]]),
    ("prompt cache (1st)", {"model": "anthropic/claude-3.5-haiku", "system": LONG_SYSTEM, "cache": "prompt"},
     lambda b, h: b["messages"][0]["content"][-1]["cache_control"],
     lambda r, _: {"cached": r["usage"]["cached_tokens"], "cost": r["cost_usd"]}),
    ("prompt cache (2nd)", {"model": "anthropic/claude-3.5-haiku", "system": LONG_SYSTEM, "cache": "prompt"},
     lambda b, h: b["messages"][0]["content"][-1]["cache_control"],
     lambda r, _: {"cached": r["usage"]["cached_tokens"], "cost": r["cost_usd"], "saved": r["cache_saving_usd"]}),
    ("response cache (1st)", {"model": "openai/gpt-4o-mini", "cache": "response"},
     lambda b, h: {"X-OpenRouter-Cache": h.get("x-openrouter-cache")},
     lambda r, _: {"hit": r["cache_hit"], "cost": r["cost_usd"]}),
    ("response cache (2nd)", {"model": "openai/gpt-4o-mini", "cache": "response"},
     lambda b, h: {"X-OpenRouter-Cache": h.get("x-openrouter-cache")},
     lambda r, _: {"hit": r["cache_hit"], "cost": r["cost_usd"]}),
    ("429 X-RateLimit-*", {"model": "b/limited"}, lambda b, h: b["model"], lambda r, _: r["error"][-62:]),
    ("generation stats", {}, lambda b, h: "GET /generation?id= (asked later)",
     lambda r, stats: stats),
]  # fmt: skip


PANEL = ["b/one", "b/two", "b/three"]
ASK = {"prompt": "What is the code word?", "models": PANEL, "answer_type": "text", "early_stop": False}
ZDR = {"zdr": True, "data_collection": "deny"}


def _all(bodies: list[dict], pick: Callable[[dict], Any]) -> Any:
    """What every body of the call shows, once when they agree, else each body's."""
    seen = [pick(b) for b in bodies]
    return seen[0] if all(v == seen[0] for v in seen) else seen


# feature, tool, arguments, what to show of the call's requests (bodies, headers), what to show of the result
Collective = tuple[str, str, dict, Callable[[list[dict], list[dict]], Any], Callable[[dict], Any]]
COLLECTIVE: list[Collective] = [
    ("PDF file", "consensus", {**ASK, "openrouter": {"files": ["memo.pdf"], "pdf_engine": "cloudflare-ai"}},
     lambda b, h: {"calls": len(b), "part": _all(b, lambda x: x["messages"][-1]["content"][-1]["type"]),
                   "plugins": _all(b, lambda x: x.get("plugins"))},
     lambda r: {"answer": r["answer"], "answered": r["answered"]}),
    ("web search", "consensus", {**ASK, "openrouter": {"web_search": True, "max_results": 2}},
     lambda b, h: _all(b, lambda x: x.get("tools")),
     lambda r: {"sources": len(r["sources"]), "estimate_usd": r["estimate_usd"]}),
    ("routing", "collaborate", {"prompt": "What is the code word?", "models": PANEL, "chairman": "b/one",
                                "openrouter": {"routing": ZDR, "files": ["notes.md"]}},
     lambda b, h: {"calls": len(b), "provider": _all(b, lambda x: x.get("provider")),
                   "with file": sum("notes.md" in json.dumps(x["messages"]) for x in b)},
     lambda r: {"status": r["status"], "calls": len(r["calls"])}),
    ("text file", "cross_validate", {"content": "The code word is heron.", "reviewers": PANEL[:2],
                                     "criteria": ["accuracy"], "openrouter": {"files": ["notes.md"]}},
     lambda b, h: _all(b, lambda x: x["messages"][-1]["content"][-1]["text"][:24]),
     lambda r: {"verdict": r["verdict"], "reviewed": r["reviewed"]}),
    ("web search", "ensemble_reasoning", {"problem": "What is the code word?", "models": PANEL[:2],
                                          "planner": "b/one", "aggregator": "b/two",
                                          "openrouter": {"web_search": True, "files": ["memo.pdf"]}},
     lambda b, h: {"calls": len(b), "tools": _all(b, lambda x: [t["type"] for t in x.get("tools", [])])},
     lambda r: {"answer": r["answer"], "sources": len(r["sources"])}),
    ("openrouter/auto", "consensus", {**ASK, "models": ["openrouter/auto", "b/one"],
                                      "openrouter": {"routing": {"allowed_models": ["b/*"]}}},
     lambda b, h: [x.get("plugins") for x in b], lambda r: {"answered": r["answered"]}),
    ("response cache (1st)", "consensus", {**ASK, "openrouter": {"cache": "response"}},
     lambda b, h: _all(h, lambda x: {"X-OpenRouter-Cache": x.get("x-openrouter-cache")}),
     lambda r: {"cost_usd": r["cost_usd"], "saved": r["cache_saving_usd"]}),
    ("response cache (2nd)", "consensus", {**ASK, "openrouter": {"cache": "response"}},
     lambda b, h: _all(h, lambda x: {"X-OpenRouter-Cache": x.get("x-openrouter-cache")}),
     lambda r: {"cost_usd": r["cost_usd"], "saved": r["cache_saving_usd"]}),
    ("response cache (2nd)", "benchmark", {"prompts": ["What is the code word?"], "models": PANEL,
                                           "answer_type": "text", "openrouter": {"cache": "response"}},
     lambda b, h: {"calls": len(b)}, lambda r: {"cost_usd": r["cost_usd"], "note": r["notes"][0][:40]}),
]  # fmt: skip


def reader(body: dict) -> str:
    """A panelist that answers the code word when the file's text reached it, ranks a council's responses in
    the order shown and reviews with a fixed score."""
    import re

    text = json.dumps(body["messages"])
    if "Rank every response" in text:
        return json.dumps({"ranking": re.findall(r"Response ([A-Z]):", text), "reason": "ok"})
    if "scores" in json.dumps(body.get("response_format") or {}):
        return json.dumps({"scores": {"accuracy": 8}, "issues": [], "summary": "ok"})
    return "heron" if "heron" in text else "no file"


async def run_collective(sim: Any, workdir: Path) -> list[dict]:
    from mcp import Client

    from orcollective.mcp import build_server

    settings = settings_for(sim.base_url, sim.api_key, workdir, image_roots=[str(workdir)])
    rows = []
    async with Client(build_server(settings)) as client:
        for feature, tool, arguments, sent, shown in COLLECTIVE:
            if tool == "benchmark":  # the first run fills the cache; the row shows the second
                await client.call_tool(tool, arguments)
            before = len(sim.requests)
            result = await client.call_tool(tool, arguments)
            text = " ".join(c.text for c in result.content if c.type == "text")
            if result.is_error:
                raise SystemExit(f"{tool} {feature}: {text}")
            requests = [r for r in sim.requests[before:] if r.path.endswith("/chat/completions")]
            bodies, headers = [r.json for r in requests], [dict(r.headers) for r in requests]
            rows.append(
                {
                    "feature": feature,
                    "tool": tool,
                    "argument": cut(arguments.get("openrouter")),
                    "request": cut(sent(bodies, headers), 90),
                    "result": cut(shown(result.structured_content)),
                }
            )
    return rows


async def run_cases(sim: Any, workdir: Path) -> list[dict]:
    from mcp import Client
    from pydantic import SecretStr

    from orcollective.mcp import build_server
    from orcollective.openrouter import OpenRouterClient, RetryPolicy

    (workdir / "memo.pdf").write_bytes(PDF)
    (workdir / "notes.md").write_text("# Notes\nPlums are purple.\n")
    settings = settings_for(sim.base_url, sim.api_key, workdir, image_roots=[str(workdir)])
    rows = []
    async with Client(build_server(settings)) as client:
        for feature, arguments, sent, shown in CASES:
            result = await client.call_tool("chat", {"model": "sim/echo", "prompt": "Read it.", **arguments})
            request = [r for r in sim.requests if r.path.endswith("/chat/completions")][-1]
            text = " ".join(c.text for c in result.content if c.type == "text")
            if result.is_error and not feature.startswith(("routing max_price", "429")):
                raise SystemExit(f"{feature}: {text}")
            r = {"error": text} if result.is_error else result.structured_content
            stats = None
            if feature == "generation stats":
                async with OpenRouterClient(sim.base_url, SecretStr(sim.api_key), retry=RetryPolicy()) as c:
                    got = await c.generation_stats(r["generation_id"])
                stats = {"provider": got.provider_name, "native_prompt": got.native_tokens_prompt,
                         "total_cost": got.total_cost}  # fmt: skip
            rows.append(
                {"feature": feature, "argument": cut({k: v for k, v in arguments.items() if k != "system"} or
                                                     {"run_id": r["run_id"]}),
                 "request": cut(sent(request.json, request.headers)), "result": cut(shown(r, stats))}
            )  # fmt: skip
    return rows


async def tools_list_size(sim: Any, workdir: Path) -> dict:
    """tools/list with every tool on, measured as tests/mcp/test_surface.py does."""
    from mcp import Client

    from orcollective.mcp import build_server
    from orcollective.settings import TOOL_GROUPS

    settings = settings_for(sim.base_url, sim.api_key, workdir, tools=list(TOOL_GROUPS))
    async with Client(build_server(settings)) as client:
        tools = [t.model_dump(by_alias=True, mode="json", exclude_none=True) for t in (await client.list_tools()).tools]
    inputs = [{k: t[k] for k in ("name", "description", "inputSchema")} for t in tools]
    chat = next(t for t in tools if t["name"] == "chat")

    def size(value: Any) -> int:
        return len(json.dumps(value, separators=(",", ":")))

    return {
        "tools": len(tools),
        "whole_chars": size(tools),
        "input_side_chars": size(inputs),
        "chat_whole_chars": size(chat),
        "chat_input_schema_chars": size(chat["inputSchema"]),
        "chat_output_schema_chars": size(chat.get("outputSchema", {})),
    }


# Run in a child Python whose path starts at another checkout's src: that tree's tools/list, measured alike.
_SIZE_OF = """
import asyncio, json, os, sys, tempfile
from mcp import Client
from orcollective.mcp import build_server
from orcollective.settings import TOOL_GROUPS, Settings
async def main():
    with tempfile.TemporaryDirectory() as d:
        s = Settings(api_key="sk-or-v1-size", cache_dir=d, data_dir=d, tools=list(TOOL_GROUPS))
        async with Client(build_server(s)) as c:
            tools = [t.model_dump(by_alias=True, mode="json", exclude_none=True) for t in (await c.list_tools()).tools]
    inputs = [{k: t[k] for k in ("name", "description", "inputSchema")} for t in tools]
    size = lambda v: len(json.dumps(v, separators=(",", ":")))
    print(json.dumps({"tools": len(tools), "whole_chars": size(tools), "input_side_chars": size(inputs)}))
asyncio.run(main())
"""


def size_of_tree(src: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    env = {k: v for k, v in env.items() if not k.startswith(("ORCOLLECTIVE_", "OPENROUTER_"))}
    done = subprocess.run([sys.executable, "-c", _SIZE_OF], env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"tools/list of {src} failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/openrouter_features.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke version (a few seconds)")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "openrouter_features.json", help="the JSON figures")
    parser.add_argument("--before-src", type=Path, default=None, help="also size this checkout's tools/list")
    parser.add_argument("--before-rev", default=None, help="or a commit of this repository to take src from")
    args = parser.parse_args()
    from orcollective.simulator import ScriptedModel, Simulator

    scripts = [
        ScriptedModel("b/thinker", reply="42", reasoning="six times seven"),
        ScriptedModel("b/json", reply='{"a": 7}'),
        ScriptedModel("b/fenced", reply='Here:\n```json\n{"a": 7,}\n```'),
        ScriptedModel("b/caller", tool_calls=[{"name": "get_weather", "arguments": {"city": "Paris"}}]),
        ScriptedModel("b/limited", faults=["429"], retry_after_s=3600),
        *(ScriptedModel(m, reply=reader) for m in PANEL),
    ]
    with temp_dir("features") as workdir, Simulator(scripts, presets={"house": {"model": "sim/echo"}}) as sim:
        rows = asyncio.run(run_cases(sim, workdir))
        collective = asyncio.run(run_collective(sim, workdir))
        size = asyncio.run(tools_list_size(sim, workdir))
        if args.before_src is None and args.before_rev:
            from startup import export_src

            args.before_src = export_src(args.before_rev, workdir / "before")
        before = size_of_tree(args.before_src) if args.before_src else None
    table("OpenRouter features through chat", ["feature", "argument", "request (excerpt)", "result shows"],
          [[r["feature"], r["argument"], r["request"], r["result"]] for r in rows])  # fmt: skip
    table("OpenRouter features through the collective tools (the openrouter argument)",
          ["feature", "tool", "openrouter", "requests (excerpt)", "result shows"],
          [[r["feature"], r["tool"], r["argument"], r["request"], r["result"]] for r in collective])  # fmt: skip
    table("tools/list size (characters, every tool on)", list(size), [list(size.values())])
    if before is not None:
        table(f"tools/list size of {args.before_rev or args.before_src} (before) and this tree (after)", ["", *before],
              [["before", *before.values()], ["after", *(size[k] for k in before)]])  # fmt: skip
    write_json(args.out, {"quick": args.quick, "machine": machine(), "features": rows, "collective": collective,
                          "tools_list": size, "tools_list_before": before,
                          "before_src": args.before_rev or (args.before_src and str(args.before_src))})  # fmt: skip


if __name__ == "__main__":
    main()
