"""The ``orcollective`` command: serve, demo, doctor, models, ask, consensus, runs."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from . import __version__, catalog, core
from .collective.consensus import consensus as run_consensus
from .errors import OrcError
from .results import ConsensusResult, price_text
from .runtime import Runtime, open_runtime
from .settings import Settings

app = typer.Typer(
    name="orcollective",
    help="Every OpenRouter model in any MCP client, plus consensus across models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, or one line naming the bad variable and exit 2."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        err.print(f"[red]Invalid setting {where}:[/] {first['msg']} (check ORCOLLECTIVE_{where.upper()}).")
        raise typer.Exit(2) from exc


def setup_logging(level: str) -> None:
    """Logs go to stderr: in stdio mode stdout belongs to the MCP protocol."""
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )


def run_with_runtime(settings: Settings, job: Callable[[Runtime], Awaitable[Any]]) -> Any:
    """Run ``job`` with a freshly built runtime; our errors become one red line and exit 1."""

    async def main() -> Any:
        async with open_runtime(settings) as rt:
            return await job(rt)

    try:
        return asyncio.run(main())
    except OrcError as exc:
        err.print(f"[red]Error:[/] {exc}")
        raise typer.Exit(1) from exc
    except KeyboardInterrupt:
        err.print("[yellow]Interrupted.[/]")
        raise typer.Exit(130) from None


def version_callback(value: bool) -> None:
    if value:
        out.print(f"orcollective {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=version_callback, is_eager=True, help="Show the version."),
    ] = None,
) -> None:
    """orcollective: OpenRouter for MCP clients, with consensus across models."""


@app.command()
def serve(
    transport: Annotated[str, typer.Option(help="stdio (for MCP clients) or http (streamable HTTP)")] = "stdio",
    host: Annotated[str, typer.Option(help="Bind address for http")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port for http")] = 8765,
) -> None:
    """Run the MCP server (stdio by default)."""
    from .server import build_server

    settings = load_settings()
    setup_logging(settings.log_level)
    if transport not in ("stdio", "http"):
        err.print("[red]--transport must be stdio or http.[/]")
        raise typer.Exit(2)
    server = build_server(settings)
    if not settings.has_key:
        logging.getLogger("orcollective").warning("OPENROUTER_API_KEY is not set: tools will say how to set it")
    if transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host=host, port=port)


@app.command()
def models(
    query: Annotated[str | None, typer.Argument(help="Substring of the id or name")] = None,
    vision: Annotated[bool, typer.Option("--vision", help="Only models that read images")] = False,
    free: Annotated[bool, typer.Option("--free", help="Only free models")] = False,
    tools: Annotated[bool, typer.Option("--tools", help="Only models with tool calling")] = False,
    sort: Annotated[str, typer.Option(help="name, price, context or newest")] = "name",
    limit: Annotated[int, typer.Option(help="Rows to show")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Search the model catalog (prices per 1M tokens)."""
    settings = load_settings()
    setup_logging(settings.log_level)
    result = run_with_runtime(
        settings,
        lambda rt: catalog.list_models(
            rt,
            query=query,
            vision=vision or None,
            free=free or None,
            tools=tools or None,
            sort=sort,
            limit=limit,
        ),
    )
    if as_json:
        out.print_json(result.model_dump_json())
        return
    table = Table(title=f"{result.total} models match", title_justify="left")
    for col in ("id", "context", "price", "flags"):
        table.add_column(col, justify="right" if col == "context" else "left")
    for m in result.models:
        flags = " ".join(f for f, on in (("vision", m.vision), ("free", m.free), ("tools", m.tools)) if on)
        price = price_text(m.prompt_per_mtok, m.completion_per_mtok)
        table.add_row(m.id, str(m.context or "?"), price, flags)
    out.print(table)


@app.command()
def ask(
    model: Annotated[str, typer.Argument(help="Model id, e.g. openai/gpt-4o")],
    prompt: Annotated[str, typer.Argument(help="The question or instruction")],
    system: Annotated[str | None, typer.Option(help="System prompt")] = None,
    temperature: Annotated[float | None, typer.Option(help="0 to 2")] = None,
    max_tokens: Annotated[int | None, typer.Option(help="Cap on the answer length")] = None,
) -> None:
    """Ask one model; the answer streams to the terminal."""
    settings = load_settings()
    setup_logging(settings.log_level)

    def show(text: str) -> None:
        out.print(text, end="", markup=False, highlight=False, soft_wrap=True)

    result = run_with_runtime(
        settings,
        lambda rt: core.chat(
            rt,
            model=model,
            prompt=prompt,
            system=system,
            temperature=temperature,
            max_tokens=max_tokens,
            on_text=show,
        ),  # fmt: skip
    )
    cost = f"${result.cost_usd:.6f} ({result.cost_source})" if result.cost_usd is not None else "cost unknown"
    err.print(
        f"\n[dim]{result.model} via {result.provider or '?'} · {result.usage.prompt_tokens}+"
        f"{result.usage.completion_tokens} tokens · {result.latency_s:.2f}s · {cost}[/]"
    )


