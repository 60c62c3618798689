"""``orcollective serve`` and what every command shares: settings from the environment, logging, error lines.

An MCP client that launches the server waits for its start-up, so this module imports nothing at first:
not typer, nor the other commands, nor rich until there is an error to print; the server's own modules
load inside ``serve``. ``serve_options`` reads a plain ``serve`` command line; anything else (``--help``,
a value out of range, an unknown option) is left to the Typer app in ``commands``, which words it as it
does for every command.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..settings import Settings

TRANSPORTS = ("stdio", "http")
INTERRUPTED = 130
# Flag -> parameter of ``serve``; the ones in _REPEATED may be given more than once.
_SINGLE = {"--transport": "transport", "--host": "host", "--port": "port", "--token": "token"}
_REPEATED = {"--allowed-host": "hosts", "--allowed-origin": "origins"}


def say(markup: str) -> None:
    """One line on stderr, wrapped by the terminal rather than broken by us (it stays one line in a log)."""
    from rich.console import Console

    Console(stderr=True).print(markup, soft_wrap=True, highlight=False)


def read_settings(**overrides: Any) -> Settings | None:
    """Settings from the environment, or None after one line naming the bad variable."""
    from pydantic import ValidationError

    from ..settings import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        from rich.markup import escape

        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        say(f"[red]Error:[/] invalid setting {where}: {escape(first['msg'])} (check ORCOLLECTIVE_{where.upper()}).")
        return None


def setup_logging(level: str, *, timestamps: bool = True) -> None:
    """Logs go to stderr: in stdio mode stdout belongs to the MCP protocol. A command a person runs
    logs without timestamps; a server logs with them."""
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s" if timestamps else "%(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=level, stream=sys.stderr, format=fmt, force=True)


def serve(
    transport: str = "stdio",
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str | None = None,
    hosts: Sequence[str] = (),
    origins: Sequence[str] = (),
) -> int:
    """Run the MCP server until the client goes (stdio) or SIGINT/SIGTERM (http); the exit code."""
    # Start-up builds some hundred thousand objects that live as long as the server (the SDK's and our
    # pydantic models and their schemas): collecting garbage while they are built only walks them over
    # and over. They are set aside as permanent once built, so later collections skip them too.
    gc.disable()
    try:
        from ..mcp import build_server
        from .errors import USAGE

        if transport not in TRANSPORTS:
            say("[red]Error:[/] --transport must be stdio or http (see orcollective serve --help)")
            return USAGE
        settings = read_settings()
        if settings is None:
            return USAGE
        setup_logging(settings.log_level)
        server = build_server(settings)
    finally:
        gc.freeze()
        gc.enable()
    if not settings.has_key:
        logging.getLogger("orcollective").warning("OPENROUTER_API_KEY is not set: tools will say how to set it")
    if transport == "stdio":
        server.run("stdio")
        return 0
    from ..mcp.http import run_http

    return run_http(server, settings, host, port, token, hosts, origins)


def serve_options(args: Sequence[str]) -> dict[str, Any] | None:
    """``serve``'s arguments from a command line that is ``serve`` with well-formed options and nothing
    else (``serve --transport http --port 8000``); None for any other command line."""
    if not args or args[0] != "serve":
        return None
    options: dict[str, Any] = {}
    rest = list(args[1:])
    while rest:
        flag, eq, value = rest.pop(0).partition("=")
        if not eq:
            if not rest:
                return None
            value = rest.pop(0)
        if not value or value.startswith("-"):
            return None
        if flag in _REPEATED:
            options.setdefault(_REPEATED[flag], []).append(value)
        elif flag in _SINGLE and _SINGLE[flag] not in options:
            options[_SINGLE[flag]] = value
        else:
            return None
    port = options.get("port", "8765")
    if not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        return None
    if options.get("transport", "stdio") not in TRANSPORTS:
        return None
    return {**options, "port": int(port)}


def serve_plain(options: dict[str, Any]) -> int:
    """``serve(**options)`` as the Typer command ends: exit 130 on Ctrl-C (and on EOFError, after a new line)."""
    try:
        return serve(**options)
    except KeyboardInterrupt:
        return INTERRUPTED
    except EOFError:
        print(file=sys.stderr)
        return INTERRUPTED
