"""Our one-line errors in the command line's own words, and the exit code that goes with each.

Features and the client word their errors for an MCP client (``raise max_cost_usd``, ``use
list_models``). At the command-line boundary those names become the flags and commands a person types
(``--max-cost``, ``orcollective models``), and the failures a person can fix differently are labelled
apart: a wrong base URL, a server that cannot be reached, a connection dropped mid-answer, a bad key,
no credits. Exit 1 is an upstream failure, 2 a usage problem (nothing was spent).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ..errors import (
    AuthError,
    BudgetExceeded,
    ConfigError,
    InsufficientCredits,
    InvalidArgument,
    ModelNotFound,
    OrcError,
    ServerError,
    StreamInterrupted,
)
from ..features import Feature

UPSTREAM, USAGE = 1, 2

_TOOL_WORDING = (
    (re.compile(r"\b(?:list|find) runs with the runs tool\b"), "list runs with `orcollective runs`"),
    (re.compile(r"\bthe runs tool\b"), "`orcollective runs`"),
    (re.compile(r"\buse chat for one model\b"), "use `orcollective ask` for one model"),
)


def command_names(features: Iterable[Feature]) -> dict[str, str]:
    """Tool name -> the command that runs it (``list_models`` -> ``orcollective models``)."""
    return {f.name: f"orcollective {f.cli.command}" for f in features if f.cli is not None}


def cli_wording(text: str, flags: Mapping[str, str], commands: Mapping[str, str]) -> str:
    """``text`` with tool parameter names replaced by ``flags`` and tool names by ``commands``.

    Only names with an underscore are replaced: plain words such as "prompt" or "models" read the same
    in a sentence and as a name, and replacing them would garble the sentence.
    """
    for pattern, words in _TOOL_WORDING:
        text = pattern.sub(words, text)
    names = {**{k: f"`{v}`" for k, v in commands.items()}, **flags}
    wanted = sorted((n for n in names if "_" in n), key=len, reverse=True)
    if not wanted:
        return text
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, wanted)) + r")(?![\w-])")
    return pattern.sub(lambda m: names[m.group(1)], text)


def describe(exc: OrcError, base_url: str) -> tuple[str, str]:
    """A short label for the kind of failure and the message (still in tool words)."""
    text = str(exc)
    if isinstance(exc, ModelNotFound) and not exc.model:
        # Only the catalog request has no model: a 404 there means the URL is not an OpenRouter API root.
        return "wrong base URL", (
            f"{base_url}/models answered 404: OPENROUTER_BASE_URL should be the API root, "
            "e.g. https://openrouter.ai/api/v1."
        )
    if isinstance(exc, ServerError) and text.startswith("Cannot reach"):
        return "server unreachable", text
    if isinstance(exc, StreamInterrupted):
        return "connection dropped mid-answer", text
    if isinstance(exc, AuthError):
        return "bad key", text
    if isinstance(exc, InsufficientCredits):
        return "no credits", text
    return "", text


def exit_code(exc: OrcError) -> int:
    """2 when the user can fix the command (nothing was sent upstream), 1 for everything else."""
    return USAGE if isinstance(exc, (InvalidArgument, BudgetExceeded, ConfigError)) else UPSTREAM


def error_line(exc: OrcError, base_url: str, flags: Mapping[str, str], commands: Mapping[str, str]) -> str:
    """The one line a person reads for ``exc``, with Rich markup for the label."""
    label, text = describe(exc, base_url)
    text = cli_wording(" ".join(text.split()), flags, commands)
    return f"[red]Error[/] ([bold]{label}[/]): {_escape(text)}" if label else f"[red]Error:[/] {_escape(text)}"


def _escape(text: str) -> str:
    return text.replace("[", r"\[")