@app.command()
def consensus(
    prompt: Annotated[str, typer.Argument(help="The question for the panel")],
    model: Annotated[list[str] | None, typer.Option("--model", "-m", help="A panel model (repeat)")] = None,
    strategy: Annotated[str, typer.Option(help="auto, vote, weighted, synthesize, judge")] = "auto",
    answer_type: Annotated[str, typer.Option(help="auto, choice, number, boolean, text, long_text")] = "auto",
    adaptive: Annotated[bool, typer.Option(help="Ask the best 3 first; the rest on disagreement")] = False,
    early_stop: Annotated[bool, typer.Option(help="Stop once the answer cannot change")] = True,
    max_cost: Annotated[float | None, typer.Option(help="Budget in USD")] = None,
    timeout: Annotated[float | None, typer.Option(help="Seconds for the whole run")] = None,
    aggregator: Annotated[str | None, typer.Option(help="Model for synthesize/judge")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Ask several models at once and aggregate their answers."""
    settings = load_settings()
    setup_logging(settings.log_level)

    async def progress(done: int, total: int, message: str) -> None:
        err.print(f"[dim]  {message}[/]")

    result: ConsensusResult = run_with_runtime(
        settings,
        lambda rt: run_consensus(
            rt,
            prompt=prompt,
            models=model,
            strategy=strategy,
            answer_type=answer_type,
            adaptive=adaptive,
            early_stop=early_stop,
            max_cost_usd=max_cost,
            timeout_s=timeout,
            aggregator=aggregator,
            on_progress=progress,
        ),  # fmt: skip
    )
    if as_json:
        out.print_json(result.model_dump_json())
        return
    print_consensus(result)


def print_consensus(result: ConsensusResult, console: Console = out) -> None:
    """Each model's answer, latency and cost; then the winner, confidence and total cost."""
    table = Table(title_justify="left")
    for col in ("model", "status", "answer", "latency", "cost"):
        table.add_column(col, justify="right" if col in ("latency", "cost") else "left")
    for r in result.responses:
        cost = f"${r.cost_usd:.6f}" if r.cost_usd is not None else "-"
        answer = r.answer if r.answer is not None else (r.error or "-")
        style = "green" if r.answer is not None and r.answer == result.answer else ""
        table.add_row(r.model, r.status, answer[:60], f"{r.latency_s:.2f}s", cost, style=style)
    console.print(table)
    conf = f"{result.confidence:.0%}" if result.confidence is not None else "unknown"
    agree = f"{result.agreement:.2f}" if result.agreement is not None else "-"
    console.print(f"[bold]Answer:[/] {result.answer}")
    console.print(
        f"confidence {conf} · agreement {agree} · {result.strategy} · {result.calls} calls"
        f"{' · stopped early' if result.stopped_early else ''} · ${result.cost_usd:.6f}"
        f" (estimated ${result.estimate_usd or 0:.6f}) · {result.latency_s:.2f}s"
    )
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}")
    if result.run_id:
        console.print(f"[dim]run {result.run_id}[/]")


@app.command()
def runs(
    run_id: Annotated[str | None, typer.Argument(help="Show one run")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show")] = 20,
) -> None:
    """List saved runs, or show one."""
    settings = load_settings()
    setup_logging(settings.log_level)

    async def job(rt: Runtime) -> Any:
        if rt.store is None:
            raise OrcError("The run store is unavailable; check ORCOLLECTIVE_DATA_DIR.")
        return rt.store.get_run(run_id) if run_id else rt.store.list_runs(limit=limit)

    data = run_with_runtime(settings, job)
    if run_id and data is None:
        err.print(f"[red]No run '{run_id}'.[/] List them with: orcollective runs")
        raise typer.Exit(1)
    if run_id:
        out.print_json(json.dumps(data, default=str))
        return
    table = Table()
    for col in ("id", "tool", "status", "cost", "summary"):
        table.add_column(col)
    for r in data:
        table.add_row(r["id"], r["tool"], r["status"], f"${r.get('cost_usd') or 0:.6f}", r.get("summary") or "")
    out.print(table)


@app.command()
def demo(
    keep: Annotated[bool, typer.Option(help="Keep the demo's cache and run store folder")] = False,
) -> None:
    """Run the whole pipeline offline: simulator -> real server over stdio -> real MCP client."""
    from .demo import run_demo

    raise typer.Exit(run_demo(out, keep=keep))


@app.command()
def doctor() -> None:
    """Check the key, the base URL, credits, the cache and a server handshake."""
    from .doctor import run_doctor

    settings = load_settings()
    setup_logging("ERROR")
    raise typer.Exit(run_doctor(settings, out))
