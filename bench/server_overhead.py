"""Foundation figures of the MCP server: start-up, tools/list size, concurrency, per-call overhead.

Everything runs against the loopback OpenRouter simulator (in a child process, 127.0.0.1 only) and
the real server (``python -m orcollective serve`` over stdio, or ``build_server`` in memory), driven
by the official MCP client. Timings come from one run on a shared machine: compare the ratios, and
read the raw numbers only next to them.

    uv run python bench/server_overhead.py [--quick] [--out PATH]
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
from _common import (
    SimProcess,
    machine,
    median,
    ms,
    parse_args,
    percentile,
    ratio,
    server_env,
    settings_for,
    table,
    temp_dir,
    write_json,
)
from mcp import Client

from orcollective.cli.doctor import server_params

NAME = "server_overhead"
TOOLS_GOAL_CHARS = 10_000
CONCURRENT_GOAL = 1.5
SLOW_MODEL = "sim/bench-slow"  # latency 0.3 s
ZERO_MODEL = "sim/bench-zero"  # no latency
SLOW_LATENCY_S = 0.3
CONCURRENT = 20
REPLY = (
    "A short simulated answer of about three hundred characters, so that the stream carries a few "
    "deltas and the result a realistic amount of text. It says nothing in particular, and says it "
    "politely, with enough words to be split into several pieces on the wire. The end."
)
PROMPT = "Say something short."


def compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# -- 1. spawn to tools/list ---------------------------------------------------------------------------


async def spawn_to_tools_list(env: dict[str, str], n: int, *, with_imports: bool = True) -> dict:
    connect, listed, total, tools_chars = [], [], [], None
    for _ in range(n):
        started = time.perf_counter()
        async with Client(server_params(env), read_timeout_seconds=60) as client:
            connected = time.perf_counter()
            tools = await client.list_tools()
            done = time.perf_counter()
        connect.append(connected - started)
        listed.append(done - connected)
        total.append(done - started)
        dumped = tools.model_dump(mode="json", by_alias=True, exclude_none=True)
        tools_chars = len(compact(dumped["tools"]))
    startup = [_time_process([sys.executable, "-c", "pass"]) for _ in range(n)]
    imports = (
        [_time_process([sys.executable, "-c", "import orcollective.mcp"]) for _ in range(n)] if with_imports else []
    )
    return {
        "n": n,
        "median_s": round(median(total), 3),
        "samples_s": [round(t, 3) for t in total],
        "spawn_and_initialize_median_s": round(median(connect), 3),
        "tools_list_request_median_s": round(median(listed), 4),
        "python_startup_median_s": round(median(startup), 3),
        "import_orcollective_server_median_s": round(median(imports), 3) if imports else None,
        "ratio_to_python_startup": ratio(median(total), median(startup)),
        "ratio_to_import_only": ratio(median(total), median(imports)) if imports else None,
        "official_client_tools_chars": tools_chars,
    }


def _time_process(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


# -- 2. tools/list as it goes on the wire ---------------------------------------------------------------


def tools_list_wire(env: dict[str, str]) -> dict:
    """A raw JSON-RPC exchange with a fresh server: initialize, initialized, tools/list; the exact line."""
    from mcp_types.version import LATEST_HANDSHAKE_VERSION

    params = server_params(env)
    process = subprocess.Popen(
        [params.command, *params.args],
        env=params.env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:

        def send(message: dict) -> None:
            process.stdin.write((compact(message) + "\n").encode())
            process.stdin.flush()

        def reply(request_id: int) -> bytes:
            while True:
                line = process.stdout.readline()
                if not line:
                    raise RuntimeError("the server closed stdout before answering")
                if json.loads(line).get("id") == request_id:
                    return line

        send(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": LATEST_HANDSHAKE_VERSION,
                    "capabilities": {},
                    "clientInfo": {"name": "orcollective-bench", "version": "0"},
                },
            }
        )
        reply(1)
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        send({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        line = reply(2).decode().rstrip("\n")
    finally:
        process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    tools = json.loads(line)["result"]["tools"]
    per_tool = {}
    for tool in tools:
        whole = len(compact(tool))
        inputs = len(compact(tool.get("inputSchema", {})))
        outputs = len(compact(tool["outputSchema"])) if "outputSchema" in tool else 0
        per_tool[tool["name"]] = {
            "total": whole,
            "input_schema": inputs,
            "output_schema": outputs,
            "other": whole - inputs - outputs,
        }
    total = len(compact(tools))
    return {
        "protocol_version": LATEST_HANDSHAKE_VERSION,
        "total_chars": total,
        "message_chars": len(line),
        "goal_chars": TOOLS_GOAL_CHARS,
        "within_goal": total < TOOLS_GOAL_CHARS,
        "share_of_goal": ratio(total, TOOLS_GOAL_CHARS),
        "input_schema_chars": sum(t["input_schema"] for t in per_tool.values()),
        "output_schema_chars": sum(t["output_schema"] for t in per_tool.values()),
        "tools": per_tool,
    }


# -- 3. 20 concurrent chat calls in one stdio session -----------------------------------------------------


async def concurrent_chat(client: Client, sim: SimProcess, repeats: int) -> dict:
    args = {"model": SLOW_MODEL, "prompt": PROMPT}
    singles, batches, errors = [], [], 0
    await client.call_tool("chat", args)  # warm-up: catalog fetch, first store write
    sim.reset()
    for _ in range(repeats):
        started = time.perf_counter()
        result = await client.call_tool("chat", args)
        singles.append(time.perf_counter() - started)
        errors += result.is_error
        started = time.perf_counter()
        results = await asyncio.gather(*(client.call_tool("chat", args) for _ in range(CONCURRENT)))
        batches.append(time.perf_counter() - started)
        errors += sum(r.is_error for r in results)
    one, many = median(singles), median(batches)
    return {
        "model_latency_s": SLOW_LATENCY_S,
        "concurrent_calls": CONCURRENT,
        "repeats": repeats,
        "wall_1_median_s": round(one, 3),
        "wall_20_median_s": round(many, 3),
        "wall_1_samples_s": [round(t, 3) for t in singles],
        "wall_20_samples_s": [round(t, 3) for t in batches],
        "ratio": ratio(many, one),
        "ratio_per_repeat_median": round(median([b / s for b, s in zip(batches, singles, strict=True)]), 3),
        "goal_ratio": CONCURRENT_GOAL,
        "within_goal": many / one < CONCURRENT_GOAL,
        "errors": errors,
        "simulator_max_concurrency": sim.max_concurrency,
    }


# -- 4. per-call overhead against a zero-latency model ---------------------------------------------------


async def chat_overhead(stdio: Client, sim: SimProcess, workdir: Path, calls: int, warmup: int, blocks: int) -> dict:
    from orcollective.features import Progress
    from orcollective.features.chat import ChatRequest
    from orcollective.features.chat import run as run_chat
    from orcollective.mcp import build_server
    from orcollective.runtime import open_runtime

    body = {"model": ZERO_MODEL, "messages": [{"role": "user", "content": PROMPT}], "stream": True}
    headers = {"Authorization": f"Bearer {sim.api_key}", "User-Agent": "orcollective-bench"}
    args = {"model": ZERO_MODEL, "prompt": PROMPT}
    texts: dict[str, str] = {}

    async with (
        httpx.AsyncClient(base_url=sim.base_url, timeout=30) as http,
        open_runtime(settings_for(sim.base_url, sim.api_key, workdir / "core")) as rt,
        Client(build_server(settings_for(sim.base_url, sim.api_key, workdir / "memory"))) as memory,
    ):

        async def direct() -> str:
            parts = []
            async with http.stream("POST", "/chat/completions", json=body, headers=headers) as response:
                response.raise_for_status()
                async for line in response.aiter_lines():
                    if not line.startswith("data: "):
                        continue
                    data = line[6:]
                    if data == "[DONE]":
                        break
                    for choice in json.loads(data).get("choices") or []:
                        parts.append((choice.get("delta") or {}).get("content") or "")
            return "".join(parts)

        async def core_chat() -> str:
            return (await run_chat(rt, ChatRequest(model=ZERO_MODEL, prompt=PROMPT), Progress())).text

        async def via(client: Client) -> str:
            result = await client.call_tool("chat", args)
            if result.is_error:
                raise RuntimeError(result.content[0].text)
            return result.structured_content["text"]

        methods = {
            "direct_httpx": direct,
            "core_chat": core_chat,
            "mcp_in_memory": lambda: via(memory),
            "mcp_stdio": lambda: via(stdio),
        }
        samples: dict[str, list[float]] = {name: [] for name in methods}
        for name, call in methods.items():
            for _ in range(warmup):
                texts[name] = await call()
        per_block = max(1, calls // blocks)
        # Interleaved blocks, so that a burst of load elsewhere on the machine hits every method alike.
        for _ in range(blocks):
            for name, call in methods.items():
                for _ in range(per_block):
                    started = time.perf_counter()
                    await call()
                    samples[name].append(time.perf_counter() - started)

    base = median(samples["direct_httpx"])
    figures = {}
    for name, values in samples.items():
        mid = median(values)
        figures[name] = {
            "median_ms": ms(mid),
            "p90_ms": ms(percentile(values, 90)),
            "min_ms": ms(min(values)),
            "overhead_vs_direct_ms": ms(mid - base),
            "ratio_vs_direct": ratio(mid, base),
        }
    return {
        "calls_per_method": per_block * blocks,
        "warmup_per_method": warmup,
        "blocks": blocks,
        "same_text_everywhere": len(set(texts.values())) == 1 and texts.get("direct_httpx") == REPLY,
        "methods": figures,
        "mcp_layer_in_memory_ms": ms(median(samples["mcp_in_memory"]) - median(samples["core_chat"])),
        "stdio_transport_ms": ms(median(samples["mcp_stdio"]) - median(samples["mcp_in_memory"])),
    }


# -- report -------------------------------------------------------------------------------------------------


def report(figures: dict) -> None:
    spawn = figures["spawn_to_tools_list"]
    table(
        f"1. spawn `python -m orcollective serve` (stdio) -> tools/list answered; median of {spawn['n']}",
        ["measure", "seconds", "ratio"],
        [
            ["spawn + initialize + tools/list", spawn["median_s"], None],
            ["  of which spawn + initialize", spawn["spawn_and_initialize_median_s"], None],
            ["  of which tools/list request", spawn["tools_list_request_median_s"], None],
            ["bare `python -c pass`", spawn["python_startup_median_s"], spawn["ratio_to_python_startup"]],
            [
                "`python -c 'import orcollective.mcp'`",
                spawn["import_orcollective_server_median_s"],
                spawn["ratio_to_import_only"],
            ],
        ],
    )
    print("   ratio column: server start-up to tools/list, divided by that row's time")
    size = figures["tools_list_size"]
    rows = [[name, t["total"], t["input_schema"], t["output_schema"], t["other"]] for name, t in size["tools"].items()]
    rows.append(
        [
            "all tools",
            size["total_chars"],
            size["input_schema_chars"],
            size["output_schema_chars"],
            size["total_chars"] - size["input_schema_chars"] - size["output_schema_chars"],
        ]
    )
    table(
        "2. tools/list size in characters (compact JSON of result.tools, as sent over stdio)",
        ["tool", "total", "inputSchema", "outputSchema", "name+description+annotations"],
        rows,
    )
    print(
        f"   goal: whole final surface < {size['goal_chars']:,} chars -> now {size['total_chars']:,} "
        f"({size['share_of_goal']:.0%} of the goal); whole JSON-RPC line {size['message_chars']:,} chars "
        f"(protocol {size['protocol_version']})"
    )
    conc = figures["concurrent_chat"]
    table(
        f"3. {conc['concurrent_calls']} concurrent chat calls in one stdio session, model latency "
        f"{conc['model_latency_s']} s; median of {conc['repeats']}",
        ["measure", "value"],
        [
            ["wall, 1 call (s)", conc["wall_1_median_s"]],
            [f"wall, {conc['concurrent_calls']} calls gathered (s)", conc["wall_20_median_s"]],
            ["ratio wall(20)/wall(1)", conc["ratio"]],
            ["ratio, median of per-repeat ratios", conc["ratio_per_repeat_median"]],
            [f"goal < {conc['goal_ratio']}x met", conc["within_goal"]],
            ["most requests in flight at the simulator", conc["simulator_max_concurrency"]],
            ["error results", conc["errors"]],
        ],
    )
    over = figures["chat_overhead"]
    table(
        f"4. one chat call against a zero-latency model, sequential; {over['calls_per_method']} calls per "
        f"method in {over['blocks']} interleaved blocks after {over['warmup_per_method']} warm-up",
        ["path", "median ms", "p90 ms", "min ms", "- direct ms", "/ direct"],
        [
            [name, m["median_ms"], m["p90_ms"], m["min_ms"], m["overhead_vs_direct_ms"], m["ratio_vs_direct"]]
            for name, m in over["methods"].items()
        ],
    )
    print(
        "   direct_httpx: httpx POST stream=true + SSE parse; core_chat: the chat feature's run() (catalog "
        "check, run store, client),\n   no MCP; mcp_in_memory: Client(build_server(...)); mcp_stdio: "
        "the real server as a subprocess. MCP rows include the client SDK's work."
    )
    print(
        f"   MCP layer in memory (mcp_in_memory - core_chat): {over['mcp_layer_in_memory_ms']} ms; "
        f"stdio transport (mcp_stdio - mcp_in_memory): {over['stdio_transport_ms']} ms; "
        f"same text on every path: {over['same_text_everywhere']}"
    )


async def main() -> None:
    args = parse_args(NAME, __doc__.splitlines()[0])
    quick = args.quick
    specs = [
        {"id": SLOW_MODEL, "reply": REPLY, "latency_s": SLOW_LATENCY_S},
        {"id": ZERO_MODEL, "reply": REPLY, "latency_s": 0.0},
    ]
    started = time.perf_counter()
    figures: dict = {"script": NAME, "quick": quick, "machine": machine()}
    with temp_dir(NAME) as workdir, SimProcess("_common:plain_scripts", specs) as sim:
        env = server_env(sim.base_url, sim.api_key, workdir / "spawn")
        figures["spawn_to_tools_list"] = await spawn_to_tools_list(env, 1 if quick else 5, with_imports=not quick)
        figures["tools_list_size"] = tools_list_wire(env)
        # One stdio session serves both the concurrency and the per-call figures; its concurrency limit is
        # raised above the batch so the figure measures the server's overlap, not the limiter.
        stdio_env = server_env(
            sim.base_url, sim.api_key, workdir / "stdio", ORCOLLECTIVE_MAX_CONCURRENCY=str(CONCURRENT * 2)
        )
        async with Client(server_params(stdio_env), read_timeout_seconds=60) as stdio:
            figures["concurrent_chat"] = await concurrent_chat(stdio, sim, 1 if quick else 5)
            figures["chat_overhead"] = await chat_overhead(
                stdio, sim, workdir, calls=20 if quick else 200, warmup=3 if quick else 10, blocks=1 if quick else 4
            )
    figures["elapsed_s"] = round(time.perf_counter() - started, 1)
    print(
        f"orcollective {NAME}: {'quick smoke run' if quick else 'full run'}; simulator on {sim.base_url} "
        f"(own process); load average {figures['machine']['loadavg_1m']} on {figures['machine']['cpus']} CPUs"
    )
    report(figures)
    print(f"\nelapsed {figures['elapsed_s']} s")
    write_json(args.out, figures)


if __name__ == "__main__":
    asyncio.run(main())
