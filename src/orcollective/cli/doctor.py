"""``orcollective doctor``: check each thing the server needs and say how to fix what is wrong."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable

from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..errors import OrcError
from ..features import FEATURES
from ..openrouter import OpenRouterClient
from ..settings import Settings
from .errors import cli_wording, command_names, describe

DETAIL_CHARS = 300


def server_params(env: dict[str, str] | None = None) -> StdioServerParameters:
    """How to start this package's own server over stdio, with ``env`` layered on the current environment."""
    return StdioServerParameters(
        command=sys.executable, args=["-m", "orcollective", "serve"], env={**os.environ, **(env or {})}
    )


def run_doctor(settings: Settings, console: Console) -> int:
    """Print one line per check; return 0 when all pass, 1 otherwise."""
    return asyncio.run(_doctor(settings, console))


async def _doctor(settings: Settings, console: Console) -> int:
    failures = checks = 0

    async def check(name: str, probe: Callable[[], Awaitable[str]]) -> None:
        nonlocal failures, checks
        checks += 1
        try:
            mark, detail = Text("✓", style="green"), await probe()
        except Exception as exc:  # every failure is reported as one line, whatever it is
            failures += 1
            mark, detail = Text("✗", style="red"), _one_line(exc, settings)
        line = Table.grid(padding=(0, 1))  # a long detail wraps under itself, not under the mark
        line.add_column(no_wrap=True)
        line.add_column()
        line.add_row(mark, Text.assemble((name, "bold"), f": {detail}"))
        console.print(line)

    client = OpenRouterClient(
        settings.base_url,
        settings.api_key,
        timeout_s=min(settings.request_timeout_s, 20),
        connect_timeout_s=settings.connect_timeout_s,
    )

    async def key() -> str:
        if not settings.has_key:
            raise OrcError("OPENROUTER_API_KEY is not set: add it to the MCP client's env block or a .env file.")
        return "set (value hidden)"

    async def reachable() -> str:
        catalog = await client.models()
        return f"{settings.base_url} lists {len(catalog)} models"

    async def credits() -> str:
        key = await client.key_info()
        remaining, limit = key.limit_remaining, key.limit
        left = f"${remaining:.2f} left of ${limit or 0:.2f}" if remaining is not None else "no spending limit"
        return f"{left}; ${key.usage or 0:.4f} used" + (" (free tier)" if key.is_free_tier else "")

    async def writable() -> str:
        for folder in (settings.cache_dir, settings.data_dir):
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder):
                pass
        return f"{settings.cache_dir} and {settings.data_dir}"

    async def handshake() -> str:
        # The server's warnings (no key, ...) repeat the checks above: its stderr is kept aside and
        # only its last line is shown, when the server fails to start.
        with tempfile.TemporaryFile("w+") as log:
            try:
                async with asyncio.timeout(60):
                    quiet = server_params({"ORCOLLECTIVE_LOG_LEVEL": "ERROR"})
                    async with Client(stdio_client(quiet, errlog=log)) as c:
                        tools = await c.list_tools()
            except Exception as exc:
                log.seek(0)
                last = [line for line in log.read().splitlines() if line.strip()][-1:]
                raise OrcError(f"the server did not start: {last[0] if last else _one_line(exc, settings)}") from exc
        return f"server started over stdio and listed {len(tools.tools)} tools"

    try:
        await check("API key", key)
        await check("base URL", reachable)
        if settings.has_key:
            await check("credits", credits)
        await check("cache and data folders", writable)
        await check("MCP handshake", handshake)
    finally:
        await client.aclose()
    console.print("All checks passed." if not failures else f"{failures} of {checks} checks failed.")
    return 1 if failures else 0


def _one_line(exc: BaseException, settings: Settings) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:  # a task group's failure: its first cause
        exc = exc.exceptions[0]
    if isinstance(exc, OrcError):
        label, text = describe(exc, settings.base_url)
        text = cli_wording(text, {}, command_names(FEATURES))
        text = f"{label}: {text}" if label else text
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())[:DETAIL_CHARS]
