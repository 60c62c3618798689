"""The ``orcollective`` command: serve, demo, doctor, and one command per feature (ask, models, consensus, ...)."""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from typer._click.exceptions import ClickException, NoArgsIsHelpError  # the click that typer vendors

from .. import __version__
from ..errors import OrcError
from ..features import FEATURES, Feature
from ..runtime import open_runtime
from ..settings import Settings
from .errors import USAGE, command_names, error_line, exit_code
from .extensions import EXTENSIONS
from .install import register_install
from .live import LiveProgress
from .options import flag_names, parameters
from .render import render
from .serve import read_settings, say, setup_logging
from .serve import serve as run_server


class _Typer(typer.Typer):
    """Typer whose usage errors are one line on stderr naming the command's --help, exit 2."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            code = super().__call__(*args, standalone_mode=False, **kwargs)
        except NoArgsIsHelpError as exc:
            out.print(exc.ctx.get_help() if exc.ctx else "", markup=False, highlight=False)
            sys.exit(USAGE)
        except ClickException as exc:
            ctx = getattr(exc, "ctx", None)  # usage errors know their command
            where = ctx.command_path if ctx is not None else "orcollective"
            message = exc.format_message().replace("Value error, ", "")
            say(f"[red]Error:[/] {escape(message)} (see {where} --help)")
            sys.exit(USAGE)
        except typer.Abort:
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


app = _Typer(
    name="orcollective",
    help="Every OpenRouter model in any MCP client, plus consensus across models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
out = Console()
err = Console(stderr=True)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, or one line naming the bad variable and exit 2."""
    settings = read_settings(**overrides)
    if settings is None:
        raise typer.Exit(USAGE)
    return settings


def all_flags(feature: Feature) -> dict[str, str]:
    """Every feature's field -> flag, the running feature's own names winning."""
    names: dict[str, str] = {}
    for other in FEATURES:
        if other.cli is not None and other is not feature:
            names.update({k: v for k, v in flag_names(other).items() if v.startswith("--")})
    return {**names, **flag_names(feature)}


def run_feature(feature: Feature, request: Any, settings: Settings, progress: LiveProgress) -> Any:
    """Run the feature with a freshly built runtime; an error is one line (exit 1 upstream, 2 usage);
    Ctrl-C cancels every call, says what was spent and exits 130."""

    async def main() -> Any:
        async with open_runtime(settings) as rt:
            return await feature.run(rt, request, progress)

    try:
        return asyncio.run(main())
    except OrcError as exc:
        progress.close()
        line = error_line(exc, settings.base_url, all_flags(feature), command_names(FEATURES))
        say(line)
        raise typer.Exit(exit_code(exc)) from exc
    except KeyboardInterrupt:
        progress.close()
        say(f"[yellow]{escape(progress.cancelled_line())}[/]")
        raise typer.Exit(130) from None
    finally:
        progress.close()


def add_feature_command(typer_app: typer.Typer, feature: Feature) -> None:
    """A command whose arguments and options are the feature's Request fields, plus ``--json``."""
    assert feature.cli is not None
    flags = flag_names(feature)
    command_name = feature.cli.command

    extension = EXTENSIONS.get(command_name)

    def command(**values: Any) -> None:
        as_json = values.pop("as_json")
        try:
            extra = extension.prepare(values) if extension else {}
        except OrcError as exc:
            say(f"[red]Error:[/] {escape(str(exc))} (see orcollective {command_name} --help)")
            raise typer.Exit(USAGE) from exc
        given = {k: v for k, v in values.items() if v is not None and v != []}
        try:
            request = feature.request.model_validate(given)
        except ValidationError as exc:
            problems = "; ".join(feature.request.problems(exc, flags))
            say(f"[red]Error:[/] {escape(problems)} (see orcollective {command_name} --help)")
            raise typer.Exit(USAGE) from exc
        settings = load_settings()
        setup_logging(settings.log_level, timestamps=False)
        model = getattr(request, "model", None)
        what = f"waiting for {model}" if isinstance(model, str) else command_name
        progress = LiveProgress(out, err, what, stream=not as_json)
        result = run_feature(feature, request, settings, progress)
        if as_json:
            # One run asked for by id is its record itself, not the list-or-record envelope of the tool.
            record = getattr(result, "run", None) if feature.name == "runs" else None
            out.print_json(json.dumps(record, default=str) if record is not None else result.model_dump_json())
        else:
            render(feature.name, result, feature.summary, out, err)
        if extension:
            try:
                extension.finish(result, extra, err)
            except OrcError as exc:
                say(f"[red]Error:[/] {escape(str(exc))}")
                raise typer.Exit(USAGE) from exc

    as_json = inspect.Parameter(
        "as_json",
        inspect.Parameter.KEYWORD_ONLY,
        default=False,
        annotation=Annotated[bool, typer.Option("--json", help="Print the structured result as JSON")],
    )
    params = [*parameters(feature), *(extension.params if extension else ()), as_json]
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__doc__ = feature.description
    typer_app.command(command_name)(command)


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
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port for http (1-65535)")] = 8765,
    token: Annotated[str | None, typer.Option(help="Bearer token for http (ORCOLLECTIVE_HTTP_TOKEN)")] = None,
    allowed_host: Annotated[list[str] | None, typer.Option(help="Extra Host header allowed for http")] = None,
    allowed_origin: Annotated[list[str] | None, typer.Option(help="Extra Origin allowed for http")] = None,
) -> None:
    """Run the MCP server (stdio by default)."""
    raise typer.Exit(run_server(transport, host, port, token, allowed_host or (), allowed_origin or ()))


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
    setup_logging("CRITICAL")
    raise typer.Exit(run_doctor(settings, out))


@app.command()
def simulator(
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1 (0: any free port)")] = 8766,
) -> None:
    """Run the built-in OpenRouter simulator until Ctrl-C, to try every tool and client without a key."""
    from .simulator_cmd import run_simulator

    raise typer.Exit(run_simulator(out, err, port))


register_install(app)
