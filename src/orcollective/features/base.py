"""The feature contract: what one tool is, independent of MCP and of the command line.

A feature is one module with a ``Request`` model (the tool's arguments: its MCP input schema, its CLI
options and its validation, written once), a ``Result`` model (the structured output), ``run(rt,
request, progress)`` and ``summary(result)``. ``orcollective.mcp`` and ``orcollective.cli`` build their
tools and commands from the list in ``features/__init__.py``.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, ValidationError

from ..runtime import Runtime

Kind = Literal["read", "read_local", "spends", "writes_local"]


QUOTE_CHARS = 80  # of an argument's name or message quoted back in an error
MAX_PROBLEMS = 4  # of one call's arguments listed in an error


class Request(BaseModel, defer_build=True):
    """Base of every tool's arguments: unknown names are refused, naming the closest valid one."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, defer_build=True)

    @classmethod
    def problems(cls, exc: ValidationError, shown: Mapping[str, str] | None = None) -> list[str]:
        """Each problem of ``exc`` once, as ``field: message``; nothing of the input is echoed but names,
        cut to ``QUOTE_CHARS``. ``shown`` renames fields (e.g. to CLI flags)."""
        names = list(cls.model_fields)
        out: list[str] = []
        for error in exc.errors(include_url=False, include_input=False):
            loc = [str(part) for part in error["loc"]]
            if error["type"] == "extra_forbidden":
                problem = _unknown(loc, _fields_at(cls, loc[:-1]) if len(loc) > 1 else names)
            else:
                if loc and shown:
                    loc[0] = shown.get(loc[0], loc[0])
                message = _cut(str(error["msg"]).removeprefix("Value error, "), 4 * QUOTE_CHARS)
                problem = f"{_cut('.'.join(loc), QUOTE_CHARS)}: {message}" if loc else message
            if problem not in out:
                out.append(problem)
        # A list of 100 bad items is 100 problems: the first few say what is wrong with all of them.
        more = len(out) - MAX_PROBLEMS
        return out if more <= 0 else [*out[:MAX_PROBLEMS], f"{more} more like these"]


def _unknown(loc: list[str], names: list[str]) -> str:
    close = difflib.get_close_matches(loc[-1], names, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else f"valid: {', '.join(names)}"
    return f"unknown argument '{_cut('.'.join(loc), QUOTE_CHARS)}'; {hint}"


def _fields_at(model: type[BaseModel], path: list[str]) -> list[str]:
    """The field names of the object argument at ``path`` (e.g. ``openrouter.routing``)."""
    for name in path:
        found = model.model_fields.get(name)
        inner = found.annotation if found else None
        inner = next((a for a in get_args(inner) if isinstance(a, type)), inner) if get_args(inner) else inner
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            return []
        model = inner
    return list(model.model_fields)


class SourceOut(BaseModel, defer_build=True):
    """A web page a reply cited (a ``url_citation`` annotation)."""

    url: str
    title: str | None


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def closing_lines(notes: list[str], run_id: str | None, sources: Sequence[SourceOut] = ()) -> list[str]:
    """The last lines of a summary: the pages cited, each note, then the run id to look the run up by."""
    cited = [f"[{i}] {s.title or s.url} {s.url}" for i, s in enumerate(sources, 1)]
    return cited + [f"note: {n}" for n in notes] + ([f"run {run_id}"] if run_id else [])


class Progress:
    """Where a running feature reports what it is doing; the default listens to nothing."""

    # True for a progress that shows each model's answer as it streams in (a terminal's live panel): the
    # feature then asks its panel streamed and reports ``model_text``.
    streams: bool = False

    async def step(self, done: float, total: float | None, message: str) -> None:
        """A step finished (e.g. one model answered): ``done`` of ``total``."""

    async def text(self, delta: str) -> None:
        """A piece of a single answer as it streams in."""

    async def model_text(self, model: str, chars: int) -> None:
        """``model`` has sent ``chars`` characters of its answer so far."""

    async def model_started(self, model: str) -> None:
        """``model`` is about to be asked (a panel shows it as waiting)."""

    async def model_finished(
        self,
        model: str,
        status: str,
        *,
        answer: str | None = None,
        latency_s: float = 0.0,
        cost_usd: float | None = None,
        error: str | None = None,
    ) -> None:
        """``model`` answered (``status`` "ok"), failed, timed out or was cancelled."""


Req = TypeVar("Req", bound=Request)
Res = TypeVar("Res", bound=BaseModel)


@dataclass(frozen=True)
class Cli:
    """How the feature appears on the command line: ``arguments`` are positional, ``flags`` rename
    options (field -> "--flag" or "--flag/-f"), ``hidden`` fields are left to the MCP tool."""

    command: str
    arguments: tuple[str, ...] = ()
    flags: Mapping[str, str] = field(default_factory=dict)
    hidden: tuple[str, ...] = ()


@dataclass(frozen=True)
class Feature(Generic[Req, Res]):
    name: str
    group: str
    kind: Kind
    description: str
    request: type[Req]
    result: type[Res]
    run: Callable[[Runtime, Req, Progress], Awaitable[Res]]
    summary: Callable[[Res], str]
    cli: Cli | None = None
    images: Callable[[Res], list[bytes]] | None = None  # PNGs shown inline by MCP clients (e.g. a chart)
