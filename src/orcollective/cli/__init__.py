"""The ``orcollective`` command line.

``app`` is the command (the ``orcollective`` script and ``python -m orcollective`` call it). A plain
``orcollective serve`` runs the server straight away (``serve.serve_options``); every other command
line, ``serve --help`` included, goes to the Typer app of ``commands``, built on first use. ``app``
stands in for that Typer app everywhere else (``typer.main.get_command(app)``, ``CliRunner().invoke``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from .serve import serve_options, serve_plain

if TYPE_CHECKING:
    import typer


class Command:
    """The ``orcollective`` command: ``serve`` without building the Typer app, anything else through it."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not args and set(kwargs) <= {"prog_name"} and (options := serve_options(sys.argv[1:])) is not None:
            sys.exit(serve_plain(options))
        return self.typer(*args, **kwargs)

    @property
    def typer(self) -> typer.Typer:
        """The Typer app with every command."""
        from .commands import app

        return app

    def __getattr__(self, name: str) -> Any:
        return getattr(self.typer, name)


app = Command()

__all__ = ["app"]
