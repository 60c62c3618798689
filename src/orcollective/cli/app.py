"""The ``orcollective`` command: serve, demo, doctor, and one command per feature (ask, models, consensus, ...)."""

from __future__ import annotations

import asyncio
import inspect
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console

from .. import __version__
from ..errors import OrcError
from ..features import FEATURES, Feature, Progress
from ..runtime import Runtime, open_runtime
from ..settings import Settings
from .options import flag_names, parameters
from .render import render

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


class _CliProgress(Progress):
    """Steps as dim lines on stderr; streamed text on stdout as it arrives."""

    async def step(self, done: float, total: float | None, message: str) -> None:
        if total is not None:  # a count of steps (models answered); a stream's character count is noise here
            err.print(f"[dim]  {message}[/]")

    async def text(self, delta: str) -> None:
        out.print(delta, end="", markup=False, highlight=False, soft_wrap=True)


def add_feature_command(typer_app: typer.Typer, feature: Feature) -> None:
    """A command whose arguments and options are the feature's Request fields, plus ``--json``."""
    assert feature.cli is not None
    flags = flag_names(feature)

    def command(**values: Any) -> None:
        as_json = values.pop("as_json")
        given = {k: v for k, v in values.items() if v is not None and v != []}
        try:
            request = feature.request.model_validate(given)
        except ValidationError as exc:
            err.print(f"[red]Invalid arguments:[/] {'; '.join(feature.request.problems(exc, flags))}", highlight=False)
            raise typer.Exit(2) from exc
        settings = load_settings()
        setup_logging(settings.log_level)
        result = run_with_runtime(settings, lambda rt: feature.run(rt, request, _CliProgress()))
        if as_json:
            out.print_json(result.model_dump_json())
        else:
            render(feature.name, result, feature.summary, out, err)

    as_json = inspect.Parameter(
        "as_json",
        inspect.Parameter.KEYWORD_ONLY,
        default=False,
        annotation=Annotated[bool, typer.Option("--json", help="Print the structured result as JSON")],
    )
    command.__signature__ = inspect.Signature([*parameters(feature), as_json])  # type: ignore[attr-defined]
    command.__doc__ = feature.description
    typer_app.command(feature.cli.command)(command)


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
    from ..mcp import build_server

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


for _feature in FEATURES:
    if _feature.cli is not None:
        add_feature_command(app, _feature)


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
