"""Figures for a core that cannot be wedged: cancels in a row, hostile streams, big replies, loop stalls.

Each figure drives a real server over stdio with the official MCP client, against the simulator in its own
process. ``--server-src DIR`` runs the server from another checkout's ``src`` (e.g. an older release) so
the same figures can be compared before and after a change.

    uv run python bench/core_hardening.py
    uv run python bench/core_hardening.py --server-src /path/to/old/checkout/src
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import io
import os
import sys
import time
from pathlib import Path

from _common import OUT_DIR, SimProcess, machine, median, server_env, table, temp_dir, write_json
from mcp import Client, StdioServerParameters

NAME = "core_hardening"
MC = "Which gas do plants absorb?\nA) Oxygen\nB) Carbon dioxide"
BIG_REPLY_CHARS = 5_000_000


def specs() -> list[dict]:
    return [
        {"id": "h/slow-a", "reply": "Answer: B", "latency_s": 30.0},
        {"id": "h/slow-b", "reply": "Answer: B", "latency_s": 30.0},
        {"id": "h/keepalive", "always_fault": "keepalive"},
        {"id": "h/drip", "reply": "word " * 200, "tokens_per_s": 2.0},
        {"id": "h/big", "reply": "x" * BIG_REPLY_CHARS},
        {
            "id": "h/vision",
            "reply": "a picture",
            "model_info": {"architecture": {"input_modalities": ["text", "image"]}},
        },
        {"id": "h/fast", "reply": "ok"},
    ]


def params(env: dict[str, str], server_src: Path | None) -> StdioServerParameters:
    full = {**os.environ, **env}
    if server_src is not None:
        full["PYTHONPATH"] = str(server_src)
    return StdioServerParameters(command=sys.executable, args=["-m", "orcollective", "serve"], env=full)


async def until(condition, timeout_s: float) -> float | None:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout_s:
            return None
        await asyncio.sleep(0.01)
    return time.monotonic() - started


async def cancels(client: Client, sim: SimProcess, n: int) -> dict:
    """Cancel a 2-model consensus ``n`` times; time from cancel to the upstream requests closing; then is
    the server still usable?"""
    closes: list[float | None] = []
    arguments = {"prompt": MC, "models": ["h/slow-a", "h/slow-b"], "timeout_s": 60}
    for _ in range(n):
        call = asyncio.create_task(client.call_tool("consensus", arguments))
        if await until(lambda: sim.in_flight >= 2, 10) is None:
            call.cancel()
            closes.append(None)
            break
        call.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await call
        closes.append(await until(lambda: sim.in_flight == 0, 2.0))
    started = time.monotonic()
    try:
        after = await asyncio.wait_for(client.call_tool("chat", {"model": "h/fast", "prompt": "still there?"}), 15)
        usable, after_s = not after.is_error, time.monotonic() - started
    except TimeoutError:
        usable, after_s = False, None
    closed = [c for c in closes if c is not None]
    return {
        "cancels": len(closes),
        "closed_within_2s": len(closed),
        "close_median_s": round(median(closed), 3) if closed else None,
        "close_max_s": round(max(closed), 3) if closed else None,
        "server_usable_after": usable,
        "chat_after_s": round(after_s, 3) if after_s is not None else None,
    }


async def timed_call(client: Client, tool: str, arguments: dict, limit_s: float) -> tuple[float | None, str]:
    started = time.monotonic()
    try:
        result = await asyncio.wait_for(client.call_tool(tool, arguments), limit_s)
    except TimeoutError:
        return None, f"still open after {limit_s:g}s"
    text = " ".join(getattr(b, "text", "") for b in result.content)
    size = len((result.structured_content or {}).get("text", "")) if not result.is_error else 0
    shown = text[:140] if result.is_error else f"{size:,} characters" + (" (truncated)" if "truncated" in text else "")
    return round(time.monotonic() - started, 3), shown


def png(side: int) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (side, side), (120, 30, 200)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


async def stall(client: Client, busy: dict, probes: int = 20) -> dict:
    """How long a quick call waits while ``busy`` (a heavy chat) runs on the same server."""
    quiet = []
    for _ in range(5):
        started = time.monotonic()
        await client.call_tool("list_models", {"limit": 1})
        quiet.append(time.monotonic() - started)
    heavy = asyncio.create_task(client.call_tool("chat", busy))
    waits = []
    for _ in range(probes):
        started = time.monotonic()
        await client.call_tool("list_models", {"limit": 1})
        waits.append(time.monotonic() - started)
        if heavy.done():
            break
    await heavy
    return {"quiet_median_ms": round(median(quiet) * 1000, 1), "busy_max_ms": round(max(waits) * 1000, 1)}


async def main(args: argparse.Namespace) -> dict:
    figures: dict = {"script": NAME, "server_src": str(args.server_src or "this checkout"), "machine": machine()}
    with temp_dir(NAME) as workdir, SimProcess("_common:plain_scripts", specs()) as sim:
        env = server_env(sim.base_url, sim.api_key, workdir, ORCOLLECTIVE_IMAGE_ROOTS=str(workdir))
        async with Client(params(env, args.server_src), read_timeout_seconds=120) as client:
            figures["cancels"] = await cancels(client, sim, 5 if args.quick else 50)
        # A fresh server for each figure that follows: the cancels may have wedged the first one.
        async with Client(params(env, args.server_src), read_timeout_seconds=120) as client:
            for name, arguments, limit in (
                ("keepalive_stream", {"model": "h/keepalive", "prompt": "hi", "timeout_s": 3}, 30),
                ("drip_stream", {"model": "h/drip", "prompt": "hi", "timeout_s": 3}, 30),
                ("big_reply", {"model": "h/big", "prompt": "hi"}, 120),
            ):
                wall, shown = await timed_call(client, "chat", arguments, limit)
                figures[name] = {"s": wall, "result": shown}
            side = 1500 if args.quick else 6000
            images = [png(side)] * (2 if args.quick else 10)
            figures["image_stall"] = {
                "images": len(images), "side_px": side,
                **await stall(client, {"model": "h/vision", "prompt": "what is it?", "images": images}),
            }  # fmt: skip
    return figures


def report(f: dict) -> None:
    c = f["cancels"]
    table(
        f"Cancels in a row (server from {f['server_src']})",
        ["cancels", "closed within 2 s", "close median (s)", "close max (s)", "usable after", "chat after (s)"],
        [[c["cancels"], c["closed_within_2s"], c["close_median_s"], c["close_max_s"], c["server_usable_after"],
          c["chat_after_s"]]],
    )  # fmt: skip
    table(
        "Hostile streams and big replies",
        ["case", "wall (s)", "what came back"],
        [
            ["keep-alive comments only, timeout_s=3", f["keepalive_stream"]["s"], f["keepalive_stream"]["result"]],
            ["one token every 0.5 s, timeout_s=3", f["drip_stream"]["s"], f["drip_stream"]["result"]],
            [f"a {BIG_REPLY_CHARS:,}-character reply", f["big_reply"]["s"], f["big_reply"]["result"]],
        ],
    )
    s = f["image_stall"]
    table(
        "Event-loop stall: a quick call while a chat decodes images",
        ["images", "side (px)", "quick call alone (ms)", "quick call while busy, worst (ms)"],
        [[s["images"], s["side_px"], s["quiet_median_ms"], s["busy_max_ms"]]],
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog=f"bench/{NAME}.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke version")
    parser.add_argument("--out", type=Path, default=OUT_DIR / f"{NAME}.json")
    parser.add_argument("--server-src", type=Path, default=None, help="run the server from this src folder")
    arguments = parser.parse_args()
    figures = asyncio.run(main(arguments))
    report(figures)
    write_json(arguments.out, figures)
